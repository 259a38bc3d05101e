"""The checks that need the merged view of a tenant: names, references, rules.

They run on resolve's drafts (plain properties with the Source of each), report
through a callback, and never raise: every problem of every entity is collected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.semantics.context import Context, Gaps
from engine.semantics.fields import (
    check_field,
    check_line,
    check_name,
    check_system_duplicates,
    check_system_field,
)
from engine.semantics.switches import check_switches

if TYPE_CHECKING:
    from engine.resolve import EntityDraft

__all__ = ["Context", "Gaps", "check_entity"]


def check_entity(entity: EntityDraft, context: Context) -> None:
    """Report every problem of one merged entity."""
    check_name(entity.name, entity.where, entity.name, context, what="entity")
    for name, field in entity.fields.items():
        if "system" in field.props:
            check_system_field(entity, name, field, context)
        else:
            check_field(entity, name, field, context)
    check_system_duplicates(entity, context)
    for name, line in entity.lines.items():
        check_line(entity, name, line, context)
    check_switches(entity, context)
