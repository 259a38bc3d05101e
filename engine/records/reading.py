"""Read and list records: a record with its lines, many at once, a page of a list.

RecordService (engine.records.service) is a RecordReader that also writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import peewee

from engine.compile.models import attribute_name
from engine.errors import NotFound, UnknownName
from engine.records import audit, joint_reads, read_statements, statements
from engine.records.keyset import Key, key_at, page_after, table_after
from engine.records.lines import line_rows
from engine.records.search import DEFAULT_LIMIT, record_page, table_page, unindexed_filters
from engine.records.target import Target
from engine.records.values import as_id, chosen_loaders, fetchable
from engine.registry import Registry
from engine.types import SYSTEM_COLUMNS
from engine.types.base import as_it_is

MANY_AT_ONCE = 500  # ids per IN list: far under any database's limit of parameters


class RecordReader:
    """Reads records of every tenant of a registry, for the API and the web UI alike."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry  # replaced whole when metadata reloads

    def target(self, tenant: str, entity: str) -> Target:
        """The entity of the tenant, compiled; NotFound when either is unknown."""
        try:
            compiled = self.registry.tenant(tenant)
            return Target(compiled, compiled.entity(entity))
        except UnknownName as error:
            raise NotFound(str(error)) from None

    # reading

    def read(
        self,
        tenant: str,
        entity: str,
        record_id: int,
        line_columns: Mapping[str, tuple[str, ...]] | None = None,
    ) -> dict[str, Any]:
        """One live record of `entity` as a dict of its values, or NotFound. With
        `line_columns` (by lines field, names of stored fields or system columns), each
        line of those fields holds only its `id` and those columns: a form whose stored
        rows show only a few reads and converts no more."""
        target = self.target(tenant, entity)
        model = target.model

        def query(ids: Sequence[int]) -> peewee.ModelSelect:
            return target.live().where(model.id == ids[0]).limit(1)

        key, found_id = ("one",), as_id(record_id)
        found = read_statements.records(
            target.entity.memo, model, key, query, [found_id], _all(target)
        )
        if not found:
            raise NotFound(f"{target.spec.label} {record_id} does not exist")
        record = found[0]
        record.update(_lines_of(target, found_id, line_columns or {}))
        return record

    def read_many(
        self, tenant: str, entity: str, ids: Iterable[int], columns: Iterable[str] | None = None
    ) -> dict[int, dict[str, Any]]:
        """The records of `ids` that exist, without their lines, by id, in one query per
        few hundred ids: what `read` answers of each, lines aside. With `columns` (field
        or system column names), each holds only its `id` and those of them the entity
        stores: a page that shows linked records' titles reads and converts no more."""
        target = self.target(tenant, entity)
        wanted, found = sorted(set(ids)), {}
        model = target.model
        chosen = None if columns is None else _chosen_columns(target, tuple(columns))

        def query(chunk: Sequence[int]) -> peewee.ModelSelect:
            rows = target.live().where(model.id.in_(chunk))
            if chosen is not None:
                rows = rows.select(*(getattr(model, attribute) for _, attribute, _ in chosen))
            return rows

        key = ("many",) if chosen is None else ("many", *(name for name, _, _ in chosen))
        for start in range(0, len(wanted), MANY_AT_ONCE):
            chunk = wanted[start : start + MANY_AT_ONCE]
            columns = _all(target) if chosen is None else chosen
            memo = target.entity.memo
            for record in read_statements.records(memo, model, key, query, chunk, columns):
                found[record["id"]] = record
        return found

    def read_linked(
        self, tenant: str, wanted: Mapping[str, tuple[Iterable[int], Iterable[str]]]
    ) -> dict[str, dict[int, dict[str, Any]]]:
        """read_many's answer for each entity of `wanted`, by its ids and the columns read
        of it: in one statement for them all where it can be (engine.records.joint_reads),
        else in one per entity."""
        parts = [
            (self.target(tenant, entity), tuple(columns), ids)
            for entity, (ids, columns) in wanted.items()
        ]
        return dict(zip(wanted, self.read_linked_targets(parts), strict=True))

    def read_linked_targets(
        self, parts: Sequence[tuple[Target, tuple[str, ...], Iterable[int]]]
    ) -> list[dict[int, dict[str, Any]]]:
        """read_linked's answer, part by part, for entities of one tenant given as their
        targets (a page looks them up once), each with the columns read and the ids."""
        joint = [(target, columns, sorted(set(ids))) for target, columns, ids in parts]
        found = joint_reads.read_joint(joint, _chosen_columns) if len(joint) > 1 else None
        if found is None:
            return [
                self.read_many(target.tenant.spec.name, target.spec.name, ids, columns)
                for target, columns, ids in joint
            ]
        return found

    def few_records(
        self, tenant: str, entity: str, most: int, selectable: bool = False
    ) -> list[dict[str, Any]] | None:
        """The live records by id, without their lines, when there are at most `most`
        (with `selectable`, of those a new link may name); None when there are more. One
        query, its rows made records only when there are few: what `list` answers as its
        items, without counting them all or loading a large table's first rows."""
        target = self.target(tenant, entity)
        fields = target.model._meta.sorted_fields

        def query() -> peewee.ModelSelect:
            rows = target.selectable() if selectable else target.live()
            return rows.select(*fields).order_by(target.model.id).limit(most + 1)

        key = ("few", selectable, most)
        found = statements.fixed(target.entity.memo, target.model, key, query).fetchall()
        if len(found) > most:
            return None
        names = [field.name for field in fields]
        return [
            self._as_dict(
                target,
                target.model(
                    **{
                        name: field.python_value(value)
                        for name, field, value in zip(names, fields, row, strict=True)
                    }
                ),
                lines=False,
            )
            for row in found
        ]

    def fetchable(self, tenant: str, entity: str, record_id: Any) -> dict[str, Any]:
        """What a lookup to this record may fetch from it, by every name it is known by."""
        target = self.target(tenant, entity)
        return fetchable(target, self._stored(target, record_id))

    def history(self, tenant: str, entity: str, record_id: Any) -> list[dict[str, Any]]:
        """Every audit entry of a record, oldest first; a deleted record's too."""
        target = self.target(tenant, entity)
        lines = [line.name for line in target.lines()]
        entries = audit.history(target.tenant, entity, as_id(record_id), lines)
        if not entries:  # a deleted record keeps its history; no record has none
            self._row(target, record_id)
        return entries

    def _row(self, target: Target, record_id: Any) -> peewee.Model:
        row = target.live().where(target.model.id == as_id(record_id)).first()
        if row is None:
            raise NotFound(f"{target.spec.label} {record_id} does not exist")
        return row

    def _stored(self, target: Target, record_id: Any) -> Any:
        """The record's row, for reading only: what _row answers, by a statement built
        once per compiled entity."""
        model = target.model

        def query(ids: Sequence[int]) -> peewee.ModelSelect:
            return target.live().where(model.id == ids[0]).limit(1)

        found = read_statements.rows(target.entity.memo, model, ("one",), query, [as_id(record_id)])
        if not found:
            raise NotFound(f"{target.spec.label} {record_id} does not exist")
        return found[0]

    def _as_dict(self, target: Target, row: peewee.Model, lines: bool = True) -> dict[str, Any]:
        record = {
            name: getattr(row, attribute) if load is None else load(getattr(row, attribute))
            for name, attribute, load in _all(target)
        }
        if lines:
            for line in target.lines():
                record[line.name] = _stored_lines(target.child(line), line, row.id)
        return record

    # listing

    def list(
        self,
        tenant: str,
        entity: str,
        q: str | None = None,
        filters: Mapping[str, str] | None = None,
        sort: str | None = None,
        limit: int = DEFAULT_LIMIT,
        offset: int = 0,
        columns: Iterable[str] | None = None,
        count_up_to: int | None = None,
    ) -> dict[str, Any]:
        """A page of records: `items` (without lines), the `total` that match and, when some
        filters read every record, their names (`unindexed_filters`). With
        `columns` (stored field names), each item holds only its `id` and those fields:
        a page that shows a few columns need not read and convert them all. With
        `count_up_to`, more matches than that answer that `total` and `total_exact` false."""
        if columns is not None:
            table = self.list_table(
                tenant, entity, q, filters, sort, limit, offset, columns, count_up_to
            )
            names = ("id", *table["values"])
            rows = zip(table["ids"], *table["values"].values(), strict=True)
            page = {
                "items": [dict(zip(names, row, strict=True)) for row in rows],
                "total": table["total"],
                **({"total_exact": False} if "total_exact" in table else {}),
            }
        else:
            target = self.target(tenant, entity)
            found = record_page(target, q, filters or {}, sort, limit, offset, count_up_to)
            items = [self._as_dict(target, r, lines=False) for r in found[1]]
            page = _capped({"items": items, "total": found[0]}, count_up_to)
        unindexed = unindexed_filters(self.target(tenant, entity), filters or {})
        if unindexed:
            page["unindexed_filters"] = unindexed
        return page

    def list_after(
        self,
        tenant: str,
        entity: str,
        q: str | None = None,
        filters: Mapping[str, str] | None = None,
        sort: str | None = None,
        limit: int = DEFAULT_LIMIT,
        key: Key | None = None,
        count_up_to: int | None = None,
    ) -> tuple[dict[str, Any], Key | None]:
        """The page after the record `key` names (engine.records.keyset), as `list`
        answers one, and the key of its last record when more follow."""
        target = self.target(tenant, entity)
        ids, following, total = page_after(target, q, filters or {}, sort, limit, key, count_up_to)
        rows = {row.id: row for row in target.model.select().where(target.model.id.in_(ids))}
        items = [self._as_dict(target, rows[i], lines=False) for i in ids]
        return _capped({"items": items, "total": total}, count_up_to), following

    def list_table_after(
        self,
        tenant: str,
        entity: str,
        q: str | None = None,
        filters: Mapping[str, str] | None = None,
        sort: str | None = None,
        limit: int = DEFAULT_LIMIT,
        key: Key | None = None,
        backward: bool = False,
        columns: Iterable[str] = (),
        count_up_to: int | None = None,
    ) -> dict[str, Any]:
        """The page after the record `key` names, or before it with `backward`, as
        `list_table` answers one, with the keys of its `first` and `last` records and
        whether records come `before` and `after` it (engine.records.keyset.table_after)."""
        target = self.target(tenant, entity)
        found = table_after(
            target, q, filters or {}, sort, limit, key, backward, tuple(columns), count_up_to
        )
        return _capped(found, count_up_to)

    def key_at(
        self,
        tenant: str,
        entity: str,
        q: str | None,
        filters: Mapping[str, str],
        sort: str | None,
        place: int,
    ) -> Key | None:
        """The key of the record at `place` (from 0) of a list; None past its end."""
        return key_at(self.target(tenant, entity), q, filters, sort, place)

    def list_table(
        self,
        tenant: str,
        entity: str,
        q: str | None = None,
        filters: Mapping[str, str] | None = None,
        sort: str | None = None,
        limit: int = DEFAULT_LIMIT,
        offset: int = 0,
        columns: Iterable[str] = (),
        count_up_to: int | None = None,
    ) -> dict[str, Any]:
        """A page of records as a table: the `total` that match, their `ids`, and the
        `values` of each of `columns` (stored field names), column by column. The SQL
        of each such query is built once, then run again with other LIMIT and OFFSET.
        With `count_up_to`, more matches than that answer that `total` and `total_exact`
        false."""
        target = self.target(tenant, entity)
        found = table_page(
            target, q, filters or {}, sort, limit, offset, tuple(columns), count_up_to
        )
        return _capped(found, count_up_to)


