"""The SQL of a list query, built by Peewee once and run again as it stands.

A list page asks the same few queries again and again (the first page, a sort, the next
page). For each, Peewee's SQL text and parameters are the same every time except LIMIT
and OFFSET, which come last; building them takes longer than running them. So the text
is kept per compiled entity and database dialect, keyed by everything the query was
built from: a metadata reload, which builds new entities, starts afresh.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import peewee

MAX_KEPT = 256  # queries per entity; the table starts afresh when full

Convert = Callable[[Any], Any]


@dataclass(frozen=True)
class PageSql:
    """A list query ready to run: its COUNT, and its page less LIMIT and OFFSET."""

    count_sql: str
    count_params: tuple
    rows_sql: str
    rows_params: tuple
    # per column after the id: the field's name, Peewee's python_value, then the type's load
    columns: tuple[tuple[str, Convert, Convert], ...]
    id_value: Convert


def kept(memo: dict, database: peewee.DatabaseProxy, key: Hashable) -> PageSql | None:
    """The query kept for `key`, if any."""
    return memo.get(("page_sql", type(database.obj)), {}).get(key)


def keep(
    memo: dict,
    database: peewee.DatabaseProxy,
    key: Hashable,
    count: peewee.Select,
    rows: peewee.ModelSelect,
    limit: int,
    offset: int,
    columns: tuple[tuple[str, Convert, Convert], ...],
) -> PageSql | None:
    """Keep the SQL of `count` and of `rows` (built with `limit` and `offset`) for `key`;
    None when LIMIT and OFFSET are not its last parameters, as this dialect writes them."""
    rows_sql, rows_params = rows.sql()
    placeholder = database.obj.param
    if not rows_sql.endswith(f" LIMIT {placeholder} OFFSET {placeholder}"):
        return None
    if rows_params[-2:] != [limit, offset]:
        return None
    count_sql, count_params = count.sql()
    page = PageSql(
        count_sql,
        tuple(count_params),
        rows_sql,
        tuple(rows_params[:-2]),
        columns,
        rows.model.id.python_value,
    )
    table = memo.setdefault(("page_sql", type(database.obj)), {})
    if len(table) >= MAX_KEPT:
        table.clear()
    table[key] = page
    return page


def run(database: peewee.DatabaseProxy, page: PageSql, limit: int, offset: int) -> dict[str, Any]:
    """`items` ({"id", and each column's value}) and `total`, as Peewee would read them."""
    total = database.execute_sql(page.count_sql, page.count_params).fetchone()[0]
    cursor = database.execute_sql(page.rows_sql, (*page.rows_params, limit, offset))
    items = []
    for row in cursor.fetchall():
        record = {"id": page.id_value(row[0])}
        for (name, python_value, load), value in zip(page.columns, row[1:], strict=True):
            record[name] = load(python_value(value))
        items.append(record)
    return {"items": items, "total": total}
