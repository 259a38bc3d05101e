"""The checks that need the merged view of a tenant: names, references, rules.

They run on resolve's drafts (plain properties with the Source of each), report
through a callback, and never raise: every problem of every entity is collected.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import jsonschema
import jsonschema_rs

from engine import conditions
from engine.errors import Source, did_you_mean
from engine.metaschema import PRESENTATION_KEYS, SYSTEM_COLUMNS
from engine.types import CHOICE_KEYS, NUMBER_KEYS, TEXT_KEYS, TYPES, canonical

if TYPE_CHECKING:
    from engine.resolve import Draft, EntityDraft

SQL_RESERVED = frozenset(
    """
    all alter analyse analyze and any array as asc asymmetric authorization begin between
    binary both case cast check collate column commit constraint create cross current_date
    current_time current_timestamp current_user database default deferrable delete desc
    distinct do drop else end except exists false fetch for foreign from full function grant
    group having in index initially inner insert intersect into is join key lateral leading
    left like limit localtime localtimestamp natural not null offset on only or order outer
    placing primary procedure references returning revoke right rollback schema select
    session_user set some symmetric table then to trailing transaction trigger true union
    unique update user using values variadic verbose view when where window with
""".split()
)
FIELD_KEYS_REQUIRED = ("sequence", "label", "input_type", "group")
LINE_KEYS_REQUIRED = ("entity", "link", "label", "sequence", "group")
NUMBER_PLACEHOLDERS = ("seq", "year", "month", "day")
_KEY_OWNERS = {
    **{key: "text, textarea, email, phone and url" for key in TEXT_KEYS},
    **{key: "integer, decimal, currency and percent" for key in NUMBER_KEYS},
    "precision": "decimal, currency and percent",
    **{key: "select and multiselect" for key in CHOICE_KEYS},
    "lookup": "lookup",
}


@dataclass
class Context:
    """What an entity's checks may look at: every entity of the tenant, its settings."""

    drafts: dict[str, EntityDraft]
    tenant: str
    settings: dict | None  # None when checking the base on its own
    report: Callable[[Source, str, str], None]
    # names whose files failed the schema: reported there, not again as unknown here
    broken_entities: frozenset[str] = frozenset()
    groups_broken: bool = False


def check_entity(entity: EntityDraft, context: Context) -> None:
    """Report every problem of one merged entity."""
    _check_name(entity.name, entity.where, entity.name, context, what="entity")
    for name, field in entity.fields.items():
        if "system" in field.props:
            _check_system_field(entity, name, field, context)
        else:
            _check_field(entity, name, field, context)
    _check_system_duplicates(entity, context)
    for name, line in entity.lines.items():
        _check_line(entity, name, line, context)
    _check_entity_switches(entity, context)


def _where(draft: Draft, key: str, *inner: str | int) -> Source:
    return draft.where_of(key, *inner)


def _check_name(name: str, where: Source, path: str, context: Context, what: str) -> None:
    if name in SQL_RESERVED:
        context.report(where, path, f"'{name}' is an SQL reserved word; choose another {what} name")


# fields


def _check_field(entity: EntityDraft, name: str, field: Draft, context: Context) -> None:
    path = f"{entity.name}.{name}"
    props = field.props
    _check_name(name, field.where, path, context, what="field")
    if name in SYSTEM_COLUMNS:
        context.report(
            field.where,
            path,
            f"'{name}' is a system column; to show it declare 'system: {name}', "
            "or choose another name",
        )
    missing = [key for key in FIELD_KEYS_REQUIRED if key not in props]
    for key in missing:
        context.report(field.where, path, f"missing required key '{key}'")
    if "group" in props:
        _check_group(entity, props["group"], _where(field, "group"), f"{path}.group", context)
    if "input_type" not in props:
        return
    type_name = canonical(props["input_type"])
    if type_name == "lines":
        context.report(
            _where(field, "input_type"),
            f"{path}.input_type",
            "a lines field is declared under the entity's lines: (entity, link, label, "
            "sequence, group), not under fields:",
        )
        return
    _check_type_keys(path, field, type_name, context)
    if type_name == "lookup" and "lookup" in props:
        _check_lookup(entity, path, field, context)
    if "pattern" in props:
        _check_pattern(path, field, context)
    _check_bounds(path, field, context)
    for key in ("visible_if", "required_if"):
        if key in props:
            _check_condition(entity, path, field, key, context)
    if "renamed_from" in props and props["renamed_from"] in entity.fields:
        context.report(
            _where(field, "renamed_from"),
            f"{path}.renamed_from",
            f"'{props['renamed_from']}' is still a field of '{entity.name}'; "
            "a field can only be renamed from a name no longer in use",
        )
    if "default" in props and not missing:
        _check_default(path, field, type_name, context)


