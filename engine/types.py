"""THE table of input types: each type defined once, in one row.

A row says what a value of the type is (its JSON Schema fragment), where it is
stored (its Peewee column), how it is drawn (its widget macro), how a submitted
form string becomes a value and how a value is shown, and which field keys make
sense for it. Adding a type is adding a row here and a macro in the widgets file.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import peewee

from engine.numbers import number_text

# Patterns rather than JSON Schema "format"s where validators disagree on the
# format's meaning: one regular expression means the same thing everywhere.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
PHONE_PATTERN = r"^\+?\(?[0-9][0-9 ().\/-]{2,31}$"
URL_PATTERN = r"^https?://[^\s/?#]+[^\s]*$"
TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"
# Whole numbers and ids are 64-bit database integers: a larger value is refused as out of
# range rather than reaching a database that cannot hold it.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
DECIMAL_DIGITS = 20


class FieldLike(Protocol):
    """What a type row reads of a field (engine.spec.FieldSpec satisfies it)."""

    name: str
    options: tuple
    min: float | None
    max: float | None
    min_length: int | None
    max_length: int | None  # effective: the type's default when not declared
    pattern: str | None
    precision: int | None  # effective: the type's default when not declared


def _as_it_is(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class InputType:
    """One input type: everything the engine needs to know about it."""

    name: str
    aliases: tuple[str, ...]
    expects: str  # finishes "… must be …" in messages
    schema: Callable[[FieldLike], dict]
    column: Callable[[FieldLike], peewee.Field] | None
    widget: str
    parse: Callable[[str], Any]
    show: Callable[[Any], str]
    keys: frozenset[str] = frozenset()
    default_max_length: int | None = None
    default_precision: int | None = None
    numeric: bool = False
    free_text: bool = False  # any text is a value of it, so a numbering pattern may fill it
    # "file" or "image": a value is the reference to a file uploaded for the tenant
    # (engine.records.files), an image one that browsers show safely
    attachment: str | None = None
    # between a validated JSON value and what the column holds
    store: Callable[[Any], Any] = _as_it_is
    load: Callable[[Any], Any] = _as_it_is
    # the condition a list filter puts on the column, given the filter's stored value
    matches: Callable[[peewee.Field, Any], peewee.Expression] = lambda column, value: (
        column == value
    )


TEXT_KEYS = frozenset({"min_length", "max_length", "pattern"})
NUMBER_KEYS = frozenset({"min", "max"})
CHOICE_KEYS = frozenset({"options"})


def _text_schema(type_pattern: str | None = None) -> Callable[[FieldLike], dict]:
    def schema(field: FieldLike) -> dict:
        fragment: dict = {"type": "string"}
        if field.max_length is not None:
            fragment["maxLength"] = field.max_length
        if field.min_length is not None:
            fragment["minLength"] = field.min_length
        if type_pattern:
            fragment["pattern"] = type_pattern
        if field.pattern is not None:
            # a declared pattern matches the whole value, as an HTML pattern does; it sits
            # under allOf so that its errors tell apart from the type's own pattern
            fragment["allOf"] = [{"pattern": f"^(?:{field.pattern})$"}]
        return fragment

    return schema


def _number_schema(json_type: str) -> Callable[[FieldLike], dict]:
    def schema(field: FieldLike) -> dict:
        fragment: dict = {"type": json_type}
        low, high = _limits(json_type, field)
        if field.min is not None or low is not None:
            fragment["minimum"] = field.min if field.min is not None else low
        if field.max is not None or high is not None:
            fragment["maximum"] = field.max if field.max is not None else high
        return fragment

    return schema


def _limits(json_type: str, field: FieldLike | None) -> tuple[Any, Any]:
    """What the column can hold, where the field declares no narrower range."""
    if json_type == "integer":
        return INT64_MIN, INT64_MAX
    # a decimal column keeps DECIMAL_DIGITS digits, `precision` of them after the point
    largest = 10 ** (DECIMAL_DIGITS - ((field.precision if field else None) or 0)) - 1
    return -largest, largest


def _options(field: FieldLike) -> list:
    return [option.value for option in field.options]


def _char(default: int) -> Callable[[FieldLike], peewee.Field]:
    def column(field: FieldLike) -> peewee.Field:
        return peewee.CharField(max_length=field.max_length or default, null=True)

    return column


def _decimal_column(field: FieldLike) -> peewee.Field:
    return peewee.DecimalField(
        max_digits=DECIMAL_DIGITS, decimal_places=field.precision, null=True, auto_round=True
    )


def _text(value: str) -> str:
    return value.strip()


def _integer(value: str) -> int:
    return int(number_text(value))


def _decimal(value: str) -> decimal.Decimal:
    return decimal.Decimal(number_text(value))


def _switch(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "on", "yes", "y"}:
        return True
    if lowered in {"", "0", "false", "off", "no", "n"}:
        return False
    raise ValueError(f"{value!r} is not yes or no")


def _date(value: str) -> str:
    return dt.date.fromisoformat(value.strip()).isoformat()


def _datetime(value: str) -> str:
    moment = dt.datetime.fromisoformat(value.strip())
    if moment.tzinfo is None:  # a form's datetime-local carries no offset: take it as UTC
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.isoformat()


def _store_decimal(value: Any) -> decimal.Decimal:
    return decimal.Decimal(str(value))


def _load_decimal(value: Any) -> Any:
    """Whole amounts as integers, others as floats: JSON numbers with their exact digits."""
    if value is None:
        return None
    number = decimal.Decimal(value)
    return int(number) if number == number.to_integral_value() else float(number)


def _store_datetime(value: str) -> dt.datetime:
    """Stored as naive UTC, so every backend keeps the same instant."""
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def _load_datetime(value: Any) -> str | None:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return None if value is None else value.replace(tzinfo=dt.UTC).isoformat()


def _load_isoformat(value: Any) -> str | None:
    return value if value is None or isinstance(value, str) else value.isoformat()


def _store_date(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def _store_time(value: str) -> dt.time:
    return dt.time.fromisoformat(value)


def _store_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _load_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _holds_each(column: peewee.Field, stored: str) -> peewee.Expression:
    """A multiselect filter keeps the records whose list holds each of the filter's
    options: each one's JSON text, quotes and all, is an element of the stored list (a
    quote inside an option is escaped there, so the text cannot match inside another)."""
    condition = None
    for value in json.loads(stored):
        clause = column.contains(json.dumps(value, ensure_ascii=False))
        condition = clause if condition is None else condition & clause
    return condition if condition is not None else column.is_null(False) | column.is_null()


def _list(value: str) -> list:
    return [part.strip() for part in value.split(",") if part.strip()]


def _show_plain(value: Any) -> str:
    return "" if value is None else str(value)


def _show_switch(value: Any) -> str:
    return {True: "Yes", False: "No"}.get(value, "")


def _show_list(value: Any) -> str:
    return ", ".join(str(v) for v in value or [])


def _json_column(field: FieldLike) -> peewee.Field:
    return peewee.TextField(null=True)


def _row(name: str, *aliases: str, **props: Any) -> InputType:
    props.setdefault("parse", _text)
    props.setdefault("show", _show_plain)
    props.setdefault("widget", name)
    return InputType(name, aliases, **props)


_ROWS = [
    _row(
        "text",
        "textField",
        expects="text",
        schema=_text_schema(),
        keys=TEXT_KEYS,
        column=_char(255),
        default_max_length=255,
        free_text=True,
    ),
    _row(
        "textarea",
        "textArea",
        expects="text",
        schema=_text_schema(),
        keys=TEXT_KEYS,
        column=lambda field: peewee.TextField(null=True),
        default_max_length=10_000,
        free_text=True,
    ),
    _row(
        "email",
        expects="an e-mail such as name@example.com",
        schema=_text_schema(EMAIL_PATTERN),
        keys=TEXT_KEYS,
        column=_char(254),
        default_max_length=254,
    ),
    _row(
        "phone",
        expects="a phone number (digits, spaces and + ( ) . / -)",
        schema=_text_schema(PHONE_PATTERN),
        keys=TEXT_KEYS,
        column=_char(32),
        default_max_length=32,
    ),
    _row(
        "url",
        expects="a link starting with http:// or https://",
        schema=_text_schema(URL_PATTERN),
        keys=TEXT_KEYS,
        column=_char(2048),
        default_max_length=2048,
    ),
    _row(
        "integer",
        expects="a whole number",
        schema=_number_schema("integer"),
        keys=NUMBER_KEYS,
        column=lambda field: peewee.BigIntegerField(null=True),
        parse=_integer,
        numeric=True,
    ),
    _row(
        "decimal",
        "number",
        expects="a number",
        schema=_number_schema("number"),
        keys=NUMBER_KEYS | {"precision"},
        column=_decimal_column,
        parse=_decimal,
        store=_store_decimal,
        load=_load_decimal,
        default_precision=4,
        numeric=True,
    ),
    _row(
        "currency",
        expects="an amount",
        schema=_number_schema("number"),
        keys=NUMBER_KEYS | {"precision"},
        column=_decimal_column,
        parse=_decimal,
        store=_store_decimal,
        load=_load_decimal,
        default_precision=2,
        numeric=True,
    ),
    _row(
        "percent",
        expects="a percentage",
        schema=_number_schema("number"),
        keys=NUMBER_KEYS | {"precision"},
        column=_decimal_column,
        parse=_decimal,
        store=_store_decimal,
        load=_load_decimal,
        default_precision=2,
        numeric=True,
    ),
    _row(
        "date",
        expects="a date (YYYY-MM-DD)",
        schema=lambda field: {"type": "string", "format": "date"},
        column=lambda field: peewee.DateField(null=True),
        parse=_date,
        store=_store_date,
        load=_load_isoformat,
    ),
    _row(
        "datetime",
        "dateTime",
        expects="a date and time (YYYY-MM-DDTHH:MM:SS+00:00)",
        schema=lambda field: {"type": "string", "format": "date-time"},
        column=lambda field: peewee.DateTimeField(null=True),
        parse=_datetime,
        store=_store_datetime,
        load=_load_datetime,
    ),
    _row(
        "time",
        expects="a time (HH:MM or HH:MM:SS)",
        schema=lambda field: {"type": "string", "pattern": TIME_PATTERN},
        column=lambda field: peewee.TimeField(null=True),
        store=_store_time,
        load=_load_isoformat,
    ),
    _row(
        "switch",
        "switchField",
        expects="true or false",
        schema=lambda field: {"type": "boolean"},
        column=lambda field: peewee.BooleanField(null=True),
        parse=_switch,
        show=_show_switch,
    ),
    _row(
        "select",
        expects="one of the listed options",
        schema=lambda field: {"enum": _options(field)},
        keys=CHOICE_KEYS,
        column=_char(255),
    ),
    _row(
        "multiselect",
        expects="a list of the listed options",
        schema=lambda field: {
            "type": "array",
            "items": {"enum": _options(field)},
            "uniqueItems": True,
        },
        keys=CHOICE_KEYS,
        column=_json_column,
        store=_store_json,
        load=_load_json,
        parse=_list,
        show=_show_list,
        matches=_holds_each,
    ),
    _row(
        "lookup",
        "deferredSelect",
        expects="the id of an existing record",
        schema=lambda field: {"type": "integer", "minimum": 1, "maximum": INT64_MAX},
        keys=frozenset({"lookup"}),
        column=lambda field: peewee.BigIntegerField(null=True, index=True),
        parse=_integer,
    ),
    _row(
        "file",
        expects="a stored file",
        schema=lambda field: {"type": "string", "maxLength": 500},
        column=_char(500),
        attachment="file",
    ),
    _row(
        "image",
        expects="a stored image",
        schema=lambda field: {"type": "string", "maxLength": 500},
        column=_char(500),
        attachment="image",
    ),
    _row(
        "lines",
        expects="a list of lines",
        schema=lambda field: {"type": "array"},
        column=None,
        parse=json.loads,
        show=lambda value: f"{len(value or [])} lines",
    ),
]

TYPES: dict[str, InputType] = {row.name: row for row in _ROWS}

_ALIASES: dict[str, str] = {
    spelling: row.name
    for row in _ROWS
    for alias in (row.name, *row.aliases)
    for spelling in (alias, f"InputType.{alias}")
}

# Every spelling an author may write, for the metadata schema and suggestions.
SPELLINGS: tuple[str, ...] = tuple(_ALIASES)


def column_range(row: InputType, field: FieldLike | None) -> tuple[Any, Any]:
    """The smallest and largest number a numeric row's column holds (ids for a lookup)."""
    return _limits("number" if row.store is _store_decimal else "integer", field)


def fits_column(row: InputType, field: FieldLike | None, value: Any) -> bool:
    """Whether the row's column can hold the value, so that a query may compare the column
    with it: a value of the wrong kind, or a number out of the column's range, is an error
    in the database rather than a row that does not match. `field` is None for a system
    column."""
    if isinstance(value, list | dict) and row.store is not _store_json:
        return False
    if row.numeric or row.name == "lookup":
        if isinstance(value, bool) or not isinstance(value, int | float | decimal.Decimal):
            return False
        if not decimal.Decimal(value).is_finite():
            return False
        low, high = column_range(row, field)
        if not low <= value <= high:
            return False
    try:
        row.store(value)
    except (ValueError, TypeError, OverflowError, decimal.InvalidOperation):
        return False
    return True


def always_fits(row: InputType) -> bool:
    """Whether the row's column holds every value its schema lets through (text kept as it
    is, in no range), so that fits_column need not be asked of a valid value."""
    return row.store is _as_it_is and not row.numeric and row.name != "lookup"


def canonical(spelling: str) -> str | None:
    """The type name behind any accepted spelling, or None if unknown."""
    return _ALIASES.get(spelling)
