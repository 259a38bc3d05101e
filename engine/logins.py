"""Browser logins, each one a row of its tenant's database that its cookie names.

A login starts with a random token: the session cookie carries it, the database keeps
its sha256 (`formwork_login`). Each request finds the user and the login in one SELECT,
so ending a login (logging out) makes every copy of its cookie open nothing, and a new
password, a deactivation or a removal ends all of the user's logins. Logins older than
the longest a cookie lives are swept when someone logs in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import peewee

from engine.registry import CompiledTenant
from engine.users import Standing, is_username, normalized


def start(tenant: CompiledTenant, user: peewee.Model, lasts: timedelta) -> str:
    """A new login of an active user: the token its cookie carries (shown once)."""
    login = tenant.system.login
    token = secrets.token_urlsafe(32)
    now = _now()
    with tenant.database.atomic():
        login.delete().where(login.created < now - lasts).execute()
        login.create(user=user.id, token_hash=_hash(token), created=now)
    return token


def end(tenant: CompiledTenant, token: object) -> None:
    """End the login whose cookie carries `token`, if it has not ended yet."""
    if isinstance(token, str) and token:
        login = tenant.system.login
        login.delete().where(login.token_hash == _hash(token)).execute()


def standing(tenant: CompiledTenant, username: object, token: object) -> Standing | None:
    """The role and session stamp of an active user whose login `token` has not ended;
    None otherwise. One SELECT, by the login's unique hash."""
    if not (is_username(username) and isinstance(token, str) and token):
        return None
    user, login = tenant.system.user, tenant.system.login
    row = (
        user.select(user.role, user.session_stamp, user.language)
        .join(login, on=login.user == user.id)
        .where(login.token_hash == _hash(token), user.username == normalized(username), user.active)
        .tuples()
        .first()
    )
    return Standing(*row) if row and row[1] else None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
