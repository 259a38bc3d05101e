"""A record's history as people read it: newest first, each field by its label, values
with option labels and linked titles (in HTML, moments in <time>), and each line a write
added, changed or removed."""

from __future__ import annotations

from typing import Any

from engine.records.target import Target
from webui.display import display_html, locality

_LINE_ACTIONS = {"create": "added", "update": "changed", "delete": "removed"}


def readable_history(
    target: Target, history: list[dict], record: dict[str, Any] | None = None
) -> list[dict]:
    """Newest first, each change as people read it, and when, on the tenant's clock; an
    amount in the currency the `record` names (see display.amounts_in)."""
    place = locality(target)
    return [
        {
            **entry,
            "when": place.moment(entry["at"]),
            "datetime": place.iso_moment(entry["at"]),
            "changes": _changes(target, entry["changes"], record),
            "lines": _lines(target, entry.get("lines", {})),
        }
        for entry in reversed(history)
    ]


def history_values(history: list[dict]) -> list[dict]:
    """Every value the history shows, as records (lines' rows included) whose links a
    page reads at once: each entry's values before and after."""
    records = []
    for entry in history:
        for side in (0, 1):
            record = {name: pair[side] for name, pair in entry["changes"].items()}
            for name, lines in entry.get("lines", {}).items():
                record[name] = [
                    {field: pair[side] for field, pair in line["changes"].items()} for line in lines
                ]
            records.append(record)
    return records


def _changes(
    target: Target, changes: dict, record: dict[str, Any] | None = None
) -> list[tuple[str, str, str]]:
    return [_change(target, name, old, new, record) for name, (old, new) in changes.items()]


def _lines(target: Target, lines: dict[str, list[dict]]) -> list[dict]:
    """Each line a write touched: its lines field's label, what became of it, its title,
    and its field changes."""
    readable = []
    for name, entries in lines.items():
        line = target.spec.field(name)
        child = target.child(line)
        for entry in entries:
            title = entry.get("title") or f"{child.spec.label} {entry['id']}"
            readable.append(
                {
                    "label": line.label,
                    "action": _LINE_ACTIONS.get(entry["action"], entry["action"]),
                    "title": title,
                    "changes": _changes(child, entry["changes"]),
                }
            )
    return readable


def _change(
    target: Target, name: str, old: Any, new: Any, record: dict[str, Any] | None = None
) -> tuple[str, str, str]:
    """One change: the field's label, and the values with option labels and linked titles."""
    fields = {f.name: f for f in target.spec.fields if f.stored}
    if name in fields:
        spec = fields[name]
        old, new = display_html(target, spec, old, record), display_html(target, spec, new, record)
        return spec.label, old, new
    states = target.spec.statuses.states if target.spec.statuses else {}
    label = name.replace("_", " ").capitalize()
    return label, _state_or_text(states, old), _state_or_text(states, new)


def _state_or_text(states: dict, value: Any) -> str:
    if value in states:
        return states[value].label
    return "" if value is None else str(value)
