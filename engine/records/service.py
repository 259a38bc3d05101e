"""Create, read, update, delete, list and act on records: validate → rules → one transaction.

Every write runs in one transaction holding the record, its lines, its number and
its audit entry; any error rolls all of it back. Every problem of a request is
reported at once, as RecordError items naming the field by its label.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import peewee

from engine.compile.models import attribute_name
from engine.compile.validator import RecordError
from engine.errors import Conflict, NotFound, RecordInvalid, UnknownName
from engine.records import audit, page_sql, statements
from engine.records.numbering import next_number
from engine.registry import CompiledEntity, CompiledTenant, Registry
from engine.spec import EntitySpec, FieldSpec
from engine.types import INT64_MAX, TYPES, InputType, always_fits, fits_column

DEFAULT_LIMIT, MAX_LIMIT = 50, 500


@dataclass(frozen=True)
class Target:
    """One tenant's entity: what every operation works on."""

    tenant: CompiledTenant
    entity: CompiledEntity

    @property
    def spec(self) -> EntitySpec:
        return self.entity.spec

    @property
    def model(self) -> type[peewee.Model]:
        return self.entity.model

    def child(self, line: FieldSpec) -> Target:
        return Target(self.tenant, self.tenant.entity(line.lines.entity))

    def stored(self) -> list[FieldSpec]:
        """The fields with a column, in order (one list per compiled entity: do not change it)."""
        return self._memo("stored", lambda: [f for f in self.spec.fields if f.stored])

    def lines(self) -> list[FieldSpec]:
        return self._memo("lines", lambda: [f for f in self.spec.fields if f.lines])

    def loaders(self) -> list[tuple[str, str, Callable[[Any], Any]]]:
        """(field name, model attribute, load function) of each stored field: what turns a
        row into values, looked up once per compiled entity rather than once per row."""
        return self._memo(
            "loaders",
            lambda: [
                (f.name, attribute_name(f.name), TYPES[f.input_type].load) for f in self.stored()
            ],
        )

    def stored_where(self, flag: str) -> list[FieldSpec]:
        """The stored fields whose `flag` (read_only, unique, lookup…) is set, in order:
        what each rule checks, picked once per compiled entity."""
        return self._memo(f"stored {flag}", lambda: [f for f in self.stored() if getattr(f, flag)])

    def decimals(self) -> list[FieldSpec]:
        """The stored fields kept as decimals, whose places are checked."""
        store = TYPES["decimal"].store
        return self._memo(
            "decimals", lambda: [f for f in self.stored() if TYPES[f.input_type].store is store]
        )

    def storers(self) -> list[tuple[str, str, Callable[[Any], Any]]]:
        """(field name, model attribute, store function) of each stored field."""
        return self._memo(
            "storers",
            lambda: [
                (f.name, attribute_name(f.name), TYPES[f.input_type].store) for f in self.stored()
            ],
        )

    def bounded(self) -> list[tuple[FieldSpec, InputType]]:
        """The stored fields, with their rows, whose columns may refuse a valid value."""
        return self._memo(
            "bounded",
            lambda: [
                (f, row) for f in self.stored() if not always_fits(row := TYPES[f.input_type])
            ],
        )

    def _memo(self, name: str, build: Callable[[], Any]) -> Any:
        memo = self.entity.memo
        key = ("records", name)
        if key not in memo:
            memo[key] = build()
        return memo[key]

    def column(self, name: str) -> peewee.Field:
        return self.model._meta.columns[name]

    def live(self) -> peewee.ModelSelect:
        """The entity's records, less those deleted softly."""
        query = self.model.select()
        if "deleted" in self.spec.system_columns:
            query = query.where(self.column("deleted") == False)  # noqa: E712
        return query


def _error(field: FieldSpec | None, name: str, code: str, message: str) -> RecordError:
    return RecordError(name, field.label if field else name, code, message)


