"""What a list asks for, as a query: the search, the filters, the sort and the page,
each problem named as a RecordError."""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping
from typing import Any

import peewee

from engine.compile.validator import RecordError
from engine.errors import RecordInvalid
from engine.records import page_sql
from engine.records.checks import field_error
from engine.records.target import Target
from engine.records.values import chosen_loaders
from engine.records.words import search_column, words
from engine.spec import FieldSpec
from engine.storage.backends import backend_of
from engine.storage.search_index import search_condition
from engine.types import INT64_MAX, SYSTEM_COLUMNS

DEFAULT_LIMIT, MAX_LIMIT = 50, 500
# how far a list page or the API counts the records that match: past it, the answer is
# "more than" this many, as counting a million records reads each of them
COUNT_UP_TO = 10_000
# a list page's search counts less far: each record a search finds is read to be counted
# (no index holds a word's records in a form that can be counted alone), and a person
# searching narrows the search rather than reads a thousand records
SEARCH_COUNT_UP_TO = 1_000
# a whole table is counted from its pages while its largest id is at most this many times
# the count asked for (count_query): past it, row by row up to the count, as before. A
# table is counted from its smallest index's pages: without an index, its own, a few rows
# each; with an index of numbers, dates or switches, a few hundred entries each, whose
# pages at ten times the count asked for still fit SQLite's page cache and are counted a
# fortieth sooner than the capped count steps through its rows (at 100,000 records and a
# count up to 10,000, measured); an index of text may be as wide as the text
WHOLE_COUNT_TIMES = 3
INDEXED_COUNT_TIMES = 10


def search_query(
    target: Target, q: str | None, filters: Mapping[str, str]
) -> tuple[Any, list, peewee.Node]:
    """The entity's live records matching the search text and the filters, the problems
    of either, and the column to order them by id with (the search index's own, where
    the search leads: engine.storage.search_index.search_condition)."""
    errors: list[RecordError] = []
    query, ids = target.live(), target.model.id
    column = search_column(target.spec)
    if q and q.strip() and column is not None:  # spaces alone: no search
        typed = words(q)  # anything but letters and digits only separates words
        if not typed:  # a search of no word at all finds no record
            query = query.where(peewee.SQL("1 = 0"))
        else:
            query, ids = search_condition(query, target.model, column, typed)
    columns = {f.name: f for f in target.stored()} | {n: None for n in target.spec.system_columns}
    for name, text in filters.items():
        if name not in columns:
            errors.append(
                RecordError(
                    name, name, "unknown_field", f"'{name}' is not a field of {target.spec.label}."
                )
            )
            continue
        try:
            value = filter_value(columns[name], name, text)
        except (ValueError, OverflowError, decimal.InvalidOperation):
            field = columns[name]
            errors.append(
                field_error(
                    field,
                    name,
                    "type",
                    f"{field.label if field else name} must "
                    f"be {field.type.expects if field else 'a value'}.",
                )
            )
            continue
        row = columns[name].type if columns[name] else None
        column = target.column(name)
        query = query.where(row.matches(column, value) if row else column == value)
    return query, errors, ids


def unindexed_filters(target: Target, names: Iterable[str]) -> list[str]:
    """The filters among `names` that no index answers: each reads every record of the
    table, which on a large table takes time in proportion to it."""
    fields = {f.name: f for f in target.stored()}
    found = []
    for name in names:
        column = target.model._meta.columns.get(name)
        if column is None:
            continue  # not a column: search_query refuses it
        indexed = column.index or column.unique or column.primary_key
        field = fields.get(name)
        if not indexed or (field is not None and not field.type.filter_by_equality):
            found.append(name)
    return found


def filter_value(field: FieldSpec | None, name: str, text: str) -> Any:
    """A filter's text as the column's value; ValueError for what the column cannot hold,
    which the database would answer with an error rather than with no records."""
    if "\x00" in text:
        raise ValueError("a NUL character")
    row = field.type if field else SYSTEM_COLUMNS[name].filter
    return row.filter_value(field, text)


def ordering(target: Target, sort: str | None, ids: peewee.Node | None = None) -> tuple[list, list]:
    """The ORDER BY of a sort (`name`, then id; `-name`, the same reversed), and its
    problems; `ids` is the column that orders by id (search_query's)."""
    ids = target.model.id if ids is None else ids
    if not sort:
        return [ids], []
    descending = sort.startswith("-")
    name = sort.removeprefix("-")
    if name not in target.model._meta.columns:
        return [], [
            RecordError(
                "sort",
                "Sort",
                "unknown_field",
                f"Cannot sort by '{name}': it is not a field of {target.spec.label}.",
            )
        ]
    if name == "id":  # one term: the search index reads its rows in that order only
        return [ids.desc() if descending else ids], []
    column, record_id = target.column(name), target.model.id
    if descending:  # the ascending order reversed, ties too: an index serves both ways
        return [column.desc(), record_id.desc()], []
    return [column, record_id], []


def page_query(
    target: Target, query: peewee.ModelSelect, order: list, limit: int, offset: int
) -> peewee.ModelSelect:
    """The records of one page of `query` in `order`, every column selected.

    The page's ids are found first, on their own: an index on the sort column holds them,
    so the rows the page skips are never read. Only the page's rows are read whole, in the
    same order. Read in one go, a deep page of a sorted list read each row it skipped."""
    model = target.model
    if len(order) == 1:  # by id, as the table (or the search index) holds it: nothing to gain
        return query.order_by(*order).limit(limit).offset(offset)
    ids = query.select(model.id).order_by(*order).limit(limit).offset(offset).alias("page")
    return model.select().join(ids, on=(model.id == ids.c.id)).order_by(*order)


