"""Records of several entities of a tenant read in one statement: a page's linked
records by their ids, a record's lines of every lines field by their parent's id.

A page titles the records its links name, often of half a dozen entities, and a record
may have several lines fields: read entity by entity, each is a statement of its own,
with its own trip through Peewee and the database driver. Here each entity's SELECT is
put beside the others' with UNION ALL: a row's first column says which entity it is of,
the next ones hold what every entity's rows share (what lines are sorted by, the id),
and each entity's other columns have places of their own, NULL in the other entities'
rows. PostgreSQL types the columns of a UNION pairwise from the left, and two untyped
NULLs meeting first make a text column that a later boolean or number cannot join: the
first SELECT's NULLs are cast to the type of the column whose place they fill. Lines
are sorted as engine.records.lines.line_rows sorts them, after the entity's number.

As engine.records.read_statements does for one entity, Peewee builds the SQL on the
first use of a shape (the entities, their columns, their counts of ids) and once more
for probe ids; it is kept, in the tenant's memo, only when the ids are found each at
one place and nothing else changed. Otherwise, and for more entities, ids or columns
than a statement takes here, the answer is None and the caller reads entity by entity;
engine.records.statements' REUSE_SQL switch turns this module off too (the plain path,
which tests/test_joint_reads.py and tests/test_read_statements.py compare it with).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import peewee

from engine.records import read_statements, statements
from engine.records.target import Target
from engine.types.base import as_it_is

MOST_ENTITIES = 32  # SELECTs joined in one statement (SQLite takes 500)
MOST_IDS = 500  # ids of one entity: as RecordReader.read_many reads at once
MOST_COLUMNS = 1000  # a row's columns (PostgreSQL takes 1664 in a SELECT)
_UNPLANNED = object()

# (record name, model attribute, load function) of each column read of an entity, its id
# first: engine.records.values.chosen_loaders' answer
Chosen = Sequence[tuple[str, str, Callable[[Any], Any]]]


# how a part's SELECT finds its rows: the entity, and the ids it is given (its own, or
# its parent's) → the query of its rows
Where = Callable[[Target, list[int]], peewee.ModelSelect]
# the columns every SELECT puts after the entity's number, in places they share: the id
# last, and before it what the rows are sorted by
Lead = Callable[[Target], list[Any]]


@dataclass(frozen=True)
class _Joint:
    sql: str
    params: tuple  # the parameters of the build the statement was taken from
    slots: tuple[int, ...]  # where each id goes in them, entity by entity
    reader: read_statements.RowReader  # the rows, each entity's number first → records

    def run(self, database: Any, ids: Sequence[int]) -> list[list[dict[str, Any]]]:
        params = list(self.params)
        for place, record_id in zip(self.slots, ids, strict=True):
            params[place] = record_id
        return self.reader(database.execute_sql(self.sql, params).fetchall())


def read_joint(
    parts: Sequence[tuple[Target, tuple[str, ...], Sequence[int]]],
    loaders: Callable[[Target, tuple[str, ...]], Chosen],
) -> list[dict[int, dict[str, Any]]] | None:
    """For each part (an entity of one tenant, the names of the columns read of it,
    distinct ids), its live records by id, each holding those columns, in one statement:
    what RecordReader.read_many answers for each. `loaders` tells the columns' loaders,
    asked only when the statement is first built. None when they cannot be read so."""
    if not statements.REUSE_SQL or len(parts) > MOST_ENTITIES:
        return None
    counts, flat, shape = [], [], []
    for target, columns, ids in parts:
        # an id twice in one entity's list cannot be placed (the probes tell entities apart)
        if len(ids) > MOST_IDS or not read_statements.distinct_ids(ids):
            return None
        counts.append(len(ids))
        flat += ids
        shape.append((target.spec.name, columns))
    tenant = parts[0][0].tenant
    table = read_statements.statement_cache(tenant.memo, tenant.database)
    key = ("joint", *shape, *counts)
    plan = table.get(key, _UNPLANNED)
    if plan is _UNPLANNED:
        chosen = [(target, loaders(target, columns)) for target, columns, _ in parts]
        plan = table[key] = _plan(chosen, tuple(counts), tuple(flat), _by_ids, _id_alone)
    if plan is None:
        return None
    found = plan.run(tenant.database, flat)
    return [{record["id"]: record for record in records} for records in found]


def read_lines(
    parts: Sequence[tuple[Target, str, str | None, Chosen]], parent_id: int
) -> list[list[dict[str, Any]]] | None:
    """For each part (a lines field's entity, its link to the parent, the field its rows
    are sorted by or None, the columns read and their loaders), the parent's live rows
    in order, as engine.records.lines.line_rows sorts them, in one statement. None when
    they cannot be read so: an order field that is no integer, whose NULLs and numbers
    one sort of the joined rows would not order as line_rows does."""
    if not statements.REUSE_SQL or len(parts) > MOST_ENTITIES:
        return None
    if not read_statements.distinct_ids((parent_id,)):
        return None
    tenant = parts[0][0].tenant
    table = read_statements.statement_cache(tenant.memo, tenant.database)
    key = ("joint lines", *(_line_key(part) for part in parts))
    plan = table.get(key, _UNPLANNED)
    if plan is _UNPLANNED:
        plan = table[key] = _lines_plan(parts, parent_id)
    if plan is None:
        return None
    return plan.run(tenant.database, (parent_id,) * len(parts))


def _line_key(part: tuple[Target, str, str | None, Chosen]) -> tuple:
    """What a lines part's share of the statement depends on: its entity, link and order,
    and the columns it reads (a narrower read is another statement)."""
    child, link, order, columns = part
    return (child.spec.name, link, order, *(name for name, _, _ in columns))


def _lines_plan(parts: Sequence[tuple[Target, str, str | None, Chosen]], parent_id: int) -> Any:
    orders = {}
    for child, _, order, _ in parts:
        if order is not None and not isinstance(child.column(order), peewee.IntegerField):
            return None
        orders[child.spec.name] = order
    links = {child.spec.name: link for child, link, _, _ in parts}

    def rows_of(child: Target, ids: list[int]) -> peewee.ModelSelect:
        return child.live().where(child.column(links[child.spec.name]) == ids[0])

    def sorted_by(child: Target) -> list[Any]:  # what line_rows sorts by, the id last
        order = orders[child.spec.name]
        first = peewee.SQL("0") if order is None else peewee.fn.COALESCE(child.column(order), 0)
        return [first, child.model.id]

    chosen = [(child, columns) for child, _, _, columns in parts]
    counts, ids = (1,) * len(parts), (parent_id,) * len(parts)
    return _plan(chosen, counts, ids, rows_of, sorted_by, sort=True)


def _by_ids(target: Target, ids: list[int]) -> peewee.ModelSelect:
    return target.live().where(target.model.id.in_(ids))


def _id_alone(target: Target) -> list[Any]:
    return [target.model.id]


def _plan(
    parts: list[tuple[Target, Chosen]], counts: tuple[int, ...], ids: tuple[int, ...],
    where: Where, lead: Lead, sort: bool = False,
) -> _Joint | None:  # fmt: skip
    """The statement reading `parts` with these counts of ids (`ids` the first ones it
    reads, entity by entity), each part's rows found by `where`, or None. With `sort`,
    its rows come sorted by the entity's number, then by the `lead` columns."""
    shared = len(lead(parts[0][0]))  # the id last
    if any(not any(a == "id" for _, a, _ in chosen) for _, chosen in parts):
        return None  # every part reads its id, into the one shared place
    context = parts[0][0].tenant.database.get_sql_context()
    places, reads, next_place = [], [], 1 + shared  # a row: the entity's number, the lead
    for target, chosen in parts:
        own = []
        for name, attribute, load in chosen:
            field = getattr(target.model, attribute)
            place = shared if attribute == "id" else next_place
            next_place += attribute != "id"
            if attribute != "id":
                cast = _null_type(field, context)
                if cast is None:
                    return None
                places.append((field, cast))
            own.append((name, place, field, None if load is as_it_is else load))
        reads.append(own)
    if next_place > MOST_COLUMNS:
        return None

    def build(ids: Sequence[int]) -> peewee.SelectBase:
        selects, start = [], 0
        for number, ((target, _), count) in enumerate(zip(parts, counts, strict=True)):
            chunk, start = list(ids[start : start + count]), start + count
            model = target.model
            columns: list[Any] = [peewee.SQL(str(number)), *lead(target)]
            for field, cast in places:
                if field.model is model:
                    columns.append(field)
                elif number == 0:  # another entity's place, typed by the first SELECT
                    columns.append(peewee.Cast(peewee.SQL("NULL"), cast))
                else:
                    columns.append(peewee.SQL("NULL"))
            selects.append(where(target, chunk).select(*columns))
        joined = functools.reduce(lambda joined, select: joined.union_all(select), selects)
        if sort:
            joined = joined.order_by(*(peewee.SQL(str(at)) for at in range(1, 2 + shared)))
        return joined

    placed = read_statements.id_places(build, ids)
    if placed is None:
        return None
    _, sql, params, slots = placed
    return _Joint(sql, tuple(params), slots, read_statements.RowReader(reads, numbered=True))


def _null_type(field: peewee.Field, context: peewee.Context) -> str | None:
    """The SQL type a NULL in the column's place is cast to: the column's own, as Peewee
    creates it; None for an id's (a serial is no type to cast to)."""
    if field.field_type in ("AUTO", "BIGAUTO"):
        return None
    return field.ddl_datatype(context).sql
