"""The app's shared objects, looked up in one place."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, abort, current_app, g

from engine.errors import NotFound
from engine.records.files import UPLOADS, StoredFiles
from engine.records.service import RecordService
from engine.records.target import Target


def record_service() -> RecordService:
    """The records service of this request: every call in one request sees one registry,
    even if a metadata reload swaps in a new one meanwhile."""
    # through the proxies once: a page asks for its service several times
    request_globals = g._get_current_object()  # type: ignore[attr-defined]
    service = getattr(request_globals, "records", None)
    if service is None:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        registry = app.extensions["formwork"].registry
        service = request_globals.records = RecordService(registry, _stored_files(app))
    return service


def stored_files() -> StoredFiles:
    """The files uploaded to this site's tenants, in the data directory, which every worker
    serving a tenant shares; one object per app."""
    return _stored_files(current_app._get_current_object())  # type: ignore[attr-defined]


def _stored_files(app: Flask) -> StoredFiles:
    files = app.extensions.get("formwork.files")
    if files is None:
        files = app.extensions["formwork.files"] = StoredFiles(
            Path(app.config["FORMWORK_DATA"]) / UPLOADS
        )
    return files


def target_or_404(tenant: str, entity: str) -> Target:
    """The entity of a tenant a page's URL names; a 404 when there is no such entity."""
    try:
        return record_service().target(tenant, entity)
    except NotFound:
        abort(404)
