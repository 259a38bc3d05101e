"""Pages that follow a record rather than skip a number of them: the next page of a list
is the records after the last one shown, in the list's order (its sort column, then id).

Skipping rows by OFFSET reads each skipped row, so a deep page costs in proportion to its
depth; the records after a known (sort value, id) are found from the sort column's index,
so every page costs what the first does. NULLs sort as each database sorts them (first
on SQLite, last on PostgreSQL, in ascending order), and the condition follows suit.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import operator
from collections.abc import Mapping
from typing import Any

import peewee

from engine.records.page_sql import read_column
from engine.records.search import count_query, ordering, page_errors, search_query
from engine.records.target import Target
from engine.records.values import chosen_loaders
from engine.storage.backends import backend_of

Key = tuple[Any, int]  # the last record's sort value, as the database holds it, and its id


def after(
    target: Target, sort: str | None, key: Key, ids: peewee.Node | None = None
) -> peewee.Expression:
    """The records that come after `key` in the order of `sort` (as search.ordering, with
    `ids` the column that orders by id)."""
    return functools.reduce(operator.or_, after_parts(target, sort, key, ids))


def after_parts(
    target: Target, sort: str | None, key: Key, ids: peewee.Node | None = None
) -> list[peewee.Expression]:
    """The records after `key` as stretches of the order of `sort`, in that order, each
    one range of an index: those with a value from the key's on, and those with none
    (NULLs sort together: on SQLite before every value, on PostgreSQL after). Each read
    on its own starts where it begins; read as one condition (an OR), an index is read
    from its start."""
    value, last_id = key
    if not sort or sort.removeprefix("-") == "id":  # the id alone: its own index
        ids = target.model.id if ids is None else ids
        return [ids < last_id if sort == "-id" else ids > last_id]
    column = target.column(sort.removeprefix("-"))
    greater = not sort.startswith("-")
    nulls_after = (backend_of(target.tenant.database).name == "postgresql") == greater

    def beyond(left: Any, right: Any, or_equal: bool = False) -> peewee.Expression:
        right = peewee.Value(right, converter=_as_is)  # the database's own value
        if or_equal:
            return left >= right if greater else left <= right
        return left > right if greater else left < right

    if value is None:
        nulls = column.is_null() & beyond(target.model.id, last_id)
        return [nulls] if nulls_after else [nulls, column.is_null(False)]
    tie = (column == peewee.Value(value, converter=_as_is)) & beyond(target.model.id, last_id)
    # the bound an index can start from, then the exact condition
    values = beyond(column, value, or_equal=True) & (beyond(column, value) | tie)
    return [values, column.is_null()] if nulls_after else [values]


def _sorted_by(target: Target, sort: str | None, ids: peewee.Node) -> peewee.Node:
    """The column whose value, with the id, is a record's key in the order of `sort`."""
    name = sort.removeprefix("-") if sort else "id"
    return ids if name == "id" else target.column(name)


def _as_is(value: Any) -> Any:
    return value


def page_after(
    target: Target,
    q: str | None,
    filters: Mapping[str, str],
    sort: str | None,
    limit: int,
    key: Key | None,
    count_up_to: int | None = None,
) -> tuple[list[int], Key | None, int]:
    """The ids of the page after `key` (the first page without one), the key of its last
    record when more follow, and how many match (counted up to `count_up_to` + 1);
    RecordInvalid for what search_query refuses."""
    page = table_after(target, q, filters, sort, limit, key, count_up_to=count_up_to)
    return page["ids"], (page["last"] if page["after"] else None), page["total"]


