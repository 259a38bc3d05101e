"""Checks of the merged view, field by field: names, types, references, defaults, lines."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import jsonschema
import jsonschema_rs

from engine import conditions
from engine.errors import Source, did_you_mean
from engine.metaschema import PRESENTATION_KEYS, SYSTEM_COLUMNS
from engine.semantics.context import Context, field_names, written_at
from engine.types import CHOICE_KEYS, NUMBER_KEYS, TEXT_KEYS, TYPES, canonical, owners

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


def _listed(names: list[str]) -> str:
    """Names as a sentence lists them: "a, b and c"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


# each constraint key, with the types that take it, as messages name them
_KEY_OWNERS = {
    key: _listed(owners(key))
    for key in (*TEXT_KEYS, *NUMBER_KEYS, "precision", "currency_field", *CHOICE_KEYS, "lookup")
}


def check_name(name: str, where: Source, path: str, context: Context, what: str) -> None:
    """Refuse an entity, field or line name that SQL reserves."""
    if name in SQL_RESERVED:
        context.report(where, path, f"'{name}' is an SQL reserved word; choose another {what} name")


# fields


def check_field(entity: EntityDraft, name: str, field: Draft, context: Context) -> None:
    """Every problem of one declared field."""
    path = f"{entity.name}.{name}"
    props = field.props
    check_name(name, field.where, path, context, what="field")
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
        _check_group(entity, props["group"], written_at(field, "group"), f"{path}.group", context)
    if "input_type" not in props:
        return
    type_name = canonical(props["input_type"])
    if not TYPES[type_name].written_as_field:
        context.report(
            written_at(field, "input_type"),
            f"{path}.input_type",
            "a lines field is declared under the entity's lines: (entity, link, label, "
            "sequence, group), not under fields:",
        )
        return
    _check_type_keys(path, field, type_name, context)
    if "lookup" in props and "lookup" in TYPES[type_name].keys:
        _check_lookup(entity, path, field, context)
    if props.get("view"):
        _check_view(entity, name, path, field, context)
    if "currency_field" in props and "currency_field" in TYPES[type_name].keys:
        _check_currency_field(entity, path, field, context)
    if "pattern" in props:
        _check_pattern(path, field, context)
    _check_bounds(path, field, context)
    for key in ("visible_if", "required_if"):
        if key in props:
            _check_condition(entity, path, field, key, context)
    if "renamed_from" in props and props["renamed_from"] in entity.fields:
        context.report(
            written_at(field, "renamed_from"),
            f"{path}.renamed_from",
            f"'{props['renamed_from']}' is still a field of '{entity.name}'; "
            "a field can only be renamed from a name no longer in use",
        )
    if "default" in props and not missing:
        _check_default(path, field, type_name, context)


def _check_currency_field(entity: EntityDraft, path: str, field: Draft, context: Context) -> None:
    """The field an amount takes its currency from is one of the record's, holding a code:
    typed text, a choice, or a lookup (which shows the linked record's code)."""
    name = field.props["currency_field"]
    where, key_path = written_at(field, "currency_field"), f"{path}.currency_field"
    named = entity.fields.get(name)
    if named is None:
        hint = did_you_mean(name, entity.fields)
        context.report(where, key_path, f"'{name}' is not a field of '{entity.name}'{hint}")
        return
    props = named.props
    row = TYPES.get(canonical(props.get("input_type", "")))
    holds_code = (
        row is not None
        and not row.holds_lists
        and ("lookup" in props or "options" in props or row.free_text)
    )
    if not holds_code:
        context.report(
            where,
            key_path,
            f"'{name}' cannot hold a currency code: name a text, select or lookup field",
        )


def _check_group(
    entity: EntityDraft, code: str, where: Source, path: str, context: Context
) -> None:
    if code not in entity.groups and not context.gaps.groups:
        hint = did_you_mean(code, entity.groups)
        context.report(
            where,
            path,
            f"unknown group '{code}'{hint}; groups are declared in "
            "groups.yaml, the entity's groups: or the tenant's groups:",
        )


