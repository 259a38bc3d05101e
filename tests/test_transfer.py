"""Exports in the web UI, and the column check of imports, on SQLite."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from records_metadata import FILES
from test_pages import Browser, make_app

from engine import users
from engine.bulk.importer import ImportRefused, check_columns
from engine.bulk.tables import read_csv
from engine.storage.databases import Storage

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def app(tree, tmp_path):
    application = make_app(tree(FILES), Storage(str(tmp_path / "data")))
    registry = application.extensions["formwork"].registry
    for tenant, name, role in [
        ("t", "ann", "editor"),
        ("t", "eve", "editor"),
        ("t", "vic", "viewer"),
        ("u", "uma", "admin"),
    ]:
        users.add_user(registry.tenant(tenant), name, role, "correct horse battery")
    return application


def browser(app, name, tenant="t"):
    person = Browser(app, tenant)
    assert person.login(name).status_code == 302
    return person


@pytest.fixture
def ann(app):
    return browser(app, "ann")


def names(app, tenant="t"):
    items = app.extensions["formwork"].list(tenant, "account", sort="name", limit=100)["items"]
    return [record["name"] for record in items]


# the column check the preview relies on


def test_check_columns_reports_what_stops_an_import_and_reads_no_row(app):
    service = app.extensions["formwork"]
    good = read_csv(b"Name,Credit Limit,Status\nAcme,ten,closed\n", "a.csv")
    assert check_columns(service, "t", "account", good) == [
        "a.csv: column 'Status' is filled in by the system: skipped"
    ]
    bad = read_csv(b"Name,Colour\nAcme,red\n", "a.csv")
    with pytest.raises(ImportRefused, match="column 'Colour' is not a field"):
        check_columns(service, "t", "account", bad)
    assert names(app) == []


# exports


@pytest.fixture
def listed(app):
    service = app.extensions["formwork"]
    north = service.create("t", "region", {"code": "NORTH"}, "ann")["id"]
    for name, kind in [("Alpha", "company"), ("Beta", "person"), ("Gamma", "company")]:
        service.create(
            "t",
            "account",
            {"name": name, "kind": kind, "nickname": "n", "region": north, "credit_limit": 12.5,
             "branches": [{"city": f"{name} City", "staff": 2}]},
            "ann",
        )  # fmt: skip
    return service


def test_the_xlsx_export_holds_what_the_list_shows(ann, listed, app):
    response = ann.get("/account/export.xlsx?kind=company&sort=-name&offset=25")
    assert response.status_code == 200 and response.mimetype == XLSX
    assert "account.xlsx" in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    rows = list(book["Accounts"].values)
    header, *records = rows
    assert header[:3] == ("Number", "Name", "Currency") and header[-1] == "Revision"
    assert [r[1] for r in records] == ["Gamma", "Alpha"]  # filtered and sorted as the list
    assert "NORTH" in records[0]  # a lookup by the name people know
    branches = list(book["Branches"].values)[1:]
    assert sorted(r[1] for r in branches) == ["Alpha City", "Gamma City"]  # Beta's left out


def test_an_export_of_a_search_that_finds_nothing_holds_no_rows(ann, listed):
    book = openpyxl.load_workbook(io.BytesIO(ann.get("/account/export.xlsx?q=zzz").data))
    assert len(list(book["Accounts"].values)) == 1  # the headers alone
    assert json.loads(ann.get("/account/export.json?q=zzz").data) == []


def test_the_json_export_holds_what_the_list_shows_as_the_api_answers(ann, listed, app):
    response = ann.get("/account/export.json?kind=company&sort=name")
    assert response.status_code == 200 and response.mimetype == "application/json"
    records = json.loads(response.data)
    assert [r["name"] for r in records] == ["Alpha", "Gamma"]
    assert records[0] == listed.read("t", "account", records[0]["id"])  # lines and all
    system = {"id", "number", "status", "rev_number", "created_by", "creation_date"}
    system |= {"last_updated_by", "last_update_date", "region", "region_code"}
    for record in records:  # into the other tenant, as a POST to the API would send it
        payload = {k: v for k, v in record.items() if k not in system}
        payload["branches"] = [
            {k: v for k, v in line.items() if k in ("city", "staff")} for line in record["branches"]
        ]
        listed.create("u", "account", payload, "uma")
    assert names(app, "u") == ["Alpha", "Gamma"]


def test_the_template_has_the_columns_to_fill(ann, app):
    response = ann.get("/account/template.xlsx")
    assert response.status_code == 200
    assert "account-template.xlsx" in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    headers = [cell.value for cell in book["Accounts"][1]]
    assert headers[:2] == ["Number", "Name"] and "Region Code" not in headers  # read-only


def test_a_viewer_may_export_but_another_tenants_list_is_out_of_reach(app, listed):
    vic = browser(app, "vic")
    page = vic.get("/account/").get_data(as_text=True)
    assert "Export as XLSX" in page and "Export as JSON" in page and "Template (XLSX)" in page
    assert vic.get("/account/export.json").status_code == 200
    uma = browser(app, "uma", "u")
    assert json.loads(uma.get("/account/export.json").data) == []
    assert uma.get("/nothing/export.xlsx").status_code == 404
