"""The CSRF token a page carries, signed once per session and process.

Flask-WTF signs the session's raw token anew on every request that shows a form (and
every page shows the logout form). With no time limit on tokens, a signed token stays
valid for as long as its session, so this process reuses the one it signed for a raw
token for a few minutes. The check of a submitted token is Flask-WTF's, unchanged.
"""

from __future__ import annotations

import time

from flask import Flask, current_app, g, session
from flask_wtf.csrf import generate_csrf

FIELD = "csrf_token"  # Flask-WTF's default field and session key, which the app keeps
REUSE_SECONDS = 300  # with a time limit, a tenth of it, so a page stays usable
MAX_REMEMBERED = 4096  # raw tokens; the table starts afresh when full
EXTENSION = "formwork_csrf_tokens"


def init_app(app: Flask) -> None:
    """Pages call csrf_token() as before; this one signs once per session and process.
    Call after CSRFProtect.init_app, whose template context this overrides."""
    app.extensions[EXTENSION] = {}
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"csrf_token": csrf_token})


def csrf_token() -> str:
    """The signed CSRF token for this page, as Flask-WTF's generate_csrf makes it."""
    if FIELD in g:  # signed already for this request
        return generate_csrf()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    signed: dict[str, tuple[str, float]] = app.extensions[EXTENSION]
    now = time.monotonic()
    raw = session.get(FIELD)
    known = signed.get(raw) if isinstance(raw, str) else None
    if known is not None and now - known[1] < _reuse_seconds(app):
        setattr(g, FIELD, known[0])  # where generate_csrf looks for this request's token
        return known[0]
    token = generate_csrf()  # which makes the session's raw token if it has none
    if len(signed) >= MAX_REMEMBERED:
        signed.clear()
    signed[session[FIELD]] = token, now
    return token


def _reuse_seconds(app: Flask) -> float:
    limit = app.config.get("WTF_CSRF_TIME_LIMIT")
    return REUSE_SECONDS if not limit else min(REUSE_SECONDS, limit / 10)
