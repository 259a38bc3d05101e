"""Cell readers that several families of input types share.

A cell comes from a CSV file as text, or from an XLSX file typed (numbers, dates,
booleans); a reader turns a non-empty one into the JSON value the validator checks.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Sequence
from typing import Any

from engine.cell_text import unsafe_cell

Converter = Callable[[Any], Any]
_MISSING = object()


def read_text(cell: Any) -> str:
    """A cell of a text field: trimmed, without an export's formula guard."""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))  # a spreadsheet keeps a phone or a postal code as a number
    if isinstance(cell, dt.datetime | dt.date | dt.time):
        return cell.isoformat()
    return unsafe_cell(str(cell).strip())


def parts(cell: Any) -> list[str]:
    """The comma-separated parts of a cell, trimmed, empty ones left out."""
    return [part.strip() for part in str(cell).split(",") if part.strip()]


def mapped(table: dict[Any, Any], cells: Sequence[str]) -> list[Any]:
    """Each cell's value in `table`; KeyError if a cell is not one of the table's."""
    values = list(map(table.get, cells, itertools.repeat(_MISSING)))
    if _MISSING in values:
        raise KeyError("a cell is not one of the table's")
    return values


def stripped(cells: Sequence[str]) -> list[str | None]:
    """Each cell trimmed; an empty one is no value."""
    return [value or None for value in map(str.strip, cells)]
