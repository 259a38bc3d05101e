"""The signed-in user of a request, as the user table has it now.

A session cookie names the user's tenant, username and login (engine.logins), never
what the user may do. Each request looks the user and the login up in one SELECT: their
role, whether they are active, and whether the login has ended, so a user who logs out,
is deactivated, removed, given a new password or a lower role loses the old rights
without waiting for the cookie to expire.

The form page is hot, so each process caches a user it found for
FORMWORK_USER_RECHECK_SECONDS (2 by default; 0 looks on every request): an admin's
change reaches every worker within that bound. Only a look that lets the session in is
cached; one that would end it is made again, so a login made a moment ago in another
process is not refused for a stamp this one cached before.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, current_app, g, session

from engine import logins, users
from engine.caching import BoundedCache
from engine.errors import UnknownName
from webui.services import record_service

EXTENSION = "formwork_signed_in"
MAX_CACHED = 4096  # logins per process (engine.caching: the oldest goes first)
clock = time.monotonic  # the cached looks' clock; tests move it
_UNCHECKED = object()


def init_app(app: Flask) -> None:
    """Give the app its cache of the users looked up (current_user)."""
    # (tenant, username, login) → (looked at, users.Standing)
    app.extensions[EXTENSION] = BoundedCache(MAX_CACHED)


def login_session(tenant: str, user: Any, login: str) -> dict[str, str]:
    """What a session cookie keeps of a user who just logged in: who, and the token of
    the login (engine.logins) that logging out ends."""
    return {"tenant": tenant, "username": user.username, "login": login}


def forget(tenant: str, username: str, login: str) -> None:
    """Drop what this process cached of a login that has just ended."""
    cache: dict = current_app.extensions[EXTENSION]
    cache.pop((tenant, username, login), None)


def current_user(tenant: str | None = None) -> dict[str, str] | None:
    """The signed-in user, {tenant, username, role, language} as the user table has them now; only
    a user of `tenant` when it is given. A session whose login has ended is cleared."""
    request_globals = g._get_current_object()  # through the proxy once: the page is hot
    user = getattr(request_globals, "formwork_user", _UNCHECKED)
    if user is _UNCHECKED:  # looked up once per request
        user = request_globals.formwork_user = _checked(session.get("user"))
    if user is None or (tenant is not None and user["tenant"] != tenant):
        return None
    return user


def login_ended() -> bool:
    """Whether this request's session named a user whose login has ended since."""
    current_user()
    return g.get("formwork_login_ended", False)


def _checked(login: Any) -> dict[str, str] | None:
    if not isinstance(login, dict):
        return None
    tenant, username = login.get("tenant"), login.get("username")
    standing = _standing(tenant, username, login.get("login"))
    if standing is None:
        session.clear()
        g.formwork_login_ended = True
        return None
    return {
        "tenant": tenant,
        "username": username,
        "role": standing.role,
        "language": standing.language,
    }


def _standing(tenant: Any, username: Any, login: Any) -> users.Standing | None:
    """The user's standing if the session's login has not ended, else None."""
    if not (isinstance(tenant, str) and isinstance(username, str) and isinstance(login, str)):
        return None  # a cookie from before logins were kept, or not one of ours
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    cache: BoundedCache = app.extensions[EXTENSION]
    key, now = (tenant, username, login), clock()
    known = cache.get(key)
    if known is not None and now - known[0] < app.config["FORMWORK_USER_RECHECK_SECONDS"]:
        return known[1]
    found = _look_up(tenant, username, login)
    if found is None:
        cache.pop(key, None)
        return None
    cache[key] = now, found
    return found


def _look_up(tenant: str, username: str, login: str) -> users.Standing | None:
    try:
        compiled = record_service().registry.tenant(tenant)
    except UnknownName:  # a tenant removed from the metadata since
        return None
    return logins.standing(compiled, username, login)
