"""The CSRF token a page carries, signed once per session and process, and checked so.

Flask-WTF signs the session's raw token again on every request that shows a form (and
every page shows the logout form). With no time limit on tokens, a signed token stays
valid for as long as its session, so this process reuses the one it signed for a raw
token for a few minutes (`csrf_token`, the templates' global).

A submitted token is checked by Flask-WTF the first time this process sees it; once
its signature has proved good, the raw token it carries is cached, and later submits
of it are compared with their session's raw token without verifying the signature
again (`CachedCSRFProtect`). Only a token that passed Flask-WTF's check can be found
in that cache.

Replaces Flask-WTF's `generate_csrf` as the templates' `csrf_token` (setting the `g`
attribute where generate_csrf caches a request's token) and CSRFProtect.protect, calling
its private `_get_csrf_token`, `_is_exempt` and `_error_response`: Flask-WTF has no seam
for either. The stock ones are the oracle of tests/test_csrf_tokens.py.
"""

from __future__ import annotations

import hmac
import time

from flask import Flask, current_app, g, request, session
from flask_wtf.csrf import CSRFProtect, generate_csrf, same_origin

from engine.caching import BoundedCache

FIELD = "csrf_token"  # Flask-WTF's default field and session key, which the app keeps
REUSE_SECONDS = 300  # with a time limit, a tenth of it, so a page stays usable
MAX_CACHED = 4096  # raw tokens per cache (engine.caching: the oldest goes first)
EXTENSION = "formwork_csrf_tokens"


def init_app(app: Flask) -> None:
    """Pages call csrf_token() as before; this one signs once per session and process.
    Call after CSRFProtect.init_app, whose template global and context this override."""
    app.extensions[EXTENSION] = BoundedCache(MAX_CACHED)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"csrf_token": csrf_token})


def csrf_token() -> str:
    """The signed CSRF token for this page, as Flask-WTF's generate_csrf makes it."""
    if FIELD in g:  # signed already for this request
        return generate_csrf()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    signed: BoundedCache[str, tuple[str, float]] = app.extensions[EXTENSION]
    now = time.monotonic()
    raw = session.get(FIELD)
    known = signed.get(raw) if isinstance(raw, str) else None
    if known is not None and now - known[1] < _reuse_seconds(app):
        setattr(g, FIELD, known[0])  # where generate_csrf looks for this request's token
        return known[0]
    token = generate_csrf()  # which makes the session's raw token if it has none
    signed[session[FIELD]] = token, now
    return token


def _reuse_seconds(app: Flask) -> float:
    limit = app.config.get("WTF_CSRF_TIME_LIMIT")
    return REUSE_SECONDS if not limit else min(REUSE_SECONDS, limit / 10)


class CachedCSRFProtect(CSRFProtect):
    """CSRFProtect whose check of a signed token it has verified before skips the
    signature and compares the raw token with the session's, as Flask-WTF does."""

    def __init__(self) -> None:
        super().__init__()
        # (secret, signed token) → raw
        self._verified: BoundedCache[tuple[str, str], str] = BoundedCache(MAX_CACHED)

    def protect(self, apply_exemptions: bool = False) -> None:
        """Flask-WTF's check of this request, with the signature checked once a token."""
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        asked = request._get_current_object()  # type: ignore[attr-defined]
        config = app.config
        if asked.method not in config["WTF_CSRF_METHODS"]:
            return  # a GET: nothing to check, whether or not the view is exempt
        if config["WTF_CSRF_TIME_LIMIT"]:
            super().protect(apply_exemptions)  # tokens that expire: checked in full
            return
        if apply_exemptions and (not asked.endpoint or self._is_exempt()):
            return
        secret = config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
        signed = self._get_csrf_token()
        raw = session.get(config["WTF_CSRF_FIELD_NAME"])
        known = self._verified.get((secret, signed)) if isinstance(signed, str) else None
        if known is None or not isinstance(raw, str) or not hmac.compare_digest(raw, known):
            super().protect()  # the full check, and its refusal
            self._cache(secret, signed, raw)
            return
        if asked.is_secure and config["WTF_CSRF_SSL_STRICT"]:  # as Flask-WTF's protect
            if not asked.referrer:
                self._error_response("The referrer header is missing.")
            if not same_origin(asked.referrer, f"https://{asked.host}/"):
                self._error_response("The referrer does not match the host.")
        g.csrf_valid = True

    def _cache(self, secret: str, signed: str, raw: str) -> None:
        """What the full check just let through: `signed` carries `raw`."""
        self._verified[secret, signed] = raw
