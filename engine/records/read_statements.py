"""The SQL of the reads an edit page makes, built by Peewee once per compiled entity.

A record by its id, its lines by their parent's id, the linked records of a page by a
list of ids: each is the same SELECT every time but for the ids it names. Peewee builds
the query on the first use of a shape (an entity, a kind of read, a count of ids), and
again for other ids, probes; the places where the two parameter lists differ are the
ids' own. Only when the SQL text is the same, the ids are found each at one place, and
every other parameter is the same, is the statement kept: later reads put their ids in
those places and run the text, their rows made into models by the query's own cursor
wrapper. Otherwise the shape is left to Peewee, which builds every read, as before.

The statements live in the memo given (the compiled entity's), per database dialect, so
a metadata reload starts afresh; engine.records.statements' REUSE_SQL switch turns this
module off too (the plain path, which tests/test_read_statements.py compares it with).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import peewee

from engine.caching import BoundedCache
from engine.records import statements

MAX_CACHED = 256  # read statements per entity and dialect (the oldest goes first)
_PROBE = -7_000_000_000  # ids no record has: the probe's start, far from a real one
_UNPLANNED = object()

Build = Callable[[Sequence[int]], peewee.ModelSelect]  # ids → the query reading them


@dataclass(frozen=True)
class _Read:
    sql: str
    params: tuple  # the parameters of the build the statement was taken from
    slots: tuple[int, ...]  # where each id goes in them, in the order of the ids
    names: tuple[str, ...]  # the model attribute of each column selected
    # per column selected: how its value is read from the database (the field's
    # python_value, as Peewee's cursor wrapper calls it), and the classes of value that
    # gives back as they are (no call needed)
    reads: tuple[tuple[Callable[[Any], Any], frozenset[type]], ...]

    def run(self, database: Any, ids: Sequence[int]) -> list[Any]:
        params = list(self.params)
        for place, record_id in zip(self.slots, ids, strict=True):
            params[place] = record_id
        names, reads, found = self.names, self.reads, []
        for row in database.execute_sql(self.sql, params).fetchall():
            values = [
                value if value.__class__ in kept else convert(value)
                for (convert, kept), value in zip(reads, row, strict=True)
            ]
            found.append(StoredRow(zip(names, values, strict=True)))
        return found


class StoredRow:
    """A row read by a kept statement: its values as attributes, by model attribute, as
    the model instance Peewee would make holds them. Only for reading: it cannot be saved."""

    def __init__(self, values: Iterable[tuple[str, Any]]) -> None:
        self.__dict__.update(values)


def rows(
    memo: dict, model: type[peewee.Model], key: tuple, build: Build, ids: Sequence[int]
) -> list[Any]:
    """The rows of the query `build(ids)` makes, with the values Peewee reads into its
    model instances, each under its attribute's name: Peewee's instances, or StoredRows.
    `key` names all the SQL text depends on besides the ids (their count is added), so
    Peewee builds it once."""
    ids = tuple(ids)
    if not statements.REUSE_SQL or not distinct_ids(ids):
        return list(build(ids))  # Peewee's, and nothing planned from ids that are not
    database = model._meta.database
    table = statement_cache(memo, database)
    full_key = ("read", model, *key, len(ids))
    plan = table.get(full_key, _UNPLANNED)
    if plan is _UNPLANNED:
        plan = table[full_key] = _plan(build, ids)
    if plan is None:
        return list(build(ids))
    return plan.run(database, ids)


# (record name, model attribute, load function or None for a value taken as it is read)
# of each value of a record
Columns = Sequence[tuple[str, str, Callable[[Any], Any] | None]]


@dataclass(frozen=True)
class _Records:
    read: _Read
    # per value of a record: its name, its place in a row, how it is read (as in _Read),
    # and its load (None: as it is)
    values: tuple[tuple[str, int, Callable[[Any], Any], frozenset[type], Any], ...]

    def run(self, database: Any, ids: Sequence[int]) -> list[dict[str, Any]]:
        read = self.read
        params = list(read.params)
        for place, record_id in zip(read.slots, ids, strict=True):
            params[place] = record_id
        found = []
        for row in database.execute_sql(read.sql, params).fetchall():
            record = {}
            for name, place, convert, kept, load in self.values:
                value = row[place]
                if value.__class__ not in kept:
                    value = convert(value)
                record[name] = value if load is None else load(value)
            found.append(record)
        return found


def records(
    memo: dict, model: type[peewee.Model], key: tuple, build: Build, ids: Sequence[int],
    columns: Columns,
) -> list[dict[str, Any]]:  # fmt: skip
    """The rows `rows` reads, each as a record of `columns`: straight from the database's
    values, with no model instance between. `key` names all the SQL text and the
    columns depend on besides the ids."""
    ids = tuple(ids)
    plan = None
    if statements.REUSE_SQL and distinct_ids(ids):
        table = statement_cache(memo, model._meta.database)
        full_key = ("records", model, *key, len(ids))
        plan = table.get(full_key, _UNPLANNED)
        if plan is _UNPLANNED:
            plan = table[full_key] = _records_plan(build, ids, columns)
    if plan is None:
        return [as_record(row, columns) for row in build(ids)]
    return plan.run(model._meta.database, ids)


def as_record(row: Any, columns: Columns) -> dict[str, Any]:
    """A row (Peewee's model instance, or a StoredRow) as a record of `columns`."""
    return {
        name: getattr(row, attribute) if load is None else load(getattr(row, attribute))
        for name, attribute, load in columns
    }


def _records_plan(build: Build, ids: tuple[int, ...], columns: Columns) -> _Records | None:
    read = _plan(build, ids)
    if read is None or not {attribute for _, attribute, _ in columns} <= set(read.names):
        return None
    place = {name: index for index, name in enumerate(read.names)}
    values = tuple(
        (name, place[attribute], *read.reads[place[attribute]], load)
        for name, attribute, load in columns
    )
    return _Records(read, values)


def _plan(build: Build, ids: tuple[int, ...]) -> _Read | None:
    """The statement of `build` for any ids of this count, or None when its ids cannot be
    told from its other parameters."""
    placed = id_places(build, ids)
    if placed is None:
        return None
    query, sql, params, slots = placed
    selected = query._returning
    if not all(isinstance(f, peewee.Field) and f.model is query.model for f in selected):
        return None  # something else than the model's own columns
    names = tuple(f.name for f in selected)
    reads = tuple((f.python_value, unchanged_when_read(f)) for f in selected)
    return _Read(sql, tuple(params), tuple(slots), names, reads)


def id_places(build: Callable[[Sequence[int]], Any], ids: tuple[int, ...]) -> tuple | None:
    """The query `build(ids)`, its SQL and parameters, and the place of each id in them
    (in the order of the ids), found by building it again for probe ids; None when the
    SQL changes with the ids or something besides the ids does."""
    probes = _probes(len(ids))
    query = build(ids)
    sql, params = query.sql()
    probe_sql, probe_params = build(probes).sql()
    if sql != probe_sql or len(params) != len(probe_params):
        return None
    differing = [i for i, (a, b) in enumerate(zip(params, probe_params, strict=True)) if a != b]
    slots = []
    for record_id, probe in zip(ids, probes, strict=True):
        found = [i for i in differing if params[i] == record_id and probe_params[i] == probe]
        if len(found) != 1:
            return None
        slots.append(found[0])
    if sorted(slots) != differing:
        return None  # something else changed with the ids
    return query, sql, params, tuple(slots)


def unchanged_when_read(field: peewee.Field) -> frozenset[type]:
    """The classes of value the field's python_value gives back as they are: where it is
    Peewee's own (the field's adapt), those its db_value keeps too."""
    if type(field).python_value is not peewee.Field.python_value:
        return frozenset()
    return statements.unchanged_by(field)


def _probes(count: int) -> tuple[int, ...]:
    return tuple(_PROBE - index for index in range(count))


def distinct_ids(ids: Sequence[int]) -> bool:
    """Whether `ids` are ints, each once and none a probe: their places can be told."""
    if any(i.__class__ is not int or i <= _PROBE for i in ids):
        return False
    return len(set(ids)) == len(ids)


def statement_cache(memo: dict, database: peewee.DatabaseProxy) -> BoundedCache:
    """The entity's read statements for the database's dialect, made on first use."""
    key = ("read statements", type(database.obj))
    if key not in memo:
        memo[key] = BoundedCache(MAX_CACHED)
    return memo[key]
