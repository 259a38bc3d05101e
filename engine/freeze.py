"""Freeze resolve's drafts into the immutable specs the compilers read.

Only a tenant whose drafts passed every check is frozen, so nothing here reports: a
value is where the checks made sure it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine import conditions
from engine.spec import (
    Action,
    EntitySpec,
    FieldSpec,
    GroupSpec,
    Lines,
    Lookup,
    Numbering,
    Option,
    Rule,
    State,
    Statuses,
)
from engine.types import SYSTEM_COLUMNS, TYPES, canonical

if TYPE_CHECKING:
    from engine.resolve import Draft, EntityDraft


def freeze_entity(draft: EntityDraft, drafts: dict[str, EntityDraft]) -> EntitySpec:
    """The spec of one merged entity; `drafts` are the tenant's others, for lookups."""
    props = draft.props
    fields = [_freeze_field(f, n, draft, drafts) for n, f in draft.fields.items()]
    fields += [_freeze_lines(n, line) for n, line in draft.lines.items()]
    groups = {
        code: GroupSpec(
            code,
            g.props["label"],
            g.props["order"],
            g.props.get("layout", "section"),
            g.origins,
            g.props.get("collapsed", False),
        )
        for code, g in draft.groups.items()
    }
    numbering = props.get("numbering")
    return EntitySpec(
        name=draft.name,
        label=props["label"],
        plural=props["plural"],
        fields=tuple(fields),
        groups=groups,
        title_field=props.get("title_field"),
        numbering=Numbering(**numbering) if numbering else None,
        statuses=_freeze_statuses(props.get("statuses")),
        delete=props.get("delete", "when_unreferenced"),
        unique_together=tuple(tuple(names) for names in props.get("unique_together", ())),
        custom=draft.custom,
        origins={
            **draft.origins,
            "entity": draft.where,  # where the entity was declared
            **({"customized": draft.customized} if draft.customized else {}),
        },
    )


def _freeze_statuses(values: dict | None) -> Statuses | None:
    if not values:
        return None
    states = {
        name: State(name, state["label"], _locked(state.get("locked", ())))
        for name, state in values["states"].items()
    }
    actions = {
        name: Action(
            name,
            action.get("label", name.replace("_", " ").capitalize()),
            tuple(action["from"]),
            action["to"],
            action.get("confirm"),
        )
        for name, action in values.get("actions", {}).items()
    }
    return Statuses(values["initial"], states, actions)


def _locked(value: list | str) -> tuple[str, ...] | str:
    return value if value == "all" else tuple(value)


def _freeze_lines(name: str, line: Draft) -> FieldSpec:
    props = line.props
    return FieldSpec(
        name=name,
        sequence=props["sequence"],
        label=props["label"],
        input_type="lines",
        group=props["group"],
        hidden=props.get("hidden", False),
        origins=line.origins,
        lines=Lines(
            props["entity"],
            props["link"],
            props.get("min_rows"),
            props.get("max_rows"),
            tuple(props.get("columns", ())),
            props.get("order"),
        ),
    )


def _freeze_field(
    draft: Draft, name: str, entity: EntityDraft, drafts: dict[str, EntityDraft]
) -> FieldSpec:
    props = dict(draft.props)
    props.pop("name", None)
    if "system" in props:
        props["input_type"] = SYSTEM_COLUMNS[props["system"]].type.name
        props["read_only"] = True
        if props["system"] == "status":
            states = entity.props["statuses"]["states"]
            props["options"] = [{"value": k, "label": v["label"]} for k, v in states.items()]
    if props.get("view"):  # what a lookup fetches is never typed by people
        props["read_only"] = True
    row = TYPES[canonical(props["input_type"])]
    props["input_type"] = row.name
    props.setdefault("max_length", row.default_max_length)
    props.setdefault("precision", row.default_precision)
    props["options"] = tuple(_option(o) for o in props.get("options", ()))
    if "lookup" in props:
        props["lookup"] = _lookup(props["lookup"], drafts)
    for key in ("visible_if", "required_if"):
        if key in props:
            props[key] = Rule(props[key], conditions.parse(props[key]))
    return FieldSpec(name=name, custom=draft.custom, origins=draft.origins, **props)


def _option(value: Any) -> Option:
    if isinstance(value, dict):
        return Option(value["value"], value.get("label", str(value["value"])))
    return Option(value, str(value))


def _lookup(values: dict, drafts: dict[str, EntityDraft]) -> Lookup:
    target = drafts[values["entity"]]
    show = values.get("show") or target.props.get("title_field") or "id"
    return Lookup(values["entity"], show, dict(values.get("fetch", {})))