def _check_group(
    entity: EntityDraft, code: str, where: Source, path: str, context: Context
) -> None:
    if code not in entity.groups and not context.groups_broken:
        hint = did_you_mean(code, entity.groups)
        context.report(
            where,
            path,
            f"unknown group '{code}'{hint}; groups are declared in "
            "groups.yaml, the entity's groups: or the tenant's groups:",
        )


def _check_type_keys(path: str, field: Draft, type_name: str, context: Context) -> None:
    row = TYPES[type_name]
    for key, owners in _KEY_OWNERS.items():
        if key in field.props and key not in row.keys:
            context.report(
                _where(field, key),
                f"{path}.{key}",
                f"'{key}' applies to {owners} fields, not to {type_name}",
            )
    if row.keys & CHOICE_KEYS and "options" not in field.props:
        context.report(
            _where(field, "input_type"),
            path,
            f"a {type_name} field needs options: the values to choose from",
        )
    if type_name == "lookup" and "lookup" not in field.props:
        context.report(
            _where(field, "input_type"),
            path,
            "a lookup field needs lookup: {entity: …}, the entity it points at",
        )
    values = [o["value"] if isinstance(o, dict) else o for o in field.props.get("options", ())]
    for value in {v for v in values if values.count(v) > 1}:
        context.report(
            _where(field, "options"), f"{path}.options", f"option {value!r} is listed twice"
        )


def _system_columns(entity: EntityDraft) -> set[str]:
    present = {c for c in SYSTEM_COLUMNS if _absent_column_advice(entity, c) is None}
    return present


def _absent_column_advice(entity: EntityDraft, column: str) -> str | None:
    """Why an entity lacks a system column and how to get it, or None if it has it."""
    if column == "status" and "statuses" not in entity.props:
        return "declare statuses: to have one"
    delete = entity.props.get("delete")
    if column == "active" and delete != "never":
        return "set delete: never to have one"
    if column == "deleted" and delete != "soft":
        return "set delete: soft to have one"
    return None


def _field_names(entity: EntityDraft) -> set[str]:
    return {*entity.fields, *_system_columns(entity)}


def _check_lookup(entity: EntityDraft, path: str, field: Draft, context: Context) -> None:
    lookup = field.props["lookup"]
    target = context.drafts.get(lookup["entity"])
    if target is None:
        if lookup["entity"] not in context.broken_entities:
            hint = did_you_mean(lookup["entity"], context.drafts)
            context.report(
                _where(field, "lookup", "entity"),
                f"{path}.lookup.entity",
                f"lookup to unknown entity '{lookup['entity']}'{hint}",
            )
        return
    targets = _field_names(target)
    if "show" in lookup and lookup["show"] not in targets:
        context.report(
            _where(field, "lookup", "show"),
            f"{path}.lookup.show",
            f"'{target.name}' has no field "
            f"'{lookup['show']}' to show{did_you_mean(lookup['show'], targets)}",
        )
    for mine, theirs in lookup.get("fetch", {}).items():
        if mine not in entity.fields:
            context.report(
                _where(field, "lookup", "fetch", mine),
                f"{path}.lookup.fetch.{mine}",
                f"'{entity.name}' has no field '{mine}' to fill{did_you_mean(mine, entity.fields)}",
            )
        if theirs not in targets:
            context.report(
                _where(field, "lookup", "fetch", mine),
                f"{path}.lookup.fetch.{mine}",
                f"'{target.name}' has no field '{theirs}' to fetch{did_you_mean(theirs, targets)}",
            )


