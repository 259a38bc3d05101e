"""Open each tenant's database: an SQLite file per tenant, or a PostgreSQL schema per tenant.

The connections of every tenant come from one pool per Storage, that is per process
(engine.storage.pool), which bounds them: at most `pool_size` PostgreSQL connections,
or open SQLite files. A thread checks one out at its first statement for a tenant and
gives it back with `Storage.release` (the end of a web request). On PostgreSQL a
connection serves any tenant, its search_path set to that tenant's schema alone, so no
query of one tenant can name another tenant's tables; a connection the server dropped
is replaced (engine.storage.postgres).

A tenant whose database cannot be used (a damaged file, a server out of reach) is kept
in `Storage.unavailable` with the reason, by the sync that found it; its compiled tenant
is then bound to an `UnusableDatabase`, which raises that reason on any use, so that one
tenant answers "unavailable" while every other goes on.
"""

from __future__ import annotations

import copy
import re
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from sqlite3 import DatabaseError as SqliteDatabaseError
from typing import Any, NoReturn

import peewee
from playhouse.db_url import parse as parse_url

from engine.errors import StorageError, TenantBusy, TenantDamaged, Unavailable
from engine.storage import checkpoints
from engine.storage.pool import ConnectionPool
from engine.storage.postgres import ReconnectingPostgresqlDatabase
from engine.storage.sqlite_queue import QueuedSqliteDatabase

__all__ = ["POOL_SIZES", "WRITE_WAIT_SECONDS", "Storage", "StorageError", "UnusableDatabase"]

# how long a writer waits for a tenant's write lock (the writer queue, then SQLite's own),
# and any request for a free connection of the pool, before it answers busy;
# FORMWORK_WRITE_WAIT_SECONDS in the web app
WRITE_WAIT_SECONDS = 5.0
# how many connections a process holds open at most, for all its tenants, by backend
# (FORMWORK_DATABASE_POOL in the web app): on PostgreSQL, where each is a process of the
# server, twice the threads of a gunicorn worker started as README's Production section
# starts it; on SQLite, where each is an open file (and its -wal and -shm) that costs a
# few milliseconds to open again, the busy tenants of a process
POOL_SIZES = {"postgresql": 8, "sqlite": 64}
_SQLITE_PRAGMAS = {"synchronous": "normal", "foreign_keys": 1}
_SCHEMA_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
_RESERVED = {"public", "information_schema"}  # PostgreSQL's own schemas


class UnusableDatabase:
    """Stands for a tenant's database that cannot be used: any use raises the reason."""

    def __init__(self, reason: Unavailable) -> None:
        self.reason = reason

    def __getattr__(self, name: str) -> NoReturn:
        raise copy.copy(self.reason)  # a copy: each raise carries its own traceback


