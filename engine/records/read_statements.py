"""The SQL of the reads an edit page makes, built by Peewee once per compiled entity.

A record by its id, its lines by their parent's id, the linked records of a page by a
list of ids: each is the same SELECT every time but for the ids it names. Peewee builds
the query on the first use of a shape (an entity, a kind of read, a count of ids), and
again for other ids, probes; the places where the two parameter lists differ are the
ids' own. Only when the SQL text is the same, the ids are found each at one place, and
every other parameter is the same, is the statement kept: later reads put their ids in
those places and run the text, their rows made into models by the query's own cursor
wrapper. Otherwise the shape is left to Peewee, which builds every read, as before.

A statement's rows are made records by a RowReader, a function generated once per
statement, value by value as the plain loop over its columns does.

The statements live in the memo given (the compiled entity's), per database dialect, so
a metadata reload starts afresh; engine.records.statements' REUSE_SQL switch turns this
module off too (the plain path, which tests/test_read_statements.py compares it with).
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import peewee

from engine.caching import BoundedCache
from engine.records import statements
from engine.types.moments import load_datetime, load_datetime_text

MAX_CACHED = 256  # read statements per entity and dialect (the oldest goes first)
_PROBE = -7_000_000_000  # ids no record has: the probe's start, far from a real one
_UNPLANNED = object()

# The switch of the row readers made as code: False, a statement's rows are made records
# value by value in a loop over the columns (the plain path, which
# tests/test_row_readers.py compares them with).
GENERATED_READERS = True

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
    fields: tuple[peewee.Field, ...]  # the column of each

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
    reader: RowReader  # a row → its record

    def run(self, database: Any, ids: Sequence[int]) -> list[dict[str, Any]]:
        read = self.read
        params = list(read.params)
        for place, record_id in zip(read.slots, ids, strict=True):
            params[place] = record_id
        return self.reader(database.execute_sql(read.sql, params).fetchall())[0]


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
    values = [
        (name, place[attribute], read.fields[place[attribute]], load)
        for name, attribute, load in columns
    ]
    return _Records(read, RowReader([values], numbered=False))


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
    return _Read(sql, tuple(params), tuple(slots), names, reads, tuple(selected))


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
    if not ids:
        return True
    if set(map(type, ids)) != _INT or min(ids) <= _PROBE:  # no call per id
        return False
    return len(set(ids)) == len(ids)


_INT = {int}


def statement_cache(memo: dict, database: peewee.DatabaseProxy) -> BoundedCache:
    """The entity's read statements for the database's dialect, made on first use."""
    key = ("read statements", type(database.obj))
    if key not in memo:
        memo[key] = BoundedCache(MAX_CACHED)
    return memo[key]


# (record name, place in a row, the column, its load or None: taken as it is read) of
# each value of a record
RecordValues = Sequence[tuple[str, int, peewee.Field, Callable[[Any], Any] | None]]
# what a record's value for a NULL may be computed once as: a value no caller can change
_IMMUTABLE = frozenset({type(None), bool, int, float, str, decimal.Decimal})


class RowReader:
    """A statement's rows made records: each value read as its column's python_value
    reads it (as Peewee's cursor wrapper does), then loaded. The rows of several entities
    (numbered) carry the entity's number first; the answer holds each entity's records.

    Built once per statement, as the code of one function (as namedtuple and dataclasses
    make theirs): a value's class is checked in place of a call where python_value
    would give it back as it is, a NULL's record value is computed once where it is a
    fixed immutable value, and SQLite's text of a datetime is loaded from its digits
    (engine.types.moments.load_datetime_text). GENERATED_READERS switches to the plain
    loop, which the tests compare it with."""

    def __init__(self, entities: Sequence[RecordValues], numbered: bool) -> None:
        self.numbered = numbered
        self.plain = tuple(
            tuple(
                (name, place, field.python_value, unchanged_when_read(field), load)
                for name, place, field, load in values
            )
            for values in entities
        )
        namespace: dict[str, Any] = {}
        self.source = _source(entities, numbered, namespace)  # what `generated` runs
        exec(compile(self.source, "<row reader>", "exec"), namespace)
        self.generated = namespace["read"]

    def __call__(self, rows: list[tuple]) -> list[list[dict[str, Any]]]:
        """Each entity's records of `rows`, in the order of the rows."""
        if GENERATED_READERS:
            return self.generated(rows)
        return self.read_plainly(rows)

    def read_plainly(self, rows: list[tuple]) -> list[list[dict[str, Any]]]:
        """What the generated function answers, by a loop over each row's values."""
        found: list[list[dict[str, Any]]] = [[] for _ in self.plain]
        for row in rows:
            number = row[0] if self.numbered else 0
            record = {}
            for name, place, convert, kept, load in self.plain[number]:
                value = row[place]
                if value.__class__ not in kept:
                    value = convert(value)
                record[name] = value if load is None else load(value)
            found[number].append(record)
        return found


def _source(entities: Sequence[RecordValues], numbered: bool, namespace: dict) -> str:
    """The source of RowReader's function of rows → records, in which only indices and
    repr'd names are written; the columns' functions go into `namespace`, its globals."""
    lines = ["def read(rows):", f"    found = [{', '.join(['[]'] * len(entities))}]"]
    lines += [f"    add{number} = found[{number}].append" for number in range(len(entities))]
    lines.append("    for row in rows:")
    for number, values in enumerate(entities):
        indent = "        "
        if numbered:
            lines.append(f"        {'if' if number == 0 else 'elif'} row[0] == {number}:")
            indent += "    "
        shown = []
        for index, (name, place, field, load) in enumerate(values):
            if name.__class__ is not str:
                raise TypeError(f"a record's value is named by a str, not {name!r}")
            value = _value_code(f"{number}_{index}", place, field, load, namespace)
            shown.append(f"{name!r}: {value}")
        lines.append(f"{indent}add{number}({{{', '.join(shown)}}})")
    if numbered:
        lines += ["        else:", "            raise IndexError(row[0])"]
    lines.append("    return found")
    return "\n".join(lines)


def _value_code(
    key: str, place: int, field: peewee.Field, load: Callable | None, namespace: dict
) -> str:
    """The expression of the record's value of the row's value at `place`, as the plain
    loop makes it: load(python_value(value)), or python_value(value), with no call where
    python_value gives the value back as it is."""
    python_value, kept = field.python_value, set(unchanged_when_read(field))
    if type(field).python_value is peewee.DecimalField.python_value:
        kept.add(decimal.Decimal)  # given back as it is (on PostgreSQL, every value)
    null, known = _null_value(python_value, load)
    known = known and not (load is None and type(None) in kept)  # else kept says it
    # past a NULL, Peewee's own python_value is its adapt: no call between
    adapt = (known or type(None) in kept) and type(field).python_value is peewee.Field.python_value
    namespace[f"c{key}"] = field.adapt if adapt else python_value
    namespace[f"l{key}"], namespace[f"n{key}"], namespace[f"k{key}"] = load, null, frozenset(kept)

    def loaded(value: str) -> str:
        return value if load is None else f"l{key}({value})"

    made, first = loaded(f"c{key}(v)"), f"(v := row[{place}])"  # v: the row's value
    if adapt and (text := _datetime_text_loader(field, load)) is not None:
        namespace[f"t{key}"], made = text, f"t{key}(v)"
    if known:
        if kept:
            made = f"{loaded('v')} if v.__class__ in k{key} else {made}"
        return f"(n{key} if {first} is None else {made})"
    if kept:
        return f"({loaded('v')} if {first}.__class__ in k{key} else {made})"
    return loaded(f"c{key}(row[{place}])")


def _null_value(python_value: Callable, load: Callable | None) -> tuple[Any, bool]:
    """A NULL's record value and whether it is fixed: computed twice, the same
    immutable value each time (else the plain way computes it for each row)."""
    try:
        answers = [python_value(None) for _ in range(2)]
        if load is not None:
            answers = [load(answer) for answer in answers]
    except Exception:  # then each row's NULL raises as the plain loop's does
        return None, False
    first, second = answers
    fixed = first.__class__ in _IMMUTABLE and second.__class__ is first.__class__
    return first, fixed and first == second


def _datetime_text_loader(field: peewee.Field, load: Callable | None) -> Callable | None:
    """load(adapt(value)) of a datetime column loaded by load_datetime, with SQLite's text
    of a naive datetime loaded from its digits; None for other columns."""
    if type(field).adapt is not peewee.DateTimeField.adapt or load is not load_datetime:
        return None
    adapt = field.adapt

    def datetime_text(value: Any) -> Any:
        # such text starts with the date, a space at 10 and no Z: Peewee's adapt reads it
        # as fromisoformat, the space made a T, and load_datetime_text answers its load
        if value.__class__ is str and (text := load_datetime_text(value)) is not None:
            return text
        return load_datetime(adapt(value))

    return datetime_text
