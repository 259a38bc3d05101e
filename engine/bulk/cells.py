"""Cells ⇄ values: what a CSV text or an XLSX cell means for a field, and back.

Import: a converter per column, chosen once per import, turns a cell into the JSON
value the validator checks, or raises one of CONVERSION_ERRORS, which `problem`
words for the person, naming the field by its label. XLSX cells arrive typed
(numbers, dates, booleans); CSV cells are text.
Export: `cell_text` writes the text the importer reads back to the same value.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import itertools
import math
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

from engine.bulk.lookups import LookupIndex, LookupMiss
from engine.bulk.tables import normalized, unsafe_cell
from engine.numbers import OutOfRange, json_number, number_text
from engine.spec import FieldSpec
from engine.types import TYPES

Converter = Callable[[Any], Any]


def converter(
    field: FieldSpec, lookup: LookupIndex | None = None, decimal_comma: bool = False
) -> Converter:
    """The function that turns a non-empty cell of `field`'s column into its value; it
    raises ValueError (or a kin) for a cell that is no value of the field, and
    `problem` words that for the person."""
    kind = field.input_type
    if kind == "lookup":
        return _lookup(lookup)
    if kind in ("select", "multiselect"):
        pick = _option_picker(field)
        if kind == "select":
            return pick
        return lambda cell: [pick(part) for part in _parts(cell)]
    if TYPES[kind].numeric:
        return _number(kind, decimal_comma)
    return _TYPED.get(kind, _text)


def is_text(field: FieldSpec) -> bool:
    """Whether a text cell of the field is its value once trimmed (see `plain_text`)."""
    return converter(field) is _text


def plain_text(cell: str) -> str:
    """A text cell as its value: trimmed, and without an export's formula guard."""
    cell = cell.strip()
    return unsafe_cell(cell) if cell[:1] == "'" else cell


def problem(field: FieldSpec, cell: Any, error: Exception) -> str:
    """What is wrong with a cell, for the person who fixes the file."""
    if isinstance(error, LookupMiss):
        return f"{field.label}: {error}."
    if isinstance(error, OutOfRange):
        return f"{field.label} is out of the range that can be stored; the file has {cell!r}."
    return f"{field.label} must be {TYPES[field.input_type].expects}; the file has {cell!r}."


CONVERSION_ERRORS = (ValueError, TypeError, decimal.InvalidOperation, OverflowError)


def _text(cell: Any) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))  # a spreadsheet keeps a phone or a postal code as a number
    if isinstance(cell, dt.datetime | dt.date | dt.time):
        return cell.isoformat()
    return unsafe_cell(str(cell).strip())


def _number(kind: str, decimal_comma: bool) -> Converter:
    whole = kind == "integer"

    def number(cell: Any) -> Any:
        if cell.__class__ is str and "_" not in cell:
            try:
                return int(cell)  # the common case, whitespace and all
            except ValueError:
                pass
        if isinstance(cell, bool):
            raise ValueError(cell)
        if isinstance(cell, int):
            return cell
        if isinstance(cell, float):
            if whole and not cell.is_integer():
                raise ValueError(cell)
            return int(cell) if cell.is_integer() else cell
        text = str(cell)
        if decimal_comma and "," in text and "." not in text:
            text = text.replace(",", ".")
        text = number_text(text)  # the rules of engine.numbers, as a form reads them
        if whole:
            return int(text)
        return json_number(decimal.Decimal(text))

    return number


def _date(cell: Any) -> str:
    if cell.__class__ is str:
        # the validator checks the format, as it does for the API: no second parse here
        return cell.strip()
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    return TYPES["date"].parse(str(cell))


def _datetime(cell: Any) -> str:
    if isinstance(cell, dt.datetime):
        moment = cell if cell.tzinfo else cell.replace(tzinfo=dt.UTC)
        return moment.isoformat()
    return TYPES["datetime"].parse(str(cell))


def _time(cell: Any) -> str:
    if isinstance(cell, dt.time | dt.datetime):
        return cell.strftime("%H:%M:%S")
    return str(cell).strip()


_SWITCH_WORDS = {
    word: value
    for words, value in (
        (("yes", "true", "y", "1", "on"), True),
        (("no", "false", "n", "0", "off"), False),
    )
    for plain in words
    for word in (plain, plain.upper(), plain.capitalize())
}


_SWITCH_COLUMN = {**_SWITCH_WORDS, "": None}


