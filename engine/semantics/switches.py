"""Checks of an entity's switches: title field, unique sets, numbering and statuses."""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import TYPE_CHECKING

from engine.errors import did_you_mean
from engine.metaschema import SYSTEM_COLUMNS
from engine.semantics.context import Context, absent_column_advice, field_names, written_at
from engine.types import TYPES, canonical

if TYPE_CHECKING:
    from engine.resolve import EntityDraft

NUMBER_PLACEHOLDERS = ("seq", "year", "month", "day")


def check_switches(entity: EntityDraft, context: Context) -> None:
    """Every problem of the entity's title field, unique sets, numbering and statuses."""
    props, names = entity.props, field_names(entity)

    def unknown(field: str, path: str, key: str, *inner: str | int) -> None:
        if field in names:
            return
        advice = absent_column_advice(entity, field) if field in SYSTEM_COLUMNS else None
        message = (
            f"'{entity.name}' has no '{field}' column; {advice}"
            if advice
            else f"'{field}' is not a field of '{entity.name}'{did_you_mean(field, names)}"
        )
        context.report(written_at(entity, key, *inner), f"{entity.name}.{path}", message)

    if "title_field" in props:
        unknown(props["title_field"], "title_field", "title_field")
    for index, group in enumerate(props.get("unique_together", ())):
        for position, field in enumerate(group):
            unknown(field, "unique_together", "unique_together", index, position)
    if "numbering" in props:
        unknown(props["numbering"]["field"], "numbering.field", "numbering", "field")
        _check_numbered_field(entity, context)
        _check_numbering(entity, context)
    if "statuses" in props:
        _check_statuses(entity, unknown, context)


def _check_numbered_field(entity: EntityDraft, context: Context) -> None:
    """A number is text made from the pattern: only a field that takes any text holds it."""
    name = entity.props["numbering"]["field"]
    where, path = written_at(entity, "numbering", "field"), f"{entity.name}.numbering.field"
    field = entity.fields.get(name)
    if field is None or "system" in field.props:
        if name in field_names(entity):  # an unknown name is reported as such
            column = (
                f"shows the system column '{field.props['system']}'"
                if field
                else ("is a system column")
            )
            context.report(
                where,
                path,
                f"'{name}' {column}, which the engine fills; numbering fills a text field: "
                f"declare one in '{entity.name}' and number it",
            )
        return
    type_name = canonical(field.props.get("input_type", ""))
    if type_name is None or TYPES[type_name].free_text:
        return
    context.report(
        where,
        path,
        f"'{name}' has input_type {type_name} (written at {written_at(field, 'input_type')}), "
        f"but numbering fills it with text made from its pattern; make '{name}' a text "
        "field, or number a text field",
    )


def _check_numbering(entity: EntityDraft, context: Context) -> None:
    pattern = entity.props["numbering"]["pattern"]
    where, path = written_at(entity, "numbering", "pattern"), f"{entity.name}.numbering.pattern"
    try:
        parts = [p for p in string.Formatter().parse(pattern) if p[1] is not None]
    except ValueError as error:
        context.report(where, path, f"{pattern!r} is not a valid pattern: {error}")
        return
    sample = {"seq": 1, "year": 2024, "month": 1, "day": 1}
    seqs = 0
    for _, name, spec, _ in parts:
        if name.startswith("tenant."):
            key = name.removeprefix("tenant.")
            if context.settings is not None and key not in context.settings:
                context.report(
                    where,
                    path,
                    f"placeholder {{{name}}} needs the tenant setting '{key}', which tenant "
                    f"'{context.tenant}' does not have{did_you_mean(key, context.settings)}",
                )
            continue
        if name not in NUMBER_PLACEHOLDERS:
            known = ", ".join(f"{{{p}}}" for p in (*NUMBER_PLACEHOLDERS, "tenant.KEY"))
            context.report(
                where,
                path,
                f"unknown placeholder {{{name}}}; use {known}"
                f"{did_you_mean(name, NUMBER_PLACEHOLDERS)}",
            )
            continue
        seqs += name == "seq"
        try:
            format(sample[name], spec)
        except ValueError:
            context.report(where, path, f"{{{name}:{spec}}} is not a valid number format")
    if seqs != 1:
        context.report(where, path, "the pattern must contain {seq} exactly once")


def _check_statuses(entity: EntityDraft, unknown: Callable, context: Context) -> None:
    statuses = entity.props["statuses"]
    states = statuses["states"]

    def known_state(state: str, path: str, *at: str | int) -> None:
        if state not in states:
            context.report(
                written_at(entity, "statuses", *at),
                f"{entity.name}.statuses.{path}",
                f"unknown state '{state}'{did_you_mean(state, states)}",
            )

    known_state(statuses["initial"], "initial", "initial")
    for name, action in statuses.get("actions", {}).items():
        for index, state in enumerate(action["from"]):
            known_state(state, f"actions.{name}.from", "actions", name, "from", index)
        known_state(action["to"], f"actions.{name}.to", "actions", name, "to")
    for name, state in states.items():
        if isinstance(state.get("locked"), list):
            for index, field in enumerate(state["locked"]):
                at = ("statuses", "states", name, "locked", index)
                unknown(field, f"statuses.states.{name}.locked", *at)