def _check_type_keys(path: str, field: Draft, type_name: str, context: Context) -> None:
    row = TYPES[type_name]
    for key, takers in _KEY_OWNERS.items():
        if key in field.props and key not in row.keys:
            context.report(
                written_at(field, key),
                f"{path}.{key}",
                f"'{key}' applies to {takers} fields, not to {type_name}",
            )
    for key, gives in row.needs.items():
        if key not in field.props:
            context.report(
                written_at(field, "input_type"), path, f"a {type_name} field needs {key}: {gives}"
            )
    values = [o["value"] if isinstance(o, dict) else o for o in field.props.get("options", ())]
    for value in {v for v in values if values.count(v) > 1}:
        context.report(
            written_at(field, "options"), f"{path}.options", f"option {value!r} is listed twice"
        )


def _check_lookup(entity: EntityDraft, path: str, field: Draft, context: Context) -> None:
    lookup = field.props["lookup"]
    target = context.drafts.get(lookup["entity"])
    if lookup["entity"] in context.gaps.entities:
        target = None  # its fields are not all known: what it lacks is not reported
    elif target is None:
        hint = did_you_mean(lookup["entity"], context.drafts)
        context.report(
            written_at(field, "lookup", "entity"),
            f"{path}.lookup.entity",
            f"lookup to unknown entity '{lookup['entity']}'{hint}",
        )
    targets = field_names(target) if target else None
    if targets is not None and "show" in lookup and lookup["show"] not in targets:
        context.report(
            written_at(field, "lookup", "show"),
            f"{path}.lookup.show",
            f"'{target.name}' has no field "
            f"'{lookup['show']}' to show{did_you_mean(lookup['show'], targets)}",
        )
    for mine, theirs in lookup.get("fetch", {}).items():
        if mine not in entity.fields:
            context.report(
                written_at(field, "lookup", "fetch", mine),
                f"{path}.lookup.fetch.{mine}",
                f"'{entity.name}' has no field '{mine}' to fill{did_you_mean(mine, entity.fields)}",
            )
        if targets is not None and theirs not in targets:
            context.report(
                written_at(field, "lookup", "fetch", mine),
                f"{path}.lookup.fetch.{mine}",
                f"'{target.name}' has no field '{theirs}' to fetch{did_you_mean(theirs, targets)}",
            )


def _check_view(entity: EntityDraft, name: str, path: str, field: Draft, context: Context) -> None:
    """A view value is filled by a lookup of its entity: one whose fetch names it."""
    fillers = [
        other
        for other, draft in entity.fields.items()
        if name in ((draft.props.get("lookup") or {}).get("fetch") or {})
    ]
    if not fillers:
        lookups = [o for o, d in entity.fields.items() if d.props.get("lookup") and o != name]
        context.report(
            written_at(field, "view"),
            f"{path}.view",
            f"no lookup of '{entity.name}' fetches '{name}', so nothing fills this view "
            f"value; add '{name}: FIELD' to the fetch: of the lookup it shows"
            + (f" (one of {_listed(sorted(lookups))})" if lookups else ""),
        )
    if field.props.get("required"):
        context.report(
            written_at(field, "required"),
            f"{path}.required",
            "a view value is filled from its link, never typed: it cannot be required",
        )


def _check_pattern(path: str, field: Draft, context: Context) -> None:
    pattern = field.props["pattern"]
    try:
        re.compile(pattern)
        jsonschema_rs.validator_for({"pattern": pattern})
    except (re.error, ValueError) as error:
        reason = error.msg if isinstance(error, re.error) else str(error).splitlines()[0]
        context.report(
            written_at(field, "pattern"),
            f"{path}.pattern",
            f"{pattern!r} is not a valid regular expression: {reason}",
        )


def _check_bounds(path: str, field: Draft, context: Context) -> None:
    for low, high in (("min", "max"), ("min_length", "max_length")):
        lo, hi = field.props.get(low), field.props.get(high)
        if lo is not None and hi is not None and lo > hi:
            context.report(
                written_at(field, low),
                f"{path}.{low}",
                f"{low} ({lo}) is greater than {high} ({hi})",
            )


def _check_condition(
    entity: EntityDraft, path: str, field: Draft, key: str, context: Context
) -> None:
    where = written_at(field, key)
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
    if not row.written_as_field:
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
            written_at(field, "default"),
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


# system fields and lines