def _check_pattern(path: str, field: Draft, context: Context) -> None:
    pattern = field.props["pattern"]
    try:
        re.compile(pattern)
        jsonschema_rs.validator_for({"pattern": pattern})
    except (re.error, ValueError) as error:
        reason = error.msg if isinstance(error, re.error) else str(error).splitlines()[0]
        context.report(
            _where(field, "pattern"),
            f"{path}.pattern",
            f"{pattern!r} is not a valid regular expression: {reason}",
        )


def _check_bounds(path: str, field: Draft, context: Context) -> None:
    for low, high in (("min", "max"), ("min_length", "max_length")):
        lo, hi = field.props.get(low), field.props.get(high)
        if lo is not None and hi is not None and lo > hi:
            context.report(
                _where(field, low), f"{path}.{low}", f"{low} ({lo}) is greater than {high} ({hi})"
            )


def _check_condition(
    entity: EntityDraft, path: str, field: Draft, key: str, context: Context
) -> None:
    where = _where(field, key)
    try:
        tree = conditions.parse(field.props[key])
    except conditions.ConditionError as error:
        context.report(where, f"{path}.{key}", f"invalid condition: {error}")
        return
    for name in sorted(conditions.fields_of(tree) - set(entity.fields)):
        hint = did_you_mean(name, entity.fields)
        context.report(
            where,
            f"{path}.{key}",
            f"the condition names '{name}', which is not a field of '{entity.name}'{hint}",
        )


def _check_default(path: str, field: Draft, type_name: str, context: Context) -> None:
    row = TYPES[type_name]
    if type_name == "lines":
        return
    props = field.props
    shape = SimpleNamespace(
        name=path,
        options=tuple(_option_value(o) for o in props.get("options", ())),
        min=props.get("min"),
        max=props.get("max"),
        min_length=props.get("min_length"),
        max_length=props.get("max_length", row.default_max_length),
        pattern=props.get("pattern"),
        precision=props.get("precision", row.default_precision),
    )
    try:
        schema = row.schema(shape)
        errors = list(
            jsonschema.Draft202012Validator(
                schema, format_checker=jsonschema.FormatChecker()
            ).iter_errors(props["default"])
        )
    except (jsonschema.exceptions.SchemaError, re.error):
        return  # the broken pattern or bound is reported on its own
    if errors:
        context.report(
            _where(field, "default"),
            f"{path}.default",
            f"default {props['default']!r} is not valid for this {type_name} field: "
            f"it must be {row.expects}{_first_limit(errors)}",
        )


def _first_limit(errors: list) -> str:
    error = errors[0]
    if error.validator in ("type", "enum", "format", "const"):
        return ""
    return f" ({error.validator} {error.validator_value!r})"


def _option_value(option: Any) -> SimpleNamespace:
    return SimpleNamespace(value=option["value"] if isinstance(option, dict) else option)


# system fields, lines and entity switches


