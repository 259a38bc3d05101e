"""A record's values on their way in and out: cleaned from a request, defaults filled in,
turned into columns and back, and the values a lookup may fetch from a linked record."""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterable
from typing import Any

import peewee

from engine import conditions
from engine.compile.models import attribute_name
from engine.compile.validator import RecordError
from engine.errors import NotFound, RecordInvalid
from engine.numbers import OutOfRange, json_number
from engine.records.checks import field_error
from engine.records.target import Target
from engine.spec import FieldSpec
from engine.types import SYSTEM_COLUMNS
from engine.types.base import as_it_is

# the classes of value clean_value gives back as they are: none, a switch, a whole number
_AS_THEY_ARE = frozenset({type(None), bool, int})


def as_id(value: Any) -> int:
    """A record id from a URL or a request; NotFound for what cannot be one."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise NotFound(f"{value!r} is not a record id") from None
    if number < 1 or number > 2**63 - 1:
        raise NotFound(f"{value!r} is not a record id")
    return number


def is_id(value: Any) -> bool:
    """Whether a value is a whole number, as a line's id must be (a bool is not)."""
    return isinstance(value, int) and not isinstance(value, bool)


def without(record: dict, *keys: str) -> dict:
    """The record less the given keys."""
    left_out = frozenset(keys)  # a record's forty names each looked up in a set, not a tuple
    return {k: v for k, v in record.items() if k not in left_out}


def system_value(row: peewee.Model, name: str) -> Any:
    """A system column's value as records carry it (timestamps as ISO text in UTC)."""
    return SYSTEM_COLUMNS[name].load(getattr(row, attribute_name(name)))


def field_values(target: Target, row: peewee.Model) -> dict[str, Any]:
    """A row's stored fields as the record's values."""
    return {name: load(getattr(row, attribute)) for name, attribute, load in target.loaders()}


def chosen_loaders(
    target: Target, columns: Iterable[str], errors: list[RecordError]
) -> list[tuple[str, str, Callable[[Any], Any]]]:
    """The loaders of the named stored fields or system columns; an unknown name is an
    error."""
    loaders = {name: loader for name, *loader in target.loaders()}
    for name in target.spec.system_columns:
        loaders.setdefault(name, (attribute_name(name), SYSTEM_COLUMNS[name].load))
    chosen = []
    for name in dict.fromkeys(columns):
        if name in loaders:
            chosen.append((name, *loaders[name]))
        else:
            errors.append(
                RecordError(
                    name, name, "unknown_field", f"'{name}' is not a field of {target.spec.label}."
                )
            )
    return chosen


def fetched_from_id(parent: Target, link: FieldSpec) -> list[str]:
    """The line's fields that a link fetches from the parent's id, under any of its names."""
    names = {"id"} | {f.name for f in parent.spec.fields if f.system == "id"}
    return [mine for mine, theirs in link.lookup.fetch.items() if theirs in names]


def fetchable(target: Target, row: peewee.Model) -> dict[str, Any]:
    """Every value a lookup may fetch from a linked record: its fields, its system columns,
    and the system columns again under the names the metadata shows them by."""
    values = field_values(target, row)
    values.update({name: system_value(row, name) for name in target.spec.system_columns})
    values.update({f.name: values[f.system] for f in target.spec.fields if f.system})
    return values


def stored_values(target: Target, record: dict) -> dict[str, Any]:
    """The record's values as their columns take them, by model attribute."""
    values = {}
    for name, attribute, store in target.storers():
        if name in record:
            value = record[name]
            # most fields store their value as it is: no call for those
            values[attribute] = value if value is None or store is as_it_is else store(value)
    return values


def jsonable(target: Target, record: dict) -> dict[str, Any]:
    """The record's stored fields that have a value, as JSON values."""
    return {f.name: value for f in target.stored() if (value := record.get(f.name)) is not None}


