"""Files and images attached to records: stored beside the tenant's data, served to its users.

A stored file is named by a random token, so no upload can overwrite another or
choose its own path; images are accepted only in formats a browser shows safely.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory
from werkzeug.datastructures import FileStorage

from webui.auth import login_required

blueprint = Blueprint("uploads", __name__)
_IMAGE_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "png",
    b"\xff\xd8\xff": "jpg",
    b"GIF87a": "gif",
    b"GIF89a": "gif",
}
_STORED_NAME = re.compile(r"[0-9a-f]{32}\.[a-z0-9]{1,10}")


class UploadRefused(ValueError):
    """An upload that cannot be kept; the message says why, for the person who sent it."""


def _folder(tenant: str) -> Path:
    folder = Path(current_app.config["FORMWORK_DATA"]) / "uploads" / tenant
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_upload(tenant: str, upload: FileStorage, image: bool) -> str:
    """Keep an uploaded file; the reference to store in the record's field."""
    head = upload.stream.read(16)
    upload.stream.seek(0)
    if image:
        kind = next((k for sig, k in _IMAGE_SIGNATURES.items() if head.startswith(sig)), None)
        if kind is None:
            raise UploadRefused("must be a PNG, JPEG or GIF image")
        suffix = kind
    else:
        suffix = Path(upload.filename or "").suffix.lower().lstrip(".")
        suffix = suffix if re.fullmatch(r"[a-z0-9]{1,10}", suffix) else "bin"
    name = f"{secrets.token_hex(16)}.{suffix}"
    upload.save(_folder(tenant) / name)
    return f"/{tenant}/files/{name}"


@blueprint.get("/<tenant>/files/<name>")
@login_required()
def stored_file(tenant: str, name: str) -> object:
    if not _STORED_NAME.fullmatch(name):
        abort(404)
    is_image = name.rsplit(".", 1)[1] in set(_IMAGE_SIGNATURES.values())
    return send_from_directory(_folder(tenant), name, as_attachment=not is_image)
