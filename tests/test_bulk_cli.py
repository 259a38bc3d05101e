"""`formwork import`, `export` and `template` on the shipped metadata, as a shell runs them."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import SHIPPED

from engine.cli import main

TENANT = "standard"


@pytest.fixture
def formwork(tmp_path):
    """Run the CLI on the shipped metadata and SQLite files of the test's own (the import's
    two backends are tested in test_import.py)."""
    place = ["--data", str(tmp_path / "data")]

    def run(*args):
        arguments = [*args, "--metadata", str(SHIPPED), *place]
        result = CliRunner().invoke(main, arguments, catch_exceptions=False)
        assert "Traceback" not in result.output
        return result

    return run


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def exported(formwork, *args) -> list[dict]:
    result = formwork("export", TENANT, "customer", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_filled_template_imports_with_its_lines(formwork, tmp_path):
    book_path = tmp_path / "customers.xlsx"
    result = formwork("template", TENANT, "customer", "--output", str(book_path))
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(book_path)
    assert book.sheetnames == ["Customers", "Sites", "Business Units", "Lists"]
    headers = [c.value for c in book["Customers"][1]]
    assert "Customer Name" in headers and "Customer Number" in headers
    assert "Ar Customer Id" not in headers  # the system fills it
    assert "Required" in book["Customers"].cell(1, headers.index("Customer Name") + 1).comment.text
    assert book["Customers"].data_validations.dataValidation  # drop-downs for options
    assert book["Sites"]["A1"].value == "Customer Number"

    customers, sites = book["Customers"], book["Sites"]
    site_headers = [c.value for c in sites[1]]
    for number, name in (("C-1", "North Bakery"), ("C-2", "South Mill")):
        row = [None] * len(headers)
        row[headers.index("Customer Number")] = number
        row[headers.index("Customer Name")] = name
        customers.append(row)
    for number, site in (("C-1", "North Plant"), ("C-1", "North Shop"), ("C-2", "Mill")):
        row = [None] * len(site_headers)
        row[0] = number
        row[site_headers.index("Customer Site Name")] = site
        sites.append(row)
    book.save(book_path)

    result = formwork("import", TENANT, "customer", str(book_path), "--lines", "sites")
    assert result.exit_code == 0, result.output
    assert "Created 2, updated 0, unchanged 0." in result.output
    records = exported(formwork, "--lines", "--sort", "customer_number")
    assert [(r["customer_number"], r["customer_name"]) for r in records] == [
        ("C-1", "North Bakery"),
        ("C-2", "South Mill"),
    ]
    assert [s["customer_site_name"] for s in records[0]["sites"]] == ["North Plant", "North Shop"]
    assert records[0]["sites"][0]["customer_site_number"].startswith("SITE-")


def test_an_export_imports_back_unchanged_and_an_edit_updates(formwork, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("Customer Name,Alt Name\nAcme,A\nBolt,B\n", encoding="utf-8")
    assert formwork("import", TENANT, "customer", str(source)).exit_code == 0
    out = tmp_path / "out.csv"
    result = formwork("export", TENANT, "customer", "--output", str(out))
    assert result.exit_code == 0 and "Exported 2 records" in result.output
    rows = csv_rows(out.read_bytes())
    assert rows[0][-1] == "Revision"

    again = formwork("import", TENANT, "customer", str(out), "--key", "customer_number")
    assert again.exit_code == 0, again.output
    assert "Created 0, updated 0, unchanged 2." in again.output

    name = rows[0].index("Customer Name")
    rows[1][name] = "Acme Renamed"
    edited = io.StringIO()
    csv.writer(edited).writerows(rows)
    out.write_text(edited.getvalue(), encoding="utf-8")
    result = formwork("import", TENANT, "customer", str(out), "--key", "Customer Number")
    assert "Created 0, updated 1, unchanged 1." in result.output
    assert [r["customer_name"] for r in exported(formwork, "--sort", "id")] == [
        "Acme Renamed",
        "Bolt",
    ]


def test_bad_rows_write_nothing_unless_rejects_are_asked_for(formwork, tmp_path):
    source = tmp_path / "in.csv"
    lines = ["Customer Name;Customer Credit Class"] + [
        f"Name {i};{'lots' if i % 20 == 3 else i}" for i in range(60)
    ]
    source.write_bytes("\n".join(lines).encode("latin-1"))

    refused = formwork("import", TENANT, "customer", str(source))
    assert refused.exit_code == 1
    assert "in.csv:5: Customer Credit Class must be a number; the file has 'lots'." in (
        refused.output
    )
    assert "error: nothing was written: 3 rows have errors" in refused.output
    assert exported(formwork) == []

    rejects = tmp_path / "rejected.csv"
    kept = formwork("import", TENANT, "customer", str(source), "--rejects", str(rejects))
    assert kept.exit_code == 0, kept.output
    assert "Created 57, updated 0, unchanged 0." in kept.output
    rows = csv_rows(rejects.read_bytes())
    assert rows[0] == ["Customer Name", "Customer Credit Class", "Import errors"]
    assert [r[0] for r in rows[1:]] == ["Name 3", "Name 23", "Name 43"]
    assert rows[1][2].startswith("Customer Credit Class must be a number")

    for row in rows[1:]:
        row[1] = "7"  # fixed; the errors column stays and is skipped
    fixed = io.StringIO()
    csv.writer(fixed).writerows(rows)
    rejects.write_text(fixed.getvalue(), encoding="utf-8")
    again = formwork("import", TENANT, "customer", str(rejects))
    assert again.exit_code == 0, again.output
    assert len(exported(formwork)) == 60


def test_dry_run_reports_and_writes_nothing(formwork, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("Customer Name\nAcme\n", encoding="utf-8")
    result = formwork("import", TENANT, "customer", str(source), "--dry-run")
    assert result.exit_code == 0
    assert "Dry run: every row is valid; 1 to create" in result.output
    assert exported(formwork) == []


def test_encoding_and_delimiter_can_be_given(formwork, tmp_path):
    source = tmp_path / "in.txt"
    source.write_bytes("Customer Name|Alt Name\nMüller|Köln\n".encode("cp1252"))
    result = formwork(
        "import", TENANT, "customer", str(source), "--encoding", "cp1252", "--delimiter", "|"
    )
    assert result.exit_code == 0, result.output
    assert "Reading in.txt: cp1252, delimiter '|'." in result.output
    assert exported(formwork)[0]["alt_name"] == "Köln"


def test_export_filters_and_formats(formwork, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("Customer Name\nAcme\nBolt\nAcorn\n", encoding="utf-8")
    formwork("import", TENANT, "customer", str(source))
    assert [r["customer_name"] for r in exported(formwork, "-q", "ac", "--sort", "-id")] == [
        "Acorn",
        "Acme",
    ]
    number = exported(formwork)[1]["customer_number"]
    assert [
        r["customer_name"] for r in exported(formwork, "--filter", f"customer_number={number}")
    ] == ["Bolt"]
    book = tmp_path / "out.xlsx"
    assert (
        formwork("export", TENANT, "customer", "--format", "xlsx", "-o", str(book)).exit_code == 0
    )
    sheet = openpyxl.load_workbook(book).active
    assert sheet.max_row == 4
    names = formwork("export", TENANT, "customer", "--names")
    assert csv_rows(names.stdout_bytes)[0][:3] == [
        "vv_ship_to_address_name",  # the form's first group, by sequence
        "vv_ship_to_address",
        "vv_ship_to_country",
    ]


def test_refusals_are_one_line_messages(formwork, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("Customer Name,Colour\nAcme,red\n", encoding="utf-8")
    result = formwork("import", TENANT, "customer", str(source))
    assert result.exit_code == 1
    assert "error: in.csv: column 'Colour' is not a field" in result.output
    assert formwork("import", "nowhere", "customer", str(source)).exit_code == 2
    missing = formwork("import", TENANT, "customer", str(tmp_path / "none.csv"))
    assert missing.exit_code == 2  # click refuses a path that does not exist
    xlsx = formwork("export", TENANT, "customer", "--format", "xlsx")
    assert xlsx.exit_code == 2 and "pass --output FILE" in xlsx.output
    bad_filter = formwork("export", TENANT, "customer", "--filter", "colour=red")
    assert bad_filter.exit_code != 0 and "'colour' is not a field of Customer" in bad_filter.output


def test_one_bad_row_is_counted_as_one_row(formwork, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("Customer Name,Customer Credit Class\nAcme,lots\n", encoding="utf-8")
    refused = formwork("import", TENANT, "customer", str(source))
    assert "error: nothing was written: 1 row has errors." in refused.output
    dry = formwork("import", TENANT, "customer", str(source), "--dry-run")
    assert "Dry run: 1 row has errors;" in dry.output and "error: in.csv: 1 row has errors" in (
        dry.output
    )
