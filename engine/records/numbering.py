"""Numbers from an entity's pattern: gap-tolerant, never duplicated, across processes.

The counter is a row of the tenant's formwork_sequence table, bumped inside the
record's own transaction: the row lock serialises concurrent writers, and a
transaction that fails gives its number back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import peewee

from engine.registry import CompiledTenant
from engine.spec import Numbering


class _Settings:
    """`{tenant.license}` reads attributes; tenant settings are a mapping."""

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.__dict__.update(settings)


def next_number(tenant: CompiledTenant, entity: str, numbering: Numbering) -> str:
    """The next number of an entity, formatted by its pattern; call inside a transaction."""
    return next_numbers(tenant, entity, numbering, 1)[0]


def next_numbers(
    tenant: CompiledTenant, entity: str, numbering: Numbering, count: int
) -> list[str]:
    """The next `count` numbers of an entity, taken in one step (a bulk import's)."""
    if count == 0:
        return []
    sequence = tenant.system.sequence
    sequence.insert(entity=entity, value=0).on_conflict_ignore().execute()
    value = (
        sequence.update(value=sequence.value + count)
        .where(sequence.entity == entity)
        .returning(sequence.value)
        .execute()
    )
    last = _first_value(value)
    today = dt.date.today()
    settings = _Settings(tenant.spec.settings)
    fixed = {
        "tenant": settings,
        "year": today.year,
        "month": f"{today.month:02d}",
        "day": f"{today.day:02d}",
    }
    return [numbering.pattern.format(seq=seq, **fixed) for seq in range(last - count + 1, last + 1)]


def _first_value(result: Any) -> int:
    rows = list(result) if not isinstance(result, int) else []
    if not rows:
        raise peewee.DatabaseError("the sequence row could not be updated")
    row = rows[0]
    return row.value if hasattr(row, "value") else row[0]
