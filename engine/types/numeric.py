"""Number types: integer, and decimal, currency and percent with their decimal places.

How people write numbers (spaces between digits, digits of any script) is the rule of
engine.numbers, the same for forms, files and list filters.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

import peewee

from engine.numbers import json_number, number_text
from engine.types.base import NUMBER_KEYS, ColumnReader, InputType, Texts
from engine.types.cells import Converter

if TYPE_CHECKING:
    from engine.bulk.lookups import LookupIndex
    from engine.locales import Locality
    from engine.spec import FieldSpec

# Whole numbers and ids are 64-bit database integers: a larger value is refused as out of
# range rather than reaching a database that cannot hold it.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
DECIMAL_DIGITS = 20


def store_decimal(value: Any) -> Decimal:
    """A JSON number as the decimal its column keeps, with its exact digits."""
    return Decimal(str(value))


def load_decimal(value: Any) -> Any:
    """Whole amounts as integers, others as floats: JSON numbers with their exact digits."""
    if value is None:
        return None
    number = Decimal(value)
    return int(number) if number == number.to_integral_value() else float(number)


def parse_integer(text: str) -> int:
    """A typed whole number, by the rules of engine.numbers."""
    return int(number_text(text))


@dataclass(frozen=True, kw_only=True, eq=False)
class NumberType(InputType):
    """A number within the field's min and max, or else what its column holds."""

    keys: frozenset[str] = NUMBER_KEYS
    numeric: ClassVar[bool] = True
    json_type: ClassVar[str] = "number"

    def schema(self, field: FieldSpec) -> dict:
        """A JSON number (or integer) within the field's bounds or its column's."""
        fragment: dict = {"type": self.json_type}
        low, high = self.column_range(field)
        fragment["minimum"] = field.min if field.min is not None else low
        fragment["maximum"] = field.max if field.max is not None else high
        return fragment

    def list_texts(self, field: FieldSpec, locality: Locality | None = None) -> Texts:
        """Numbers as the locality writes them (grouping, decimal symbol); plain text
        without one."""
        if locality is None:
            return super().list_texts(field)
        write = self.people_text(field, locality)
        return lambda values: ["" if v is None else write(v) for v in values]

    def people_text(self, field: FieldSpec, locality: Locality) -> Callable[[Any], str]:
        """How one value of the field is written for people of the locality."""
        return locality.number

    def form_value(self, raw: Any, locality: Locality | None = None) -> Any:
        """What was typed, read the locality's way where its inputs are text (1.234,5
        in German); nothing typed is None."""
        if raw == "" or locality is None or not locality.typed_as_text:
            return super().form_value(raw)
        number = locality.parse_number(raw)
        if self.json_type == "integer":
            if number != number.to_integral_value():
                raise ValueError(f"{raw!r} is not a whole number")
            return int(number)
        return number

    def local_form_text(self, value: Any, locality: Locality) -> Any:
        """In a text input, the locality's decimal symbol (1234,5), no grouping."""
        if value is None or not locality.typed_as_text:
            return self.form_text(value)
        return locality.typed_number(value)

    def html_step(self, field: FieldSpec) -> str:
        """1 for whole numbers, else one unit of the last decimal place."""
        places = field.precision or 0
        return "1" if places == 0 else str(Decimal(1).scaleb(-places))

    def cell_reader(
        self, field: FieldSpec, lookup: LookupIndex | None = None, decimal_comma: bool = False
    ) -> Converter:
        """A number cell: XLSX numbers as they are, text by the rules of a form."""
        whole = self.json_type == "integer"

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
            return json_number(Decimal(text))

        return number


@dataclass(frozen=True, kw_only=True, eq=False)
class IntegerType(NumberType):
    """A whole number, kept in a 64-bit column."""

    json_type: ClassVar[str] = "integer"
    whole_numbers: ClassVar[bool] = True

    def column(self, field: FieldSpec) -> peewee.Field:
        """A 64-bit integer column."""
        return peewee.BigIntegerField(null=True)

    def column_range(self, field: FieldSpec | None) -> tuple[int, int]:
        """A 64-bit integer's range."""
        return INT64_MIN, INT64_MAX

    def parse(self, text: str) -> int:
        """A typed whole number."""
        return parse_integer(text)

    def column_reader(self, field: FieldSpec) -> ColumnReader:
        """Whole numbers, read by int() all at once."""
        return _whole_numbers


@dataclass(frozen=True, kw_only=True, eq=False)
class DecimalType(NumberType):
    """A number with `precision` decimal places, kept exactly in a decimal column."""

    keys: frozenset[str] = NUMBER_KEYS | {"precision"}
    store: Callable[[Any], Any] = store_decimal
    load: Callable[[Any], Any] = load_decimal
    shown_as: str = "number"  # for people: "number", "amount" (a currency) or "percent"

    def people_text(self, field: FieldSpec, locality: Locality) -> Callable[[Any], str]:
        """A number, an amount in the locality's currency, or a percentage."""
        if self.shown_as == "amount":
            places = field.precision or 0
            return lambda value: locality.amount(value, places)
        if self.shown_as == "percent":
            return locality.percent
        return locality.number

    def column(self, field: FieldSpec) -> peewee.Field:
        """A decimal column of DECIMAL_DIGITS digits, `precision` after the point."""
        return peewee.DecimalField(
            max_digits=DECIMAL_DIGITS, decimal_places=field.precision, null=True, auto_round=True
        )

    def column_range(self, field: FieldSpec | None) -> tuple[int, int]:
        """What DECIMAL_DIGITS digits hold, `precision` of them after the point."""
        largest = 10 ** (DECIMAL_DIGITS - ((field.precision if field else None) or 0)) - 1
        return -largest, largest

    def parse(self, text: str) -> Decimal:
        """A typed number, exactly."""
        return Decimal(number_text(text))

    def column_reader(self, field: FieldSpec) -> ColumnReader:
        """Numbers, read by float() all at once where a float holds them exactly."""
        return _numbers


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
