"""The SQL of the records service's most frequent statements, built by Peewee once.

An INSERT of the same columns, or a look for one value in one column, has the same SQL
text every time; only its parameters change. Peewee builds the text on the first use,
and this module's parameters for that use must equal Peewee's own, or the text is not
kept (Peewee then builds every time, as before). The texts live in the memo given (the
compiled entity's), per database dialect, so a metadata reload starts afresh.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import peewee

from engine.caching import BoundedCache

MAX_CACHED = 256  # statements per entity and dialect (engine.caching: the oldest goes first)
_UNPLANNED = object()  # not looked at yet (None: looked at, and left to Peewee)

# The switch of this shortcut: False, Peewee builds every statement, as without this
# module (the plain path, which tests/test_statements.py compares it with).
REUSE_SQL = True


@dataclass(frozen=True)
class _Insert:
    sql: str
    # per column, in Peewee's order: the model attribute, its db_value, its default, and
    # the classes of value that db_value gives back unchanged
    columns: tuple[tuple[str, Callable[[Any], Any], Any, frozenset[type]], ...]
    returning: bool  # the new id comes back as a row (PostgreSQL), not as lastrowid

    def params(self, values: Mapping[str, Any]) -> tuple:
        get = values.get  # one comprehension, no method looked up per column
        return tuple(
            [
                value if (value := get(name, default)).__class__ in unchanged else db_value(value)
                for name, db_value, default, unchanged in self.columns
            ]
        )


def unchanged_by(field: peewee.Field) -> frozenset[type]:
    """The classes of value a field's db_value is known to give back as they are (or, for
    an int, equal): None where Peewee's own db_value passes it, and what its adapt keeps."""
    kind = type(field)
    if kind.db_value is not peewee.Field.db_value:
        return frozenset()
    kept = {cls for adapt, cls in _UNCHANGED_BY_ADAPT if kind.adapt is adapt}
    return frozenset({type(None), *kept})


# an adapt of Peewee's, and the class of value it returns as it is (an int: equal)
_UNCHANGED_BY_ADAPT = (
    (peewee.CharField.adapt, str),
    (peewee.IntegerField.adapt, int),
    (peewee.BooleanField.adapt, bool),
    (peewee.DateField.adapt, dt.date),
    (peewee.DateTimeField.adapt, dt.datetime),
    (peewee.TimeField.adapt, dt.time),
)


def insert(memo: dict, model: type[peewee.Model], values: Mapping[str, Any]) -> Any:
    """INSERT one row of `values` (by model attribute) as `model.insert(**values)` does;
    the new row's id."""
    if not REUSE_SQL:
        return model.insert(**values).execute()
    database = model._meta.database
    table = _table(memo, database)
    key = ("insert", model, frozenset(values))
    plan = table.get(key, _UNPLANNED)
    if plan is _UNPLANNED:
        plan = table[key] = _plan_insert(model, values)
    if plan is None:
        return model.insert(**values).execute()
    cursor = database.execute_sql(plan.sql, plan.params(values))
    return cursor.fetchone()[0] if plan.returning else cursor.lastrowid


def _plan_insert(model: type[peewee.Model], values: Mapping[str, Any]) -> _Insert | None:
    meta = model._meta
    if any(callable(default) for default in meta.defaults.values()):
        return None  # a default made anew for each row cannot be kept
    returning = bool(meta.database.returning_clause)
    query = model.insert(**values)
    if returning:  # what Peewee adds when it runs the INSERT
        query = query.returning(meta.primary_key)
    sql, params = query.sql()
    defaults = {field.name: default for field, default in meta.defaults.items()}
    columns = tuple(
        (field.name, field.db_value, defaults.get(field.name), unchanged_by(field))
        for field in meta.sorted_fields
        if field.name in values or field.name in defaults
    )
    plan = _Insert(sql, columns, returning)
    return plan if list(plan.params(values)) == params else None


def exists(memo: dict, model: type[peewee.Model], column: peewee.Field, value: Any) -> bool:
    """Whether a row has `value` in `column`, as `model.select().where(column ==
    value).exists()` answers."""
    if not REUSE_SQL:
        return model.select().where(column == value).exists()
    if value is None:  # IS NULL, another statement
        return model.select().where(column == value).exists()
    database = model._meta.database
    table = _table(memo, database)
    key = ("exists", model, column.name)
    params = (column.db_value(value), 1)
    sql = table.get(key, _UNPLANNED)
    if sql is _UNPLANNED:
        query = model.select(peewee.SQL("1")).where(column == value).limit(1)
        text, peewee_params = query.sql()
        sql = table[key] = text if list(params) == peewee_params else None
    if sql is None:
        return model.select().where(column == value).exists()
    return database.execute_sql(sql, params).fetchone() is not None


def fixed(memo: dict, model: type[peewee.Model], key: tuple, build: Callable[[], Any]) -> Any:
    """Run the query `build` makes, a cursor of its rows; `key` names all it depends on
    (its text and its parameters alike), so Peewee builds it once per key."""
    database = model._meta.database
    if not REUSE_SQL:
        return database.execute(build())
    table = _table(memo, database)
    full_key = ("fixed", model, *key)
    found = table.get(full_key)
    if found is None:
        found = table[full_key] = build().sql()
    sql, params = found
    return database.execute_sql(sql, params)


def _table(memo: dict, database: peewee.DatabaseProxy) -> BoundedCache:
    key = ("statements", type(database.obj))
    table = memo.get(key)
    if table is None:
        table = memo[key] = BoundedCache(MAX_CACHED)
    return table
