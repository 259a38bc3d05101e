"""THE table of input types: one object per type, each the one place it is defined.

The families (text, numeric, moments, choices, links) say how their types behave; a
row here says which type of which family, with what differs: its name, the seeds'
aliases, what a value must be, its default length or decimal places. Adding a type is
one row here (and a family class if none fits) plus one macro in
webui/templates/widgets.html named as its `widget`; docs/types.md walks through it.
"""

from __future__ import annotations

from typing import Any

from engine.types.base import NUMBER_KEYS, InputType
from engine.types.choices import MultiSelectType, SelectType, SwitchType
from engine.types.links import AttachmentType, ImageType, LinesType, LookupType
from engine.types.moments import DateTimeType, DateType, TimeType
from engine.types.numeric import DecimalType, IntegerType
from engine.types.text import EMAIL_PATTERN, PHONE_PATTERN, URL_PATTERN, TextType

_ROWS: tuple[InputType, ...] = (
    TextType(
        name="text", aliases=("textField",), expects="text", default_max_length=255,
        free_text=True,
    ),
    TextType(
        name="textarea", aliases=("textArea",), expects="text", default_max_length=10_000,
        free_text=True, long=True,
    ),
    TextType(
        name="email", expects="an e-mail such as name@example.com", default_max_length=254,
        pattern=EMAIL_PATTERN,
    ),
    TextType(
        name="phone", expects="a phone number (digits, spaces and + ( ) . / -)",
        default_max_length=32, pattern=PHONE_PATTERN,
    ),
    TextType(
        name="url", expects="a link starting with http:// or https://",
        default_max_length=2048, pattern=URL_PATTERN,
    ),
    IntegerType(name="integer", expects="a whole number"),
    DecimalType(name="decimal", aliases=("number",), expects="a number", default_precision=4),
    DecimalType(
        name="currency",
        expects="an amount",
        keys=NUMBER_KEYS | {"precision", "currency_field"},
        default_precision=2,
        shown_as="amount",
    ),
    DecimalType(
        name="percent", expects="a percentage", default_precision=2, shown_as="percent"
    ),
    DateType(name="date", expects="a date (YYYY-MM-DD)"),
    DateTimeType(
        name="datetime", aliases=("dateTime",),
        expects="a date and time (YYYY-MM-DDTHH:MM:SS+00:00)",
    ),
    TimeType(name="time", expects="a time (HH:MM or HH:MM:SS)"),
    SwitchType(name="switch", aliases=("switchField",), expects="true or false"),
    SelectType(name="select", expects="one of the listed options"),
    MultiSelectType(name="multiselect", expects="a list of the listed options"),
    LookupType(
        name="lookup", aliases=("deferredSelect",), expects="the id of an existing record"
    ),
    AttachmentType(name="file", expects="a stored file"),
    ImageType(name="image", expects="a stored image"),
    LinesType(name="lines", expects="a list of lines"),
)  # fmt: skip

TYPES: dict[str, InputType] = {row.name: row for row in _ROWS}

_ALIASES: dict[str, str] = {
    spelling: row.name
    for row in _ROWS
    for alias in (row.name, *row.aliases)
    for spelling in (alias, f"InputType.{alias}")
}

# Every spelling an author may write, for the metadata schema and suggestions.
SPELLINGS: tuple[str, ...] = tuple(_ALIASES)


def canonical(spelling: str) -> str | None:
    """The type name behind any accepted spelling, or None if unknown."""
    return _ALIASES.get(spelling)


def column_range(row: InputType, field: Any) -> tuple[Any, Any] | None:
    """The smallest and largest number a numeric row's column holds (ids for a lookup)."""
    return row.column_range(field)


def fits_column(row: InputType, field: Any, value: Any) -> bool:
    """Whether the row's column can hold the value (see InputType.fits); `field` is None
    for a system column."""
    return row.fits(field, value)


def always_fits(row: InputType) -> bool:
    """Whether the row's column holds every value its schema lets through."""
    return row.always_fits


def owners(key: str) -> list[str]:
    """The types whose fields may declare `key`, in the table's order."""
    return [row.name for row in _ROWS if key in row.keys]