def _switch(cell: Any) -> bool:
    if cell.__class__ is str and cell in _SWITCH_WORDS:  # the usual spellings, at once
        return _SWITCH_WORDS[cell]
    if isinstance(cell, bool):
        return cell
    if isinstance(cell, int | float) and cell in (0, 1):
        return bool(cell)
    return TYPES["switch"].parse(str(cell))


_TYPED: dict[str, Converter] = {
    "date": _date,
    "datetime": _datetime,
    "time": _time,
    "switch": _switch,
}


def _exact_options(field: FieldSpec) -> dict[Any, Any]:
    """Each option by its value and its label, exactly as the metadata writes them."""
    exact: dict[Any, Any] = {}
    for option in field.options:
        exact.setdefault(str(option.value), option.value)
        exact.setdefault(option.label, option.value)
    return exact


def _option_picker(field: FieldSpec) -> Converter:
    """An option by its value or its label; anything else passes on for the validator to
    name the allowed options."""
    options: dict[str, Any] = {}
    for option in field.options:
        options.setdefault(normalized(str(option.value)), option.value)
        options.setdefault(normalized(option.label), option.value)
    exact = _exact_options(field)

    def pick(cell: Any) -> Any:
        if cell in exact:  # as written in the metadata: no need to normalise
            return exact[cell]
        if isinstance(cell, float) and cell.is_integer():
            cell = int(cell)
        return options.get(normalized(str(cell)), cell)

    return pick


def column_converter(field: FieldSpec) -> Callable[[Sequence[str]], list[Any]] | None:
    """For a CSV column of the field's type, a function converting the whole column in
    one pass at C speed, or raising (ValueError, TypeError, KeyError) at the first cell
    that is not plain, for the per-cell converter to take over; None where no such
    shortcut exists."""
    kind = field.input_type
    if kind == "select":
        return functools.partial(_mapped, {**_exact_options(field), "": None})
    if kind == "switch":
        return functools.partial(_mapped, _SWITCH_COLUMN)
    if kind == "date":
        return _stripped
    if TYPES[kind].numeric and kind != "lookup":
        return _whole_numbers if kind == "integer" else _numbers
    return None


_MISSING = object()


def _mapped(table: dict[Any, Any], cells: Sequence[str]) -> list[Any]:
    values = list(map(table.get, cells, itertools.repeat(_MISSING)))
    if _MISSING in values:
        raise KeyError("a cell is not one of the table's")
    return values


def _stripped(cells: Sequence[str]) -> list[str | None]:
    return [value or None for value in map(str.strip, cells)]


def _whole_numbers(cells: Sequence[str]) -> list[int]:
    if "_" in "".join(cells):  # int() takes Python's 1_000; engine.numbers does not
        raise ValueError("an underscore")
    return list(map(int, cells))


def _numbers(cells: Sequence[str]) -> list[int | float]:
    if max(map(len, cells), default=0) > 15:
        raise ValueError("more digits than a float holds")  # the exact per-cell way
    if "_" in "".join(cells):
        raise ValueError("an underscore")
    floats = list(map(float, cells))
    if not all(map(math.isfinite, floats)):
        raise ValueError("not a finite number")
    if any(_not_zero(cell) for value, cell in zip(floats, cells, strict=True) if not value):
        raise ValueError("a number too small to be told from 0")  # 1e-400: the per-cell way
    return [int(value) if value.is_integer() else value for value in floats]


def _not_zero(cell: str) -> bool:
    """Whether a cell that float() read as 0 wrote a digit other than 0 before its
    exponent."""
    mantissa = cell.lower().partition("e")[0]
    return any(unicodedata.decimal(char, 0) for char in mantissa if char.isdigit())


def _parts(cell: Any) -> list[str]:
    return [part.strip() for part in str(cell).split(",") if part.strip()]


def _lookup(index: LookupIndex | None) -> Converter:
    def lookup(cell: Any) -> int:
        if index is None:  # no index: the cell must be an id
            return int(str(cell).lstrip("#"))
        if isinstance(cell, float) and cell.is_integer():
            cell = int(cell)
        return index.resolve(cell)

    return lookup


def cell_text(field: FieldSpec, value: Any) -> Any:
    """A value as the cell an export writes: the importer reads it back to `value`.
    Options are written by label, switches as Yes/No, lists comma-separated."""
    if value is None:
        return ""
    if field.input_type in ("select", "multiselect"):
        labels = {option.value: option.label for option in field.options}
        if field.input_type == "select":
            return labels.get(value, value)
        return ", ".join(str(labels.get(v, v)) for v in value)
    return TYPES[field.input_type].show(value)
