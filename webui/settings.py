"""The FORMWORK_* settings of the web app: each one's default, and its environment variable.

`create_app` layers them: these defaults, then the environment (a variable set to an
empty string counts as unset), then the `config` it is given. README.md's Settings table
documents every one; a test keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from webui import speedups


@dataclass(frozen=True)
class Setting:
    """One setting: its app.config key, its environment variable and its default."""

    key: str
    variable: str
    default: Any
    read: Callable[[str, str], Any]  # (variable, text) → the value, or ValueError


def text(variable: str, value: str) -> str:
    """An environment value taken as it is."""
    return value


def whole_number(variable: str, value: str) -> int:
    """A count such as bytes, as a whole number."""
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{variable} must be a whole number, not {value!r}.") from None


def connections(variable: str, value: str) -> int:
    """A number of database connections: one at least."""
    number = whole_number(variable, value)
    if number < 1:
        raise ValueError(
            f"{variable} must be at least 1 (connections a process holds), not {value!r}."
        )
    return number


def seconds(variable: str, value: str) -> float:
    """A time in seconds; fractions allowed."""
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{variable} must be a number of seconds, not {value!r}.") from None


def speedup_names(variable: str, value: str) -> str:
    """`on`, `off`, or names of webui/speedups separated by commas, checked."""
    speedups.chosen(value)  # a ValueError that says what is allowed
    return value


SETTINGS = (
    Setting("FORMWORK_METADATA", "FORMWORK_METADATA", "metadata", text),
    Setting("FORMWORK_DATA", "FORMWORK_DATA", "data", text),
    Setting("FORMWORK_DATABASE", "FORMWORK_DATABASE", None, text),
    # None: a key made once and kept in the data directory (create_app)
    Setting("SECRET_KEY", "FORMWORK_SECRET_KEY", None, text),
    Setting("FORMWORK_RELOAD", "FORMWORK_RELOAD", "watch", text),  # watch, poll or off
    # an import's upload: files of many rows; any other body is held to MAX_CONTENT_LENGTH
    Setting(
        "FORMWORK_IMPORT_MAX_BYTES", "FORMWORK_IMPORT_MAX_BYTES", 64 * 1024 * 1024, whole_number
    ),
    # how long a process trusts a signed-in user's role and active flag it looked up; 0: none
    Setting("FORMWORK_USER_RECHECK_SECONDS", "FORMWORK_USER_RECHECK_SECONDS", 2.0, seconds),
    # how many proxies in front set X-Forwarded-For/-Proto/-Host truthfully; 0: trust none
    Setting("FORMWORK_TRUSTED_PROXIES", "FORMWORK_TRUSTED_PROXIES", 0, whole_number),
    # how long a write waits for its tenant's write lock (held by an import, say) before it
    # answers 503 "busy, try again" with Retry-After; reads never wait for it
    Setting("FORMWORK_WRITE_WAIT_SECONDS", "FORMWORK_WRITE_WAIT_SECONDS", 5.0, seconds),
    # how long an import's page follows it before it goes on in the background: below the
    # WSGI server's worker timeout (gunicorn: 30 s), which would kill the worker and the import
    Setting("FORMWORK_IMPORT_PAGE_SECONDS", "FORMWORK_IMPORT_PAGE_SECONDS", 20.0, seconds),
    # how many tenants a process keeps compiled; the least recently used goes first
    Setting("FORMWORK_TENANT_CACHE", "FORMWORK_TENANT_CACHE", 500, whole_number),
    # how many database connections a process holds open at most, shared by its tenants:
    # PostgreSQL connections, or open SQLite files; a request finding all in use waits
    # FORMWORK_WRITE_WAIT_SECONDS, then answers 503 "busy"; None: by backend (Storage)
    Setting("FORMWORK_DATABASE_POOL", "FORMWORK_DATABASE_POOL", None, connections),
    # the shortcuts past the libraries' own code (webui/speedups): on, off, or some of them
    Setting("FORMWORK_SPEEDUPS", "FORMWORK_SPEEDUPS", "on", speedup_names),
)


def defaults() -> dict[str, Any]:
    """Every setting at its default, by app.config key."""
    return {setting.key: setting.default for setting in SETTINGS}


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings the environment sets, read into their types, by app.config key."""
    return {
        setting.key: setting.read(setting.variable, environ[setting.variable])
        for setting in SETTINGS
        if environ.get(setting.variable)
    }
