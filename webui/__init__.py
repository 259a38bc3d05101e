"""The web face of Formwork: generated forms and lists, and the JSON API.

`create_app(config)` builds the app; importing this package opens nothing. The factory
imports the app's modules when it runs, as Flask's own examples do: each of them imports
this package first, so importing them at the top here would make a cycle.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from engine.lazy_registry import LazyRegistry
from engine.records.files import UPLOADS, StoredFiles
from engine.records.service import RecordService
from engine.registry import CompiledTenant, Registry
from engine.storage.databases import Storage
from engine.storage.sync import sync_tenants
from webui.sessions import COOKIE_NAME

# Flask's own settings as Formwork sets them; the FORMWORK_* ones are in webui/settings.py
FLASK_DEFAULTS: dict[str, Any] = {
    "MAX_CONTENT_LENGTH": 1024 * 1024,  # a bigger body is answered 413
    "SESSION_COOKIE_NAME": COOKIE_NAME,  # Flask's default, which the API's document names
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,  # a form left open all day still saves
}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The Flask app: defaults, then FORMWORK_* environment variables, then `config`.

    Every FORMWORK_* setting is listed, with its default, in README.md's Settings table."""
    from webui import faults, settings, speedups

    app = Flask(__name__)
    app.json.sort_keys = False  # records keep their fields in form order
    app.config.update(FLASK_DEFAULTS)
    app.config.update(settings.defaults())
    app.config.update(settings.from_environment(os.environ))
    app.config.update(config or {})
    app.request_class = speedups.request_class(app)
    speedups.init_hooks(app)
    speedups.init_escaping(app)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _stored_secret(Path(app.config["FORMWORK_DATA"]))
    storage = Storage(
        app.config["FORMWORK_DATA"],
        app.config["FORMWORK_DATABASE"],
        write_wait=app.config["FORMWORK_WRITE_WAIT_SECONDS"],
        pool_size=app.config["FORMWORK_DATABASE_POOL"],
    )
    # a request's connections go back to the pool at its end, for the next request of
    # any tenant (a streamed page's at the end of its stream)
    app.teardown_request(lambda error: storage.release())
    # only the base files are read here: each tenant is compiled, and its database synced,
    # on its first request; a tenant whose database cannot be used is then set aside
    # (logged, answered 503) and every other tenant is served
    registry = LazyRegistry(
        app.config["FORMWORK_METADATA"],
        app.config["FORMWORK_TENANT_CACHE"],
        prepare=lambda tenant: sync_tenant_alone(tenant, storage),
        drop=storage.close_tenant,
    )
    uploads = StoredFiles(Path(app.config["FORMWORK_DATA"]) / UPLOADS)
    app.extensions["formwork"] = RecordService(registry, uploads)
    app.extensions["formwork_storage"] = storage  # metadata reload syncs through it
    faults.init_app(app)  # before the other blueprints' hooks ask a set-aside tenant
    _register(app)
    return app


def sync_tenant_alone(tenant: CompiledTenant, storage: Storage) -> None:
    """Bind a tenant just compiled to its database and sync its tables; UnsafeChange if
    its metadata asks for a change that could lose data."""
    name = tenant.spec.name
    sync_tenants(Registry("", {name: tenant}), storage, [name])


def _register(app: Flask) -> None:
    from webui import (
        admin,
        api,
        apidocs,
        auth,
        chrome,
        pages,
        record_actions,
        signed_in,
        speedups,
        uploads,
        urls,
    )
    from webui.headers import SecurityHeaders
    from webui.transfer import exports, imports

    app.url_map.converters["name"] = api.NameConverter
    csrf = speedups.init_csrf(app)
    csrf.exempt(api.blueprint)  # the API authenticates each call by token, not by cookie
    app.register_blueprint(api.blueprint)
    app.register_blueprint(auth.blueprint)
    app.register_blueprint(pages.blueprint)
    app.register_blueprint(record_actions.blueprint)
    app.register_blueprint(admin.blueprint)
    app.register_blueprint(uploads.blueprint)
    app.register_blueprint(imports.blueprint)
    app.register_blueprint(exports.blueprint)
    app.register_blueprint(apidocs.blueprint)
    api.register_error_handlers(app)

    signed_in.init_app(app)
    urls.init_app(app)
    chrome.init_app(app)
    app.session_interface = speedups.session_interface(app)
    app.wsgi_app = SecurityHeaders(app.wsgi_app)  # type: ignore[method-assign]
    proxies = app.config["FORMWORK_TRUSTED_PROXIES"]
    if proxies:  # outermost: the app and its headers see the client's scheme and IP
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )


def _stored_secret(data_dir: Path) -> str:
    """A signing key kept beside the data, so every worker and restart shares it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()
