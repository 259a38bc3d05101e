"""The SQL of a list query, built by Peewee once and run again as it stands.

A list page asks the same few queries again and again (the first page, a sort, the next
page). For each, Peewee's SQL text and parameters are the same every time except LIMIT
and OFFSET, its last parameters; building them takes longer than running them. So the text
is kept per compiled entity and database dialect, keyed by everything the query was
built from: a metadata reload, which builds new entities, starts afresh.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import peewee

from engine.caching import BoundedCache
from engine.types import TYPES

MAX_CACHED = 256  # queries per entity and dialect (engine.caching: the oldest goes first)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NOTHING, _TEXT, _DATE = 0, 1, 2  # what of a column's text its reader keeps as it is

Convert = Callable[[Any], Any]

# The switch of this shortcut: False, nothing is cached and the records service builds
# every list query with Peewee (the plain path, which tests/test_page_sql.py compares it with).
REUSE_SQL = True


@dataclass(frozen=True)
class PageSql:
    """A list query ready to run: its COUNT, and its page less LIMIT and OFFSET."""

    count_sql: str
    count_params: tuple
    rows_sql: str
    rows_params: tuple
    names: tuple[str, ...]  # each column's field, after the id
    # per column after the id: what of the database's text it keeps as it is, and its reader
    readers: tuple[tuple[int, Convert], ...]
    id_value: Convert


def cached(memo: dict, database: peewee.DatabaseProxy, key: Hashable) -> PageSql | None:
    """The query kept for `key`, if any."""
    if not REUSE_SQL:
        return None
    cache = memo.get(("page_sql", type(database.obj)))
    return cache.get(key) if cache is not None else None


def keep(
    memo: dict,
    database: peewee.DatabaseProxy,
    key: Hashable,
    count: peewee.Select,
    rows: peewee.ModelSelect,
    limit: int,
    offset: int,
    columns: tuple[tuple[str, peewee.Field, Convert], ...],
) -> PageSql | None:
    """Keep the SQL of `count` and of `rows` (built with `limit` and `offset`) for `key`,
    with each column's name, field and load function; None when LIMIT and OFFSET are not
    its last parameters, as this dialect writes them."""
    if not REUSE_SQL:
        return None
    rows_sql, rows_params = rows.sql()
    placeholder = database.obj.param
    # LIMIT and OFFSET end the query, or its page's ids (search.page_query): either way
    # theirs are the last parameters
    page = f" LIMIT {placeholder} OFFSET {placeholder}"
    if rows_sql.count(page) != 1 or placeholder in rows_sql.partition(page)[2]:
        return None
    if rows_params[-2:] != [limit, offset]:
        return None
    count_sql, count_params = count.sql()
    page = PageSql(
        count_sql,
        tuple(count_params),
        rows_sql,
        tuple(rows_params[:-2]),
        tuple(name for name, _, _ in columns),
        tuple(reader(field, load) for _, field, load in columns),
        rows.model.id.python_value,
    )
    cache = memo.get(("page_sql", type(database.obj)))
    if cache is None:
        cache = memo[("page_sql", type(database.obj))] = BoundedCache(MAX_CACHED)
    cache[key] = page
    return page


def run(database: peewee.DatabaseProxy, page: PageSql, limit: int, offset: int) -> dict[str, Any]:
    """The `total`, the `ids` and each column's `values`, as Peewee would read them."""
    total = database.execute_sql(page.count_sql, page.count_params).fetchone()[0]
    cursor = database.execute_sql(page.rows_sql, (*page.rows_params, limit, offset))
    rows = cursor.fetchall()
    if not rows:
        return {"total": total, "ids": [], "values": {name: [] for name in page.names}}
    columns = list(zip(*rows, strict=True))  # column by column: one pass of one reader each
    values = {
        name: _read_all(keeps, read, raws)
        for name, (keeps, read), raws in zip(page.names, page.readers, columns[1:], strict=True)
    }
    return {"total": total, "ids": list(map(page.id_value, columns[0])), "values": values}


def reader(field: peewee.Field, load: Convert) -> tuple[int, Convert]:
    """How a column's values, as the database gives them, become the record's values: the
    type's load of Peewee's python_value (the reader), and what of the database's text
    both are known to give back unchanged, which is then taken as it is."""
    python_value = field.python_value
    return _keeps(field, load), lambda raw: load(python_value(raw))


def read_column(field: peewee.Field, load: Convert, raws: Sequence[Any]) -> list[Any]:
    """A column's values as the record holds them."""
    return _read_all(*reader(field, load), raws)


def _read_all(keeps: int, read: Convert, raws: Sequence[Any]) -> list[Any]:
    if keeps == _TEXT:
        return [raw if raw.__class__ is str else read(raw) for raw in raws]
    if keeps == _DATE:
        match = _ISO_DATE.fullmatch
        return [raw if raw.__class__ is str and match(raw) else read(raw) for raw in raws]
    return list(map(read, raws))


def _keeps(field: peewee.Field, load: Convert) -> int:
    if isinstance(field, peewee.CharField | peewee.TextField) and load is TYPES["text"].load:
        return _TEXT  # Peewee hands a text column's str through, and text loads as it is
    if isinstance(field, peewee.DateField) and load is TYPES["date"].load:
        # a YYYY-MM-DD text comes back the same: a date's isoformat, or untouched when it
        # is no date (Peewee then returns the text as it is)
        return _DATE
    return _NOTHING
