"""What an action that ends a record's life will do, said before the person confirms it.

Deleting, deactivating and every status action whose target state locks the whole
record cannot be taken back from the record's page, so each asks first on a page of its
own (as Django admin's delete confirmation does): the record by its title, what will
happen, the lines that go with a delete, and, when the action would be refused, why.
Which actions ask follows from the metadata alone. After an action, the notice names the
record and what happened to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.errors import Conflict
from engine.records.removal import refuse_if_referenced
from engine.records.target import Target
from webui.display import display
from webui.form_page import record_title

DELETE = "delete"
ACTIVITY = {"activate": ("Activate", "activated"), "deactivate": ("Deactivate", "deactivated")}


@dataclass
class Consequences:
    """What a confirmation page says of one action on one record."""

    action: str
    label: str  # the action's button text: Delete, Cancel, Deactivate
    title: str  # the record as people name it: "Customer CUST-00012"
    effects: list[str] = field(default_factory=list)
    lines: list[dict] = field(default_factory=list)  # {"label", "titles"} per lines field
    refusal: str | None = None  # why the action would be refused; None: it can go ahead


def named(target: Target, record: dict) -> str:
    """How a notice or a question names a record: its entity and its title, a linked
    record's title where the title field is a lookup (never a bare id), or its id."""
    title_field = target.spec.title_field
    value = record.get(title_field) if title_field else None
    if value in (None, ""):
        return record_title(target, record)
    return f"{target.spec.label} {display(target, target.spec.field(title_field), value)}"


def _line_named(child: Target, row: dict, position: int, link: str) -> str:
    """A line by its title, or, for lines without one, by its place and its first values
    ("Branch 2: Linz, 4"), never by a bare id."""
    title_field = child.spec.title_field
    if title_field and row.get(title_field) not in (None, ""):
        return named(child, row)
    shown = [f for f in child.spec.fields if f.stored and not f.hidden and f.name != link]
    values = [
        display(child, f, row.get(f.name)) for f in shown if row.get(f.name) not in (None, "")
    ]
    listed = f": {', '.join(values[:3])}" if values else ""
    return f"{child.spec.label} {position}{listed}"


def needs_confirmation(target: Target, action: str) -> bool:
    """Whether the action asks first: a delete, a deactivation, a status action into a
    state where no field can change any more (`locked: all`), or one whose metadata
    declares `confirm:` text."""
    if action in (DELETE, "deactivate"):
        return True
    statuses = target.spec.statuses
    if statuses is None or action not in statuses.actions:
        return False
    declared = statuses.actions[action]
    return declared.confirm is not None or statuses.states[declared.target].locked == "all"


def action_label(target: Target, action: str) -> str | None:
    """The action's button text, or None when the entity has no such action."""
    if action == DELETE:  # where the entity is never deleted, its page says so
        return "Delete"
    statuses = target.spec.statuses  # a status action may be called deactivate too
    if statuses and action in statuses.actions:
        return statuses.actions[action].label
    if action in ACTIVITY:
        return ACTIVITY[action][0] if target.spec.delete == "never" else None
    return None


def consequences(target: Target, record: dict, action: str, available: list[str]) -> Consequences:
    """What the action will do to `record` (read with its lines), and why it would be
    refused when it would; `available` names the actions the record's page offers now."""
    title = named(target, record)
    label = action_label(target, action) or action
    found = Consequences(action, label, title)
    if action == DELETE:
        _delete_consequences(target, record, found)
    elif action not in available:
        found.refusal = f"{label} is not possible for {title} as it is now."
    elif action == "deactivate" and not _is_status_action(target, action):
        found.effects.append(
            f"{title} will be marked inactive: it can no longer be chosen where "
            f"{target.spec.plural} are looked up. It can be activated again later."
        )
    else:
        found.effects += _status_effects(target, action, title)
    return found


def _status_effects(target: Target, action: str, title: str) -> list[str]:
    """What a status action does: its metadata's `confirm` text, the state it leads to,
    and, for a state locked whole, that nothing can change after it, unless another action
    undoes it."""
    statuses = target.spec.statuses
    declared = statuses.actions[action]
    state = statuses.states[declared.target]
    said = [declared.confirm] if declared.confirm else []
    if state.locked != "all":
        return [*said, f"The status of {title} becomes {state.label}."]
    back = [a.label for a in statuses.actions.values() if state.name in a.sources]
    undo = f"{' or '.join(back)} can undo it" if back else "this cannot be undone"
    return [
        *said,
        f"The status of {title} becomes {state.label}. After that, none of its fields "
        f"can be changed; {undo}.",
    ]


def _is_status_action(target: Target, action: str) -> bool:
    return bool(target.spec.statuses and action in target.spec.statuses.actions)


def _delete_consequences(target: Target, record: dict, found: Consequences) -> None:
    spec = target.spec
    if spec.delete == "never":
        found.refusal = f"{spec.plural} are never deleted; deactivate {found.title} instead."
        return
    try:
        refuse_if_referenced(target, record["id"])
    except Conflict as error:
        found.refusal = f"{error}."
        return
    found.effects.append(f"{found.title} will be deleted. Its history is kept.")
    for line in target.lines():
        child = target.child(line)
        rows = record.get(line.name) or []
        if rows:
            titles = [_line_named(child, row, n, line.lines.link) for n, row in enumerate(rows, 1)]
            found.lines.append({"label": line.label, "titles": titles})
    if found.lines:
        found.effects.append("These lines are deleted with it:")


def done_notice(target: Target, record: dict, action: str) -> str | None:
    """The notice after `action` ran on `record` (as it is now): "Customer CUST-00012
    confirmed"; None when the record does not show that the action ran (a URL that says
    so on its own)."""
    title = named(target, record)
    statuses = target.spec.statuses
    if statuses is None or action not in statuses.actions:
        if action not in ACTIVITY or target.spec.delete != "never":
            return None
        ran = record.get("active") is (action == "activate")
        return f"{title} {ACTIVITY[action][1]}." if ran else None
    state = statuses.states[statuses.actions[action].target]
    if record.get("status") != state.name:
        return None
    return f"{title} {state.label[:1].lower()}{state.label[1:]}."
