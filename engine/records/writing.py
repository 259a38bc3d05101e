"""New records written, by the strategy their number and their database call for.

One record (a form's save, an API call) goes in by one INSERT, whose SQL is built once
per entity (engine.records.statements), and answers its id. Many (an import, a save of
several lines) get their ids reserved in one statement (PostgreSQL's sequence, SQLite's
AUTOINCREMENT counter: never an id given before) and go in as one stream of rows, made
500 at a time as the database takes them: on SQLite by INSERTs of up to 500 rows each
(the search index then takes their words once per statement, not once per row), on
PostgreSQL past a few rows by one COPY, which stores a piece while the next is made; then
a compact 'create' audit entry each (engine.records.audit). Call inside the write's
transaction.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import orjson
import peewee

from engine.compile.models import attribute_name
from engine.records import audit, statements
from engine.records.checks import guarded_write
from engine.records.target import Target
from engine.records.values import jsonable, stored_values
from engine.records.words import records_words, searchable
from engine.storage.backends import Backend, backend_of
from engine.types import TYPES

PIECE = 500  # records whose rows are made at a time, as the writer takes them


def backend(target: Target) -> Backend:
    """The backend of the tenant's database."""
    return backend_of(target.tenant.database)


@contextmanager
def roomy_cache(target: Target) -> Iterator[None]:
    """A page cache large enough for a bulk load's transaction, while it runs."""
    with backend(target).roomy_cache():
        yield


def reserve_ids(target: Target, count: int) -> list[int]:
    """`count` ids no other writer will take, nor any later insert (ids are never given
    twice: PostgreSQL's sequence, SQLite's AUTOINCREMENT)."""
    if count == 0:
        return []
    meta = target.model._meta
    return backend(target).reserve_ids(meta.table_name, meta.schema, count)


def write_new(
    target: Target,
    records: Sequence[dict[str, Any]],
    user: str,
    ids: Sequence[int] | None = None,
    audit_entry: bool = True,
) -> list[int]:
    """Insert new records (their validated values by field name) and answer their ids:
    one by a single INSERT, with its full 'create' audit entry unless the caller writes
    its own (`audit_entry=False`: a record whose entry lists its lines); many, or any
    given `ids` reserved before, by the bulk writer, with compact entries."""
    if not records:
        return []
    if ids is None and len(records) == 1:
        record_id = _insert_one(target, records[0], user)
        if audit_entry:
            changes = audit.changes_between({}, jsonable(target, records[0]))
            audit.record_audit(target.tenant, target.spec.name, record_id, "create", user, changes)
        return [record_id]
    ids = list(ids) if ids is not None else reserve_ids(target, len(records))
    RowWriter(target, user).write(ids, records)
    return ids


def _insert_one(target: Target, record: dict[str, Any], user: str) -> int:
    now = audit.now()
    stamp = {"created_by": user, "creation_date": now, "last_updated_by": user,
             "last_update_date": now}  # fmt: skip
    values = {**stored_values(target, record), **stamp, **target.search_words(record)}
    return guarded_write(
        target, "", lambda: statements.insert(target.entity.memo, target.model, values)
    )


