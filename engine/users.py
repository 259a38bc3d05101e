"""The people and scripts who may use a tenant: users, roles, passwords and API tokens.

Users live in each tenant's own database (`formwork_user`, `formwork_token`), so a
user or a token of one tenant means nothing to another. Passwords are stored as
argon2 hashes; tokens as the sha256 of the token, so a copy of the database opens
no account.

Each user has a session stamp, a random word every session cookie of the user carries.
A new password or a deactivation draws a new stamp, which ends every session of the
user; the web UI compares the two on each request (`standing`).
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

import peewee
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from engine.errors import EngineError, UnknownName, did_you_mean
from engine.registry import CompiledTenant
from engine.storage.system import SystemTables

# each role may do everything the roles before it may do
ROLES = ("viewer", "editor", "admin")
MIN_PASSWORD_LENGTH = 8
MAX_USERNAME_LENGTH = 150

_HASHER = PasswordHasher()


class UserError(EngineError):
    """A user cannot be added or changed as asked."""


class UnknownUser(UnknownName):
    """No user of that name in the tenant."""


@dataclass(frozen=True)
class Standing:
    """What an active user may do now: their role, and the stamp their sessions carry."""

    role: str
    session_stamp: str
    language: str | None = None  # chosen by the user; None: the browser's


def allows(role: str, needed: str) -> bool:
    """Whether a user holding `role` may do what `needed` may do; unknown roles may nothing."""
    _check_role(needed)
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


def generate_password() -> str:
    """A random password of 22 URL-safe characters (128 bits)."""
    return secrets.token_urlsafe(16)


def add_user(tenant: CompiledTenant, username: str, role: str, password: str) -> peewee.Model:
    """Create an active user; UserError for a bad name, role or password, or a taken name."""
    username = _clean_username(username)
    _check_role(role)
    password_hash = _hash(password)
    user_model = _models(tenant).user
    try:
        with tenant.database.atomic():
            return user_model.create(
                username=username,
                password_hash=password_hash,
                role=role,
                created=_now(),
                session_stamp=_new_stamp(),
            )
    except peewee.IntegrityError:
        raise UserError(
            f"tenant '{tenant.spec.name}' already has a user '{username}'; choose another username"
        ) from None


def set_password(tenant: CompiledTenant, username: str, password: str) -> None:
    """Replace a user's password and end their sessions; UnknownUser if there is no such user."""
    user = get_user(tenant, username)
    user.password_hash = _hash(password)
    user.session_stamp = _new_stamp()
    with tenant.database.atomic():
        user.save(only=[type(user).password_hash, type(user).session_stamp])
        _end_logins(tenant, user)


def set_active(tenant: CompiledTenant, username: str, active: bool) -> None:
    """Let a user in again, or keep them out (ending their sessions, with every token)
    without deleting anything."""
    user = get_user(tenant, username)
    user.active = active
    if not active:  # let in again, they log in anew
        user.session_stamp = _new_stamp()
    with tenant.database.atomic():
        user.save(only=[type(user).active, type(user).session_stamp])
        if not active:
            _end_logins(tenant, user)


def set_role(tenant: CompiledTenant, username: str, role: str) -> None:
    """Give a user another role, which their sessions and tokens have from the next request."""
    _check_role(role)
    user = get_user(tenant, username)
    user.role = role
    user.save(only=[type(user).role])


def set_language(tenant: CompiledTenant, username: str, language: str | None) -> None:
    """Choose the language a user reads the tenant's pages in, one of the tenant's
    languages; None leaves it to their browser. UserError for another language."""
    translations = tenant.spec.translations
    offered = translations.languages if translations else ()
    if language is not None and language not in offered:
        raise UserError(
            f"tenant '{tenant.spec.name}' has no language '{language}'; "
            f"choose one of {', '.join(offered)}, or 'browser' for the browser's"
        )
    user = get_user(tenant, username)
    user.language = language
    user.save(only=[type(user).language])


def remove_user(tenant: CompiledTenant, username: str) -> None:
    """Delete a user with their tokens; their sessions end. The audit keeps their name."""
    user = get_user(tenant, username)
    with tenant.database.atomic():
        tokens = _models(tenant).token
        tokens.delete().where(tokens.user == user.id).execute()
        _end_logins(tenant, user)
        user.delete_instance()


def standing(tenant: CompiledTenant, username: object) -> Standing | None:
    """The role and session stamp of an active user; None for an inactive or unknown one.
    One SELECT by the unique username."""
    if not is_username(username):
        return None
    user_model = _models(tenant).user
    row = (
        user_model.select(user_model.role, user_model.session_stamp, user_model.language)
        .where(user_model.username == normalized(username), user_model.active)
        .tuples()
        .first()
    )
    return Standing(*row) if row and row[1] else None


