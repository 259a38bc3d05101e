"""A record's lines, written with it: each added, changed or removed line gets its own
audit entry, and the record's entry names them all, so its history tells what became of
its lines (`{line field: [{id, action, title, changes}, ...]}`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import peewee

from engine.records import audit
from engine.records.checks import guarded_write
from engine.records.target import Target
from engine.records.values import fetched_from_id, jsonable, stored_values
from engine.records.writing import write_new

# removes one stored line of a record, as its entity's delete policy allows, and answers
# the line's audit changes
Remove = Callable[[Target, int, str], dict[str, list]]


def line_entry(child: Target, line_id: int, action: str, changes: dict, values: dict) -> dict:
    """What the record's audit entry says of one line."""
    entry: dict[str, Any] = {"id": line_id, "action": action}
    title = child.spec.title_field
    if title and values.get(title) is not None:
        entry["title"] = values[title]
    entry["changes"] = changes
    return entry


def write_lines(
    target: Target,
    parent_id: int,
    line_values: dict[str, list[dict]],
    current: dict[str, list[dict]],
    user: str,
    remove: Remove,
) -> dict[str, list[dict]]:
    """Insert, update and remove the record's lines of the lines fields given; answer the
    entries of the lines that changed, by lines field. New lines go in together, by the
    strategy their number calls for (engine.records.writing)."""
    written = {}
    for line in target.lines():
        if line.name not in line_values:
            continue
        child = target.child(line)
        from_id = fetched_from_id(target, child.spec.field(line.lines.link))
        stored = {old["id"]: old for old in current.get(line.name, [])}
        entries, kept, new, updated = [], set(), [], []
        for index, values in enumerate(line_values[line.name]):
            where = f"{line.name}[{index}]."
            values = {**values, line.lines.link: parent_id}
            if line.lines.order:  # the place it was given in, kept
                values[line.lines.order] = index + 1
            for mine in from_id:  # fetched from the parent's id, unknown until now
                if values.get(mine) is None:
                    values[mine] = parent_id
            line_id = values.pop("id", None)
            if line_id is None:
                new.append(values)
                continue
            kept.add(line_id)
            entry = update_line(child, line_id, stored[line_id], values, user, where)
            if entry:
                entries.append(entry)
                updated.append((line_id, entry["changes"]))
        # each changed line's own audit entry, all in one statement
        audit.record_audits(child.tenant, child.spec.name, "update", user, updated)
        for line_id, values in zip(write_new(child, new, user), new, strict=True):
            changes = audit.changes_between({}, jsonable(child, values))
            entries.append(line_entry(child, line_id, "create", changes, values))
        for old in current.get(line.name, []):
            if old["id"] not in kept:
                changes = remove(child, old["id"], user)
                entries.append(line_entry(child, old["id"], "delete", changes, old))
        if entries:
            written[line.name] = entries
    return written


def _stamp(user: str) -> dict[str, Any]:
    return {"last_updated_by": user, "last_update_date": audit.now()}


def update_line(
    child: Target, line_id: int, current: dict, values: dict, user: str, where: str
) -> dict | None:
    """Change a line where its values differ from `current` (the line as the save read
    it, a line of the record: the checks refuse any other id); answer its entry, or None
    if none did. The caller writes the line's own audit entry."""
    before = {field.name: current[field.name] for field in child.stored()}
    changes = audit.changes_between(before, {**before, **values})
    if not changes:
        return None
    stored = {**stored_values(child, {k: values[k] for k in changes}), **_stamp(user)}
    stored.update(child.search_words({**before, **values}, changes))
    guarded_write(
        child,
        where,
        lambda: (
            child.model.update(**stored, rev_number=child.model.rev_number + 1)
            .where(child.model.id == line_id)
            .execute()
        ),
    )
    return line_entry(child, line_id, "update", changes, {**before, **values})


def line_rows(
    child: Target, link: str, parent_id: int, order: str | None = None
) -> peewee.ModelSelect:
    """A record's stored lines of one lines field: by their `order` field where the lines
    declaration names one (lines stored before it had one first), then as they were
    added."""
    rows = child.live().where(child.column(link) == parent_id)
    if order is None:
        return rows.order_by(child.model.id)
    return rows.order_by(peewee.fn.COALESCE(child.column(order), 0), child.model.id)
