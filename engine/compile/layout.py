"""Compile an entity into a form layout: groups in order, fields by sequence, a widget each.

The layout is plain data, so templates and tests read it alike. A constraint
declared once in YAML shows up here as the HTML attribute that enforces it in the
browser, as it shows up in the JSON Schema and the database column.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.spec import EntitySpec, FieldSpec


def html_attributes(field: FieldSpec) -> dict[str, Any]:
    """The HTML attributes that state the field's constraints, as its type writes them."""
    return field.type.html_attributes(field)


def field_entry(field: FieldSpec) -> dict[str, Any]:
    """The layout entry of one field: what its widget macro renders it from."""
    entry: dict[str, Any] = {
        "name": field.name,
        "label": field.label,
        "input_type": field.input_type,
        "widget": field.type.widget,
        "required": field.required,
        "read_only": field.read_only,
        "set_once": field.set_once,
        "help": field.help,
        "attrs": html_attributes(field),
    }
    if field.options:
        entry["options"] = [{"value": o.value, "label": o.label} for o in field.options]
    if field.lookup:
        entry["lookup"] = {
            "entity": field.lookup.entity,
            "show": field.lookup.show,
            "fetch": dict(field.lookup.fetch),
        }
    if field.lines:
        entry["lines"] = {"entity": field.lines.entity, "link": field.lines.link}
    for key in ("visible_if", "required_if"):
        rule = getattr(field, key)
        if rule:
            entry[key] = rule.tree
    return entry


def _numbered(entry: dict[str, Any]) -> dict[str, Any]:
    """A numbering field may be left empty: the next number fills it."""
    attrs = {k: v for k, v in entry["attrs"].items() if k != "required"}
    hint = "A new record left without one gets the next number."  # true on edit forms too
    help_text = f"{entry['help']} {hint}" if entry["help"] else hint
    return {**entry, "required": False, "attrs": attrs, "help": help_text}


def form_fields(entity: EntitySpec) -> list[FieldSpec]:
    """The fields the form shows, in the form's order: by group, then by sequence."""
    groups = sorted(entity.groups.values(), key=lambda g: (g.order, g.code))
    shown = _by_sequence(entity)
    return [f for group in groups for f in shown if f.group == group.code]


def _by_sequence(entity: EntitySpec) -> list[FieldSpec]:
    positions = {field.name: index for index, field in enumerate(entity.fields)}
    return sorted(
        (f for f in entity.fields if not f.hidden),
        key=lambda f: (f.sequence, positions[f.name]),
    )


def _number_tab_sets(groups: list[dict[str, Any]]) -> None:
    """Give each tab group the number of its tab set: tabs next to each other in the order
    share one strip of tabs, shown where the first of them stands; a section between two
    tabs ends a set. Sections get None. (One strip for every tab of the form would lift
    the tabs that follow a section above it.)"""
    number, in_set = 0, False
    for group in groups:
        is_tab = group["layout"] == "tab"
        number += is_tab and not in_set
        group["tab_set"] = number if is_tab else None
        in_set = is_tab


def build_layout(
    entity: EntitySpec, entry_of: Callable[[FieldSpec], dict[str, Any]] = field_entry
) -> dict[str, Any]:
    """The form of an entity: its groups in order, each with its visible fields by sequence,
    and for a tab the tab set it belongs to. `entry_of` gives a field's layout entry (one
    kept for each field spec, say, where tenants share them)."""
    shown = _by_sequence(entity)
    groups = sorted(entity.groups.values(), key=lambda g: (g.order, g.code))
    numbered = entity.numbering.field if entity.numbering else None
    layout_groups = []
    for group in groups:
        fields = [
            _numbered(entry_of(f)) if f.name == numbered else entry_of(f)
            for f in shown
            if f.group == group.code
        ]
        if fields:
            layout_groups.append(
                {
                    "code": group.code,
                    "label": group.label,
                    # a collapsed group is a disclosure of its own, never one of a tab strip
                    "layout": "section" if group.collapsed else group.layout,
                    "collapsed": group.collapsed,
                    "fields": fields,
                }
            )
    _number_tab_sets(layout_groups)
    return {
        "entity": entity.name,
        "label": entity.label,
        "plural": entity.plural,
        "title_field": entity.title_field,
        "groups": layout_groups,
    }
