"""The resolved metadata: immutable specs, one tenant's view of every entity.

Every spec keeps `origins`: for each property that was written in YAML, the
file:line it came from (base file, or the tenant's file when the tenant changed it).
Properties absent from `origins` hold their default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from engine.errors import Source
from engine.locales import ENGLISH_UTC, Locality

if TYPE_CHECKING:
    from engine.translations import Translations
from engine.types import TYPES, InputType
from engine.types import system_columns as system_columns_of


@dataclass(frozen=True)
class Option:
    """One choice of a select: the value stored and the label shown."""

    value: str | int
    label: str


@dataclass(frozen=True)
class Lookup:
    """Where a lookup points: the linked entity, its field shown, and the fields it fills in."""

    entity: str
    show: str
    fetch: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Lines:
    """Child records of another entity edited inside this one."""

    entity: str
    link: str
    min_rows: int | None = None
    max_rows: int | None = None
    columns: tuple[str, ...] = ()  # the child's fields the grid shows; () lets the form choose
    order: str | None = None  # the child's integer field holding each line's place (1, 2, …)


@dataclass(frozen=True)
class Rule:
    """A condition as written and as parsed (see engine.conditions)."""

    text: str
    tree: list


@dataclass(frozen=True)
class FieldSpec:
    """One field of an entity as the tenant sees it: its place, label and input type,
    and every constraint declared for it (lengths and decimal places hold the type's
    default when not declared). `input_type` is the type's name; `type` is the type
    itself, which callers ask what to do with the field's values."""

    name: str
    sequence: int
    label: str
    input_type: str
    group: str
    required: bool = False
    unique: bool = False
    default: Any = None
    help: str | None = None
    placeholder: str | None = None
    options: tuple[Option, ...] = ()
    lookup: Lookup | None = None
    lines: Lines | None = None
    min: float | None = None
    max: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    precision: int | None = None
    currency_field: str | None = None  # the field holding the code of the amount's currency
    read_only: bool = False
    view: bool = False  # a view value: read-only, filled by a lookup's fetch
    hidden: bool = False
    set_once: bool = False
    copy: bool = True
    searchable: bool = False
    in_list: bool = False
    index: bool = False
    visible_if: Rule | None = None
    required_if: Rule | None = None
    renamed_from: str | None = None
    system: str | None = None
    custom: bool = False  # added by the tenant, not in the base entity
    origins: Mapping[str, Source] = field(default_factory=dict)

    @property
    def stored(self) -> bool:
        """Whether the field is a column of its own (lines live in the child table)."""
        return self.lines is None and self.system is None

    @cached_property
    def type(self) -> InputType:
        """The field's input type (looked up once)."""
        return TYPES[self.input_type]


@dataclass(frozen=True)
class GroupSpec:
    """A field group of a form: code, label, place and layout."""

    code: str
    label: str
    order: int
    layout: str = "section"
    origins: Mapping[str, Source] = field(default_factory=dict)
    collapsed: bool = False  # shown closed until opened (or until it holds an error)


@dataclass(frozen=True)
class Numbering:
    """The field an entity numbers and the pattern of its numbers."""

    field: str
    pattern: str


@dataclass(frozen=True)
class State:
    """One state of a record and the fields it locks."""

    name: str
    label: str
    locked: tuple[str, ...] | str = ()  # field names, or "all"


@dataclass(frozen=True)
class Action:
    """A named move from some states to another."""

    name: str
    label: str
    sources: tuple[str, ...]
    target: str
    confirm: str | None = None  # what its confirmation page says; None: no words of its own


@dataclass(frozen=True)
class Statuses:
    """An entity's states, its first state and the actions between them."""

    initial: str
    states: Mapping[str, State]
    actions: Mapping[str, Action]


@dataclass(frozen=True)
class EntitySpec:
    """One entity as the tenant sees it: its fields (lines fields included), groups,
    and the switches that shape its records (numbering, statuses, delete rule)."""

    name: str
    label: str
    plural: str
    fields: tuple[FieldSpec, ...]
    groups: Mapping[str, GroupSpec]
    title_field: str | None = None
    numbering: Numbering | None = None
    statuses: Statuses | None = None
    delete: str = "when_unreferenced"
    unique_together: tuple[tuple[str, ...], ...] = ()
    custom: bool = False  # an entity of the tenant's own
    origins: Mapping[str, Source] = field(default_factory=dict)

    def field(self, name: str) -> FieldSpec:
        """The entity's field called `name`."""
        return next(f for f in self.fields if f.name == name)

    @cached_property
    def system_columns(self) -> tuple[str, ...]:
        """The engine's own columns of this entity, in table order (worked out once)."""
        return system_columns_of(bool(self.statuses), self.delete)


@dataclass(frozen=True)
class TenantSpec:
    """One tenant: its entities as it sees them, its settings, its locality (the locale,
    time zone and currency its pages show values in) and its texts in other languages."""

    name: str
    label: str
    settings: Mapping[str, Any]
    entities: Mapping[str, EntitySpec]
    origins: Mapping[str, Source] = field(default_factory=dict)
    locality: Locality = ENGLISH_UTC
    translations: Translations | None = None  # None: only the metadata's own texts