class Storage:
    """The databases of every tenant of a deployment, opened lazily, one per tenant, their
    connections from one pool of `pool_size` (by default POOL_SIZES of the backend)."""

    def __init__(
        self,
        data_dir: str | None = None,
        database_url: str | None = None,
        write_wait: float = WRITE_WAIT_SECONDS,
        pool_size: int | None = None,
    ) -> None:
        if database_url and not database_url.startswith(("postgres://", "postgresql://")):
            raise StorageError(
                f"unsupported database URL '{database_url}': use postgresql://USER@HOST/DB, "
                "or leave it out to keep data in SQLite files"
            )
        self.data_dir = Path(data_dir or "data")
        self.database_url = database_url
        self.write_wait = write_wait
        self._databases: dict[str, peewee.Database] = {}
        size = pool_size or POOL_SIZES[self.backend]
        self.pool = ConnectionPool(size, write_wait, shared=bool(database_url))
        # the tenants whose database the last sync of each could not use, and why
        self.unavailable: dict[str, Unavailable] = {}

    @property
    def backend(self) -> str:
        """The database system every tenant is stored on: postgresql or sqlite."""
        return "postgresql" if self.database_url else "sqlite"

    def database(self, tenant: str) -> peewee.Database:
        """The tenant's database, opened on first use."""
        if tenant not in self._databases:
            if not _SCHEMA_NAME.fullmatch(tenant) or tenant in _RESERVED or tenant[:3] == "pg_":
                raise StorageError(f"'{tenant}' cannot name a tenant's database; rename the tenant")
            self._databases[tenant] = (
                self._postgresql(tenant) if self.database_url else self._sqlite(tenant)
            )
        return self._databases[tenant]

    def schema(self, tenant: str) -> str | None:
        """The tenant's PostgreSQL schema; None on SQLite, where the file is the tenant's."""
        return tenant if self.database_url else None

    def _sqlite(self, tenant: str) -> peewee.Database:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / f"{tenant}.sqlite3"
        _switch_to_wal(path, tenant, self.write_wait)
        # IMMEDIATE: a write transaction takes the write lock at its start, so two
        # writers queue instead of deadlocking on a lock upgrade. SQLite's own wait
        # (busy_timeout) is bounded like the queue's, for a writer that is not queued.
        pragmas: dict[str, Any] = {**_SQLITE_PRAGMAS, "busy_timeout": int(self.write_wait * 1000)}
        pragmas.update(checkpoints.pragmas())
        return CheckpointedSqliteDatabase(
            str(path),
            pragmas=pragmas,
            lock_type="IMMEDIATE",
            timeout=self.write_wait,
            wait=self.write_wait,
            check_same_thread=False,  # the pool hands it to one thread after another
            pool=self.pool,
            pool_key=tenant,
        )

    def _postgresql(self, tenant: str) -> peewee.Database:
        settings = parse_url(self.database_url)
        # a connection opened for this tenant starts with its schema on the search_path
        return ReconnectingPostgresqlDatabase(
            settings.pop("database"),
            options=f"-c search_path={tenant}",
            tenant=tenant,
            pool=self.pool,
            **settings,
        )

    def release(self) -> None:
        """Give back to the pool every connection this thread holds outside a transaction:
        the end of a request, or of a thread's work."""
        self.pool.release()

    def close_tenant(self, tenant: str) -> None:
        """Give back this thread's connection to a tenant's database if it is open and
        idle, and close the tenant's SQLite files idle in the pool; its next use opens
        them again."""
        database = self._databases.get(tenant)
        if database is not None and not database.is_closed() and not database.in_transaction():
            database.close()
        if not self.database_url:
            self.pool.close_idle(tenant)

    def close(self) -> None:
        """Give back this thread's connections and close every idle one; a connection
        another thread holds stays its own until it gives it back."""
        for database in self._databases.values():
            if not database.is_closed():
                database.close()
        self.pool.close_idle()


class CheckpointedSqliteDatabase(QueuedSqliteDatabase):
    """A tenant's SQLite database whose log is checkpointed by the process's checkpoint
    thread (engine.storage.checkpoints), not by the commit that fills it."""

    def commit(self) -> None:
        super().commit()
        checkpoints.CHECKPOINTS.written(self)


def _switch_to_wal(path: Path, tenant: str, wait: float) -> None:
    """Put an SQLite file in WAL mode (readers never wait for the writer), which the file
    keeps, so no later connection has to switch it. TenantDamaged when the file is no
    database, is cut short, or cannot be opened (a directory in its place).

    Two processes switching a new file at once can each hold the lock the other needs;
    SQLite then fails one of them at once, without waiting out the busy timeout, so that
    one tries again until the other has switched the file.
    """
    deadline = time.monotonic() + wait
    while True:
        try:
            with closing(sqlite3.connect(path, timeout=wait)) as connection:
                connection.execute("PRAGMA journal_mode = wal")
            return
        except SqliteDatabaseError as error:  # OperationalError is one too
            message = f"cannot open the SQLite file {path}: {error}"
            if "locked" not in str(error):
                raise TenantDamaged(message, tenant) from error
            if time.monotonic() > deadline:
                raise TenantBusy(message, tenant) from error
            time.sleep(0.01)
