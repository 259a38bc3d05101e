"""What a database driver's error means for the people using a tenant.

SQLite and psycopg2 report a damaged file, a full disk, a lock held too long or a lost
connection as their own exceptions, which Peewee wraps in its own and which a cursor
read can raise unwrapped. `classify` reads the driver's error code wherever it is in
the chain and answers the engine's error for it (engine.errors.Unavailable and its
children), or None for an error that is a fault of the code, not of the storage.
"""

from __future__ import annotations

import errno
import sqlite3

import psycopg2

from engine.errors import (
    DatabaseUnreachable,
    OutOfSpace,
    TenantBusy,
    TenantDamaged,
    Unavailable,
)

# SQLite's primary result codes (sqlite3_errcode & 0xff) that say the file is unusable
_SQLITE_DAMAGED = {
    "SQLITE_CORRUPT",
    "SQLITE_NOTADB",
    "SQLITE_CANTOPEN",
    "SQLITE_IOERR",
    "SQLITE_READONLY",
    "SQLITE_PERM",
}
_SQLITE_BUSY = {"SQLITE_BUSY", "SQLITE_LOCKED"}
_DISK_FULL = {errno.ENOSPC, errno.EDQUOT}
# PostgreSQL's SQLSTATEs: 53100 disk_full; class 08, connection exceptions; 57P01-57P03,
# the server shutting down or not accepting connections; 53300 too many connections
_PG_FULL = "53100"
_PG_UNREACHABLE_CLASSES = ("08", "57P")
_PG_UNREACHABLE = {"53300"}
_PG_BUSY = {"55P03", "57014"}  # lock_not_available, query_canceled (a lock or statement timeout)


def classify(error: BaseException, tenant: str | None = None) -> Unavailable | None:
    """The engine's error for a storage fault anywhere in `error`'s chain, or None."""
    for cause in _chain(error):
        if isinstance(cause, Unavailable):
            return cause
        found = _classify_one(cause, tenant)
        if found is not None:
            return found
    return None


def _chain(error: BaseException) -> list[BaseException]:
    """The error, what Peewee wrapped (its `orig`), its causes and contexts."""
    seen: list[BaseException] = []
    pending = [error]
    while pending and len(seen) < 16:
        current = pending.pop(0)
        if any(current is known for known in seen):
            continue
        seen.append(current)
        for more in (getattr(current, "orig", None), current.__cause__, current.__context__):
            if isinstance(more, BaseException):
                pending.append(more)
    return seen


def _classify_one(error: BaseException, tenant: str | None) -> Unavailable | None:
    if isinstance(error, sqlite3.Error):
        return _sqlite(error, tenant)
    if isinstance(error, psycopg2.Error):
        return _postgresql(error, tenant)
    if isinstance(error, OSError) and error.errno in _DISK_FULL:
        return OutOfSpace(f"out of disk space: {error}", tenant)
    return None


def _sqlite(error: sqlite3.Error, tenant: str | None) -> Unavailable | None:
    name = getattr(error, "sqlite_errorname", "") or ""
    primary = name.split("_", 2)
    primary_name = "_".join(primary[:2]) if len(primary) >= 2 else name
    where = f"tenant '{tenant}': " if tenant else ""
    if primary_name == "SQLITE_FULL":
        return OutOfSpace(f"{where}the SQLite file cannot grow: {error}", tenant)
    if primary_name in _SQLITE_BUSY:
        return TenantBusy(f"{where}the SQLite file stayed locked: {error}", tenant)
    if primary_name in _SQLITE_DAMAGED:
        return TenantDamaged(f"{where}the SQLite file cannot be used: {error}", tenant)
    return None


def _postgresql(error: psycopg2.Error, tenant: str | None) -> Unavailable | None:
    code = error.pgcode or ""
    where = f"tenant '{tenant}': " if tenant else ""
    reason = " ".join(str(error).split())
    if code == _PG_FULL:
        return OutOfSpace(f"{where}PostgreSQL is out of disk space: {reason}", tenant)
    if code in _PG_BUSY:
        return TenantBusy(f"{where}PostgreSQL gave up waiting for a lock: {reason}", tenant)
    lost = isinstance(error, psycopg2.InterfaceError) or (
        isinstance(error, psycopg2.OperationalError) and not code
    )
    if lost or code in _PG_UNREACHABLE or code.startswith(_PG_UNREACHABLE_CLASSES):
        return DatabaseUnreachable(f"{where}PostgreSQL cannot be reached: {reason}", tenant)
    return None
