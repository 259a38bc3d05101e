"""What the databases refuse that the metadata schema cannot see, checked on a tenant's
compiled models before any database is touched.

A deployment may keep its tenants on SQLite or on PostgreSQL, and metadata does not say
which, so every check holds for both: columns per table, the names of tables and
indexes in one schema (PostgreSQL cuts a name to 63 bytes), and the largest row a
record can make (PostgreSQL keeps a row in one 8 kB page). Each problem is located in
the YAML that causes it, so `formwork check` reports it rather than `formwork migrate`.
"""

from __future__ import annotations

import functools
import math
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass

import peewee
from playhouse.migrate import make_index_name

from engine.errors import Problem, Source
from engine.spec import EntitySpec, TenantSpec

POSTGRESQL_MAX_COLUMNS = 1600  # MaxHeapAttributeNumber: "tables can have at most 1600 columns"
POSTGRESQL_NAME_BYTES = 63  # NAMEDATALEN - 1: a longer name is cut, silently
POSTGRESQL_MAX_ROW = 8160  # MaxHeapTupleSize of an 8 kB page: "row is too big"
_TUPLE_HEADER = 23  # HeapTupleHeaderData, before the null bitmap
_ALIGN = 8  # MAXALIGN
# A text value of up to 24 bytes stays in the row; a longer one is moved out of it
# (TOAST), leaving an 18-byte pointer: so 24 bytes is the most a text takes in a row.
_TEXT_IN_ROW = 24
# PostgreSQL's bytes and alignment, in a row, of a value of each fixed-width column type
# the engine creates (peewee's names); text and numbers of variable width are below.
_FIXED = {
    "BIGAUTO": (8, 8),
    "BIGINT": (8, 8),
    "DATETIME": (8, 8),
    "TIME": (8, 8),
    "INT": (4, 4),
    "DATE": (4, 4),
    "BOOL": (1, 1),
}


@functools.cache
def sqlite_max_columns() -> int:
    """The columns a table may have in the SQLite this process links (2000 unless it was
    built otherwise)."""
    with closing(sqlite3.connect(":memory:")) as connection:
        return connection.getlimit(sqlite3.SQLITE_LIMIT_COLUMN)


def check_tenant(
    spec: TenantSpec, models: Mapping[str, type[peewee.Model]], engine_tables: Iterable[str]
) -> list[Problem]:
    """Every limit of either database that the tenant's tables would pass."""
    problems = []
    for name, entity in spec.entities.items():
        problems += _check_columns(spec.name, entity, models[name])
        problems += _check_row(spec.name, entity, models[name])
    problems += _check_names(spec, models, engine_tables)
    return problems


# columns and rows


def _check_columns(tenant: str, entity: EntitySpec, model: type[peewee.Model]) -> list[Problem]:
    columns = model._meta.sorted_fields
    limits = [("PostgreSQL", POSTGRESQL_MAX_COLUMNS), ("SQLite", sqlite_max_columns())]
    refused = [f"{limit:,} in {name}" for name, limit in limits if len(columns) > limit]
    if not refused:
        return []
    fields = sum(1 for f in entity.fields if f.stored)
    return [
        _entity_problem(
            tenant,
            entity,
            f"its table would have {len(columns):,} columns ({fields:,} fields and "
            f"{len(columns) - fields} system columns), and a table may have at most "
            f"{' and '.join(refused)}; move fields into an entity of their own, linked by "
            "a lookup or edited as lines",
        )
    ]


def _check_row(tenant: str, entity: EntitySpec, model: type[peewee.Model]) -> list[Problem]:
    size = largest_row(model)
    if size <= POSTGRESQL_MAX_ROW:
        return []
    return [
        _entity_problem(
            tenant,
            entity,
            f"a record can take {size:,} bytes in a row, more than the {POSTGRESQL_MAX_ROW:,} "
            "a PostgreSQL row may have (numbers, dates and times take up to 8 bytes each, "
            f"texts up to {_TEXT_IN_ROW}); move fields into an entity of their own, linked "
            "by a lookup or edited as lines",
        )
    ]


def largest_row(model: type[peewee.Model]) -> int:
    """The most bytes a row of the model's table takes in PostgreSQL, as a new table lays
    out its columns: every value at its widest, and either none missing or one missing
    (a missing value costs the header a bitmap of them all), whichever is larger."""
    fields = model._meta.sorted_fields
    columns = [_in_row(field) for field in fields]
    whole = _align(_TUPLE_HEADER, _ALIGN) + _data_bytes(columns)
    nullable = [i for i, field in enumerate(fields) if field.null]
    if not nullable:
        return _align(whole, _ALIGN)
    bitmap_header = _align(_TUPLE_HEADER + math.ceil(len(columns) / 8), _ALIGN)
    one_missing = bitmap_header + _data_bytes_without_one(columns, nullable)
    return _align(max(whole, one_missing), _ALIGN)


def _in_row(field: peewee.Field) -> tuple[int, int]:
    """The most bytes a value of the column takes in a row, and its alignment."""
    if field.field_type in _FIXED:
        return _FIXED[field.field_type]
    if field.field_type == "DECIMAL":
        # a short header (1 + 2 bytes), then 2 bytes per group of 4 digits either side
        # of the point; packed values are not aligned
        whole, places = field.max_digits - field.decimal_places, field.decimal_places
        return 3 + 2 * (math.ceil(whole / 4) + math.ceil(places / 4)), 1
    if field.field_type not in ("VARCHAR", "TEXT"):
        raise ValueError(f"the size in a row of a {field.field_type} column is not known")
    # at most 4 bytes a character after a 1-byte header, and never over the most a text
    # keeps in the row
    characters = getattr(field, "max_length", None)
    return min(_TEXT_IN_ROW, 1 + 4 * characters if characters else _TEXT_IN_ROW), 1


