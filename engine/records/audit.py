"""The audit log: who changed which field from what to what, and when, for every write.

An entry's changes are JSON: {field: [old, new]}, and for each lines field whose lines
the write touched, {lines field: [{id, action, title, changes}, ...]}. A 'create' written
by a bulk import is compact instead: [layout id, value, ...], its values in the order of
the names its layout lists (None for no value), read back by `history` as
{field: [None, value]}.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import orjson

from engine.records import statements
from engine.registry import CompiledTenant


def now() -> dt.datetime:
    """The current instant as naive UTC, the way every timestamp is stored."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list]:
    """Per field whose value differs: [old, new]."""
    if not before:  # a new record: every value it has is a change
        return {name: [None, value] for name, value in after.items() if value is not None}
    names = dict.fromkeys([*before, *after])
    return {
        name: [before.get(name), after.get(name)]
        for name in names
        if before.get(name) != after.get(name)
    }


def record_audit(
    tenant: CompiledTenant, entity: str, record_id: int, action: str, user: str, changes: dict
) -> None:
    """Write one audit entry; call inside the write's transaction."""
    values = {
        "entity": entity,
        "record_id": record_id,
        "action": action,
        "username": user,
        "at": now(),
        "changes": changes_json(changes),
    }
    statements.insert(tenant.memo, tenant.system.audit, values)


def record_audits(
    tenant: CompiledTenant,
    entity: str,
    action: str,
    user: str,
    entries: Sequence[tuple[int, dict]],
) -> None:
    """Write one audit entry per (record id, changes), all in one statement; call inside
    the write's transaction."""
    if len(entries) < 2:
        for record_id, changes in entries:
            record_audit(tenant, entity, record_id, action, user, changes)
        return
    at = now()
    rows = [
        {"entity": entity, "record_id": record_id, "action": action, "username": user,
         "at": at, "changes": changes_json(changes)}
        for record_id, changes in entries
    ]  # fmt: skip
    tenant.system.audit.insert_many(rows).execute()


def changes_json(changes: dict[str, list]) -> str:
    """The JSON text an audit entry keeps: the values json.dumps(changes, default=str)
    writes (a value JSON has no form for, such as a timestamp, as its str()), compactly."""
    # orjson: many times the standard library's speed, on every write's path
    return orjson.dumps(changes, default=str, option=orjson.OPT_PASSTHROUGH_DATETIME).decode()


def layout(tenant: CompiledTenant, entity: str, names: Sequence[str]) -> int:
    """The id of the layout listing `names`, made if no entry used it before; call inside
    the write's transaction."""
    table = tenant.system.audit_layout
    text = json.dumps(list(names))
    found = table.select(table.id).where((table.entity == entity) & (table.names == text))
    known = found.scalar()
    return known if known is not None else table.insert(entity=entity, names=text).execute()


def history(
    tenant: CompiledTenant, entity: str, record_id: int, line_fields: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Every audit entry of a record, oldest first: its `changes` per field, and under
    `lines`, per lines field, each line the write added, changed or removed."""
    audit = tenant.system.audit
    rows = (
        audit.select()
        .where((audit.entity == entity) & (audit.record_id == record_id))
        .order_by(audit.id)
    )
    entries = []
    for row in rows:
        changes = _changes(tenant, json.loads(row.changes))
        lines = {name: changes.pop(name) for name in line_fields if name in changes}
        entries.append(
            {
                "action": row.action,
                "user": row.username,
                "at": row.at.replace(tzinfo=dt.UTC).isoformat(),
                "changes": changes,
                "lines": lines,
            }
        )
    return entries


def _changes(tenant: CompiledTenant, changes: dict | list) -> dict[str, list]:
    if isinstance(changes, dict):
        return changes
    table = tenant.system.audit_layout
    names = json.loads(table.select(table.names).where(table.id == changes[0]).scalar())
    pairs = zip(names, changes[1:], strict=True)
    return {name: [None, value] for name, value in pairs if value is not None}