class RecordService:
    """The one place that reads and writes records, for the API and the web UI alike."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry  # replaced whole when metadata reloads

    def target(self, tenant: str, entity: str) -> Target:
        try:
            compiled = self.registry.tenant(tenant)
            return Target(compiled, compiled.entity(entity))
        except UnknownName as error:
            raise NotFound(str(error)) from None

    # reading

    def read(self, tenant: str, entity: str, record_id: int) -> dict[str, Any]:
        target = self.target(tenant, entity)
        return self._as_dict(target, self._row(target, record_id))

    def fetchable(self, tenant: str, entity: str, record_id: Any) -> dict[str, Any]:
        """What a lookup to this record may fetch from it, by every name it is known by."""
        target = self.target(tenant, entity)
        return _fetchable(target, self._row(target, record_id))

    def history(self, tenant: str, entity: str, record_id: int) -> list[dict[str, Any]]:
        target = self.target(tenant, entity)
        self._row(target, record_id)
        return audit.history(target.tenant, entity, record_id)

    def _row(self, target: Target, record_id: Any) -> peewee.Model:
        row = target.live().where(target.model.id == _as_id(record_id)).first()
        if row is None:
            raise NotFound(f"{target.spec.label} {record_id} does not exist")
        return row

    def _as_dict(self, target: Target, row: peewee.Model, lines: bool = True) -> dict[str, Any]:
        record = {name: _system_value(row, name) for name in target.spec.system_columns}
        record.update(_field_values(target, row))
        if lines:
            for line in target.lines():
                child = target.child(line)
                record[line.name] = [
                    _without(self._as_dict(child, r, lines=False), line.lines.link)
                    for r in self._line_rows(child, line.lines.link, row.id)
                ]
        return record

    def _line_rows(self, child: Target, link: str, parent_id: int) -> Iterable[peewee.Model]:
        return child.live().where(child.column(link) == parent_id).order_by(child.model.id)

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
    ) -> dict[str, Any]:
        """A page of records: `items` (without lines) and the `total` that match. With
        `columns` (stored field names), each item holds only its `id` and those fields:
        a page that shows a few columns need not read and convert them all."""
        if columns is not None:
            table = self.list_table(tenant, entity, q, filters, sort, limit, offset, columns)
            names = ("id", *table["values"])
            rows = zip(table["ids"], *table["values"].values(), strict=True)
            return {
                "items": [dict(zip(names, row, strict=True)) for row in rows],
                "total": table["total"],
            }
        target = self.target(tenant, entity)
        query, errors = _search(target, q, filters or {})
        order, sort_errors = _ordering(target, sort)
        errors += sort_errors + _page_errors(limit, offset)
        if errors:
            raise RecordInvalid(errors)
        # COUNT over the same FROM and WHERE, not over the whole select in a subquery;
        # COUNT(*), which SQLite answers from the table's pages without reading each row
        total = query.select(peewee.fn.COUNT(peewee.SQL("*"))).scalar()
        rows = query.order_by(*order).limit(limit).offset(offset)
        return {"items": [self._as_dict(target, r, lines=False) for r in rows], "total": total}

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
    ) -> dict[str, Any]:
        """A page of records as a table: the `total` that match, their `ids`, and the
        `values` of each of `columns` (stored field names), column by column. The SQL
        of each such query is built once, then run again with other LIMIT and OFFSET."""
        target = self.target(tenant, entity)
        filters = filters or {}
        columns = tuple(columns)
        key = (q, tuple(filters.items()), sort, columns)
        kept = page_sql.kept(target.entity.memo, target.tenant.database, key)
        if kept is not None and not _page_errors(limit, offset):
            return page_sql.run(target.tenant.database, kept, limit, offset)
        query, errors = _search(target, q, filters)
        order, sort_errors = _ordering(target, sort)
        errors += sort_errors + _page_errors(limit, offset)
        chosen = _chosen_loaders(target, columns, errors)
        if errors:
            raise RecordInvalid(errors)
        count = query.select(peewee.fn.COUNT(peewee.SQL("*")))
        model = target.model
        fields = [getattr(model, attribute) for _, attribute, _ in chosen]
        rows = query.order_by(*order).limit(limit).offset(offset)
        rows = rows.select(model.id, *fields).tuples()
        loaded = tuple(
            (name, field, load) for (name, _, load), field in zip(chosen, fields, strict=True)
        )
        memo, database = target.entity.memo, target.tenant.database
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

    # writing

    def create(
        self, tenant: str, entity: str, data: Any, user: str, read_back: bool = True
    ) -> dict[str, Any]:
        """Add a record and answer it as stored; with `read_back=False`, only its `id`
        (for a caller that only links to it, reading it again would be wasted)."""
        target = self.target(tenant, entity)
        payload = _clean_payload(target, data)
        with target.tenant.database.atomic():
            record_id = self._insert(target, payload, user)
        if not read_back:
            return {"id": record_id}
        return self.read(tenant, entity, record_id)

    def update(
        self, tenant: str, entity: str, record_id: Any, data: Any, user: str
    ) -> dict[str, Any]:
        """Change a record; `data` must carry the `rev_number` the caller read."""
        target = self.target(tenant, entity)
        payload = _clean_payload(target, data)
        revision = payload.pop("rev_number", None)
        if not isinstance(revision, int) or isinstance(revision, bool):
            raise RecordInvalid(
                [
                    RecordError(
                        "rev_number",
                        "Revision",
                        "required",
                        "rev_number, the revision you read, is required.",
                    )
                ]
            )
        with target.tenant.database.atomic():
            row = self._row(target, record_id)
            _check_revision(target, row, revision)
            self._update(target, row, payload, user)
        return self.read(tenant, entity, row.id)

    def problems(
        self, tenant: str, entity: str, data: Any, user: str, record_id: Any = None
    ) -> list[RecordError]:
        """Every problem saving `data` would meet (a create, or an update of `record_id`),
        found by the same code as a real save, in a transaction that is rolled back."""
        target = self.target(tenant, entity)
        try:
            with target.tenant.database.atomic() as transaction:
                payload = _clean_payload(target, data)
                if record_id is None:
                    self._insert(target, payload, user)
                else:
                    self._update(target, self._row(target, record_id), payload, user)
                transaction.rollback()
        except RecordInvalid as error:
            return error.errors
        return []

    def _insert(self, target: Target, payload: dict, user: str) -> int:
        record = _with_defaults(target, payload)
        errors = self._prepare(target, record, None, payload, "")
        line_values = {line.name: record.pop(line.name, None) or [] for line in target.lines()}
        errors += self._prepare_lines(target, record, line_values, {})
        errors += _schema_errors(target, record, line_values)
        if errors:
            raise RecordInvalid(_in_form_order(target, errors))
        stamp = {
            "created_by": user,
            "creation_date": audit.now(),
            "last_updated_by": user,
            "last_update_date": audit.now(),
        }
        values = {**_stored_values(target, record), **stamp}
        record_id = _write(
            target, "", lambda: statements.insert(target.entity.memo, target.model, values)
        )
        self._write_lines(target, record_id, line_values, {}, user)
        audit.record_audit(
            target.tenant,
            target.spec.name,
            record_id,
            "create",
            user,
            audit.changes_between({}, _jsonable(target, record)),
        )
        return record_id

    def _update(self, target: Target, row: peewee.Model, payload: dict, user: str) -> None:
        current = self._as_dict(target, row)
        before = {f.name: current[f.name] for f in target.stored()}
        record = {**before, **{k: v for k, v in payload.items() if k in before}}
        errors = self._prepare(target, record, before, payload, "")
        current_lines = {line.name: current[line.name] for line in target.lines()}
        line_values = {
            line.name: payload.get(line.name, current_lines[line.name]) or []
            for line in target.lines()
        }
        errors += self._prepare_lines(target, record, line_values, current_lines)
        errors += _schema_errors(target, record, line_values)
        errors += _rule_errors(target, record, before, current)
        errors += _unknown_errors(target, payload)
        if errors:
            raise RecordInvalid(_in_form_order(target, errors))
        changes = audit.changes_between(before, record)
        stamp = {"last_updated_by": user, "last_update_date": audit.now()}
        values = {**_stored_values(target, {k: record[k] for k in changes}), **stamp}
        self._bump(target, row, values)
        sent = {name: rows for name, rows in line_values.items() if name in payload}
        self._write_lines(target, row.id, sent, current_lines, user)
        audit.record_audit(target.tenant, target.spec.name, row.id, "update", user, changes)

    def _bump(self, target: Target, row: peewee.Model, values: dict) -> None:
        """Write `values` and the next revision, if nobody wrote the record meanwhile."""
        model = target.model
        count = _write(
            target,
            "",
            lambda: (
                model.update(**values, rev_number=model.rev_number + 1)
                .where((model.id == row.id) & (model.rev_number == row.rev_number))
                .execute()
            ),
        )
        if count != 1:
            _check_revision(target, self._row(target, row.id), row.rev_number)
            raise Conflict(f"{target.spec.label} {row.id} changed while it was being saved")

    def _prepare(
        self, target: Target, record: dict, before: dict | None, payload: dict, prefix: str
    ) -> list[RecordError]:
        """Numbering, fetched values and the checks the schema cannot make."""
        numbering = target.spec.numbering
        if before is None and numbering and record.get(numbering.field) in (None, ""):
            record[numbering.field] = next_number(target.tenant, target.spec.name, numbering)
        errors = _read_only_errors(target, payload, before, prefix)
        errors += self._lookup_errors(target, record, before, prefix)
        errors += _precision_errors(target, record, prefix)
        errors += _unique_errors(target, record, before, prefix)
        return errors

    def _lookup_errors(
        self, target: Target, record: dict, before: dict | None, prefix: str
    ) -> list[RecordError]:
        """Lookups must name records of the tenant; their fetched values are filled in when
        empty, and follow the lookup when it changes to another record."""
        errors = []
        for field in target.stored_where("lookup"):
            value = record.get(field.name)
            if not field.lookup or not fits_column(TYPES[field.input_type], field, value):
                continue  # no value, or one the schema refuses
            linked = self.target(target.tenant.spec.name, field.lookup.entity)
            row = linked.model.select().where(linked.model.id == value).first()
            if row is None or getattr(row, "deleted", False):
                errors.append(
                    _error(
                        field,
                        prefix + field.name,
                        "not_found",
                        f"{field.label}: {linked.spec.label} {value} does not exist.",
                    )
                )
                continue
            fetched = _fetchable(linked, row)
            changed = before is not None and before.get(field.name) != value
            for mine, theirs in field.lookup.fetch.items():
                if changed or record.get(mine) in (None, ""):
                    record[mine] = fetched.get(theirs)
        return errors

    def _prepare_lines(
        self, target: Target, parent: dict, line_values: dict, current_lines: dict
    ) -> list[RecordError]:
        """Defaults, numbers, inherited and fetched values of every line; lines are one level
        deep, so a line's problems are named `line[index].field`."""
        errors = []
        for line in target.lines():
            child = target.child(line)
            inherited = child.spec.field(line.lines.link).lookup.fetch
            existing = {r["id"]: r for r in current_lines.get(line.name, [])}
            for index, values in enumerate(line_values.get(line.name, [])):
                where = f"{line.name}[{index}]."
                if not isinstance(values, dict):
                    continue  # the schema reports it
                line_id = values.get("id")
                if line_id is not None and not _is_id(line_id):
                    errors.append(
                        _error(
                            line,
                            f"{where}id",
                            "type",
                            f"{line.label}: a line's id must be the whole number it was read with.",
                        )
                    )
                    continue
                if line_id is not None and line_id not in existing:
                    errors.append(
                        _error(
                            line,
                            f"{where}id",
                            "not_found",
                            f"{line.label}: line {line_id} is not a line of this record.",
                        )
                    )
                    continue
                before = _without(existing[line_id], "id") if line_id is not None else None
                values.update(_with_defaults(child, values) if before is None else {})
                for mine, theirs in inherited.items():  # a line inherits from its parent
                    if values.get(mine) in (None, ""):
                        values[mine] = parent.get(theirs)
                errors += self._prepare(child, values, before, values, where)
        return errors

    def _write_lines(
        self,
        target: Target,
        parent_id: int,
        line_values: dict,
        current: dict,
        user: str,
    ) -> None:
        for line in target.lines():
            if line.name not in line_values:
                continue
            child = target.child(line)
            from_id = _fetched_from_id(target, child.spec.field(line.lines.link))
            kept = set()
            for index, values in enumerate(line_values[line.name]):
                where = f"{line.name}[{index}]."
                values = {**values, line.lines.link: parent_id}
                for mine in from_id:  # fetched from the parent's id, unknown until now
                    if values.get(mine) is None:
                        values[mine] = parent_id
                line_id = values.pop("id", None)
                if line_id is None:
                    self._insert_line(child, values, user, where)
                    continue
                kept.add(line_id)
                self._update_line(child, line_id, values, user, where)
            for old in current.get(line.name, []):
                if old["id"] not in kept:
                    self._remove(child, self._row(child, old["id"]), user)

    def _insert_line(self, child: Target, values: dict, user: str, where: str) -> None:
        stamp = {
            "created_by": user,
            "creation_date": audit.now(),
            "last_updated_by": user,
            "last_update_date": audit.now(),
        }
        stored = {**_stored_values(child, values), **stamp}
        line_id = _write(
            child, where, lambda: statements.insert(child.entity.memo, child.model, stored)
        )
        audit.record_audit(
            child.tenant,
            child.spec.name,
            line_id,
            "create",
            user,
            audit.changes_between({}, _jsonable(child, values)),
        )

    def _update_line(
        self, child: Target, line_id: int, values: dict, user: str, where: str
    ) -> None:
        row = self._row(child, line_id)
        before = _field_values(child, row)
        changes = audit.changes_between(before, {**before, **values})
        if not changes:
            return
        stamp = {"last_updated_by": user, "last_update_date": audit.now()}
        stored = {**_stored_values(child, {k: values[k] for k in changes}), **stamp}
        _write(
            child,
            where,
            lambda: (
                child.model.update(**stored, rev_number=child.model.rev_number + 1)
                .where(child.model.id == line_id)
                .execute()
            ),
        )
        audit.record_audit(child.tenant, child.spec.name, line_id, "update", user, changes)

    # delete, actions, copy

    def delete(self, tenant: str, entity: str, record_id: Any, user: str) -> None:
        """Delete as the entity's policy says: refused, refused while referenced, or soft."""
        target = self.target(tenant, entity)
        with target.tenant.database.atomic():
            self._remove(target, self._row(target, record_id), user)

    def _remove(self, target: Target, row: peewee.Model, user: str) -> None:
        policy, label = target.spec.delete, target.spec.label
        if policy == "never":
            raise Conflict(
                f"{target.spec.plural} are never deleted; deactivate {label} {row.id} instead",
                code="delete_refused",
            )
        before = self._as_dict(target, row, lines=False)
        if policy == "soft":
            self._bump(
                target,
                row,
                {"deleted": True, "last_updated_by": user, "last_update_date": audit.now()},
            )
        else:
            self._refuse_if_referenced(target, row)
            for line in target.lines():
                child = target.child(line)
                for line_row in self._line_rows(child, line.lines.link, row.id):
                    self._remove(child, line_row, user)
            target.model.delete().where(target.model.id == row.id).execute()
        changes = {k: [v, None] for k, v in _without(before, "id").items() if v is not None}
        audit.record_audit(target.tenant, target.spec.name, row.id, "delete", user, changes)

    def _refuse_if_referenced(self, target: Target, row: peewee.Model) -> None:
        owned = {(f.lines.entity, f.lines.link) for f in target.lines()}
        references = []
        for other in target.tenant.entities.values():
            for field in other.spec.fields:
                if not (field.lookup and field.stored and field.lookup.entity == target.spec.name):
                    continue
                if (other.spec.name, field.name) in owned and other.spec.delete != "never":
                    continue  # lines that go with their parent
                column = other.model._meta.columns[field.name]
                ids = [r.id for r in other.model.select(other.model.id).where(column == row.id)]
                if ids:
                    references.append(
                        {
                            "entity": other.spec.name,
                            "label": other.spec.plural,
                            "field": field.name,
                            "count": len(ids),
                            "ids": ids[:10],
                        }
                    )
        if references:
            listing = "; ".join(f"{r['count']} {r['label']} ({r['field']})" for r in references)
            raise Conflict(
                f"{target.spec.label} {row.id} cannot be deleted: it is referred to by {listing}",
                code="referenced",
                references=references,
            )

    def act(
        self, tenant: str, entity: str, record_id: Any, action: str, user: str
    ) -> dict[str, Any]:
        """Run a status action (or activate / deactivate, or copy) on a record."""
        if action == "copy":
            return self.copy(tenant, entity, record_id, user)
        target = self.target(tenant, entity)
        with target.tenant.database.atomic():
            row = self._row(target, record_id)
            column, value = _action_change(target, row, action)
            before = getattr(row, attribute_name(column))
            self._bump(
                target,
                row,
                {column: value, "last_updated_by": user, "last_update_date": audit.now()},
            )
            audit.record_audit(
                target.tenant, target.spec.name, row.id, action, user, {column: [before, value]}
            )
        return self.read(tenant, entity, record_id)

    def copy(self, tenant: str, entity: str, record_id: Any, user: str) -> dict[str, Any]:
        """A new record from the fields marked `copy`, with a fresh number and initial status."""
        target = self.target(tenant, entity)
        source = self.read(tenant, entity, record_id)
        payload = _copied(target, source)
        for line in target.lines():
            child = target.child(line)
            payload[line.name] = [_copied(child, values) for values in source[line.name]]
        with target.tenant.database.atomic():
            new_id = self._insert(target, payload, user)
            audit.record_audit(
                target.tenant,
                target.spec.name,
                new_id,
                "copy",
                user,
                {"copied_from": [None, source["id"]]},
            )
        return self.read(tenant, entity, new_id)