def _lines_of(
    target: Target, parent_id: int, narrowed: Mapping[str, tuple[str, ...]]
) -> dict[str, list[dict[str, Any]]]:
    """The record's stored lines of each of its lines fields, as records (of `narrowed`'s
    columns only, for the fields it names): in one statement for them all where there are
    several (engine.records.joint_reads), else one each."""
    lines = target.lines()
    parts = _lines_parts(target, tuple(narrowed.get(line.name) for line in lines))
    if len(lines) > 1:
        found = joint_reads.read_lines(parts, parent_id)
        if found is not None:
            return {line.name: rows for line, rows in zip(lines, found, strict=True)}
    return {
        line.name: _stored_lines(child, line, parent_id, columns)
        for line, (child, _, _, columns) in zip(lines, parts, strict=True)
    }


def _lines_parts(
    target: Target, narrowed: tuple[tuple[str, ...] | None, ...]
) -> list[tuple[Target, str, str | None, Any]]:
    """(the entity, the link to the parent, the order field, the columns read and their
    loaders) of each of the entity's lines fields: what joint_reads.read_lines reads, once
    per compiled entity and narrowing. A lines field's columns are _all's, or its id and
    the columns `narrowed` names for it."""
    key = ("records", "lines parts", narrowed)
    memo = target.entity.memo
    if key not in memo:
        memo[key] = [
            (
                child,
                line.lines.link,
                line.lines.order,
                _all(child) if columns is None else _chosen_columns(child, columns),
            )
            for line, columns in zip(target.lines(), narrowed, strict=True)
            for child in (target.child(line),)
        ]
    return memo[key]