def table_after(
    target: Target,
    q: str | None,
    filters: Mapping[str, str],
    sort: str | None,
    limit: int,
    key: Key | None,
    backward: bool = False,
    columns: tuple[str, ...] = (),
    count_up_to: int | None = None,
) -> dict[str, Any]:
    """A page found from a record rather than by its place: the `limit` records after
    `key` in the order of `sort` (the first page without one), or with `backward` the
    `limit` records before it (the last page without one), in the list's order either way.

    Answers what search.table_page does (`total`, `ids`, `values` of `columns`), and the
    keys of the page's `first` and `last` records (None when it is empty) and whether
    records come `before` and `after` it. RecordInvalid for what search_query refuses."""
    from engine.errors import RecordInvalid

    query, errors, ids = search_query(target, q, filters)
    walk = reversed_sort(sort) if backward else sort  # the order the page is read in
    order, sort_errors = ordering(target, walk, ids)
    errors += sort_errors + page_errors(limit, 0)
    chosen = chosen_loaders(target, columns, errors)
    if errors:
        raise RecordInvalid(errors)
    model = target.model
    total = count_query(target, query, count_up_to).scalar()
    sorted_by = _sorted_by(target, sort, ids)
    fields = [getattr(model, attribute) for _, attribute, _ in chosen]
    rows: list = []
    for part in after_parts(target, walk, key, ids) if key is not None else [None]:
        stretch = query if part is None else query.where(part)
        page = stretch.select(model.id, sorted_by, *fields).order_by(*order)
        # the sort values as the database holds them, which a cursor hands back unchanged
        rows += target.tenant.database.execute_sql(*page.limit(limit + 1 - len(rows)).sql())
        if len(rows) > limit:
            break
    more, rows = len(rows) > limit, rows[:limit]
    if backward:
        rows.reverse()
    raws = list(zip(*rows, strict=True)) or [()] * (2 + len(chosen))
    values = {
        name: read_column(field, load, raw)
        for (name, _, load), field, raw in zip(chosen, fields, raws[2:], strict=True)
    }
    return {
        "total": total,
        "ids": [model.id.python_value(i) for i in raws[0]],
        "values": values,
        "first": (rows[0][1], rows[0][0]) if rows else None,
        "last": (rows[-1][1], rows[-1][0]) if rows else None,
        "before": more if backward else key is not None,
        "after": key is not None if backward else more,
    }


def reversed_sort(sort: str | None) -> str:
    """The sort that reads a list from its end: each column, ties too, the other way."""
    if not sort:
        return "-id"
    return sort.removeprefix("-") if sort.startswith("-") else f"-{sort}"


def key_at(
    target: Target, q: str | None, filters: Mapping[str, str], sort: str | None, place: int
) -> Key | None:
    """The key of the record at `place` (from 0) of a list, None past its end: where a
    page reached by its number hands over to pages found by key."""
    query, _, ids = search_query(target, q, filters)
    order, _ = ordering(target, sort, ids)
    sorted_by = _sorted_by(target, sort, ids)
    found = query.select(target.model.id, sorted_by).order_by(*order).limit(1).offset(place)
    row = target.tenant.database.execute_sql(*found.sql()).fetchone()
    return None if row is None else (row[1], row[0])


def key_text(key: Key) -> list:
    """A key as JSON: a value the JSON types cannot hold is tagged with its kind."""
    value, record_id = key
    if isinstance(value, dt.datetime):
        return ["datetime", value.isoformat(), record_id]
    if isinstance(value, dt.date):
        return ["date", value.isoformat(), record_id]
    if isinstance(value, decimal.Decimal):
        return ["decimal", str(value), record_id]
    return ["value", value, record_id]


def key_from_text(text: Any) -> Key:
    """The key `key_text` wrote; ValueError for anything else."""
    if not (isinstance(text, list) and len(text) == 3 and isinstance(text[2], int)):
        raise ValueError("not a key")
    kind, value, record_id = text
    readers = {
        "datetime": dt.datetime.fromisoformat,
        "date": dt.date.fromisoformat,
        "decimal": decimal.Decimal,
        "value": lambda v: v,
    }
    if kind not in readers or (kind != "value" and not isinstance(value, str)):
        raise ValueError("not a key")
    return readers[kind](value), record_id
