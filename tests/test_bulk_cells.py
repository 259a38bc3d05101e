"""Cells ⇄ values: what a CSV text or an XLSX cell means for each input type, and back."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.bulk.cells import CONVERSION_ERRORS, cell_text, column_converter, converter, problem
from engine.spec import FieldSpec, Option

OPTIONS = (Option("eur", "Euro"), Option("usd", "US Dollar"))


def field(kind: str, **extra) -> FieldSpec:
    return FieldSpec("f", 1, "Amount", kind, "MAIN", **extra)


@pytest.mark.parametrize(
    ("kind", "cell", "value"),
    [
        ("integer", " 1 200 ", 1200),
        ("integer", 12.0, 12),  # an XLSX number
        ("currency", "1234.5", 1234.5),
        ("currency", "1000", 1000),
        ("currency", 99.25, 99.25),
        ("decimal", "12345678901234567890", 12345678901234567890),
        ("switch", "Yes", True),
        ("switch", "off", False),
        ("switch", True, True),
        ("switch", 0, False),
        ("date", " 2024-02-29 ", "2024-02-29"),
        ("date", dt.datetime(2024, 3, 1, 0, 0), "2024-03-01"),
        ("datetime", dt.datetime(2024, 3, 1, 12, 30), "2024-03-01T12:30:00+00:00"),
        ("time", dt.time(9, 5), "09:05:00"),
        ("text", 12345.0, "12345"),  # a postal code a spreadsheet keeps as a number
        ("text", "'=SUM(A1)", "=SUM(A1)"),
    ],
)
def test_cells_become_values(kind, cell, value):
    converted = converter(field(kind))(cell)
    assert converted == value and type(converted) is type(value)


def test_options_by_value_or_label_whatever_the_case():
    pick = converter(field("select", options=OPTIONS))
    assert [pick(c) for c in ("eur", "Euro", "US DOLLAR", " us_dollar ")] == [
        "eur",
        "eur",
        "usd",
        "usd",
    ]
    assert pick("Yen") == "Yen"  # left for the validator to name the options
    several = converter(field("multiselect", options=OPTIONS))
    assert several("Euro, usd") == ["eur", "usd"]


def test_a_decimal_comma_in_a_file_not_delimited_by_commas():
    assert converter(field("currency"), decimal_comma=True)("1234,56") == 1234.56
    with pytest.raises(CONVERSION_ERRORS):
        converter(field("currency"))("1234,56")


@pytest.mark.parametrize(
    ("kind", "cell"),
    [
        ("integer", "1.5"),
        ("integer", "twelve"),
        ("currency", "NaN"),
        ("currency", "inf"),
        ("switch", "maybe"),
        ("integer", True),
    ],
)
def test_cells_that_are_no_value_are_worded_for_the_person(kind, cell):
    with pytest.raises(CONVERSION_ERRORS) as error:
        converter(field(kind))(cell)
    assert problem(field(kind), cell, error.value).startswith("Amount must be ")


@pytest.mark.parametrize(
    ("kind", "cells"),
    [
        ("integer", ["1", "22", " 3"]),
        ("currency", ["1", "2.5", "0.1", "1e3", "7"]),
        ("switch", ["Yes", "no", "TRUE", ""]),
        ("date", ["2024-01-02", " 2024-01-03", ""]),
        ("select", ["Euro", "usd", ""]),
    ],
)
def test_a_plain_column_converts_in_one_pass_as_cell_by_cell(kind, cells):
    spec = field(kind, options=OPTIONS)
    one_by_one = [None if c == "" else converter(spec)(c) for c in cells]
    whole = column_converter(spec)(cells)
    assert whole == one_by_one
    assert [type(v) for v in whole] == [type(v) for v in one_by_one]


@pytest.mark.parametrize(
    ("kind", "cells"),
    [
        ("integer", ["1", ""]),
        ("currency", ["1", "nan"]),
        ("currency", ["1", "1 000"]),
        ("switch", ["Yes", "Maybe"]),
        ("select", ["EURO"]),  # needs the case-insensitive way
    ],
)
def test_a_column_with_an_irregular_cell_goes_cell_by_cell(kind, cells):
    with pytest.raises((ValueError, TypeError, KeyError)):
        column_converter(field(kind, options=OPTIONS))(cells)


def test_export_cells_read_back_to_their_values():
    for spec, value in [
        (field("select", options=OPTIONS), "usd"),
        (field("multiselect", options=OPTIONS), ["eur", "usd"]),
        (field("switch"), False),
        (field("currency"), 12.5),
        (field("date"), "2024-01-02"),
    ]:
        assert converter(spec)(cell_text(spec, value)) == value
    assert cell_text(field("text"), None) == ""
