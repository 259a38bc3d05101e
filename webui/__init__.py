"""The web face of Formwork: the JSON API now, the generated forms next.

`create_app(config)` builds the app; importing this package opens nothing.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from engine.records.service import RecordService
from engine.registry import build_registry
from engine.storage.databases import Storage
from engine.storage.sync import sync_registry

DEFAULTS: dict[str, Any] = {
    "FORMWORK_METADATA": "metadata",
    "FORMWORK_DATA": "data",
    "FORMWORK_DATABASE": None,
    "MAX_CONTENT_LENGTH": 1024 * 1024,  # a bigger body is answered 413
}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The Flask app: defaults, then FORMWORK_* environment variables, then `config`."""
    app = Flask(__name__)
    app.json.sort_keys = False  # records keep their fields in form order
    app.config.update(DEFAULTS)
    for key in ("FORMWORK_METADATA", "FORMWORK_DATA", "FORMWORK_DATABASE"):
        if os.environ.get(key):
            app.config[key] = os.environ[key]
    app.config.update(config or {})
    registry = build_registry(app.config["FORMWORK_METADATA"])
    storage = Storage(app.config["FORMWORK_DATA"], app.config["FORMWORK_DATABASE"])
    sync_registry(registry, storage)
    app.extensions["formwork"] = RecordService(registry)

    from webui import api

    app.register_blueprint(api.blueprint)
    api.register_error_handlers(app)
    return app