def _check_system_field(entity: EntityDraft, name: str, field: Draft, context: Context) -> None:
    path = f"{entity.name}.{name}"
    column = field.props["system"]
    for key in field.props:
        if key not in PRESENTATION_KEYS:
            context.report(
                _where(field, key),
                f"{path}.{key}",
                f"'{key}' cannot be set on system column '{column}': its type and "
                f"rules are the engine's; only {', '.join(PRESENTATION_KEYS[2:])} "
                "can be",
            )
    for key in ("sequence", "label", "group"):
        if key not in field.props:
            context.report(field.where, path, f"missing required key '{key}'")
    if "group" in field.props:
        _check_group(entity, field.props["group"], _where(field, "group"), f"{path}.group", context)
    needs = {
        "status": ("statuses", "declare statuses:"),
        "active": ("delete", "set delete: never"),
        "deleted": ("delete", "set delete: soft"),
    }
    wanted = {"status": None, "active": "never", "deleted": "soft"}
    if column in needs:
        key, advice = needs[column]
        value = entity.props.get(key)
        if value is None or (wanted[column] is not None and value != wanted[column]):
            context.report(
                _where(field, "system"),
                f"{path}.system",
                f"'{entity.name}' has no '{column}' column; {advice} to have one",
            )


def _check_system_duplicates(entity: EntityDraft, context: Context) -> None:
    seen: dict[str, str] = {}
    for name, field in entity.fields.items():
        column = field.props.get("system")
        if column in seen:
            context.report(
                _where(field, "system"),
                f"{entity.name}.{name}.system",
                f"system column '{column}' is already shown by '{seen[column]}'",
            )
        elif column:
            seen[column] = name


def _check_line(entity: EntityDraft, name: str, line: Draft, context: Context) -> None:
    path = f"{entity.name}.lines.{name}"
    props = line.props
    _check_name(name, line.where, path, context, what="line")
    for key in LINE_KEYS_REQUIRED:
        if key not in props:
            context.report(line.where, path, f"missing required key '{key}'")
    if name in entity.fields:
        context.report(line.where, path, f"'{name}' is already a field of '{entity.name}'")
    if "group" in props:
        _check_group(entity, props["group"], _where(line, "group"), f"{path}.group", context)
    child = context.drafts.get(props.get("entity"))
    if "entity" in props and child is None and props["entity"] not in context.broken_entities:
        hint = did_you_mean(props["entity"], context.drafts)
        context.report(
            _where(line, "entity"),
            f"{path}.entity",
            f"lines of unknown entity '{props['entity']}'{hint}",
        )
    if child is None or "link" not in props:
        return
    links = [n for n, f in child.fields.items() if _lookup_target(f) == entity.name]
    if props["link"] not in links:
        hint = f" (did you mean '{links[0]}'?)" if len(links) == 1 else ""
        context.report(
            _where(line, "link"),
            f"{path}.link",
            f"link '{props['link']}' must be a lookup field of '{child.name}' "
            f"pointing at '{entity.name}'{hint}",
        )


def _lookup_target(field: Draft) -> str | None:
    lookup = field.props.get("lookup")
    return lookup.get("entity") if isinstance(lookup, dict) else None


def _check_entity_switches(entity: EntityDraft, context: Context) -> None:
    props, names = entity.props, _field_names(entity)

    def unknown(field: str, path: str, key: str, *inner: str | int) -> None:
        if field in names:
            return
        advice = _absent_column_advice(entity, field) if field in SYSTEM_COLUMNS else None
        message = (
            f"'{entity.name}' has no '{field}' column; {advice}"
            if advice
            else f"'{field}' is not a field of '{entity.name}'{did_you_mean(field, names)}"
        )
        context.report(_where(entity, key, *inner), f"{entity.name}.{path}", message)

    if "title_field" in props:
        unknown(props["title_field"], "title_field", "title_field")
    for index, group in enumerate(props.get("unique_together", ())):
        for position, field in enumerate(group):
            unknown(field, "unique_together", "unique_together", index, position)
    if "numbering" in props:
        unknown(props["numbering"]["field"], "numbering.field", "numbering", "field")
        _check_numbering(entity, context)
    if "statuses" in props:
        _check_statuses(entity, unknown, context)


def _check_numbering(entity: EntityDraft, context: Context) -> None:
    pattern = entity.props["numbering"]["pattern"]
    where, path = _where(entity, "numbering", "pattern"), f"{entity.name}.numbering.pattern"
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
                _where(entity, "statuses", *at),
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