# pure helpers


def _as_id(value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise NotFound(f"{value!r} is not a record id") from None
    if number < 1 or number > 2**63 - 1:
        raise NotFound(f"{value!r} is not a record id")
    return number


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _without(record: dict, *keys: str) -> dict:
    return {k: v for k, v in record.items() if k not in keys}


def _system_value(row: peewee.Model, name: str) -> Any:
    value = getattr(row, attribute_name(name))
    if name in ("creation_date", "last_update_date"):
        return TYPES["datetime"].load(value)
    return value


def _field_values(target: Target, row: peewee.Model) -> dict[str, Any]:
    return {name: load(getattr(row, attribute)) for name, attribute, load in target.loaders()}


def _chosen_loaders(
    target: Target, columns: Iterable[str], errors: list[RecordError]
) -> list[tuple[str, str, Callable[[Any], Any]]]:
    """The loaders of the named stored fields; an unknown name is an error."""
    loaders = {name: loader for name, *loader in target.loaders()}
    chosen = []
    for name in dict.fromkeys(columns):
        if name in loaders:
            chosen.append((name, *loaders[name]))
        else:
            errors.append(
                RecordError(
                    name, name, "unknown_field", f"'{name}' is not a field of {target.spec.label}."
                )
            )
    return chosen


def _fetched_from_id(parent: Target, link: FieldSpec) -> list[str]:
    """The line's fields that a link fetches from the parent's id, under any of its names."""
    names = {"id"} | {f.name for f in parent.spec.fields if f.system == "id"}
    return [mine for mine, theirs in link.lookup.fetch.items() if theirs in names]


def _fetchable(target: Target, row: peewee.Model) -> dict[str, Any]:
    """Every value a lookup may fetch from a linked record: its fields, its system columns,
    and the system columns again under the names the metadata shows them by."""
    values = _field_values(target, row)
    values.update({name: _system_value(row, name) for name in target.spec.system_columns})
    values.update({f.name: values[f.system] for f in target.spec.fields if f.system})
    return values


def _stored_values(target: Target, record: dict) -> dict[str, Any]:
    values = {}
    for name, attribute, store in target.storers():
        if name in record:
            value = record[name]
            values[attribute] = None if value is None else store(value)
    return values


def _jsonable(target: Target, record: dict) -> dict[str, Any]:
    return {f.name: value for f in target.stored() if (value := record.get(f.name)) is not None}


def _clean_payload(target: Target, data: Any) -> dict:
    """Trim text, turn empty text into no value, refuse what no database can store."""
    if not isinstance(data, dict):
        raise RecordInvalid(
            [
                RecordError(
                    "", target.spec.label, "type", f"A {target.spec.label} must be a JSON object."
                )
            ]
        )
    errors: list[RecordError] = []
    cleaned = {key: _clean_value(target, key, value, errors, "") for key, value in data.items()}
    for line in target.lines():
        rows = cleaned.get(line.name)
        if isinstance(rows, list):
            child = target.child(line)
            cleaned[line.name] = [
                {k: _clean_value(child, k, v, errors, f"{line.name}[{i}].") for k, v in r.items()}
                if isinstance(r, dict)
                else r
                for i, r in enumerate(rows)
            ]
    if errors:
        raise RecordInvalid(errors)
    return cleaned


def _clean_value(target: Target, key: str, value: Any, errors: list, prefix: str) -> Any:
    if isinstance(value, str):
        if "\x00" in value:
            field = next((f for f in target.spec.fields if f.name == key), None)
            errors.append(
                _error(
                    field,
                    prefix + key,
                    "invalid_character",
                    f"{field.label if field else key} contains a NUL character, "
                    "which cannot be stored.",
                )
            )
        value = value.strip()
        return value or None
    return value


def _with_defaults(target: Target, payload: dict) -> dict:
    record = dict(payload)
    for field in target.stored():
        if field.name not in record and field.default is not None:
            record[field.name] = field.default
    return record


def _schema_errors(target: Target, record: dict, line_values: dict) -> list[RecordError]:
    """The compiled validator over the record as it will be stored, lines included."""
    system = target.spec.system_columns
    document = {k: v for k, v in record.items() if k not in system}
    for line in target.lines():
        document[line.name] = [
            _without(values, "id", line.lines.link) if isinstance(values, dict) else values
            for values in line_values.get(line.name, [])
        ]
    errors = target.entity.validator.errors(document)
    return errors + _unstorable_errors(target, document, {e.field for e in errors})


def _unstorable_errors(target: Target, document: dict, reported: set[str]) -> list[RecordError]:
    """Valid values no column can hold (a date and time whose UTC falls past year 9999),
    for fields with no other problem: the schema cannot tell, the database would fail."""
    found = []
    rows = [("", target, document)] + [
        (f"{line.name}[{index}].", target.child(line), values)
        for line in target.lines()
        for index, values in enumerate(document.get(line.name) or [])
        if isinstance(values, dict)
    ]
    for prefix, owner, values in rows:
        for field, row in owner.bounded():
            value = values.get(field.name)
            name = prefix + field.name
            if value is None or name in reported:
                continue
            if not fits_column(row, field, value):
                message = f"{field.label} is out of the range that can be stored."
                found.append(_error(field, name, "range", message))
    return found


def _unknown_errors(target: Target, payload: dict) -> list[RecordError]:
    """A change naming no field of the entity is refused, as a new record's would be: a
    misspelt name must not pass for a change that was saved."""
    known = {f.name for f in target.stored()} | {f.name for f in target.lines()}
    return [
        RecordError(name, name, "unknown_field", f"'{name}' is not a field of {target.spec.label}.")
        for name in payload
        if name not in known and name not in target.spec.system_columns
    ]


def _in_form_order(target: Target, errors: list[RecordError]) -> list[RecordError]:
    unique = list(dict.fromkeys(errors))
    return sorted(unique, key=target.entity.validator.form_order)


def _read_only_errors(
    target: Target, payload: dict, before: dict | None, prefix: str
) -> list[RecordError]:
    errors = []
    for field in target.stored_where("read_only"):
        if field.name in payload:
            old = before.get(field.name) if before else None
            if payload[field.name] != old:
                errors.append(
                    _error(
                        field,
                        prefix + field.name,
                        "read_only",
                        f"{field.label} is filled in by the system.",
                    )
                )
    return errors


def _precision_errors(target: Target, record: dict, prefix: str) -> list[RecordError]:
    errors = []
    for field in target.decimals():
        value = record.get(field.name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue  # the schema reports the type
        places = -decimal.Decimal(str(value)).normalize().as_tuple().exponent
        if places > (field.precision or 0):
            errors.append(
                _error(
                    field,
                    prefix + field.name,
                    "precision",
                    f"{field.label} allows at most {field.precision} decimal places.",
                )
            )
    return errors


def _unique_errors(
    target: Target, record: dict, before: dict | None, prefix: str
) -> list[RecordError]:
    errors = []
    for field in target.stored_where("unique"):
        value = record.get(field.name)
        if value is None or (before and before.get(field.name) == value):
            continue
        if not fits_column(TYPES[field.input_type], field, value):
            continue  # the schema refuses it; a query could not even compare it
        stored = TYPES[field.input_type].store(value)
        if statements.exists(target.entity.memo, target.model, target.column(field.name), stored):
            errors.append(
                _error(
                    field,
                    prefix + field.name,
                    "unique",
                    f"{field.label} {value!r} is already used by another {target.spec.label}.",
                )
            )
    return errors


def _rule_errors(target: Target, record: dict, before: dict, current: dict) -> list[RecordError]:
    """Set-once fields, and fields locked by the record's status."""
    errors = []
    statuses = target.spec.statuses
    state = statuses.states.get(current.get("status")) if statuses else None
    locked = state.locked if state else ()
    for field in target.stored():
        if record.get(field.name) == before.get(field.name):
            continue
        if field.set_once and before.get(field.name) is not None:
            errors.append(
                _error(
                    field, field.name, "set_once", f"{field.label} cannot be changed once saved."
                )
            )
        elif locked == "all" or field.name in locked:
            errors.append(
                _error(
                    field,
                    field.name,
                    "locked",
                    f"{field.label} cannot change while the {target.spec.label} is {state.label}.",
                )
            )
    return errors


def _check_revision(target: Target, row: peewee.Model, revision: int) -> None:
    if row.rev_number != revision:
        when = TYPES["datetime"].load(row.last_update_date)
        raise Conflict(
            f"{target.spec.label} {row.id} was changed by {row.last_updated_by} at {when} "
            f"(revision {row.rev_number}, you sent {revision}); reload it and apply your "
            "changes again",
            code="stale",
            changed_by=row.last_updated_by,
            changed_at=when,
            rev_number=row.rev_number,
        )


def _action_change(target: Target, row: peewee.Model, action: str) -> tuple[str, Any]:
    spec = target.spec
    if spec.delete == "never" and action in ("activate", "deactivate"):
        return "active", action == "activate"
    actions = spec.statuses.actions if spec.statuses else {}
    if action not in actions:
        known = ", ".join(
            [*actions, "copy"] + (["activate", "deactivate"] if spec.delete == "never" else [])
        )
        raise NotFound(f"{spec.label} has no action '{action}'; actions: {known}")
    step = actions[action]
    if row.status not in step.sources:
        state = spec.statuses.states[row.status].label
        allowed = ", ".join(spec.statuses.states[s].label for s in step.sources)
        raise Conflict(
            f"cannot {step.label.lower()} {spec.label} {row.id}: it is {state}; "
            f"{step.label.lower()} applies to {allowed}",
            code="invalid_transition",
        )
    return "status", step.target


def _copied(target: Target, source: dict) -> dict:
    """The values a copy starts from: fields marked `copy`, never a number or a unique value
    (the copy gets its own), never what the system fills in."""
    numbering = target.spec.numbering.field if target.spec.numbering else None
    return {
        f.name: source[f.name]
        for f in target.stored()
        if f.copy
        and not (f.unique or f.read_only or f.name == numbering)
        and source.get(f.name) is not None
    }


def _search(target: Target, q: str | None, filters: Mapping[str, str]) -> tuple[Any, list]:
    errors: list[RecordError] = []
    query = target.live()
    if q and "\x00" in q:
        errors.append(
            RecordError("q", "Search", "invalid_character", "The search contains a NUL character.")
        )
    elif q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        searchable = [f for f in target.stored() if f.searchable]
        if searchable:
            condition = None
            for field in searchable:
                clause = target.column(field.name).cast("TEXT") ** pattern
                condition = clause if condition is None else condition | clause
            query = query.where(condition)
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
            value = _filter_value(columns[name], name, text)
        except (ValueError, OverflowError, decimal.InvalidOperation):
            field = columns[name]
            errors.append(
                _error(
                    field,
                    name,
                    "type",
                    f"{field.label if field else name} must "
                    f"be {TYPES[field.input_type].expects if field else 'a value'}.",
                )
            )
            continue
        query = query.where(target.column(name) == value)
    return query, errors


_SYSTEM_FILTERS = {
    "id": "integer",
    "rev_number": "integer",
    "active": "switch",
    "deleted": "switch",
    "creation_date": "datetime",
    "last_update_date": "datetime",
}


def _filter_value(field: FieldSpec | None, name: str, text: str) -> Any:
    """A filter's text as the column's value; ValueError for what the column cannot hold,
    which the database would answer with an error rather than with no records."""
    if "\x00" in text:
        raise ValueError("a NUL character")
    if field is not None and field.input_type == "multiselect":
        return text
    row = TYPES[field.input_type if field else _SYSTEM_FILTERS.get(name, "text")]
    value = row.parse(text)
    if not fits_column(row, field, value):
        raise ValueError(f"{text!r} is out of range")
    return row.store(value)


def _ordering(target: Target, sort: str | None) -> tuple[list, list]:
    if not sort:
        return [target.model.id], []
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
    column = target.column(name)
    return [column.desc() if descending else column, target.model.id], []


def _page_errors(limit: Any, offset: Any) -> list[RecordError]:
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


def _write(target: Target, prefix: str, statement: Any) -> Any:
    """Run an INSERT or UPDATE in the caller's transaction; a unique violation that slipped
    past the checks is a field error. The error leaves that transaction, which then rolls
    back whole: no savepoint around the statement is needed."""
    try:
        return statement()
    except peewee.IntegrityError as error:
        raise RecordInvalid([_integrity_error(target, prefix, str(error))]) from None


def _integrity_error(target: Target, prefix: str, message: str) -> RecordError:
    """Name the fields behind a unique violation from the database's own message."""
    for names in target.spec.unique_together:
        if all(name in message for name in names):
            labels = " and ".join(target.spec.field(name).label for name in names)
            return RecordError(
                prefix + names[0],
                target.spec.field(names[0]).label,
                "unique",
                f"Another {target.spec.label} has the same {labels}.",
            )
    for field in target.stored():
        if field.unique and (f".{field.name}" in message or f"_{field.name}" in message):
            return _error(
                field,
                prefix + field.name,
                "unique",
                f"{field.label} is already used by another {target.spec.label}.",
            )
    return RecordError(
        prefix.rstrip("."),
        target.spec.label,
        "unique",
        f"Another {target.spec.label} has the same values.",
    )