class RowWriter:
    """Writes new records of one entity: their columns, system columns and audit entries."""

    def __init__(self, target: Target, user: str) -> None:
        self.target = target
        self.user = user
        model = target.model
        self.fields = target.stored()
        self.names = [field.name for field in self.fields]
        self._converted = [
            (index, to_db)
            for index, field in enumerate(self.fields)
            if (to_db := _to_db(model, field, backend(target))) is not None
        ]
        now = audit.now()
        self._system = {
            "created_by": user,
            "creation_date": now,
            "last_updated_by": user,
            "last_update_date": now,
            "rev_number": 1,
        }
        for name, column in model._meta.columns.items():
            if name not in self._system and name != "id" and column.default is not None:
                self._system[name] = column.default
        columns = [model._meta.columns["id"], *(model._meta.columns[n] for n in self._system)]
        columns += [model._meta.columns[f.name] for f in self.fields]
        self._words = list(target.search_words({}))  # the search words' column, if any
        self._searchable = searchable(target.spec)
        columns += [model._meta.columns[name] for name in self._words]
        ways = backend(target)
        self._backend = ways
        self._system_values = tuple(
            ways.adapted(model._meta.columns[n].db_value(v)) for n, v in self._system.items()
        )
        self._columns = columns
        self._stamp = ways.adapted(target.tenant.system.audit.at.db_value(now))
        self._values = _getter(self.names)
        self._layout: tuple[int] | None = None  # the audit layout of `names`, made on first write

    def write(self, ids: Sequence[int], records: Sequence[dict[str, Any]]) -> None:
        """Insert the records under the given ids, with a 'create' audit entry each."""
        if len(ids) != len(records):
            raise ValueError(f"{len(records)} records but {len(ids)} ids")
        if not records:  # a file's records may have no lines at all: nothing to write
            return
        if self._layout is None:
            self._layout = (audit.layout(self.target.tenant, self.target.spec.name, self.names),)
        values: list[tuple] = []  # each record's values, as its row is made
        rows = itertools.chain.from_iterable(
            map(self._rows, _pieces(ids), _pieces(records), itertools.repeat(values))
        )
        # the rows are made a piece at a time as the writer takes them: PostgreSQL stores
        # one piece while the next is made
        _rows_writer(self._backend, self._columns, len(records))(rows)
        entity, user, stamp = self.target.spec.name, self.user, self._stamp
        compact = map(operator.add, itertools.repeat(self._layout), values)
        changes = map(bytes.decode, map(orjson.dumps, compact))
        entries = zip(
            itertools.repeat(entity), ids, itertools.repeat("create"), itertools.repeat(user),
            itertools.repeat(stamp), changes, strict=False,
        )  # fmt: skip
        _rows_writer(self._backend, _audit_columns(self.target), len(records))(entries)

    def _rows(
        self, ids: Sequence[int], records: Sequence[dict[str, Any]], values: list[tuple]
    ) -> list[tuple]:
        """The rows of some records, each after its id and system columns, with its search
        words; their values are added to `values`, for their audit entries. The rows are
        put together by C code: nothing runs per record here."""
        part = self._tuples(records)
        values += part
        head = zip(ids, *map(itertools.repeat, self._system_values), strict=False)
        rows = map(operator.add, head, self._stored(part))
        if self._words:  # each row's search words go in with it
            rows = map(operator.add, rows, zip(records_words(self._searchable, records)))
        return list(rows)

    def _tuples(self, records: Sequence[dict[str, Any]]) -> list[tuple]:
        """Each record's values in the order of `names`, None where it has none."""
        try:
            return list(map(self._values, records))  # every record holds every field
        except KeyError:
            names = self.names
            return [tuple(map(record.get, names)) for record in records]

    def _stored(self, values: list[tuple]) -> list[tuple] | Iterator[tuple]:
        """The values as their columns take them (see `_to_db`)."""
        if not self._converted or not values:
            return values
        columns = list(zip(*values, strict=True))
        for index, to_db in self._converted:
            columns[index] = [None if v is None else to_db(v) for v in columns[index]]
        return zip(*columns, strict=True)


def _pieces(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    """The items PIECE at a time."""
    return (items[start : start + PIECE] for start in range(0, len(items), PIECE))


def _getter(names: list[str]) -> Callable[[dict[str, Any]], tuple]:
    """A record's values of `names`, as a tuple, by C code (KeyError if one is missing)."""
    if len(names) > 1:
        return operator.itemgetter(*names)
    return lambda record: tuple(record[name] for name in names)


def _to_db(model: type[peewee.Model], field: Any, ways: Backend) -> Callable[[Any], Any] | None:
    """How a value becomes what its column takes (the type's store, then Peewee's
    db_value), or None where the value goes in as it is: text, whole numbers, switches,
    and what the backend stores as it is."""
    store = TYPES[field.input_type].store
    column = getattr(model, attribute_name(field.name))
    plain = (peewee.CharField, peewee.TextField, peewee.BigIntegerField, peewee.BooleanField)
    if isinstance(column, plain) and store is TYPES["text"].store:
        return None
    if ways.stored_as_is(column):
        return None
    return lambda value: column.db_value(store(value))


def _audit_columns(target: Target) -> list[peewee.Field]:
    table = target.tenant.system.audit
    return [table.entity, table.record_id, table.action, table.username, table.at, table.changes]


def _rows_writer(ways: Backend, columns: list[peewee.Field], rows: int) -> Callable:
    """The backend's writer of rows of these columns, a batch of about `rows` at a time."""
    meta = columns[0].model._meta
    table = f'"{meta.schema}"."{meta.table_name}"' if meta.schema else f'"{meta.table_name}"'
    names = ", ".join(f'"{column.column_name}"' for column in columns)  # the metadata's
    return ways.rows_writer(table, names, len(columns), rows)
