"""Open each tenant's database: an SQLite file per tenant, or a PostgreSQL schema per tenant.

On PostgreSQL every tenant gets its own connection whose search_path is the tenant's
schema alone, so no query of one tenant can name another tenant's tables.
"""

from __future__ import annotations

import re
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import peewee
from playhouse.db_url import parse as parse_url

from engine.errors import EngineError
from engine.storage.sqlite_queue import QueuedSqliteDatabase

BUSY_SECONDS = 30  # how long a writer queues for SQLite's lock before failing
_SQLITE_PRAGMAS = {
    "busy_timeout": BUSY_SECONDS * 1000,  # writers queue for the lock instead of failing
    "synchronous": "normal",
    "foreign_keys": 1,
}
_SCHEMA_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
_RESERVED = {"public", "information_schema"}  # PostgreSQL's own schemas


class StorageError(EngineError):
    """The database cannot be opened or changed as asked."""


class Storage:
    """The databases of every tenant of a deployment, opened lazily, one per tenant."""

    def __init__(self, data_dir: str | None = None, database_url: str | None = None) -> None:
        if database_url and not database_url.startswith(("postgres://", "postgresql://")):
            raise StorageError(
                f"unsupported database URL '{database_url}': use postgresql://USER@HOST/DB, "
                "or leave it out to keep data in SQLite files"
            )
        self.data_dir = Path(data_dir or "data")
        self.database_url = database_url
        self._databases: dict[str, peewee.Database] = {}

    @property
    def backend(self) -> str:
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
        _switch_to_wal(path)
        # IMMEDIATE: a write transaction takes the write lock at its start, so two
        # writers queue instead of deadlocking on a lock upgrade
        return QueuedSqliteDatabase(
            str(path), pragmas=_SQLITE_PRAGMAS, lock_type="IMMEDIATE", timeout=BUSY_SECONDS
        )

    def _postgresql(self, tenant: str) -> peewee.Database:
        settings = parse_url(self.database_url)
        return peewee.PostgresqlDatabase(
            settings.pop("database"), options=f"-c search_path={tenant}", **settings
        )

    def close(self) -> None:
        for database in self._databases.values():
            if not database.is_closed():
                database.close()


def _switch_to_wal(path: Path) -> None:
    """Put an SQLite file in WAL mode (readers never wait for the writer), which the file
    keeps, so no later connection has to switch it.

    Two processes switching a new file at once can each hold the lock the other needs;
    SQLite then fails one of them at once, without waiting out the busy timeout, so that
    one tries again until the other has switched the file.
    """
    deadline = time.monotonic() + BUSY_SECONDS
    while True:
        try:
            with closing(sqlite3.connect(path, timeout=BUSY_SECONDS)) as connection:
                connection.execute("PRAGMA journal_mode = wal")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise StorageError(f"cannot open the SQLite file {path}: {error}") from error
            time.sleep(0.01)