def get_user(tenant: CompiledTenant, username: str) -> peewee.Model:
    """The user of that name, active or not; UnknownUser if there is none."""
    user = _find(tenant, username)
    if user is None:
        raise UnknownUser(
            f"tenant '{tenant.spec.name}' has no user '{username}'; "
            f"add it with: formwork user add {tenant.spec.name} {username} --role viewer"
        )
    return user


def authenticate(tenant: CompiledTenant, username: str, password: str) -> peewee.Model | None:
    """The active user with this name and password, or None.

    A hash is verified even when the user does not exist, so the time taken does not
    tell a caller which usernames exist.
    """
    user = _find(tenant, username)
    stored = user.password_hash if user is not None else _dummy_hash(_HASHER)
    if not _verify(stored, password) or user is None or not user.active:
        return None
    if _HASHER.check_needs_rehash(stored):  # the hasher's parameters were raised since
        user.password_hash = _HASHER.hash(password)
        user.save(only=[type(user).password_hash])
    if not user.session_stamp:  # a user stored before session stamps existed
        user.session_stamp = _new_stamp()
        user.save(only=[type(user).session_stamp])
    return user


def issue_token(tenant: CompiledTenant, username: str) -> str:
    """A new API token for an active user; only its hash is kept, so show it now or never."""
    user = get_user(tenant, username)
    if not user.active:
        raise UserError(
            f"user '{user.username}' of tenant '{tenant.spec.name}' is inactive; "
            "activate the user before issuing a token"
        )
    # the tenant's name leads the token, so a token shown at another tenant's URL can be
    # told apart (not found) from a wrong token of that tenant (unauthenticated)
    token = f"{tenant.spec.name}.{secrets.token_urlsafe(32)}"
    _models(tenant).token.create(user=user, token_hash=_token_hash(token), created=_now())
    return token


def token_tenant(token: str) -> str:
    """The name of the tenant a token was issued for ('' if it names none)."""
    return token.partition(".")[0] if "." in token else ""


def user_for_token(tenant: CompiledTenant, token: str) -> peewee.Model | None:
    """The active user a token was issued to in this tenant, or None."""
    if not isinstance(token, str) or not token:
        return None
    models = _models(tenant)
    return (
        models.user.select()
        .join(models.token)
        .where(models.token.token_hash == _token_hash(token), models.user.active)
        .first()
    )


def _find(tenant: CompiledTenant, username: object) -> peewee.Model | None:
    user_model = _models(tenant).user
    if not is_username(username):  # PostgreSQL refuses a NUL in a query: never send one
        return None
    return user_model.get_or_none(user_model.username == normalized(username))


def _end_logins(tenant: CompiledTenant, user: peewee.Model) -> None:
    """End every browser login of the user (engine.logins): no cookie of theirs opens
    anything after."""
    logins = _models(tenant).login
    logins.delete().where(logins.user == user.id).execute()


def _models(tenant: CompiledTenant) -> SystemTables:
    """The tenant's system tables, once the storage layer bound its database."""
    if tenant.database.obj is None:
        raise UserError(
            f"tenant '{tenant.spec.name}' is not connected to its database yet; "
            "run sync_registry (formwork migrate) first"
        )
    return tenant.system


def normalized(username: str) -> str:
    """A user name as it is stored and looked up."""
    # NFKC: a name typed with a composed 'é' and one with 'e' + accent are one user
    return unicodedata.normalize("NFKC", username)


def is_username(name: object) -> bool:
    """Whether a value can be a user name: 1 to 150 characters, no space or control."""
    if not isinstance(name, str):
        return False
    name = normalized(name)
    return 1 <= len(name) <= MAX_USERNAME_LENGTH and not any(
        char.isspace() or unicodedata.category(char).startswith("C") for char in name
    )


def _clean_username(username: object) -> str:
    if not is_username(username):
        raise UserError(
            f"{username!r} is not a valid username: use 1 to {MAX_USERNAME_LENGTH} "
            "characters, without spaces or control characters"
        )
    return normalized(username)


def _check_role(role: object) -> None:
    if role not in ROLES:
        raise UserError(
            f"{role!r} is not a role{did_you_mean(role, ROLES)}; use one of {', '.join(ROLES)}"
        )


def _hash(password: object) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(
            f"the password is too short: use at least {MIN_PASSWORD_LENGTH} characters, "
            "or leave it out to have one generated"
        )
    return _HASHER.hash(password)


def _verify(stored: str, password: object) -> bool:
    if not isinstance(password, str):
        return False
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    # made by the hasher in use, so verifying it costs what verifying a real hash costs
    return hasher.hash(secrets.token_urlsafe(16))


def _new_stamp() -> str:
    return secrets.token_urlsafe(12)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    # naive UTC: a PostgreSQL `timestamp` column would silently drop an offset
    return datetime.now(UTC).replace(tzinfo=None)
