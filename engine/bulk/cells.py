"""Cells ⇄ values: what a CSV text or an XLSX cell means for a field, and back.

Import: a converter per column, chosen once per import, turns a cell into the JSON
value the validator checks, or raises one of CONVERSION_ERRORS, which `problem`
words for the person, naming the field by its label. XLSX cells arrive typed
(numbers, dates, booleans); CSV cells are text.
Export: `cell_text` writes the text the importer reads back to the same value.
Each field's input type says how (engine.types: `cell_reader`, `column_reader`,
`cell_text`); this module is what the importer and the exporter call.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Sequence
from typing import Any

from engine.bulk.lookups import LookupIndex, LookupMiss
from engine.bulk.tables import unsafe_cell
from engine.numbers import OutOfRange
from engine.spec import FieldSpec
from engine.types.cells import Converter, read_text

__all__ = [
    "CONVERSION_ERRORS",
    "Converter",
    "cell_text",
    "column_converter",
    "converter",
    "is_text",
    "plain_text",
    "problem",
]


def converter(
    field: FieldSpec, lookup: LookupIndex | None = None, decimal_comma: bool = False
) -> Converter:
    """The function that turns a non-empty cell of `field`'s column into its value; it
    raises ValueError (or a kin) for a cell that is no value of the field, and
    `problem` words that for the person."""
    return field.type.cell_reader(field, lookup, decimal_comma)


def is_text(field: FieldSpec) -> bool:
    """Whether a text cell of the field is its value once trimmed (see `plain_text`)."""
    return converter(field) is read_text


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
    return f"{field.label} must be {field.type.expects}; the file has {cell!r}."


CONVERSION_ERRORS = (ValueError, TypeError, decimal.InvalidOperation, OverflowError)


def column_converter(field: FieldSpec) -> Callable[[Sequence[str]], list[Any]] | None:
    """For a CSV column of the field's type, a function converting the whole column in
    one pass at C speed, or raising (ValueError, TypeError, KeyError) at the first cell
    that is not plain, for the per-cell converter to take over; None where no such
    shortcut exists."""
    return field.type.column_reader(field)


def cell_text(field: FieldSpec, value: Any) -> Any:
    """A value as the cell an export writes: the importer reads it back to `value`.
    Options are written by label, switches as Yes/No, lists comma-separated."""
    return field.type.cell_text(field, value)
