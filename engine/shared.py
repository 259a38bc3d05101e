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
tenant uses it, so dropping every tenant that shares one frees it (a layout or a field's
entry at the latest when its table next grows to twice what it held alive).
"""

from __future__ import annotations

import dataclasses
import json
import operator
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
        key = self._bucket(value)
        refs = self._known.get(key)
        if refs is None:  # the first of its bucket, as most are
            self._known[key] = [weakref.ref(value)]
            return value
        for ref in refs:
            known = ref()
            if known is not None and known == value:
                return known
        refs[:] = [ref for ref in refs if ref() is not None]
        refs.append(weakref.ref(value))
        return value

    def __len__(self) -> int:
        return sum(1 for refs in self._known.values() for ref in refs if ref() is not None)


class _ById:
    """What was built from each object, by the object's identity, kept while it lives: an
    entry whose object has died is never answered (its id() may be another object's now)
    and is dropped when the table has grown to twice the entries it held alive when last
    swept. A weak reference per entry, not a finalizer: a tenant's every field has one."""

    def __init__(self) -> None:
        self._entries: dict[int, tuple[weakref.ref, Any]] = {}
        self._swept_at = 64  # swept when it holds this many entries

    def get(self, owner: object) -> Any:
        """What was kept for `owner`, or None."""
        found = self._entries.get(id(owner))
        return found[1] if found is not None and found[0]() is owner else None

    def keep(self, owner: object, value: Any) -> None:
        """Keep `value` for `owner` for as long as `owner` lives."""
        entries = self._entries
        entries[id(owner)] = (weakref.ref(owner), value)
        if len(entries) >= self._swept_at:
            self._sweep()

    def _sweep(self) -> None:
        entries = self._entries
        for key in [key for key, (ref, _) in entries.items() if ref() is None]:
            del entries[key]
        self._swept_at = max(64, 2 * len(entries))

    def __len__(self) -> int:
        return sum(1 for ref, _ in self._entries.values() if ref() is not None)


class Shared:
    """The specs and artifacts tenants have in common (see the module); safe to use from
    several threads compiling different tenants."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # equal fields were declared at the same place: where its name was written narrows
        # a bucket to the fields that may be equal, rather than every field alike in name
        self._fields = _Equals[FieldSpec](
            lambda f: (f.name, f.label, f.input_type, f.sequence, f.origins.get("name"))
        )
        self._entities = _Equals[EntitySpec](lambda e: (e.name, e.label, len(e.fields)))
        self._layouts = _ById()  # of each known entity spec
        self._entries = _ById()  # of each known field spec
        self._checkers: weakref.WeakValueDictionary[str, Checker] = weakref.WeakValueDictionary()

    def tenant(self, spec: TenantSpec) -> TenantSpec:
        """The tenant's spec with each of its entities, and each of their fields, replaced
        by the equal one already known."""
        with self._lock:
            entities = {name: self._entity(entity) for name, entity in spec.entities.items()}
        if all(entities[name] is entity for name, entity in spec.entities.items()):
            return spec  # nothing known before: the tenant is the first to have it
        return dataclasses.replace(spec, entities=entities)

    def _entity(self, entity: EntitySpec) -> EntitySpec:
        fields = tuple(self._fields.of(f) for f in entity.fields)
        if any(map(operator.is_not, fields, entity.fields)):
            entity = dataclasses.replace(entity, fields=fields)
        return self._entities.of(entity)

    def layout(self, entity: EntitySpec) -> dict[str, Any]:
        """The form layout of an entity spec, built once per spec object (read-only)."""
        with self._lock:
            layout = self._layouts.get(entity)
            if layout is None:
                layout = build_layout(entity, self._entry)
                self._layouts.keep(entity, layout)
            return layout

    def _entry(self, field: FieldSpec) -> dict[str, Any]:
        entry = self._entries.get(field)
        if entry is None:
            entry = field_entry(field)
            self._entries.keep(field, entry)
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
