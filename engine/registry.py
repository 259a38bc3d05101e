"""The compiled tenants: every artifact of every tenant × entity, built once.

A Registry is immutable; reloading metadata builds a new one and swaps it whole.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import peewee

from engine.compile.models import build_model
from engine.compile.validator import RecordValidator
from engine.errors import MetadataError, Problem, UnknownName, did_you_mean
from engine.resolve import load_and_resolve
from engine.shared import Shared
from engine.spec import EntitySpec, TenantSpec
from engine.storage import limits
from engine.storage.system import SystemTables, build_system_tables


@dataclass(frozen=True)
class CompiledEntity:
    """One entity of a tenant with every artifact compiled from it: its validator, its
    Peewee model and its form layout."""

    spec: EntitySpec
    validator: RecordValidator
    model: type[peewee.Model]
    layout: dict[str, Any]
    # What callers derive from the artifacts above and reuse for as long as they live
    # (per-field HTML, stored-field lists): a reload builds new entities, so it never goes
    # stale. Filled lazily, keyed by whoever fills it.
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def schema(self) -> dict:
        """The entity's JSON Schema, which its validator checks records against."""
        return self.validator.schema


@dataclass(frozen=True)
class CompiledTenant:
    """One tenant compiled: its entities, its engine tables and its database."""

    spec: TenantSpec
    database: peewee.DatabaseProxy  # bound to the tenant's database by the storage layer
    entities: Mapping[str, CompiledEntity]
    system: SystemTables
    # What callers derive from the whole tenant (its API description, the SQL of its own
    # tables), cached as long as the tenant lives: a reload compiles a new one.
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def entity(self, name: str) -> CompiledEntity:
        """The entity called `name`; UnknownName, with the nearest name, when none is."""
        if name not in self.entities:
            hint = did_you_mean(name, self.entities)
            raise UnknownName(f"tenant '{self.spec.name}' has no entity '{name}'{hint}")
        return self.entities[name]


@dataclass(frozen=True)
class Registry:
    """Every tenant of a metadata directory, compiled."""

    root: str
    tenants: Mapping[str, CompiledTenant]

    def tenant(self, name: str) -> CompiledTenant:
        """The tenant called `name`; UnknownName, with the nearest name, when none is."""
        if name not in self.tenants:
            hint = did_you_mean(name, self.tenants)
            raise UnknownName(f"there is no tenant '{name}'{hint}")
        return self.tenants[name]


def compile_tenant(spec: TenantSpec, shared: Shared | None = None) -> CompiledTenant:
    """Every artifact of one tenant. With `shared`, what the tenant has in common with
    tenants compiled before (equal specs, their layouts, equal schemas' validators) is
    taken from there rather than built again; the tenant's own database binding, models
    and caches are its own either way."""
    shared = shared or Shared()
    spec = shared.tenant(spec)
    database = peewee.DatabaseProxy()
    entities = {
        name: CompiledEntity(
            entity,
            RecordValidator(spec, entity, shared.checker),
            build_model(entity, database),
            shared.layout(entity),
        )
        for name, entity in spec.entities.items()
    }
    return CompiledTenant(spec, database, entities, build_system_tables(database))


def build_registry(root: str) -> Registry:
    """Load, check, resolve and compile a metadata directory; MetadataError if it is wrong,
    or if a database would refuse a table it compiles to."""
    with without_cycle_collection():
        tenants, shared = load_and_resolve(root), Shared()
        compiled = {name: compile_tenant(spec, shared) for name, spec in tenants.items()}
    problems = [problem for tenant in compiled.values() for problem in database_limits(tenant)]
    if problems:
        raise MetadataError(problems)
    return Registry(root, compiled)


def database_limits(tenant: CompiledTenant) -> list[Problem]:
    """What SQLite or PostgreSQL would refuse of the tenant's tables, located in the YAML."""
    models = {name: entity.model for name, entity in tenant.entities.items()}
    engine_tables = [model._meta.table_name for model in tenant.system.all()]
    with without_cycle_collection():  # just after a compile: nothing to collect, much to walk
        return limits.check_tenant(tenant.spec, models, engine_tables)


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """Pause CPython's cycle collector. Building a registry, or reading a file of many
    rows, allocates many long-lived objects and frees few: the collector would walk them
    again and again for nothing (about a third of a build's time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
