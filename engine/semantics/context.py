"""What the checks of the merged view share: their context and an entity's columns."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.errors import Source
from engine.metaschema import SYSTEM_COLUMNS

if TYPE_CHECKING:
    from engine.resolve import Draft, EntityDraft


@dataclass(frozen=True)
class Gaps:
    """What files that cannot be used (unreadable, failing the schema, misplaced) might
    have declared for this view. A reference to it only follows from the file's own
    problem, which is reported there: the checks do not report it again."""

    entities: frozenset[str] = frozenset()  # declared, or changed, by such a file
    groups: bool = False  # a file declaring groups for every entity is among them
    settings: bool = False  # the tenant's tenant.yaml is among them

    def __or__(self, other: Gaps) -> Gaps:
        return Gaps(
            self.entities | other.entities,
            self.groups or other.groups,
            self.settings or other.settings,
        )


@dataclass
class Context:
    """What an entity's checks may look at: every entity of the tenant, its settings."""

    drafts: dict[str, EntityDraft]
    tenant: str
    settings: dict | None  # None when checking the base on its own
    report: Callable[[Source, str, str], None]
    gaps: Gaps = Gaps()


def written_at(draft: Draft, key: str, *inner: str | int) -> Source:
    """Where a property of a draft, or a key nested inside it, was written."""
    return draft.where_of(key, *inner)


def system_columns(entity: EntityDraft) -> frozenset[str]:
    """The system columns the entity has."""
    has_statuses, delete = "statuses" in entity.props, entity.props.get("delete")
    try:  # asked for each reference to a field: worked out once per kind of entity
        return present_columns(has_statuses, delete)
    except TypeError:  # a `delete` the schema refuses (a list, a mapping), reported there
        return present_columns.__wrapped__(has_statuses, delete)


@functools.lru_cache(maxsize=64)
def present_columns(has_statuses: bool, delete: str | None) -> frozenset[str]:
    """The system columns of an entity with (or without) statuses and this delete rule;
    cached (present_columns.__wrapped__ is the plain function, its oracle in tests)."""
    return frozenset(
        c for c, system in SYSTEM_COLUMNS.items() if system.present(has_statuses, delete)
    )


def absent_column_advice(entity: EntityDraft, column: str) -> str | None:
    """Why an entity lacks a system column and how to get it, or None if it has it."""
    system = SYSTEM_COLUMNS[column]
    if system.present("statuses" in entity.props, entity.props.get("delete")):
        return None
    return system.advice


def field_names(entity: EntityDraft) -> set[str]:
    """The names a reference to the entity's fields may use: its fields and columns."""
    return {*entity.fields, *system_columns(entity)}
