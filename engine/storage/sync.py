"""Bring a tenant's tables in line with its metadata: create, add, rename, widen, index.

A plan is data (a list of steps, plus refusals) before anything runs, so
`formwork migrate --dry-run` prints exactly what a real run does. No column or value is
ever dropped: a field removed from YAML keeps its column and values. Only an index the
sync made on a field's column goes when the metadata no longer calls for it (a filter
the list page no longer offers): it holds no data, and costs every write a page. A type change that
could lose data is refused, naming the field and both types, and nothing is applied.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import peewee
from playhouse.migrate import SchemaMigrator, make_index_name

from engine.records.words import search_column
from engine.registry import CompiledEntity, CompiledTenant, Registry
from engine.spec import FieldSpec
from engine.storage import search_index
from engine.storage.backends import backend_of
from engine.storage.databases import Storage, StorageError
from engine.storage.health import isolated
from engine.storage.sqlite_ids import lacks_autoincrement, rebuild_with_autoincrement
from engine.types import TYPES

logger = logging.getLogger("formwork.storage")
# (old column type, new column type) pairs that keep every value
_WIDENINGS = {("VARCHAR", "TEXT"), ("BIGINT", "DECIMAL")}


@dataclass(frozen=True)
class Step:
    """One change to a tenant's database, readable as a line of a plan."""

    action: str
    table: str
    detail: str
    column: str = ""
    field: FieldSpec | None = None
    old: str = ""  # for renames: the old column name

    def __str__(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        return f"{self.action} {where}: {self.detail}"


@dataclass(frozen=True)
class Plan:
    """What a sync of one tenant changes (`steps`), or why it refuses to (`refusals`)."""

    tenant: str
    steps: tuple[Step, ...]
    refusals: tuple[str, ...]
    # whether the input types recorded for the columns differ from the metadata's: a
    # sync then writes them, even with no step to show
    stale_types: bool = False

    @property
    def writes(self) -> bool:
        """Whether applying the plan writes anything (and so needs the write lock)."""
        return bool(self.steps) or self.stale_types


class UnsafeChange(StorageError):
    """Metadata asks for a change that could lose data; nothing was applied."""


def _size(field: FieldSpec) -> int | None:
    column_type = _column_type(field)
    if column_type == "VARCHAR":
        return field.max_length
    return field.precision if column_type == "DECIMAL" else None


def _column_type(field: FieldSpec) -> str:
    return TYPES[field.input_type].column(field).field_type


def _stored(entity: CompiledEntity) -> list[FieldSpec]:
    return [f for f in entity.spec.fields if f.stored]


class _Planner:
    def __init__(self, tenant: CompiledTenant, database: peewee.Database, schema: str | None):
        self.tenant, self.database, self.schema = tenant, database, schema
        self.steps: list[Step] = []
        self.refusals: list[str] = []

    def plan(self) -> Plan:
        tables = set(self.database.get_tables(schema=self.schema))
        if self.schema and not self._schema_exists():
            self.steps.append(Step("create schema", self.schema, "the tenant's own schema"))
        for model in self.tenant.system.all():
            if model._meta.table_name not in tables:
                self.steps.append(Step("create table", model._meta.table_name, "engine table"))
            else:
                self._plan_engine_columns(model)
        recorded = self._recorded_types(tables)
        for entity in self.tenant.entities.values():
            if entity.spec.name in tables:
                self._plan_entity(entity, recorded.get(entity.spec.name, {}))
            else:
                count = len(entity.model._meta.sorted_fields)
                self.steps.append(Step("create table", entity.spec.name, f"{count} columns"))
                self._plan_search(entity, set(), True)
        stale = any(
            recorded.get(entity, {}).get(name) != kind
            for (entity, name), kind in _type_rows(self.tenant).items()
        )
        return Plan(self.tenant.spec.name, tuple(self.steps), tuple(self.refusals), stale)

    def _plan_engine_columns(self, model: type[peewee.Model]) -> None:
        """Columns a newer version added to an engine table, with their defaults."""
        table = model._meta.table_name
        existing = {c.name for c in self.database.get_columns(table, schema=self.schema)}
        for column in model._meta.sorted_fields:
            if column.column_name not in existing:
                self.steps.append(Step("add column", table, "engine column", column.column_name))

    def _schema_exists(self) -> bool:
        cursor = self.database.execute_sql(
            "SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", (self.schema,)
        )
        return cursor.fetchone() is not None

    def _recorded_types(self, tables: set[str]) -> dict[str, dict[str, tuple[str, int | None]]]:
        column = self.tenant.system.column
        if column._meta.table_name not in tables:
            return {}
        recorded: dict[str, dict] = {}
        for row in column.select():
            recorded.setdefault(row.entity, {})[row.name] = (row.input_type, row.size)
        return recorded

    def _plan_entity(self, entity: CompiledEntity, recorded: dict) -> None:
        table = entity.spec.name
        existing = {c.name for c in self.database.get_columns(table, schema=self.schema)}
        for column in entity.model._meta.sorted_fields:
            field = _field_of(entity, column.column_name)
            name = column.column_name
            if name in existing:
                if field and name in recorded:
                    self._plan_type_change(table, field, *recorded[name])
            elif field and field.renamed_from in existing:
                self.steps.append(Step("rename column", table, f"from {field.renamed_from}",
                                       name, field, field.renamed_from))  # fmt: skip
            else:
                words = name == search_column(entity.spec)
                kind = field.input_type if field else "search words" if words else "system column"
                if column.index or column.unique:  # the migrator indexes a column it adds
                    kind += ", unique" if column.unique else ", indexed"
                self.steps.append(Step("add column", table, kind, name, field))
        self._plan_indexes(entity)
        rebuild = backend_of(self.database).rebuilds_for_ids and lacks_autoincrement(
            self.database, table
        )
        if rebuild:
            self.steps.append(Step("rebuild table", table, "ids never given twice"))
        adding = {s.column for s in self.steps if s.table == table and s.action == "add column"}
        self._plan_search(entity, adding, rebuild)

    def _plan_search(self, entity: CompiledEntity, adding: set[str], fresh: bool) -> None:
        """The search index's steps: a new or rebuilt table (`fresh`) gets it built."""
        found = search_index.plan(entity, self.database, self.schema, adding, fresh)
        for action, column in found:
            self.steps.append(Step(action, entity.spec.name, "of the searchable fields", column))

    def _plan_type_change(self, table: str, field: FieldSpec, old: str, size: int | None) -> None:
        if old not in TYPES:
            return
        row = TYPES[old]
        was = replace(field, input_type=old, max_length=size, precision=size or 0)
        old_type = row.column(was).field_type
        new_type = _column_type(field)
        new_size = _size(field)
        where = f"{self.tenant.spec.name}.{table}.{field.name}"
        if old_type != new_type and (old_type, new_type) not in _WIDENINGS:
            self.refusals.append(
                f"{where}: changing the type from {old} to {field.input_type} could lose data "
                f"({old_type} values into a {new_type} column); keep {old}, or add a new field "
                "and copy the values"
            )
        elif old_type == "DECIMAL" == new_type and size and (new_size or 0) < size:
            self.refusals.append(
                f"{where}: lowering precision from {size} to {new_size} decimal places could "
                "lose digits; keep the precision, or add a new field"
            )
        elif old_type != new_type or (size and new_size and new_size > size):
            self.steps.append(Step("widen column", table, f"{old} → {field.input_type}",
                                   field.name, field))  # fmt: skip
        elif old != field.input_type:
            self.steps.append(Step("retype column", table, f"{old} → {field.input_type}",
                                   field.name, field))  # fmt: skip

    def _plan_indexes(self, entity: CompiledEntity) -> None:
        table = entity.spec.name
        indexes = self.database.get_indexes(table, schema=self.schema)
        existing = {tuple(i.columns) for i in indexes}
        added = {(s.column,) for s in self.steps if s.table == table and s.action == "add column"}
        wanted = _wanted_indexes(entity.model)
        for columns, unique in wanted:
            if tuple(columns) not in existing | added:
                kind = "unique index" if unique else "index"
                self.steps.append(Step(f"add {kind}", table, ", ".join(columns)))
                if unique:
                    self._refuse_duplicates(entity, columns)
        kept = {tuple(columns) for columns, _ in wanted}
        for index in _field_indexes(entity, indexes):
            if tuple(index.columns) not in kept:
                self.steps.append(Step("drop index", table, index.name, index.columns[0]))

    def _refuse_duplicates(self, entity: CompiledEntity, columns: list[str]) -> None:
        """A unique index over values that repeat cannot be built: say which, change nothing."""
        fields = [entity.model._meta.columns[c] for c in columns]
        repeated = (
            entity.model.select(*fields)
            .where(*[f.is_null(False) for f in fields])
            .group_by(*fields)
            .having(peewee.fn.COUNT(entity.model.id) > 1)
            .tuples()
            .first()
        )
        if repeated:
            where = f"{self.tenant.spec.name}.{entity.spec.name}.{'+'.join(columns)}"
            self.refusals.append(
                f"{where}: cannot be made unique: several records share {repeated!r}; "
                "change those records first"
            )


def _field_of(entity: CompiledEntity, column: str) -> FieldSpec | None:
    return next((f for f in _stored(entity) if f.name == column), None)


def _field_indexes(entity: CompiledEntity, indexes: list) -> list:
    """The indexes the sync made on a field's column, as `add_index` names them (PostgreSQL
    keeps a name's first 63 bytes): one column, not unique. An index made otherwise, a
    unique one, or one on a system or search column is never dropped."""
    fields = {f.name for f in _stored(entity)}
    return [
        index
        for index in indexes
        if not index.unique
        and len(index.columns) == 1
        and index.columns[0] in fields
        and index.name in _names_of(entity.spec.name, index.columns[0])
    ]


def _names_of(table: str, column: str) -> tuple[str, str]:
    name = make_index_name(table, [column])
    return name, name.encode()[:63].decode(errors="ignore")


def _wanted_indexes(model: type[peewee.Model]) -> list[tuple[list[str], bool]]:
    wanted = [
        ([field.column_name], bool(field.unique))
        for field in model._meta.sorted_fields
        if (field.index or field.unique) and not field.primary_key
    ]
    for names, unique in model._meta.indexes:
        columns = [model._meta.fields[name].column_name for name in names]
        wanted.append((columns, unique))
    return wanted


def plan_tenant(tenant: CompiledTenant, database: peewee.Database, schema: str | None) -> Plan:
    """What syncing a tenant would change, without changing anything."""
    return _Planner(tenant, database, schema).plan()


def sync_tenant(
    tenant: CompiledTenant, database: peewee.Database, schema: str | None, dry_run: bool = False
) -> Plan:
    """Plan and, unless dry_run or refused, apply, under a lock held by one process at a time.

    The plan is made first without the lock: a tenant whose tables already fit its
    metadata, as at most starts, takes no write lock, so a start or a metadata reload
    never waits behind a long import. Only a plan that writes takes it, and plans again
    under it (another process may have applied it meanwhile: this one then finds nothing
    left to do). Each step applied is logged at INFO once, by the process that applied it."""
    plan = plan_tenant(tenant, database, schema)
    if plan.refusals and not dry_run:
        raise UnsafeChange("\n".join(plan.refusals))
    if dry_run or not plan.writes:
        return plan
    with database.atomic():
        hold_tenant_lock(database, tenant.spec.name)
        plan = plan_tenant(tenant, database, schema)
        if plan.refusals:
            raise UnsafeChange("\n".join(plan.refusals))
        _apply(tenant, database, schema, plan)
    for step in plan.steps:  # once committed, by the one process that applied it
        logger.info("Tenant %s: %s", tenant.spec.name, step)
    return plan


def hold_tenant_lock(database: peewee.Database | peewee.DatabaseProxy, tenant: str) -> None:
    """Serialise a tenant's schema changes and bulk loads across processes; call it inside
    a transaction: SQLite's write lock, or a PostgreSQL advisory lock held until commit."""
    # on SQLite the atomic block began with BEGIN IMMEDIATE: the write lock is ours already
    backend_of(database).hold_lock(f"formwork:{tenant}")


def _apply(
    tenant: CompiledTenant, database: peewee.Database, schema: str | None, plan: Plan
) -> None:
    if schema and any(step.action == "create schema" for step in plan.steps):
        database.execute_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    migrator = SchemaMigrator.from_database(database)
    creating = {s.table for s in plan.steps if s.action == "create table"}
    models = [m for m in tenant.system.all() if m._meta.table_name in creating]
    models += [e.model for n, e in tenant.entities.items() if n in creating]
    database.create_tables(models, safe=True)
    for step in plan.steps:
        _apply_step(tenant, database, migrator, step)
    _record_types(tenant)


def _apply_step(
    tenant: CompiledTenant, database: peewee.Database, migrator: SchemaMigrator, step: Step
) -> None:
    if step.action == "add column":
        model = _model_of(tenant, step.table)
        column = model._meta.columns[step.column]
        migrator.add_column(step.table, step.column, column).run()
    elif step.action == "rename column":
        migrator.rename_column(step.table, step.old, step.column).run()
    elif step.action == "widen column" and backend_of(database).alters_column_types:
        column = tenant.entities[step.table].model._meta.columns[step.column]
        migrator.alter_column_type(step.table, step.column, column).run()
    elif step.action == "rebuild table":
        audit = tenant.system.audit
        used = audit.select(peewee.fn.MAX(audit.record_id)).where(audit.entity == step.table)
        rebuild_with_autoincrement(database, step.table, used.scalar() or 0)
    elif step.action in search_index.ACTIONS:
        search_index.apply(tenant.entities[step.table], database, step.action, step.column)
    elif step.action == "drop index":
        migrator.drop_index(step.table, step.detail).run()
    elif step.action.startswith("add ") and step.action.endswith("index"):
        columns = step.detail.split(", ")
        unique = step.action == "add unique index"
        migrator.add_index(step.table, columns, unique=unique).run()


def _model_of(tenant: CompiledTenant, table: str) -> type[peewee.Model]:
    engine_tables = {model._meta.table_name: model for model in tenant.system.all()}
    return engine_tables.get(table) or tenant.entities[table].model


def _type_rows(tenant: CompiledTenant) -> dict[tuple[str, str], tuple[str, int | None]]:
    """(entity, field) → (input type, size) of every stored field, as the sync records them."""
    return {
        (name, field.name): (field.input_type, _size(field))
        for name, entity in tenant.entities.items()
        for field in _stored(entity)
    }


def _record_types(tenant: CompiledTenant) -> None:
    rows = [
        {"entity": entity, "name": name, "input_type": input_type, "size": size}
        for (entity, name), (input_type, size) in _type_rows(tenant).items()
    ]
    column = tenant.system.column
    for start in range(0, len(rows), 200):
        (
            column.insert_many(rows[start : start + 200])
            .on_conflict(
                conflict_target=[column.entity, column.name],
                preserve=[column.input_type, column.size],
            )
            .execute()
        )


def sync_registry(registry: Registry, storage: Storage, dry_run: bool = False) -> list[Plan]:
    """Bind every tenant to its database and sync it; refusals of all tenants at once.

    A tenant whose database cannot be used now (engine.storage.health) is left out and
    reported, and every other tenant goes on: its plan is missing from the answer."""
    return sync_tenants(registry, storage, list(registry.tenants), dry_run)


def sync_tenants(
    registry: Registry, storage: Storage, names: list[str], dry_run: bool = False
) -> list[Plan]:
    """`sync_registry` for the tenants named, in their order."""
    plans = {}
    for name in names:
        tenant = registry.tenant(name)
        plan = isolated(storage, tenant, lambda t=tenant: _bind_and_plan(t, storage))
        if plan is not None:
            plans[name] = plan
    refusals = [refusal for plan in plans.values() for refusal in plan.refusals]
    if refusals:
        raise UnsafeChange("\n".join(refusals))
    if dry_run:
        return list(plans.values())
    applied = []
    for name, plan in plans.items():
        if plan.writes:
            tenant = registry.tenant(name)
            database, schema = storage.database(name), storage.schema(name)
            plan = isolated(
                storage, tenant, lambda t=tenant, d=database, s=schema: sync_tenant(t, d, s)
            )
        if plan is not None:
            applied.append(plan)
    return applied


def _bind_and_plan(tenant: CompiledTenant, storage: Storage) -> Plan:
    name = tenant.spec.name
    database = storage.database(name)
    tenant.database.initialize(database)
    return sync_tenant(tenant, database, storage.schema(name), dry_run=True)
