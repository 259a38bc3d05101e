"""One tenant's entity as the records service sees it, and what it looks up once per
compiled entity (its stored fields, loaders and storers) rather than once per record."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import peewee

from engine.compile.models import attribute_name
from engine.records.words import record_words, search_column, searchable
from engine.registry import CompiledEntity, CompiledTenant
from engine.spec import EntitySpec, FieldSpec
from engine.types import TYPES, always_fits


@dataclass(frozen=True)
class Target:
    """One tenant's entity: what every operation works on."""

    tenant: CompiledTenant
    entity: CompiledEntity

    @property
    def spec(self) -> EntitySpec:
        """The entity's specification."""
        return self.entity.spec

    @property
    def model(self) -> type[peewee.Model]:
        """The entity's Peewee model."""
        return self.entity.model

    def child(self, line: FieldSpec) -> Target:
        """The target of the entity the lines field `line` holds."""
        return Target(self.tenant, self.tenant.entity(line.lines.entity))

    def stored(self) -> list[FieldSpec]:
        """The fields with a column, in order (one list per compiled entity: do not change it)."""
        return self._memo("stored", lambda: [f for f in self.spec.fields if f.stored])

    def lines(self) -> list[FieldSpec]:
        """The entity's lines fields, in order."""
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

    def defaults(self) -> list[tuple[str, Any]]:
        """(field name, default) of each stored field that has a default."""
        return self._memo(
            "defaults",
            lambda: [(f.name, f.default) for f in self.stored() if f.default is not None],
        )

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

    def search_words(
        self, record: Mapping[str, Any], changed: Iterable[str] | None = None
    ) -> dict[str, str | None]:
        """The column of the record's search words and their value, to write with the
        record's values (by field name); empty when nothing is searchable, or when
        `changed` (the fields an update writes) holds no searchable field."""
        column = self._memo("search column", lambda: search_column(self.spec))
        if column is None:
            return {}
        fields = self._memo("searchable", lambda: searchable(self.spec))
        if changed is not None and not {f.name for f in fields} & set(changed):
            return {}
        return {column: record_words(fields, record)}

    def bounded(self) -> list[tuple[FieldSpec, Callable[[Any], bool]]]:
        """The stored fields whose columns may refuse a valid value, each with the check
        of whether its column holds a value (InputType.fits_check)."""
        return self._memo(
            "bounded",
            lambda: [
                (f, row.fits_check(f))
                for f in self.stored()
                if not always_fits(row := TYPES[f.input_type])
            ],
        )

    def _memo(self, name: str, build: Callable[[], Any]) -> Any:
        memo = self.entity.memo
        key = ("records", name)
        if key not in memo:
            memo[key] = build()
        return memo[key]

    def column(self, name: str) -> peewee.Field:
        """The model's column called `name`."""
        return self.model._meta.columns[name]

    def live(self) -> peewee.ModelSelect:
        """The entity's records, less those deleted softly."""
        query = self.model.select()
        if "deleted" in self.spec.system_columns:
            query = query.where(self.column("deleted") == False)  # noqa: E712
        return query

    def selectable(self) -> peewee.ModelSelect:
        """The records a new or changed link may name: live, and active where the entity
        is deactivated rather than deleted."""
        query = self.live()
        if "active" in self.spec.system_columns:
            query = query.where(self.column("active") == True)  # noqa: E712
        return query
