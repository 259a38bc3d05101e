"""Files and images attached to records: stored beside the tenant's data, served to its users.

A stored file is named by a random token, so no upload can overwrite another or
choose its own path; images are accepted only in formats a browser shows safely.

A file arrives with its form, before the form is saved. If the save fails, the file is
kept: the form shown again holds its reference and says so, and saving again uses it
without a new upload. Until a save holds it, an upload is marked pending
(uploads/<tenant>/pending/<name>); a successful save takes the mark off. A pending
upload older than a day is removed at the tenant's next upload, unless some record holds
it all the same (the API may name any of the tenant's files), as imports' uploads are.
"""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, send_from_directory
from werkzeug.datastructures import FileStorage

from engine.records import files
from engine.records.files import attachments
from engine.records.target import Target
from webui.auth import login_required
from webui.services import record_service, stored_files

blueprint = Blueprint("uploads", __name__)
MAX_AGE = 24 * 60 * 60  # seconds an upload waits for a save to hold it
_PENDING = "pending"


class UploadRefused(ValueError):
    """An upload that cannot be kept; the message says why, for the person who sent it."""


def save_upload(tenant: str, upload: FileStorage, image: bool) -> str:
    """Keep an uploaded file, pending until a save holds it; the reference to store in the
    record's field."""
    sweep(tenant)
    head = upload.stream.read(16)
    upload.stream.seek(0)
    if image:
        suffix = files.image_kind(head)
        if suffix is None:
            raise UploadRefused("must be a PNG, JPEG or GIF image")
    else:
        suffix = Path(upload.filename or "").suffix.lower().lstrip(".")
        suffix = suffix if re.fullmatch(r"[a-z0-9]{1,10}", suffix) else "bin"
    name = f"{secrets.token_hex(16)}.{suffix}"
    folder = stored_files().folder(tenant)
    pending = folder / _PENDING
    pending.mkdir(exist_ok=True)
    (pending / name).touch()  # first: a file on disk is never left unmarked
    upload.save(folder / name)
    return files.reference(tenant, name)


def saved(target: Target, values: dict[str, Any]) -> None:
    """A save of `target` succeeded: the uploads its values name are held, no longer
    pending. Only the fields that hold files, the record's and its lines', are looked at."""
    tenant = target.tenant.spec.name
    references = [values.get(field.name) for field, _ in attachments(target)]
    for line in target.lines():
        fields = attachments(target.child(line))
        for row in values.get(line.name) or ():
            if fields and isinstance(row, dict):
                references += [row.get(field.name) for field, _ in fields]
    names = [name for value in references if (name := files.stored_name(tenant, value))]
    if names:
        pending = stored_files().root / tenant / _PENDING
        for name in names:
            (pending / name).unlink(missing_ok=True)


def sweep(tenant: str) -> None:
    """Remove the tenant's uploads pending for more than a day that no record holds; those
    a record holds (saved through the API, or by a save cut short) are pending no more."""
    folder = stored_files().root / tenant
    pending = folder / _PENDING
    if not pending.is_dir():
        return
    oldest = time.time() - MAX_AGE
    old = {
        files.reference(tenant, mark.name): mark
        for mark in pending.iterdir()
        if files.STORED_NAME.fullmatch(mark.name) and mark.stat().st_mtime < oldest
    }
    if not old:
        return
    service = record_service()
    names = service.registry.tenant(tenant).spec.entities
    held = files.held_by_records((service.target(tenant, name) for name in names), old)
    for reference, mark in old.items():
        if reference not in held:
            (folder / mark.name).unlink(missing_ok=True)
        mark.unlink(missing_ok=True)


@blueprint.app_template_test("stored_file")
def is_stored_file(value: Any) -> bool:
    """Whether a value may go into a page's link or image source: only a stored file's
    reference, whatever a record holds (`{% if value is stored_file %}`)."""
    return files.is_reference(value)


@blueprint.get("/<tenant>/files/<name>")
@login_required()
def stored_file(tenant: str, name: str) -> object:
    """A file uploaded to the tenant: an image shown, any other file downloaded."""
    if not files.STORED_NAME.fullmatch(name):
        abort(404)
    is_image = name.rsplit(".", 1)[1] in files.IMAGE_SUFFIXES
    return send_from_directory(stored_files().folder(tenant), name, as_attachment=not is_image)
