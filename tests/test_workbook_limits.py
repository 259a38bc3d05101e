"""Workbooks made to exhaust memory or time, imported as an attacker would: by
`formwork import` (in a process of its own, its memory measured and capped) and by the
web import page. Each is refused at once saying which limit and the file's figure, or
read in bounded memory; an ordinary workbook beside them imports as before."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import zipfile

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import ROOT
from hostile_workbooks import (
    MAIN,
    declare_size,
    far_columns,
    numbered_rows,
    repeated_rows,
    write_workbook,
)
from test_pages import Browser, make_app
from test_transfer import text_of, upload

from engine import users
from engine.bulk import workbook_limits
from engine.cli import main
from engine.storage.databases import Storage

ITEM = """\
entity: item
label: Item
plural: Items
fields:
  - {name: name, sequence: 1, label: Name, input_type: text, group: MAIN}
"""
MIB = 1024 * 1024
PASSWORD = "correct horse battery"
MEMORY_CAP = 2048 * MIB  # the address space the command may take: a regression fails fast
# what the command may use at its peak; without the limits it took 3.7 GB and more
BOUND = 400 * MIB
# Runs `formwork ARGS` with its address space capped, then reports its exit status and
# the most memory it held.
MEASURED = f"""
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_CAP}, {MEMORY_CAP}))
from engine.cli import main
try:
    main(sys.argv[1:])
    code = 0
except SystemExit as end:
    code = end.code
except MemoryError:
    code = "MemoryError"