def page_errors(limit: Any, offset: Any) -> list[RecordError]:
    """Problems of a page's limit and offset."""
    errors = []
    if not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        errors.append(
            RecordError(
                "limit", "Limit", "range", f"limit must be a whole number from 1 to {MAX_LIMIT}."
            )
        )
    if not isinstance(offset, int) or not 0 <= offset <= INT64_MAX:
        errors.append(
            RecordError(
                "offset", "Offset", "range", f"offset must be a whole number from 0 to {INT64_MAX}."
            )
        )
    return errors


def count_query(target: Target, query: peewee.ModelSelect, up_to: int | None) -> peewee.Select:
    """How many records `query` finds; with `up_to`, counting stops at `up_to` + 1."""
    if up_to is None:
        # COUNT over the same FROM and WHERE, not over the whole select in a subquery;
        # COUNT(*), which SQLite answers from the table's pages without reading each row
        return query.select(peewee.fn.COUNT(peewee.SQL("*")))
    database = target.tenant.database
    found = query.select(peewee.SQL("1")).limit(up_to + 1).alias("found")
    capped = peewee.Select([found], [peewee.fn.COUNT(peewee.SQL("*"))])
    if query._where is not None or query._joins or not backend_of(database).counts_tables_by_pages:
        return capped.bind(database)
    # every record of a table: SQLite counts them from the pages of its smallest index,
    # a hundred times sooner than reading up_to + 1 rows one by one; only while the table
    # is small enough (ids are never reused: it holds at most its largest id rows) that
    # even without an index this reads no more than the capped count would
    model = target.model
    whole = model.select(peewee.fn.COUNT(peewee.SQL("*")))
    times = INDEXED_COUNT_TIMES if _has_narrow_index(model) else WHOLE_COUNT_TIMES
    small = model.select(peewee.fn.MAX(model.id)) <= times * (up_to + 1)
    answer = peewee.Case(None, [(small, peewee.fn.MIN(whole, up_to + 1))], capped)
    return peewee.Select(columns=[answer]).bind(database)


def _has_narrow_index(model: type[peewee.Model]) -> bool:
    """Whether the table has an index of one column that is no text (a number, a date, a
    switch): SQLite counts the whole table from such an index's pages, a few hundred
    entries to the page."""
    return any(
        (f.index or f.unique) and not f.primary_key and not isinstance(f, _TEXT_COLUMNS)
        for f in model._meta.sorted_fields
    )


_TEXT_COLUMNS = (peewee.CharField, peewee.TextField)


def record_page(
    target: Target,
    q: str | None,
    filters: Mapping[str, str],
    sort: str | None,
    limit: Any,
    offset: Any,
    count_up_to: int | None = None,
) -> tuple[int, peewee.ModelSelect]:
    """How many records match (counted up to `count_up_to` + 1), and the rows of the page
    asked for (RecordInvalid for a search, filter, sort or page that cannot be)."""
    query, errors, ids = search_query(target, q, filters)
    order, sort_errors = ordering(target, sort, ids)
    errors += sort_errors + page_errors(limit, offset)
    if errors:
        raise RecordInvalid(errors)
    total = count_query(target, query, count_up_to).scalar()
    return total, page_query(target, query, order, limit, offset)


def table_page(
    target: Target,
    q: str | None,
    filters: Mapping[str, str],
    sort: str | None,
    limit: Any,
    offset: Any,
    columns: tuple[str, ...],
    count_up_to: int | None = None,
) -> dict[str, Any]:
    """A page of records as a table: the `total` that match (counted up to `count_up_to`
    + 1), their `ids`, and the `values` of each of `columns` (stored field names), column
    by column. The SQL of each such query is built once, then run again with other LIMIT
    and OFFSET."""
    key = (q, tuple(filters.items()), sort, columns, count_up_to)
    memo, database = target.entity.memo, target.tenant.database
    kept = page_sql.cached(memo, database, key)
    if kept is not None and not page_errors(limit, offset):
        return page_sql.run(database, kept, limit, offset)
    query, errors, ids = search_query(target, q, filters)
    order, sort_errors = ordering(target, sort, ids)
    errors += sort_errors + page_errors(limit, offset)
    chosen = chosen_loaders(target, columns, errors)
    if errors:
        raise RecordInvalid(errors)
    count = count_query(target, query, count_up_to)
    model = target.model
    fields = [getattr(model, attribute) for _, attribute, _ in chosen]
    rows = page_query(target, query, order, limit, offset).select(model.id, *fields).tuples()
    loaded = tuple(
        (name, field, load) for (name, _, load), field in zip(chosen, fields, strict=True)
    )
    page = page_sql.keep(memo, database, key, count, rows, limit, offset, loaded)
    if page is not None:
        return page_sql.run(database, page, limit, offset)
    total = count.scalar()
    found = list(rows)
    return {
        "total": total,
        "ids": [row[0] for row in found],
        "values": {
            name: [load(row[place]) for row in found]
            for place, (name, _, load) in enumerate(chosen, start=1)
        },
    }
