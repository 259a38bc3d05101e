"""Deleting a record with its lines, and what keeps it from being deleted.

A record's own lines are part of it: they go with it, in the same transaction and into
the audit, whatever their own entity's delete policy (a policy governs deleting a line
on its own). Only other records referring to the record, or to one of its lines, keep
it from being deleted, and the refusal names them by their labels.
"""

from __future__ import annotations

from typing import Any

from engine.errors import Conflict
from engine.records.lines import line_rows
from engine.records.target import Target


def parts(target: Target, record_id: int) -> dict[str, set[int]]:
    """The ids of the record and of its lines, by entity."""
    found = {target.spec.name: {record_id}}
    for line in target.lines():
        child = target.child(line)
        rows = line_rows(child, line.lines.link, record_id).select(child.model.id).tuples()
        found.setdefault(child.spec.name, set()).update(row_id for (row_id,) in rows)
    return found


def references(target: Target, record_id: int) -> list[dict[str, Any]]:
    """The records that refer to the record or to one of its lines, other than the record
    and its lines themselves: per entity and field, how many and the first ids."""
    owned = parts(target, record_id)
    found = []
    for other in target.tenant.entities.values():
        model = other.model
        mine = owned.get(other.spec.name, set())
        for field in other.spec.fields:
            wanted = owned.get(field.lookup.entity) if field.lookup and field.stored else None
            if not wanted:
                continue
            referrer = Target(target.tenant, other)
            query = referrer.live().select(model.id).where(referrer.column(field.name).in_(wanted))
            ids = [row_id for (row_id,) in query.tuples() if row_id not in mine]
            if ids:
                found.append(
                    {
                        "entity": other.spec.name,
                        "label": other.spec.plural if len(ids) > 1 else other.spec.label,
                        "field": field.name,
                        "field_label": field.label,
                        "count": len(ids),
                        "ids": ids[:10],
                    }
                )
    return found


def refuse_if_referenced(target: Target, record_id: int) -> None:
    """Conflict, naming each referring entity and field by its label, if any record other
    than the record's own lines refers to it or to one of its lines."""
    found = references(target, record_id)
    if found:
        listing = "; ".join(f"{r['count']} {r['label']} (by {r['field_label']})" for r in found)
        raise Conflict(
            f"{target.spec.label} {record_id} cannot be deleted: {listing} "
            f"{'refers' if len(found) == 1 and found[0]['count'] == 1 else 'refer'} to it",
            code="referenced",
            references=found,
        )