def _stored_lines(
    child: Target, line: Any, parent_id: int, columns: Any = None
) -> list[dict[str, Any]]:
    """The record's stored lines of one lines field, as line_rows reads them, as records
    (of `columns`, _all's when None)."""
    link, order = line.lines.link, line.lines.order
    columns = _all(child) if columns is None else columns

    def query(ids: Sequence[int]) -> peewee.ModelSelect:
        rows = line_rows(child, link, ids[0], order)
        return rows.select(*(getattr(child.model, attribute) for _, attribute, _ in columns))

    memo, key = child.entity.memo, ("lines", link, *(name for name, _, _ in columns))
    return read_statements.records(memo, child.model, key, query, [parent_id], columns)


def _all(target: Target) -> list[tuple[str, str, Any]]:
    """(name, model attribute, load function) of the entity's system columns, then of its
    stored fields: what system_value and field_values read of a row, looked up once per
    compiled entity; None for a value taken as it is read (no call needed)."""
    key = ("records", "all columns")
    memo = target.entity.memo
    if key not in memo:
        system = [
            (name, attribute_name(name), SYSTEM_COLUMNS[name].load)
            for name in target.spec.system_columns
        ]
        memo[key] = [
            (name, attribute, None if load is as_it_is else load)
            for name, attribute, load in system + target.loaders()
        ]
    return memo[key]


def _chosen_columns(target: Target, columns: tuple[str, ...]) -> list[tuple[str, str, Any]]:
    """(name, model attribute, load function) of the record's id and of each of `columns`
    the entity stores, once per compiled entity and set of columns; None for a value
    taken as it is read."""
    key = ("records", "chosen columns", columns)
    memo = target.entity.memo
    if key not in memo:
        chosen = chosen_loaders(target, ("id", *columns), [])  # the others: not stored
        memo[key] = [(name, a, None if load is as_it_is else load) for name, a, load in chosen]
    return memo[key]


def _capped(page: dict[str, Any], up_to: int | None) -> dict[str, Any]:
    """The page, its total said to be a lower bound when the count went past `up_to`."""
    if up_to is not None and page["total"] > up_to:
        return {**page, "total": up_to, "total_exact": False}
    return page
