"""Rows as the text format of PostgreSQL's `COPY … FROM STDIN`, for the bulk writer.

COPY takes no parameters, so every value is written out here: `\\N` for NULL, an empty
field for empty text, backslash, tab, newline and carriage return escaped, and each other
type in a form PostgreSQL reads back exactly (a decimal's own digits, an ISO date or
timestamp). The work is done a column at a time, where the values share a type, so that
string methods and `map` run over many values per call.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Sequence

NULL = "\\N"
_NONE = type(None)
# str() of these is the literal PostgreSQL reads back as the same value: an int's digits,
# a float's shortest exact repr, a Decimal's exact digits (exponent included), ISO dates
# and times
_AS_STR = frozenset({int, float, decimal.Decimal, dt.date, dt.time})
# spelled out, as a switch's value bound as a parameter reads in a text column too
_SWITCH = {True: "true", False: "false", None: NULL}


def copy_text(rows: Sequence[tuple]) -> str:
    """The rows as COPY's text format: a line each, fields separated by tabs."""
    if not rows:
        return ""
    columns = [_column(values) for values in zip(*rows, strict=True)]
    return "\n".join(map("\t".join, zip(*columns, strict=True))) + "\n"


def _column(values: tuple) -> list[str]:
    """One column's values as COPY fields."""
    kinds = set(map(type, values))
    kinds.discard(_NONE)
    if kinds <= {str}:
        return _texts(values)
    if kinds <= {bool}:
        return list(map(_SWITCH.__getitem__, values))
    if kinds <= _AS_STR:
        return [NULL if value is None else str(value) for value in values]
    if kinds <= {dt.datetime}:
        return [NULL if value is None else _timestamp(value) for value in values]
    names = ", ".join(sorted(kind.__name__ for kind in kinds))
    raise TypeError(f"no COPY text for a column holding {names}")


def _texts(values: tuple) -> list[str]:
    """Text values escaped, None as NULL (an empty string stays an empty field)."""
    # one pass of each escape over the whole column, joined by NUL, which no value holds
    joined = "\x00".join(["" if value is None else value for value in values])
    if "\\" in joined or "\t" in joined or "\n" in joined or "\r" in joined:
        joined = joined.replace("\\", "\\\\").replace("\t", "\\t")
        joined = joined.replace("\n", "\\n").replace("\r", "\\r")
    fields = joined.split("\x00")
    if len(fields) != len(values):
        raise ValueError("a text value holds a NUL character, which PostgreSQL cannot store")
    if None in values:
        return [
            NULL if value is None else field for value, field in zip(values, fields, strict=True)
        ]
    return fields


def _timestamp(moment: dt.datetime) -> str:
    """A naive timestamp (UTC, as every timestamp is stored) as ISO text."""
    if moment.tzinfo is not None:
        # a timestamp column would drop the offset silently rather than convert it
        raise ValueError(f"{moment!r} is not a naive UTC timestamp")
    return moment.isoformat(" ")