# the peak of this program's own memory (ru_maxrss would count pytest's, before exec)
status = open("/proc/self/status").read()
peak = int(status.split("VmHWM:")[1].split()[0]) * 1024
print(json.dumps({{"code": code, "peak": peak}}), file=sys.stderr)
"""


@pytest.fixture
def metadata(tree):
    return tree({"entities/item.yaml": ITEM})


@pytest.fixture
def measured_import(metadata, tmp_path):
    """`formwork import t item FILE --dry-run` in a process of its own: its exit status,
    what it printed, the most memory it held and the time it took."""

    def run(path):
        arguments = ["import", "t", "item", str(path), "--dry-run"]
        arguments += ["--metadata", str(metadata), "--data", str(tmp_path / "data")]
        environment = {**os.environ, "PYTHONPATH": str(ROOT)}
        began = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-c", MEASURED, *arguments],
            capture_output=True,
            text=True,
            timeout=300,
            env=environment,
            cwd=ROOT,
        )
        took = time.monotonic() - began
        *printed, report = done.stderr.strip().splitlines()
        figures = json.loads(report)
        return figures["code"], done.stdout + "\n".join(printed), figures["peak"], took

    return run


@pytest.fixture
def formwork(metadata, tmp_path):
    def run(*args):
        arguments = [*args, "--metadata", str(metadata), "--data", str(tmp_path / "data")]
        return CliRunner().invoke(main, arguments, catch_exceptions=False)

    return run


def test_rows_reaching_column_xfd_are_read_in_bounded_memory(measured_import, tmp_path):
    # 62,000 rows of a cell in column A and one in XFD: 477 KB packed, 4.4 MB unpacked
    path = write_workbook(tmp_path / "far.xlsx", far_columns(62_000))
    assert path.stat().st_size < 500_000
    code, printed, peak, took = measured_import(path)
    assert code == 0, printed
    assert "Dry run: every row is valid; 62000 to create" in printed
    assert peak < BOUND, f"{peak / MIB:.0f} MiB"
    assert took < 120


def test_a_header_reaching_column_xfd_is_refused_naming_the_limit(formwork, tmp_path):
    path = write_workbook(tmp_path / "far.xlsx", far_columns(10, header_too=True))
    result = formwork("import", "t", "item", str(path))
    assert result.exit_code == 1
    assert (
        "error: far.xlsx: the first row of sheet 'Items' fills 16,384 columns; a sheet may "
        "have at most 1,000. Empty the cells right of the headers."
    ) in result.output


def test_a_zip_bomb_is_refused_before_it_unpacks(measured_import, tmp_path):
    # 26 million rows alike: 3.7 MB packed, 1.2 GiB unpacked
    path = write_workbook(tmp_path / "bomb.xlsx", repeated_rows(26_000_000))
    assert 3_000_000 < path.stat().st_size < 4_000_000
    code, printed, peak, took = measured_import(path)
    assert code == 1
    assert (
        "error: bomb.xlsx: unpacks to 1.2 GiB or more; a workbook may unpack to at most "
        "256 MiB. Split it into smaller files, or save it as CSV."
    ) in printed
    assert peak < BOUND, f"{peak / MIB:.0f} MiB"
    assert took < 60


def test_a_part_packed_too_tightly_is_refused_naming_the_ratio(formwork, tmp_path):
    # 100,000 rows alike: 4.7 MiB unpacked, 338 times their packed size
    path = write_workbook(tmp_path / "tight.xlsx", repeated_rows(100_000))
    result = formwork("import", "t", "item", str(path))
    assert result.exit_code == 1
    assert (
        "error: tight.xlsx: its part xl/worksheets/sheet1.xml unpacks to 338 times its packed "
        "size (4.7 MiB); a workbook's parts unpack to at most 100 times theirs."
    ) in result.output


def test_a_part_that_unpacks_past_what_its_header_declares_is_refused(measured_import, tmp_path):
    # 300 MiB unpacked, declared as 1,000 bytes in both the part's header and the zip's list
    path = write_workbook(tmp_path / "liar.xlsx", repeated_rows(6_000_000))
    declare_size(path, "xl/worksheets/sheet1.xml", 1_000)
    code, printed, peak, took = measured_import(path)
    assert code == 1
    assert "error: liar.xlsx: not a readable XLSX workbook (its part xl/worksheets/sheet1.xml" in (
        printed
    )
    assert peak < BOUND and took < 60


def test_rows_numbered_past_the_last_row_of_a_sheet_are_refused(formwork, tmp_path):
    rows = ['<row r="1"><c t="inlineStr"><is><t>Name</t></is></c></row>']
    rows.append('<row r="900000000000"><c t="inlineStr"><is><t>x</t></is></c></row>')
    path = write_workbook(tmp_path / "far-down.xlsx", rows)
    began = time.monotonic()
    result = formwork("import", "t", "item", str(path))
    assert result.exit_code == 1
    assert (
        "error: far-down.xlsx: sheet 'Items' numbers its rows past 1,048,576, the most a "
        "sheet may have."
    ) in result.output
    assert time.monotonic() - began < 60


def test_one_row_of_too_many_elements_is_refused(formwork, tmp_path):
    # 250,000 cells in one row, which a parser holds whole until the row ends
    cells = "".join(f"<c><v>{n}</v></c>" for n in range(250_000))
    path = write_workbook(tmp_path / "long-row.xlsx", [f"<row>{cells}</row>"])
    result = formwork("import", "t", "item", str(path))
    assert result.exit_code == 1
    assert (
        "error: long-row.xlsx: one of its rows in its part xl/worksheets/sheet1.xml holds "
        "more than 200,000 XML elements; one may hold at most 200,000 XML elements and 16 MiB."
    ) in result.output


def test_elements_outside_the_rows_are_counted_too(formwork, tmp_path):
    # openpyxl keeps what lies between the rows until the sheet ends
    rows = [f"<row><c><v>{n}</v></c></row><x{n % 7} a='{n}'/>" for n in range(210_000)]
    path = write_workbook(tmp_path / "between.xlsx", rows)
    result = formwork("import", "t", "item", str(path))
    assert result.exit_code == 1
    assert "error: between.xlsx: its part xl/worksheets/sheet1.xml holds 200,001 XML " in (
        result.output
    )
    assert "elements outside its rows and texts" in result.output


def test_a_styles_part_of_too_many_elements_is_refused(formwork, tmp_path):
    formats = "".join(f'<xf numFmtId="{n * 7919 % 100_003}"/>' for n in range(250_000))
    styles = f'<styleSheet xmlns="{MAIN}"><cellXfs>{formats}</cellXfs></styleSheet>'
    path = write_workbook(tmp_path / "styles.xlsx", numbered_rows(3), styles=styles)
    result = formwork("import", "t", "item", str(path))
    assert result.exit_code == 1
    assert "error: styles.xlsx: its part xl/styles.xml holds 200,001 XML elements" in (
        result.output
    )


def test_a_document_type_is_refused(formwork, tmp_path):
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "ha">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        f'<worksheet xmlns="{MAIN}"><sheetData>'
    )
    rows = ['<row><c t="inlineStr"><is><t>Name</t></is></c></row>']
    rows.append('<row><c t="inlineStr"><is><t>&b;</t></is></c></row>')
    path = write_workbook(tmp_path / "laughs.xlsx", rows, head=laughs)
    result = formwork("import", "t", "item", str(path))
    assert result.exit_code == 1
    assert (
        "error: laughs.xlsx: its part xl/worksheets/sheet1.xml declares a document type, "
        "which no workbook does"
    ) in result.output


def test_a_part_of_too_many_different_names_is_refused(formwork, tmp_path):
    rows = [f"<row><c><v>1</v></c><n{n}/></row>" for n in range(10_001)]
    path = write_workbook(tmp_path / "names.xlsx", rows)
    result = formwork("import", "t", "item", str(path))
    assert result.exit_code == 1
    assert "uses more than 10,000 different XML names" in result.output


def test_a_sheet_over_the_cell_limit_is_refused_with_its_count(formwork, tmp_path, monkeypatch):
    # the limit as it stands would take a file of five million cells to reach
    monkeypatch.setattr(workbook_limits, "MAX_CELLS", 2_000)
    path = write_workbook(tmp_path / "cells.xlsx", numbered_rows(300, cells=10))
    result = formwork("import", "t", "item", str(path))
    assert result.exit_code == 1
    assert (
        "error: cells.xlsx: holds 2,001 cells or more; a workbook may hold at most 2,000. "
        "Split it into smaller files."
    ) in result.output
    monkeypatch.setattr(workbook_limits, "MAX_CELLS", 3_001)  # 300 rows of 10, the header
    assert formwork("import", "t", "item", str(path)).exit_code == 0


def test_a_workbook_with_empty_columns_after_its_headers_imports_as_before(formwork, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Name", None, "", None])
    sheet.append(["Bolt", None, None, ""])
    sheet.append([None, None, None, None])  # a blank row is skipped
    sheet.append(["Nut"])
    sheet["Z3"] = ""  # an empty text far right
    path = tmp_path / "items.xlsx"
    book.save(path)
    result = formwork("import", "t", "item", str(path))
    assert result.exit_code == 0, result.output
    assert "Created 2, updated 0, unchanged 0." in result.output
    exported = formwork("export", "t", "item", "--format", "json")
    assert [r["name"] for r in json.loads(exported.stdout)] == ["Bolt", "Nut"]


@pytest.fixture
def editor(metadata, tmp_path):
    """An editor of tenant t, signed in to the web app."""
    app = make_app(metadata, Storage(str(tmp_path / "web")))
    users.add_user(app.extensions["formwork"].registry.tenant("t"), "ann", "editor", PASSWORD)
    person = Browser(app, "t")
    assert person.login("ann", PASSWORD).status_code == 302
    return person


def test_the_import_page_refuses_a_hostile_workbook_saying_why(editor, tmp_path):
    bomb = write_workbook(tmp_path / "bomb.xlsx", repeated_rows(6_000_000))
    far = write_workbook(tmp_path / "far.xlsx", far_columns(10, header_too=True))
    refusals = {
        bomb: "bomb.xlsx: unpacks to 280.4 MiB or more; a workbook may unpack to at most "
        "256 MiB. Split it into smaller files, or save it as CSV.",
        far: "far.xlsx: the first row of sheet 'Items' fills 16,384 columns; a sheet may have "
        "at most 1,000. Empty the cells right of the headers.",
    }
    for path, message in refusals.items():
        response = upload(editor, (io.BytesIO(path.read_bytes()), path.name), entity="item")
        assert response.status_code == 422
        text = text_of(response.get_data(as_text=True))
        assert message in text and "Something went wrong" not in text
    assert not list((tmp_path / "web" / "imports" / "t").iterdir())  # nothing kept
    good = write_workbook(tmp_path / "good.xlsx", numbered_rows(3)).read_bytes()
    assert upload(editor, (io.BytesIO(good), "good.xlsx"), entity="item").status_code == 302


def test_a_zip_listing_too_many_parts_is_refused_before_zipfile_reads_the_list(formwork, tmp_path):
    path = write_workbook(tmp_path / "parts.xlsx", numbered_rows(3))
    with zipfile.ZipFile(path, "a") as archive:
        for part in range(24_000):
            archive.writestr(f"xl/media/padding-{part:06d}.bin", b"")
    result = formwork("import", "t", "item", str(path))
    assert result.exit_code == 1
    assert (
        "error: parts.xlsx: its list of parts takes 1.7 MiB; a workbook's may take at most "
        "1 MiB. Save the data again from the spreadsheet program."
    ) in result.output


def test_too_many_shared_texts_are_refused_with_their_count(formwork, tmp_path, monkeypatch):
    # the limit as it stands would take a million distinct texts to reach
    monkeypatch.setattr(workbook_limits, "MAX_STRINGS", 100)
    texts = ["Name", *(f"Item {n}" for n in range(1, 150))]  # the first heads the column
    rows = [f'<row><c t="s"><v>{n}</v></c></row>' for n in range(150)]
    path = write_workbook(tmp_path / "texts.xlsx", rows, strings=texts)
    result = formwork("import", "t", "item", str(path))
    assert result.exit_code == 1
    assert (
        "error: texts.xlsx: its part xl/sharedStrings.xml holds 101 texts or more; a workbook "
        "may hold at most 100. Split it into smaller files."
    ) in result.output
    monkeypatch.setattr(workbook_limits, "MAX_STRINGS", 150)
    path = write_workbook(tmp_path / "fewer.xlsx", rows, strings=texts)
    result = formwork("import", "t", "item", str(path))
    assert result.exit_code == 0, result.output
    assert "Created 149" in result.output  # read from the shared strings
