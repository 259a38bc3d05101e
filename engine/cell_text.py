"""The text of a spreadsheet cell, as exports write it and imports read it back.

An export guards text a spreadsheet would run as a formula; an import takes the guard
off. Names (headers, sheets, option labels) are compared loosely. Both the bulk files
(engine.bulk) and the input types' cell readers (engine.types) use these, so they live
apart from either.
"""

from __future__ import annotations

from typing import Any

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def normalized(name: str) -> str:
    """A header or sheet name as compared: case, spaces and underscores do not count."""
    return "".join(name.replace("_", " ").split()).casefold()


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula (=, +, -, @ first) made inert; a
    number such as -5 stays as it is. The importer takes the apostrophe off again."""
    if isinstance(value, str) and value[:1] in _FORMULA_STARTS and not _is_number(value):
        return "'" + value
    return value


def unsafe_cell(text: str) -> str:
    """The text `safe_cell` was given."""
    if text[:1] == "'" and text[1:2] in _FORMULA_STARTS:
        return text[1:]
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
