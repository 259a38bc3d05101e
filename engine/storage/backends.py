"""What differs between the databases Formwork runs on, asked of one object per database.

As Peewee's `SchemaMigrator.from_database(db)` picks a migrator, `backend_of(db)` picks
the backend; callers ask it rather than test which database class they were given.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import peewee

from engine.storage import sqlite_ids
from engine.storage.copy_text import copy_text

COPY_FROM = 64  # rows from which PostgreSQL's COPY beats one INSERT per row
# rows of COPY text made at a time: the server stores the rows of one piece while the
# next is made, rather than waiting for the text of them all
COPY_PIECE = 250
ROWS_PER_INSERT = 500  # rows of one SQLite INSERT, within its limit of parameters
# The switches of two shortcuts of PostgreSQL's bulk writer, each False for its plain path
# (which tests/test_bulk_writer.py compares it with): COPY's text made a piece at a time,
# not all before the first row is sent; a validated ISO date or JSON number written as it
# is, not first made a date or a Decimal by Python
COPY_IN_PIECES = True
DATES_AND_NUMBERS_AS_IS = True

# writes rows, taking them as it goes: a generator's rows are made as they are written
Rows = Callable[[Iterable[tuple]], None]


class Backend:
    """The ways of one kind of database; `backend_of` gives the one for a database."""

    name = "database"
    # whether the database alters a column's type in place (SQLite keeps any value)
    alters_column_types = False
    # whether an existing entity table must be rebuilt for ids never given twice
    rebuilds_for_ids = False
    # whether COUNT(*) of a whole table reads only its pages, not each row
    counts_tables_by_pages = False

    def __init__(self, database: peewee.Database) -> None:
        self.database = database

    def reserve_ids(self, table: str, schema: str | None, count: int) -> list[int]:
        """`count` ids of the table that no insert will take; call it in the write's
        transaction."""
        raise NotImplementedError

    def hold_lock(self, key: str) -> None:
        """Serialise schema changes and bulk loads under `key` across processes; call it
        inside a transaction (which already holds SQLite's write lock)."""

    @contextmanager
    def roomy_cache(self) -> Iterator[None]:
        """A page cache large enough for a bulk load's transaction, while it runs."""
        yield

    def stored_as_is(self, column: peewee.Field) -> bool:
        """Whether a validated JSON value goes into this column as it is (no db_value)."""
        return False

    def adapted(self, value: Any) -> Any:
        """A value as the driver takes it, made once rather than once per row."""
        return value

    def record_id_ddl(self) -> str:
        """What a record's id column adds to its definition so no id is given twice."""
        return ""

    def rows_writer(self, table: str, names: str, count: int, rows: int) -> Rows:
        """A function writing rows of `count` columns into `table` in one statement."""
        marks = ", ".join([self.database.param] * count)
        sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"

        def insert_many(rows: Iterable[tuple]) -> None:
            self.database.cursor().executemany(sql, rows)

        return insert_many


class SqliteBackend(Backend):
    """SQLite: one file per tenant, one writer at a time."""

    name = "sqlite"
    rebuilds_for_ids = True
    counts_tables_by_pages = True  # the b-tree's cell counts, page by page

    def reserve_ids(self, table: str, schema: str | None, count: int) -> list[int]:
        """`count` new record ids of `table`, taken so that no other writer takes them."""
        return sqlite_ids.reserve(self.database, table, count)

    @contextmanager
    def roomy_cache(self) -> Iterator[None]:
        """A page cache large enough for one big transaction, for the time of the block."""
        # up to 128 MiB: a transaction of many rows and their index entries otherwise
        # spills pages to the log before it commits
        before = self.database.execute_sql("PRAGMA cache_size").fetchone()[0]
        self.database.execute_sql("PRAGMA cache_size = -131072")
        try:
            yield
        finally:
            self.database.execute_sql(f"PRAGMA cache_size = {int(before)}")

    def stored_as_is(self, column: peewee.Field) -> bool:
        """Whether the column's validated value is what the driver stores, with no conversion."""
        # a date is kept as its ISO text and a decimal as a number: the validated ISO
        # string and JSON number are already what SQLite stores
        return isinstance(column, peewee.DateField | peewee.DecimalField)

    def adapted(self, value: Any) -> Any:
        """A value as sqlite3 takes it: a datetime as its ISO text."""
        if isinstance(value, dt.datetime):
            return value.isoformat(" ")  # what Peewee registers for datetimes with sqlite3
        return value

    def record_id_ddl(self) -> str:
        """AUTOINCREMENT: SQLite then never gives a deleted record's id again."""
        return "AUTOINCREMENT"

    def rows_writer(self, table: str, names: str, count: int, rows: int) -> Rows:
        """A function writing rows into `table`, many rows per INSERT statement."""
        # many rows per INSERT: SQLite opens a statement journal, and FTS5 writes the search
        # index's pending words to disk, at each statement (executemany: at each row)
        limit = self.database.connection().getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        per = min(rows, ROWS_PER_INSERT, limit // count)
        if per < 2:
            return super().rows_writer(table, names, count, rows)
        head = f"INSERT INTO {table} ({names}) VALUES "
        row = f"({', '.join(['?'] * count)})"
        full = head + ", ".join([row] * per)

        def insert_many(rows: Iterable[tuple]) -> None:
            cursor = self.database.cursor()
            rows = iter(rows)
            while part := list(itertools.islice(rows, per)):
                sql = full if len(part) == per else head + ", ".join([row] * len(part))
                cursor.execute(sql, list(itertools.chain.from_iterable(part)))

        return insert_many


class PostgresBackend(Backend):
    """PostgreSQL: a schema per tenant, many writers."""

    name = "postgresql"
    alters_column_types = True

    def reserve_ids(self, table: str, schema: str | None, count: int) -> list[int]:
        """`count` new record ids of `table` from its sequence."""
        qualified = f"{schema}.{table}" if schema else table
        cursor = self.database.execute_sql(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            (qualified, count),
        )
        return [row[0] for row in cursor.fetchall()]

    def hold_lock(self, key: str) -> None:
        """Take the transaction-scoped advisory lock named by `key`."""
        number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
        self.database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (number - 2**63,))

    def stored_as_is(self, column: peewee.Field) -> bool:
        """Whether the column's validated value goes to PostgreSQL as it is: a date or a
        number (when DATES_AND_NUMBERS_AS_IS)."""
        # the validated ISO date and JSON number are literals PostgreSQL reads as the same
        # date and number, in COPY's text as in a parameter; the checks allow a number no
        # more places than its column keeps, so neither Peewee nor PostgreSQL rounds it
        return DATES_AND_NUMBERS_AS_IS and isinstance(
            column, peewee.DateField | peewee.DecimalField
        )

    def rows_writer(self, table: str, names: str, count: int, rows: int) -> Rows:
        """A function writing rows into `table`: COPY for a large batch, else INSERTs."""
        if rows < COPY_FROM:
            return super().rows_writer(table, names, count, rows)
        copy = f"COPY {table} ({names}) FROM STDIN"

        def copy_rows(rows: Iterable[tuple]) -> None:
            # on the transaction's connection, like any other statement of the write; COPY
            # made imports three times as fast as execute_values did
            pieces = CopyPieces(rows)
            try:
                self.database.cursor().copy_expert(copy, pieces)
            except Exception:
                if pieces.error is not None:  # the rows' own error, not psycopg2's account of it
                    raise pieces.error from None
                raise

        return copy_rows


class CopyPieces:
    """Rows as COPY's text, read by psycopg2 a piece of COPY_PIECE rows at a time: the
    server parses and indexes the rows sent while the next piece is made (and, for a
    generator, its rows), where the text of them all would first be made, then wait."""

    def __init__(self, rows: Iterable[tuple]) -> None:
        self._rows = iter(rows)
        self.error: Exception | None = None  # raised making a piece (the COPY then fails)

    def read(self, size: int = -1) -> str:
        """The text of the next rows; empty once every row is read."""
        try:
            piece = COPY_PIECE if COPY_IN_PIECES else None  # None: every row at once
            return copy_text(list(itertools.islice(self._rows, piece)))
        except Exception as error:
            self.error = error
            raise


def backend_of(database: peewee.Database | peewee.DatabaseProxy) -> Backend:
    """The backend of a database, or of the database a tenant's proxy is bound to."""
    database = getattr(database, "obj", database)
    if isinstance(database, peewee.PostgresqlDatabase):
        return PostgresBackend(database)
    if isinstance(database, peewee.SqliteDatabase):
        return SqliteBackend(database)
    return Backend(database)
