"""The app's shared objects, looked up in one place."""

from __future__ import annotations

from flask import current_app, g

from engine.records.service import RecordService


def record_service() -> RecordService:
    """The records service of this request: every call in one request sees one registry,
    even if a metadata reload swaps in a new one meanwhile."""
    service = g.get("records")
    if service is None:
        service = g.records = RecordService(current_app.extensions["formwork"].registry)
    return service
