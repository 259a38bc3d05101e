"""Ids that SQLite never gives twice, for tables made before entity tables had them.

An INTEGER PRIMARY KEY without AUTOINCREMENT takes the largest id in the table plus one,
so a deleted record's id (and its history) went to the next record. AUTOINCREMENT keeps
the largest id ever used in sqlite_sequence. SQLite cannot add it to an existing column:
the table is rebuilt the way SQLite's documentation says (make the new table, copy the
rows, drop the old one, rename, make its indexes again), inside the sync's transaction.
"""

from __future__ import annotations

import re

import peewee

_ID = re.compile(r'("id" INTEGER NOT NULL PRIMARY KEY)(?! AUTOINCREMENT)', re.IGNORECASE)
_SCRATCH = "formwork_rebuilt"


def _table_sql(database: peewee.Database, table: str) -> str | None:
    row = database.execute_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()
    return row[0] if row else None


def lacks_autoincrement(database: peewee.Database, table: str) -> bool:
    """Whether an existing SQLite table's id may be given again after a delete."""
    sql = _table_sql(database, table)
    return sql is not None and _ID.search(sql) is not None


def rebuild_with_autoincrement(database: peewee.Database, table: str, used: int) -> None:
    """Make the table's id AUTOINCREMENT, keeping its rows and indexes; no id up to `used`
    (the largest id the audit knows, deleted records' included) is given again. Call it
    inside a transaction."""
    sql = _ID.sub(r"\1 AUTOINCREMENT", _table_sql(database, table), count=1)
    indexes = [
        sql
        for (sql,) in database.execute_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND sql IS NOT NULL",
            (table,),
        ).fetchall()
    ]
    scratch = sql.replace(f'CREATE TABLE "{table}"', f'CREATE TABLE "{_SCRATCH}"', 1)
    database.execute_sql(scratch)
    database.execute_sql(f'INSERT INTO "{_SCRATCH}" SELECT * FROM "{table}"')
    database.execute_sql(f'DROP TABLE "{table}"')
    database.execute_sql(f'ALTER TABLE "{_SCRATCH}" RENAME TO "{table}"')
    for index in indexes:
        database.execute_sql(index)
    raise_sequence(database, table, used)


def raise_sequence(database: peewee.Database, table: str, used: int) -> None:
    """Make sure the next id of an AUTOINCREMENT table is past `used`."""
    row = database.execute_sql(
        "SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)
    ).fetchone()
    if row is None:
        database.execute_sql("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, used))
    elif row[0] < used:
        database.execute_sql("UPDATE sqlite_sequence SET seq = ? WHERE name = ?", (used, table))


def reserve(database: peewee.Database, table: str, count: int) -> list[int]:
    """`count` ids of an AUTOINCREMENT table that no insert will take; call it inside the
    transaction that writes them."""
    (last,) = database.execute_sql(
        f"SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = ?), 0), "
        f'COALESCE((SELECT MAX("id") FROM "{table}"), 0))',
        (table,),
    ).fetchone()
    raise_sequence(database, table, last + count)
    return list(range(last + 1, last + 1 + count))