def _align(offset: int, alignment: int) -> int:
    return -(-offset // alignment) * alignment


def _data_bytes(columns: list[tuple[int, int]]) -> int:
    offset = 0
    for size, alignment in columns:
        offset = _align(offset, alignment) + size
    return offset


def _data_bytes_without_one(columns: list[tuple[int, int]], candidates: list[int]) -> int:
    """The largest data of a row missing the value of one of the candidate columns, in
    one pass: the bytes from column i on depend only on where it starts modulo 8."""
    after = [[0] * _ALIGN for _ in range(len(columns) + 1)]  # after[i][start % 8]
    for i in range(len(columns) - 1, -1, -1):
        size, alignment = columns[i]
        for start in range(_ALIGN):
            end = _align(start, alignment) + size
            after[i][start] = end - start + after[i + 1][end % _ALIGN]
    starts, offset = [], 0
    for size, alignment in columns:
        offset = _align(offset, alignment)
        starts.append(offset)
        offset += size
    return max(starts[i] + after[i + 1][starts[i] % _ALIGN] for i in candidates)


def _entity_problem(tenant: str, entity: EntitySpec, message: str) -> Problem:
    """A problem of the entity's table, at the file that made the entity what it is here."""
    source = entity.origins.get("customized") or entity.origins["entity"]
    custom = entity.custom or any(f.custom for f in entity.fields)
    return _problem(source, entity.name, message, tenant if custom else None)


def _problem(source: Source, path: str, message: str, tenant: str | None) -> Problem:
    """A located problem; one that holds in this tenant only says so."""
    if tenant is not None:
        message = f"in tenant '{tenant}', {message}"
    return Problem(source.file, source.line, path, message)


# names of tables and indexes


@dataclass(frozen=True)
class _Claim:
    """A name a table or an index takes in the tenant's schema, and who takes it."""

    name: str
    owner: str  # as a message names it
    source: Source | None  # where to fix it; None for the engine's own tables
    path: str = ""
    custom: bool = False  # only this tenant makes the claim


def _check_names(
    spec: TenantSpec, models: Mapping[str, type[peewee.Model]], engine_tables: Iterable[str]
) -> list[Problem]:
    """Two tables or indexes of one schema cannot share a name, as each database keeps it."""
    taken: dict[str, _Claim] = {}
    problems: dict[str, Problem] = {}  # by owner: an index's two names may both clash
    for claim in _claims(spec, models, engine_tables):
        kept = _stored_name(claim.name)
        first = taken.setdefault(kept, claim)
        if first.owner != claim.owner and claim.source is not None:
            problems.setdefault(claim.owner, _clash(spec.name, first, claim, kept))
    return list(problems.values())


def _stored_name(name: str) -> str:
    """The name as PostgreSQL keeps it: its first 63 bytes (SQLite keeps it whole)."""
    return name.encode()[:POSTGRESQL_NAME_BYTES].decode(errors="ignore")


def _claims(
    spec: TenantSpec, models: Mapping[str, type[peewee.Model]], engine_tables: Iterable[str]
) -> Iterator[_Claim]:
    for table in engine_tables:
        yield _Claim(table, "one of the engine's own tables", None)
    for name, entity in sorted(spec.entities.items()):
        where = entity.origins["entity"]
        yield _Claim(name, f"the table of entity '{name}'", where, name, entity.custom)
    for name, entity in sorted(spec.entities.items()):
        yield from _index_claims(entity, models[name])


def _index_claims(entity: EntitySpec, model: type[peewee.Model]) -> Iterator[_Claim]:
    """Each index under both names it may get: peewee names the indexes of a new table
    after the model class, and the migrator those it adds later after the table."""
    fields = {f.name: f for f in entity.fields}
    for index in model._meta.fields_to_index():
        columns = [field.column_name for field in index._expressions]
        field = fields.get(columns[0]) if len(columns) == 1 else None
        if field is not None:
            owner, path = (
                f"the index of '{entity.name}.{field.name}'",
                f"{entity.name}.{field.name}",
            )
            source, custom = field.origins.get("name"), field.custom or entity.custom
        else:
            owner, path = f"the index of '{entity.name}' on {', '.join(columns)}", entity.name
            source = entity.origins.get("unique_together") or entity.origins["entity"]
            custom = entity.custom
        for name in dict.fromkeys((index._name, make_index_name(entity.name, columns))):
            yield _Claim(name, owner, source, path, custom)


def _clash(tenant: str, first: _Claim, claim: _Claim, kept: str) -> Problem:
    name = f"'{claim.name}'"
    if kept != claim.name:
        name += f" (PostgreSQL keeps its first 63 bytes, '{kept}')"
    fix = (
        "choose another entity name"
        if claim.owner.startswith("the table")
        else "rename the field or the entity"
    )
    message = f"{claim.owner} would be named {name}, which is already the name of {first.owner}"
    scope = tenant if claim.custom or first.custom else None
    return _problem(claim.source, claim.path, f"{message}; {fix}", scope)