def clean_payload(target: Target, data: Any) -> dict:
    """Trim text, turn empty text into no value, refuse what no database can store."""
    if not isinstance(data, dict):
        raise RecordInvalid(
            [
                RecordError(
                    "", target.spec.label, "type", f"A {target.spec.label} must be a JSON object."
                )
            ]
        )
    errors: list[RecordError] = []
    lines = {line.name: target.child(line) for line in target.lines()}
    cleaned = {}
    for key, value in _readable_items(target, data, errors, ""):
        if value.__class__ is str and value.isascii() and "\x00" not in value:
            cleaned[key] = value.strip() or None  # most values: clean_value's answer, sooner
        elif value.__class__ in _AS_THEY_ARE:
            cleaned[key] = value  # clean_value's answer too, without the call
        elif key in lines and isinstance(value, list):
            cleaned[key] = [_clean_row(lines[key], row, errors, f"{key}[{i}].")
                            for i, row in enumerate(value)]  # fmt: skip
        else:
            cleaned[key] = clean_value(target, key, value, errors, "")
    if errors:
        raise RecordInvalid(errors)
    return cleaned


def _clean_row(child: Target, row: Any, errors: list, prefix: str) -> Any:
    if not isinstance(row, dict):
        return row  # the schema reports it
    return {
        key: clean_value(child, key, value, errors, prefix)
        for key, value in _readable_items(child, row, errors, prefix)
    }


def _readable_items(target: Target, data: dict, errors: list, prefix: str) -> list[tuple]:
    """The items of a record whose names can be read; a name that cannot be stored
    (a lone surrogate) is an error, and its value is left out."""
    if _storable_text("".join(data)):  # every name at once: the usual case
        return list(data.items())
    items = []
    for key, value in data.items():
        if _storable_text(key):
            items.append((key, value))
        else:
            name = key.encode("utf-8", "backslashreplace").decode()
            message = f"'{name}' is not a field of {target.spec.label}."
            errors.append(RecordError(prefix + name, name, "unknown_field", message))
    return items


def clean_value(target: Target, key: str, value: Any, errors: list, prefix: str) -> Any:
    """A value as a column can take it: text trimmed (empty text is no value), a JSON
    number as an int or a float. Text with a NUL or a lone surrogate, and a number past
    what a float holds (1e400) or too small to be told from 0 (1e-400), are errors
    naming the field: no database could store them as they were sent."""
    if isinstance(value, str):
        problem = "a NUL character" if "\x00" in value else None
        if problem is None and not value.isascii() and not _storable_text(value):
            problem = "half of a character pair (a lone surrogate)"
        if problem:
            message = f"{_label(target, key)} contains {problem}, which cannot be stored."
            where = prefix + key
            errors.append(field_error(_field(target, key), where, "invalid_character", message))
        return value.strip() or None
    if isinstance(value, float | decimal.Decimal) and not isinstance(value, bool):
        try:
            return json_number(value)
        except OutOfRange:
            label = _label(target, key)
            message = f"{label} is out of the range that can be stored."
            errors.append(field_error(_field(target, key), prefix + key, "range", message))
            return None
    if isinstance(value, list):
        return [clean_value(target, key, item, errors, prefix) for item in value]
    if isinstance(value, dict):
        return {k: clean_value(target, key, v, errors, prefix)
                for k, v in _readable_items(target, value, errors, prefix + key + ".")}  # fmt: skip
    return value


def _storable_text(text: str) -> bool:
    """Whether text encodes as UTF-8, as every database stores it (a lone surrogate,
    which JSON's \\ud800 can carry, does not)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _field(target: Target, name: str) -> FieldSpec | None:
    return next((f for f in target.spec.fields if f.name == name), None)


def _label(target: Target, name: str) -> str:
    field = _field(target, name)
    return field.label if field else name


def clear_hidden(target: Target, record: dict) -> None:
    """Clear the fields whose `visible_if` hides them: a field the form does not show is
    neither validated nor required, and holds no value once saved. Every condition reads
    the record as it came, before any field is cleared, as the browser reads the form."""
    hidden = [
        field.name
        for field in target.stored_where("visible_if")
        if not conditions.evaluate(field.visible_if.tree, record)
    ]
    for name in hidden:
        record[name] = None


def copied(target: Target, source: dict, link: str | None = None) -> dict:
    """The values a copy starts from: fields marked `copy`, never a number or a unique value
    (the copy gets its own), never what the system fills in. A line leaves out its `link`
    (the copy's lines belong to the copy), and every copy leaves out the values lookups
    fetch: they are fetched again, from what the copy links to."""
    numbering = target.spec.numbering.field if target.spec.numbering else None
    fetched = {mine for f in target.stored_where("lookup") for mine in f.lookup.fetch}
    return {
        f.name: source[f.name]
        for f in target.stored()
        if f.copy
        and not (f.unique or f.read_only or f.name in (numbering, link) or f.name in fetched)
        and source.get(f.name) is not None
    }
