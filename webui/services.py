"""The app's shared objects, looked up in one place."""

from __future__ import annotations

from flask import current_app

from engine.records.service import RecordService


def record_service() -> RecordService:
    return current_app.extensions["formwork"]
