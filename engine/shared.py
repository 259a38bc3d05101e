"""What tenants have in common, kept once: equal specs and what is compiled from them.

A tenant that does not change a base entity resolves it to a spec equal to every other
such tenant's; a tenant that changes one field of it still has the other fields equal to
the base's. `tenant()` hands back, for each entity and each field, the one equal spec
already known, so the form layout compiled from an entity spec is built once, and the
record schema and its jsonschema-rs validator once per distinct schema, all shared by
reference. What differs between tenants stays each tenant's own: its database and the
models bound to it, its name in its schemas' `$id`, its translations and locality, and
whatever pages cache on its compiled entities.

Everything here is held through weak references: an entry lives as long as a compiled
tenant uses it, so dropping every tenant that shares one frees it.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

import jsonschema_rs

from engine.compile.layout import build_layout, field_entry
from engine.spec import EntitySpec, FieldSpec, TenantSpec

T = TypeVar("T")


class Checker:
    """A record schema without its `$id` (its `body`) and the jsonschema-rs validator of it
    (`fast`); the `$id` only names the schema, it changes no answer."""

    __slots__ = ("__weakref__", "body", "fast")

    def __init__(self, body: dict) -> None:
        self.body = body
        self.fast = jsonschema_rs.validator_for(body, validate_formats=True)


class _Equals(Generic[T]):
    """One object per equality class among those given, held weakly: `of(x)` is the one
    equal to `x` already known (a bucket key narrows the comparisons), else `x` itself."""

    def __init__(self, bucket: Callable[[T], Hashable]) -> None:
        self._bucket = bucket
        self._known: dict[Hashable, list[weakref.ref[T]]] = {}

    def of(self, value: T) -> T:
        refs = self._known.setdefault(self._bucket(value), [])
        for ref in refs:
            known = ref()
            if known is not None and known == value:
                return known
        refs[:] = [ref for ref in refs if ref() is not None]
        refs.append(weakref.ref(value))
        return value

    def __len__(self) -> int:
        return sum(1 for refs in self._known.values() for ref in refs if ref() is not None)


def _keep_while(owner: object, table: dict[int, Any], value: Any) -> None:
    """Keep `value` in `table` under the id() of `owner` for as long as `owner` lives."""
    table[id(owner)] = value
    weakref.finalize(owner, table.pop, id(owner), None)


class Shared:
    """The specs and artifacts tenants have in common (see the module); safe to use from
    several threads compiling different tenants."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fields = _Equals[FieldSpec](lambda f: (f.name, f.label, f.input_type, f.sequence))
        self._entities = _Equals[EntitySpec](lambda e: (e.name, e.label, len(e.fields)))
        self._layouts: dict[int, dict[str, Any]] = {}  # by id() of a known entity spec
        self._entries: dict[int, dict[str, Any]] = {}  # by id() of a known field spec
        self._checkers: weakref.WeakValueDictionary[str, Checker] = weakref.WeakValueDictionary()

    def tenant(self, spec: TenantSpec) -> TenantSpec:
        """The tenant's spec with each of its entities, and each of their fields, replaced
        by the equal one already known."""
        with self._lock:
            entities = {name: self._entity(entity) for name, entity in spec.entities.items()}
        return dataclasses.replace(spec, entities=entities)

    def _entity(self, entity: EntitySpec) -> EntitySpec:
        fields = tuple(self._fields.of(f) for f in entity.fields)
        return self._entities.of(dataclasses.replace(entity, fields=fields))

    def layout(self, entity: EntitySpec) -> dict[str, Any]:
        """The form layout of an entity spec, built once per spec object (read-only)."""
        with self._lock:
            layout = self._layouts.get(id(entity))
            if layout is None:
                layout = build_layout(entity, self._entry)
                _keep_while(entity, self._layouts, layout)
            return layout

    def _entry(self, field: FieldSpec) -> dict[str, Any]:
        entry = self._entries.get(id(field))
        if entry is None:
            entry = field_entry(field)
            _keep_while(field, self._entries, entry)
        return entry

    def checker(self, body: dict) -> Checker:
        """The checker of a record schema (without `$id`), built once per distinct schema."""
        key = json.dumps(body, default=repr)  # key order kept: it orders the errors found
        with self._lock:
            checker = self._checkers.get(key)
            if checker is None:
                checker = self._checkers[key] = Checker(body)
            return checker

    def counts(self) -> dict[str, int]:
        """How many distinct fields, entities, layouts and schemas are kept now."""
        with self._lock:
            return {
                "fields": len(self._fields),
                "entities": len(self._entities),
                "layouts": len(self._layouts),
                "schemas": len(self._checkers),
            }
