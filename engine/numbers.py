"""Numbers as people type them into forms and files, and as JSON carries them.

The rules, the same for forms, files and the API:
- Spaces (and no-break spaces) between digits group them: "1 200" is 1200.
- Digits of any script count as the digits they are: "١٢٣" (Arabic-Indic) is 123.
- An underscore is not part of a number ("1_000" is refused), nor are NaN and infinities.
- A number whose magnitude no float holds (1e400), or which is too small to be told from
  zero (1e-400), is refused as out of range rather than stored as infinity or 0.
"""

from __future__ import annotations

import decimal
import math
import re
import unicodedata

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_GROUPING = str.maketrans("", "", " \u00a0\u202f")


class OutOfRange(ValueError):
    """A number no column can hold as it was written."""


def number_text(text: str) -> str:
    """The number a person typed, as plain ASCII digits; ValueError if it is not one."""
    plain = text.strip().translate(_GROUPING)
    if not plain.isascii():  # digits of another script: each as its ASCII digit
        plain = "".join(_ascii_digit(char) for char in plain)
    if not _NUMBER.fullmatch(plain):
        raise ValueError(f"{text!r} is not a number")
    return plain


def _ascii_digit(char: str) -> str:
    if char.isascii():
        return char
    digit = unicodedata.decimal(char, None)
    return str(digit) if digit is not None else char


def json_number(value: float | decimal.Decimal) -> int | float:
    """A number as JSON's readers take it: whole ones as int, others as float;
    OutOfRange for a number no float holds, or one a float would turn into 0."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise OutOfRange(f"{value!r} is out of range")
        return value
    if not value.is_finite():
        raise OutOfRange(f"{value!r} is out of range")
    if value == value.to_integral_value() and value.adjusted() < 64:
        return int(value)
    as_float = float(value)
    if not math.isfinite(as_float) or (as_float == 0 and value != 0):
        raise OutOfRange(f"{value} is out of range")
    return as_float
