"""Flask's signed-cookie sessions, each cookie's signature checked once per process.

A browser sends the same cookie with every request until the session changes. Its
signature is verified and its data decoded the first time this process sees it; after
that, the data is taken from a bounded cache keyed by the whole cookie, so only a
cookie that passed the check can ever be found there. The age limit is checked on
every request, as before, and each request gets its own copy of the data, so no
request shares the session's objects with another. The cache holds the results of a
pure function: sessions still live in the cookies alone, and any worker can serve any
request.

Replaces SecureCookieSessionInterface.open_session and save_session (through Flask's
public seam, `app.session_interface`); the stock ones, CookieSessions', are the oracle of
tests/test_sessions.py.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from flask import Flask, Request
from flask.sessions import SecureCookieSession
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.sansio.http import parse_cookie

from engine.caching import BoundedCache
from webui.sessions import CookieSessions

MAX_CACHED = 4096  # cookies (engine.caching: the oldest goes first)


class VerifiedCookieSessions(CookieSessions):
    """CookieSessions that caches what each cookie it verified holds."""

    def __init__(self) -> None:
        self._keys: tuple | None = None
        self._serializer: URLSafeTimedSerializer | None = None
        # cookie → (its data, signed at, how deep a copy of it must go: _depth)
        self._verified: BoundedCache[str, tuple[Any, int, int]] = BoundedCache(MAX_CACHED)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Flask's serializer, built again only when the secret keys change."""
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if keys != self._keys:
            self._serializer = super().get_signing_serializer(app)
            self._keys = keys
            self._verified.clear()  # what the old keys verified proves nothing now
        return self._serializer

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """The request's session, as Flask's open_session reads it from the cookie."""
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        cookie = _cookies(request).get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class()
        verified = self._verified.get(cookie) or self._verify(serializer, cookie)
        if verified is None:
            return self.session_class()
        payload, signed_at, depth = verified
        # the age check of itsdangerous's TimestampSigner.unsign, made on every request
        age = int(time.time()) - signed_at
        if not 0 <= age <= int(app.permanent_session_lifetime.total_seconds()):
            return self.session_class()
        return self.session_class(_copy(payload, depth))

    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        """Flask's save_session; a session neither changed nor to be refreshed only adds
        `Vary: Cookie` when it was read, which Flask does after reading the cookie's
        settings from the config, and nothing else."""
        if session.modified or self.should_set_cookie(app, session):
            super().save_session(app, session, response)
        elif session.accessed:
            _vary_on_cookie(response)

    def _verify(
        self, serializer: URLSafeTimedSerializer, cookie: str
    ) -> tuple[Any, int, int] | None:
        """The cookie's data and signing time if a current key signed it, else None."""
        for signer in serializer.iter_unsigners():
            try:
                payload, signed = signer.unsign(cookie, return_timestamp=True)
            except BadSignature:
                continue
            data = serializer.load_payload(payload)  # what fails here fails as in Flask
            verified = self._verified[cookie] = data, _seconds(signed), _depth(data)
            return verified
        return None


def _cookies(request: Request) -> Any:
    """`request.cookies`, read from the Cookie header alone: Werkzeug joins the values of
    every header named Cookie, found by going through every header of the request, but
    a WSGI environ holds one at most, HTTP_COOKIE."""
    return parse_cookie(request.environ.get("HTTP_COOKIE", ""), cls=request.dict_storage_class)


def _vary_on_cookie(response: Any) -> None:
    """`response.vary.add("Cookie")`, which parses the header and writes it again; a
    response that varies on nothing yet (most) is given the header straight away."""
    if "Vary" in response.headers:
        response.vary.add("Cookie")
    else:
        response.headers["Vary"] = "Cookie"


_IMMUTABLE = frozenset({str, int, float, bool, bytes, type(None)})


def _depth(data: Any) -> int:
    """How deep a copy of a session's data must go for no request to share anything it
    can change: 0, a dict of values none can change in place; 1, a dict whose values
    are those or dicts of those (a signed-in user's session); 2, anything else."""
    if type(data) is not dict:
        return 2
    values = [value for value in data.values() if type(value) not in _IMMUTABLE]
    if not values:
        return 0
    inner = (type(v) is dict and all(type(x) in _IMMUTABLE for x in v.values()) for v in values)
    return 1 if all(inner) else 2


def _copy(data: Any, depth: int) -> Any:
    """The data a session opens with, copied as deep as `_depth` says (the session's
    own dict is a new one at any depth: Flask's session class copies what it is given)."""
    if depth == 0:
        return data
    if depth == 1:
        return {key: dict(value) if type(value) is dict else value for key, value in data.items()}
    return _copied(data)


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def _copied(data: Any) -> Any:
    """A new copy of decoded session data, whose only containers that can change are
    dicts and lists (tuples may hold them): a request may change its session freely."""
    if isinstance(data, dict):
        return {key: _copied(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_copied(value) for value in data]
    if isinstance(data, tuple):
        return tuple(_copied(value) for value in data)
    return data
