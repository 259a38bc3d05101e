"""Reading CSV in its common dialects and encodings, and XLSX; writing them safely."""

from __future__ import annotations

import io

import openpyxl
import pytest

from engine.bulk.tables import (
    FileUnreadable,
    Sheet,
    read_csv,
    read_table,
    safe_cell,
    unsafe_cell,
    write_csv,
    xlsx_bytes,
)

ROWS = [["Name", "City", "Note"], ["Müller GmbH", "Köln", "a; b, c"], ["Ça va", "Évry", ""]]


def _csv(delimiter: str) -> str:
    buffer = io.StringIO(newline="")
    import csv

    csv.writer(buffer, delimiter=delimiter).writerows(ROWS)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("encoding", "delimiter", "detected"),
    [
        ("utf-8", ",", "utf-8"),
        ("utf-8-sig", ",", "utf-8-sig"),
        ("utf-8-sig", ";", "utf-8-sig"),
        ("latin-1", ";", None),  # charset-normalizer names a Latin-1 family codec
        ("cp1252", "\t", None),
        ("utf-16", ",", "utf-16"),
        ("utf-8", "|", "utf-8"),
    ],
)
def test_csv_encodings_and_delimiters_are_detected(encoding, delimiter, detected):
    table = read_csv(_csv(delimiter).encode(encoding), "f.csv")
    assert table.headers == ["Name", "City", "Note"]
    assert [list(cells) for _, cells in table.rows] == ROWS[1:]
    assert table.delimiter == delimiter
    if detected:
        assert table.encoding == detected


def test_row_numbers_count_the_header_and_skip_blank_lines():
    table = read_csv(b"a,b\n1,2\n\n3,4\n", "f.csv")
    assert [number for number, _ in table.rows] == [2, 4]


def test_a_quoted_cell_keeps_its_newline_and_delimiters():
    table = read_csv(b'a;b\n"line one\nline two";"x;y"\n', "f.csv")
    assert list(table.rows[0][1]) == ["line one\nline two", "x;y"]


def test_given_encoding_and_delimiter_override_detection():
    data = "a;b\n1;é\n".encode("latin-1")
    table = read_csv(data, "f.csv", encoding="latin-1", delimiter=",")
    assert table.headers == ["a;b"]
    with pytest.raises(FileUnreadable, match="cannot be read as utf-8"):
        read_csv(data, "f.csv", encoding="utf-8")


def test_empty_and_missing_files_are_refused(tmp_path):
    with pytest.raises(FileUnreadable, match="empty"):
        read_csv(b"", "f.csv")
    with pytest.raises(FileUnreadable, match="no such file"):
        read_table(tmp_path / "nope.csv")
    (tmp_path / "data.bin").write_bytes(b"x")
    with pytest.raises(FileUnreadable, match="pass --format"):
        read_table(tmp_path / "data.bin")
    (tmp_path / "fake.xlsx").write_bytes(b"not a zip")
    with pytest.raises(FileUnreadable, match="not a readable XLSX"):
        read_table(tmp_path / "fake.xlsx")


def test_xlsx_sheets_by_position_and_name(tmp_path):
    path = tmp_path / "book.xlsx"
    path.write_bytes(
        xlsx_bytes(
            [Sheet("Accounts", ["Name"], [["A"], ["B"]]), Sheet("Branches", ["City"], [["X"]])]
        )
    )
    assert [c[0] for _, c in read_table(path).rows] == ["A", "B"]
    assert read_table(path, sheet="branches").headers == ["City"]
    with pytest.raises(FileUnreadable, match="its sheets are Accounts, Branches"):
        read_table(path, sheet="Sites")


def test_xlsx_drop_down_lists_come_from_a_hidden_sheet(tmp_path):
    long = [f"Option number {i}" for i in range(40)]  # over the 255 characters of a list formula
    path = tmp_path / "t.xlsx"
    path.write_bytes(
        xlsx_bytes([Sheet("T", ["Kind", "Flag"], [], choices={0: long, 1: ["Yes", "No"]})])
    )
    book = openpyxl.load_workbook(path)
    validations = book["T"].data_validations.dataValidation
    assert [v.formula1 for v in validations] == ["Lists!$A$1:$A$40", "Lists!$B$1:$B$2"]
    assert book["Lists"].sheet_state == "hidden"
    assert book["Lists"]["A40"].value == "Option number 39"


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x")', "+1 555", "-cmd", "@SUM(A1)"])
def test_formulas_are_made_inert_and_come_back(text):
    guarded = safe_cell(text)
    assert guarded == "'" + text
    assert unsafe_cell(guarded) == text


def test_numbers_are_not_guarded():
    assert safe_cell("-5") == "-5"
    assert safe_cell(-5) == -5
    buffer = io.StringIO()
    write_csv(buffer, ["a"], [["=1+1"]])
    assert buffer.getvalue().splitlines() == ["a", "'=1+1"]
