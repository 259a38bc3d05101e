"""Files and images attached to records: stored beside the tenant's data, served to its users.

A stored file is named by a random token, so no upload can overwrite another or
choose its own path; images are accepted only in formats a browser shows safely.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, send_from_directory
from werkzeug.datastructures import FileStorage

from engine.records import files
from webui.auth import login_required
from webui.services import stored_files

blueprint = Blueprint("uploads", __name__)


class UploadRefused(ValueError):
    """An upload that cannot be kept; the message says why, for the person who sent it."""


def save_upload(tenant: str, upload: FileStorage, image: bool) -> str:
    """Keep an uploaded file; the reference to store in the record's field."""
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
    upload.save(stored_files().folder(tenant) / name)
    return files.reference(tenant, name)


@blueprint.app_template_test("stored_file")
def is_stored_file(value: Any) -> bool:
    """Whether a value may go into a page's link or image source: only a stored file's
    reference, whatever a record holds (`{% if value is stored_file %}`)."""
    return files.is_reference(value)


@blueprint.get("/<tenant>/files/<name>")
@login_required()
def stored_file(tenant: str, name: str) -> object:
    if not files.STORED_NAME.fullmatch(name):
        abort(404)
    is_image = name.rsplit(".", 1)[1] in files.IMAGE_SUFFIXES
    return send_from_directory(stored_files().folder(tenant), name, as_attachment=not is_image)