def check_system_field(entity: EntityDraft, name: str, field: Draft, context: Context) -> None:
    """Every problem of a field that shows a system column."""
    path = f"{entity.name}.{name}"
    column = field.props["system"]
    for key in field.props:
        if key not in PRESENTATION_KEYS:
            context.report(
                written_at(field, key),
                f"{path}.{key}",
                f"'{key}' cannot be set on system column '{column}': its type and "
                f"rules are the engine's; only {', '.join(PRESENTATION_KEYS[2:])} "
                "can be",
            )
    for key in ("sequence", "label", "group"):
        if key not in field.props:
            context.report(field.where, path, f"missing required key '{key}'")
    if "group" in field.props:
        _check_group(
            entity, field.props["group"], written_at(field, "group"), f"{path}.group", context
        )
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
                written_at(field, "system"),
                f"{path}.system",
                f"'{entity.name}' has no '{column}' column; {advice} to have one",
            )


def check_system_duplicates(entity: EntityDraft, context: Context) -> None:
    """A system column shown by two fields."""
    seen: dict[str, str] = {}
    for name, field in entity.fields.items():
        column = field.props.get("system")
        if column in seen:
            context.report(
                written_at(field, "system"),
                f"{entity.name}.{name}.system",
                f"system column '{column}' is already shown by '{seen[column]}'",
            )
        elif column:
            seen[column] = name


def check_line(entity: EntityDraft, name: str, line: Draft, context: Context) -> None:
    """Every problem of one lines declaration."""
    path = f"{entity.name}.lines.{name}"
    props = line.props
    check_name(name, line.where, path, context, what="line")
    for key in LINE_KEYS_REQUIRED:
        if key not in props:
            context.report(line.where, path, f"missing required key '{key}'")
    if name in entity.fields:
        context.report(line.where, path, f"'{name}' is already a field of '{entity.name}'")
    if "group" in props:
        _check_group(entity, props["group"], written_at(line, "group"), f"{path}.group", context)
    child = context.drafts.get(props.get("entity"))
    if props.get("entity") in context.gaps.entities:
        return  # the child's fields are not all known: neither is its link
    if "entity" in props and child is None:
        hint = did_you_mean(props["entity"], context.drafts)
        context.report(
            written_at(line, "entity"),
            f"{path}.entity",
            f"lines of unknown entity '{props['entity']}'{hint}",
        )
    if child is None or "link" not in props:
        return
    _check_line_columns(path, line, child, context)
    _check_line_order(path, line, child, context)
    links = [n for n, f in child.fields.items() if _lookup_target(f) == entity.name]
    if props["link"] not in links:
        hint = f" (did you mean '{links[0]}'?)" if len(links) == 1 else ""
        context.report(
            written_at(line, "link"),
            f"{path}.link",
            f"link '{props['link']}' must be a lookup field of '{child.name}' "
            f"pointing at '{entity.name}'{hint}",
        )


def _check_line_columns(path: str, line: Draft, child: EntityDraft, context: Context) -> None:
    """The grid's columns name fields of the child."""
    known = field_names(child)
    for index, column in enumerate(line.props.get("columns", ())):
        if column not in known:
            context.report(
                written_at(line, "columns", index),
                f"{path}.columns",
                f"unknown field '{column}' of '{child.name}'{did_you_mean(column, known)}",
            )


def _check_line_order(path: str, line: Draft, child: EntityDraft, context: Context) -> None:
    """The order names an integer field of the child, which the lines' places fill."""
    order = line.props.get("order")
    if order is None:
        return
    field = child.fields.get(order)
    if field is None:
        hint = did_you_mean(order, child.fields)
        message = f"unknown field '{order}' of '{child.name}'{hint}"
    elif not _holds_whole_numbers(field) or "system" in field.props:
        message = f"'{order}' must be an integer field of '{child.name}' to keep the lines' order"
    else:
        return
    context.report(written_at(line, "order"), f"{path}.order", message)


def _holds_whole_numbers(field: Draft) -> bool:
    type_name = canonical(str(field.props.get("input_type")))
    return type_name is not None and TYPES[type_name].whole_numbers


def _lookup_target(field: Draft) -> str | None:
    lookup = field.props.get("lookup")
    return lookup.get("entity") if isinstance(lookup, dict) else None
