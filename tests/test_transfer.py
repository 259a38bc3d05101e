"""Import and export in the web UI, through Flask's test client, on SQLite."""

from __future__ import annotations

import html
import io
import json
import re
import textwrap
import time
from pathlib import Path

import openpyxl
import pytest
from conftest import SHIPPED
from records_metadata import FILES
from test_pages import Browser, _Audit, make_app

from engine import users
from engine.bulk.importer import ImportRefused, check_columns
from engine.bulk.tables import read_csv
from engine.storage.databases import Storage
from webui.transfer import staging

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


def csv_file(text, name="accounts.csv"):
    return (io.BytesIO(textwrap.dedent(text).lstrip().encode()), name)


def upload(person, file, entity="account", csrf=True, **fields):
    data = {"key": "", "mode": "all", **fields, "file": file}
    if csrf:
        data["csrf_token"] = person.token()
    return person.client.post(
        f"/{person.tenant}/{entity}/import", data=data, content_type="multipart/form-data"
    )


def preview_url(response):
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def run(person, url, action="import", mode="all", csrf=True):
    data = {"action": action, "mode": mode}
    if csrf:
        data["csrf_token"] = person.token()
    return person.client.post(f"{url}/run", data=data)


def result_page(person, url, **choices):
    """The result page of a run, as the text a person reads."""
    response = run(person, url, **choices)
    assert response.status_code == 200
    return text_of(response.get_data(as_text=True))


def names(app, tenant="t"):
    items = app.extensions["formwork"].list(tenant, "account", sort="name", limit=100)["items"]
    return [record["name"] for record in items]


def text_of(page):
    """A page's text as a person reads it: tags out, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


GOOD = """\
    Name,Credit Limit,Kind,Region Code
    Acme,500,company,X
    Bolt,20,company,Y
"""
WITH_A_BAD_ROW = """\
    Name,Credit Limit
    Acme,500
    Bolt,ten
    Cato,7
"""


# upload and preview


def test_an_upload_shows_how_it_will_be_read_column_by_column_and_its_first_rows(ann):
    rows = "".join(f"Café {n:02d};{n},5\n" for n in range(1, 13))
    data = ("Name;Credit Limit\n" + rows).encode("cp1252")
    page = ann.client.get(preview_url(upload(ann, (io.BytesIO(data), "a.csv")))).get_data(True)
    text = text_of(page)
    detected = read_csv(data, "a.csv").encoding
    assert detected != "utf-8" and f"Encoding {detected}" in text
    assert "Delimiter semicolon (';')" in text and "Rows 12" in text
    assert "1 Name Name" in text and "2 Credit Limit Credit Limit" in text
    assert "The first 10 of 12 rows" in text
    assert "Café 10" in text and "Café 11" not in text  # only the first ten rows
    assert "10,5" in text  # the decimal comma as it is in the file
    assert ">Check only</button>" in page and ">Import</button>" in page


def test_columns_the_system_fills_are_shown_skipped_and_a_preview_writes_nothing(ann, app):
    page = ann.client.get(preview_url(upload(ann, csv_file(GOOD)))).get_data(as_text=True)
    assert "4 Region Code skipped: filled by the system" in text_of(page)
    assert "Kind Kind" in text_of(page)
    assert names(app) == []


def test_an_unknown_column_is_a_problem_shown_with_a_way_back_and_nothing_is_imported(ann, app):
    file = csv_file("Name,Credit Limt\nAcme,5\n")
    url = preview_url(upload(ann, file))
    page = ann.client.get(url).get_data(as_text=True)
    text = text_of(page)
    assert "1 problem stops the import" in text
    assert "2 Credit Limt Problem: not a field (did you mean 'Credit Limit'?)" in text
    assert 'remove it, or tick "Skip columns that name no field"' in text
    assert ">Import</button>" not in page and 'href="/t/account/import">upload it again' in page
    result = result_page(ann, url)  # sent all the same
    assert "Nothing was written: the columns do not fit." in result
    assert names(app) == []
    skipping = preview_url(upload(ann, csv_file("Name,Credit Limt\nAcme,5\n"), skip_unknown="on"))
    page = ann.client.get(skipping).get_data(as_text=True)
    assert "2 Credit Limt skipped: not a field" in text_of(page) and ">Import</button>" in page


def test_a_column_without_a_header_stops_the_import_unless_it_is_trailing_padding(ann):
    url = preview_url(upload(ann, csv_file(",Name\nx,Acme\n")))
    text = text_of(ann.client.get(url).get_data(as_text=True))
    assert "1 Problem: the column has no header: name the field it fills" in text
    assert "column 1 has no header" in text  # the importer's word for it, on top
    url = preview_url(upload(ann, csv_file("Name,\nAcme,\n")))
    page = ann.client.get(url).get_data(as_text=True)
    assert "2 skipped: the column has no header" in text_of(page) and ">Import</button>" in page


def test_an_upload_that_is_not_csv_or_xlsx_is_refused_with_a_clear_message(ann, app):
    png = (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40), "logo.png")
    response = upload(ann, png)
    assert response.status_code == 422
    text = text_of(response.get_data(as_text=True))
    assert "1 problem to fix" in text
    assert "logo.png is not a CSV or XLSX file: save the data as CSV or XLSX" in text
    refusals = {
        "photo.csv": (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "photo.csv does not hold text"),
        "old.xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old.xls is an Excel 97–2003 workbook"),
        "fake.xlsx": (b"Name\nAcme\n", "fake.xlsx is not an XLSX workbook"),
        "empty.csv": (b"", "the file is empty"),
        "headers.csv": (b"Name,Kind\n", "headers.csv has headers but no rows to import"),
    }
    for name, (data, message) in refusals.items():
        response = upload(ann, (io.BytesIO(data), name))
        assert response.status_code == 422 and message in text_of(response.get_data(as_text=True))
    nothing = upload(ann, (io.BytesIO(b""), ""))
    assert "Choose a CSV or XLSX file to import." in nothing.get_data(as_text=True)
    assert not list((Path(app.config["FORMWORK_DATA"]) / "imports" / "t").iterdir())


def test_a_file_over_the_import_limit_is_refused_saying_the_limit(ann, app):
    app.config["FORMWORK_IMPORT_MAX_BYTES"] = 2 * 1024 * 1024
    # over the site's 1 MiB for other bodies, within the import's own limit
    rows = "".join(f"Name {i} {'x' * 40}\n" for i in range(30_000))
    assert 1024 * 1024 < len(rows) < 2 * 1024 * 1024
    assert upload(ann, csv_file("Name\n" + rows)).status_code == 302
    big = csv_file("Name\n" + "x" * (2 * 1024 * 1024 + 10) + "\n")
    response = upload(ann, big)
    assert response.status_code == 413
    assert "larger than 2 MiB, the most this site takes" in response.get_data(as_text=True)
    assert 'id="file"' in response.get_data(as_text=True)  # the form again, to choose another


def test_an_xlsx_workbook_is_read_with_its_lines_from_the_sheet_named_after_them(ann, app):
    book = openpyxl.Workbook()
    book.active.title = "Accounts"
    book.active.append(["Number", "Name"])
    book.active.append(["N-1", "Acme"])
    lines = book.create_sheet("Branches")
    lines.append(["Number", "City", "Staff"])
    lines.append(["N-1", "Oslo", 3])
    lines.append(["N-1", "Bergen", 12.0])
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    url = preview_url(upload(ann, (data, "accounts.xlsx")))
    text = text_of(ann.client.get(url).get_data(as_text=True))
    assert "Format XLSX workbook Sheet Accounts Rows 1" in text
    assert "accounts.xlsx:Branches (Branches)" in text
    assert "1 Number the Account each line belongs to" in text and "Bergen 12" in text
    assert "Imported: 1 created, 0 updated, 0 unchanged." in result_page(ann, url)
    record = app.extensions["formwork"].list("t", "account")["items"][0]
    full = app.extensions["formwork"].read("t", "account", record["id"])
    assert [(b["city"], b["staff"]) for b in full["branches"]] == [("Oslo", 3), ("Bergen", 12)]


def test_lines_from_a_file_of_their_own_need_a_column_naming_their_parent(ann, app):
    main = csv_file("Number,Name\nN-1,Acme\n")
    orphans = csv_file("City\nOslo\n", "branches.csv")
    url = preview_url(upload(ann, main, **{"lines-branches": orphans}))
    text = text_of(ann.client.get(url).get_data(as_text=True))
    assert "no column names the Account of each line" in text
    main = csv_file("Number,Name\nN-1,Acme\n")
    named = csv_file("Number,City\nN-1,Oslo\n", "branches.csv")
    url = preview_url(upload(ann, main, **{"lines-branches": named}))
    assert "Imported: 1 created" in result_page(ann, url)
    record = app.extensions["formwork"].list("t", "account")["items"][0]
    full = app.extensions["formwork"].read("t", "account", record["id"])
    assert [line["city"] for line in full["branches"]] == ["Oslo"]


# the run


def test_the_run_streams_its_progress_before_its_result(ann, app):
    rows = "".join(f"Account {n}\n" for n in range(6_000))
    url = preview_url(upload(ann, csv_file("Name\n" + rows)))
    response = ann.client.post(
        f"{url}/run", data={"action": "import", "mode": "all", "csrf_token": ann.token()}
    )
    assert response.is_streamed
    chunks = response.iter_encoded()
    first = b""
    while b'<h2 id="progress-title">' not in first:
        first += next(chunks)
    assert b"Result" not in first  # the page began before the import ended
    text = text_of((first + b"".join(chunks)).decode())
    assert "5000 of 6000 rows checked, 0 written or set aside" in text
    assert "6000 of 6000 rows checked, 5000 written or set aside" in text
    assert "6000 of 6000 rows checked, 6000 written or set aside" in text
    assert "Imported: 6000 created" in text
    assert len(names(app)) == 100  # a page of the list: the records are there


def test_the_run_in_its_own_thread_writes_through_each_backend(tree, storage):
    """The import runs beside the request that streams its page: on SQLite and on
    PostgreSQL it commits in its own connection, which it closes."""
    application = make_app(tree(FILES), storage)
    registry = application.extensions["formwork"].registry
    users.add_user(registry.tenant("t"), "ann", "editor", "correct horse battery")
    person = browser(application, "ann")
    url = preview_url(upload(person, csv_file(WITH_A_BAD_ROW)))
    text = result_page(person, url, mode="keep_valid")
    assert "Imported: 2 created, 0 updated, 0 unchanged. 1 row was rejected." in text
    assert names(application) == ["Acme", "Cato"]
    url = preview_url(upload(person, csv_file(WITH_A_BAD_ROW)))
    assert "Nothing was written: 1 row has errors." in result_page(person, url, mode="all")
    assert names(application) == ["Acme", "Cato"]


def test_a_dry_run_says_what_would_happen_and_writes_nothing(ann, app):
    url = preview_url(upload(ann, csv_file(GOOD)))
    text = result_page(ann, url, action="check")
    assert "Check only: every row is valid. If imported: 2 would be created" in text
    assert "Nothing was written." in text and "rows checked" in text
    assert names(app) == []
    assert "Back to the preview" in text  # still there, to import for real
    assert "Imported: 2 created" in result_page(ann, url) and names(app) == ["Acme", "Bolt"]


def test_a_dry_run_with_a_bad_row_lists_it_and_writes_nothing(ann, app):
    url = preview_url(upload(ann, csv_file(WITH_A_BAD_ROW)))
    text = result_page(ann, url, action="check", mode="keep_valid")
    assert "Check only: 1 of 3 rows have errors" in text
    assert "accounts.csv 3 Credit Limit must be an amount; the file has 'ten'." in text
    assert names(app) == [] and "Download the rejected rows" not in text


def test_all_or_nothing_with_a_bad_row_writes_nothing_and_lists_the_rows_errors(ann, app):
    url = preview_url(upload(ann, csv_file(WITH_A_BAD_ROW)))
    text = result_page(ann, url, mode="all")
    assert "Nothing was written: 1 row has errors." in text
    assert "accounts.csv 3 Credit Limit must be an amount; the file has 'ten'." in text
    assert names(app) == [] and "Download the rejected rows" not in text
    assert "Back to the preview" in text  # the file stays, to run again keeping the valid


def test_keep_valid_commits_the_good_rows_and_the_rejects_come_back_to_fix(ann, app):
    url = preview_url(upload(ann, csv_file(WITH_A_BAD_ROW), mode="keep_valid"))
    assert 'value="keep_valid" checked' in ann.client.get(url).get_data(as_text=True)
    page = run(ann, url, mode="keep_valid").get_data(as_text=True)
    text = text_of(page)
    assert "Imported: 2 created, 0 updated, 0 unchanged. 1 row was rejected." in text
    assert names(app) == ["Acme", "Cato"]
    link = re.search(r'href="([^"]+/rejects/rejects\.csv)"', page).group(1)
    rejects = ann.client.get(link)
    assert rejects.status_code == 200
    assert "account-rejects.csv" in rejects.headers["Content-Disposition"]
    table = read_csv(rejects.data, "rejects.csv")
    assert table.headers == ["Name", "Credit Limit", "Import errors"]
    assert [list(cells) for _, cells in table.rows] == [
        ["Bolt", "ten", "Credit Limit must be an amount; the file has 'ten'."]
    ]
    assert ann.client.get(url).status_code == 410  # imported: the upload is gone
    again = run(ann, url, mode="keep_valid")
    assert again.status_code == 410 and names(app) == ["Acme", "Cato"]


def test_the_fixed_rejects_file_imports(ann, app):
    url = preview_url(upload(ann, csv_file(WITH_A_BAD_ROW)))
    page = run(ann, url, mode="keep_valid").get_data(as_text=True)
    link = re.search(r'href="([^"]+/rejects/rejects\.csv)"', page).group(1)
    fixed = ann.client.get(link).data.replace(b",ten,", b",10,")
    url = preview_url(upload(ann, (io.BytesIO(fixed), "rejects.csv")))
    assert "Import errors skipped: the errors of an earlier import" in text_of(
        ann.client.get(url).get_data(as_text=True)
    )
    assert "Imported: 1 created" in result_page(ann, url)
    assert names(app) == ["Acme", "Bolt", "Cato"]


def test_upsert_by_key_updates_the_record_the_key_names(ann, app):
    service = app.extensions["formwork"]
    service.create("t", "account", {"number": "N-1", "name": "Old"}, "ann")
    file = "Number,Name\nN-1,Renamed\nN-2,Fresh\n"
    url = preview_url(upload(ann, csv_file(file), key="number"))
    preview = text_of(ann.client.get(url).get_data(as_text=True))
    assert "Update existing records by Number" in preview
    assert "Imported: 1 created, 1 updated, 0 unchanged." in result_page(ann, url)
    assert names(app) == ["Fresh", "Renamed"]
    history = service.history("t", "account", 1)
    assert history[-1]["user"] == "ann" and history[-1]["changes"]["name"] == ["Old", "Renamed"]


def test_without_a_key_a_row_naming_an_existing_record_is_refused(ann, app):
    app.extensions["formwork"].create("t", "account", {"number": "N-1", "name": "Old"}, "ann")
    url = preview_url(upload(ann, csv_file("Number,Name\nN-1,Renamed\n")))
    assert "Number 'N-1' is already used by another Account" in result_page(ann, url)
    assert names(app) == ["Old"]


def test_a_key_not_offered_is_refused(ann):
    response = upload(ann, csv_file(GOOD), key="name")
    assert response.status_code == 422
    assert "Choose the key from the list." in response.get_data(as_text=True)


# who may


def test_a_viewer_may_not_import(app, ann):
    url = preview_url(upload(ann, csv_file(GOOD)))
    vic = browser(app, "vic")
    assert vic.get("/account/import").status_code == 403
    assert upload(vic, csv_file(GOOD)).status_code == 403
    assert vic.client.get(url).status_code == 403
    response = run(vic, url)
    assert response.status_code == 403 and names(app) == []
    assert "/account/import" not in vic.get("/account/").get_data(as_text=True)
    assert 'href="/t/account/import"' in ann.get("/account/").get_data(as_text=True)


def test_a_post_without_csrf_token_is_refused(ann, app):
    response = upload(ann, csv_file(GOOD), csrf=False)
    assert response.status_code == 400
    assert not (Path(app.config["FORMWORK_DATA"]) / "imports" / "t").exists()
    url = preview_url(upload(ann, csv_file(GOOD)))
    response = run(ann, url, csrf=False)
    assert response.status_code == 400 and names(app) == []


def test_an_upload_is_out_of_reach_of_other_tenants_and_other_users(app, ann):
    url = preview_url(upload(ann, csv_file(GOOD)))
    token = url.rsplit("/", 1)[1]
    uma = browser(app, "uma", "u")
    assert uma.get(f"/account/import/{token}").status_code == 404
    response = run(uma, f"/u/account/import/{token}")
    assert response.status_code == 404
    eve = browser(app, "eve")  # an editor of the same tenant: not her upload
    assert eve.client.get(url).status_code == 404
    assert ann.get(f"/region/import/{token}").status_code == 404  # uploaded for another entity
    assert ann.get("/nothing/import").status_code == 404
    assert ann.client.get("/nowhere/account/import").status_code == 404
    assert ann.get("/account/import/..%2F..%2Fsecret_key").status_code == 404
    assert names(app) == [] and names(app, "u") == []
    assert ann.client.get(url).status_code == 200  # still there for ann


def test_an_upload_waits_a_day_then_is_swept_away(ann, app, monkeypatch):
    url = preview_url(upload(ann, csv_file(GOOD)))
    folder = Path(app.config["FORMWORK_DATA"]) / "imports" / "t" / url.rsplit("/", 1)[1]
    assert ann.client.get(url).status_code == 200
    later = time.time() + staging.MAX_AGE + 60
    monkeypatch.setattr(staging.time, "time", lambda: later)
    gone = ann.client.get(url)
    assert gone.status_code == 410 and "no longer here" in gone.get_data(as_text=True)
    assert folder.exists()
    preview_url(upload(ann, csv_file(GOOD)))  # the next upload sweeps the old one
    assert not folder.exists()


def test_a_run_that_fails_unexpectedly_says_so_on_its_page_and_can_run_again(ann, app, monkeypatch):
    from webui.transfer import running

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    url = preview_url(upload(ann, csv_file(GOOD)))
    with monkeypatch.context() as patch:
        patch.setattr(running, "import_records", broken)
        text = result_page(ann, url)
    assert "Something went wrong on our side, and it was logged. Nothing was written." in text
    assert "the disk is full" not in text and names(app) == []
    assert "Imported: 2 created" in result_page(ann, url) and names(app) == ["Acme", "Bolt"]


def test_rejected_rows_that_cannot_be_kept_are_still_listed(ann, app, monkeypatch):
    from webui.transfer import running

    def disk_full(*args, **kwargs):
        raise OSError("no space left on device")

    monkeypatch.setattr(running, "write_rejects", disk_full)
    url = preview_url(upload(ann, csv_file(WITH_A_BAD_ROW)))
    text = result_page(ann, url, mode="keep_valid")
    assert "Imported: 2 created, 0 updated, 0 unchanged. 1 row was rejected." in text
    assert "The file of rejected rows could not be written" in text
    assert "accounts.csv 3 Credit Limit must be an amount" in text
    assert "Download the rejected rows" not in text and names(app) == ["Acme", "Cato"]


def test_a_file_being_imported_is_not_imported_twice(ann, app):
    url = preview_url(upload(ann, csv_file(GOOD)))
    staged = staging.find(app.config["FORMWORK_DATA"], "t", url.rsplit("/", 1)[1])
    assert staging.claim(staged)  # as if a first click were still running
    response = run(ann, url)
    assert response.status_code == 409 and names(app) == []
    staging.release(staged)
    abandoned = run(ann, url)  # a page closed before its import began
    abandoned.close()
    assert names(app) == [] and not (staged.folder / "running").exists()
    assert "Imported: 2 created" in result_page(ann, url) and names(app) == ["Acme", "Bolt"]


def test_hostile_headers_and_cells_render_as_text(ann, app):
    file = csv_file("Name,<script>alert(1)</script>\n<script>alert(2)</script>,x\n")
    url = preview_url(upload(ann, file, skip_unknown="on"))
    page = ann.client.get(url).get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    page = run(ann, url).get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)" in page  # in the notice
    assert names(app) == ["<script>alert(2)</script>"]


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


def test_the_xlsx_export_holds_what_the_list_shows_and_imports_back_cleanly(ann, listed, app):
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
    url = preview_url(upload(ann, (io.BytesIO(response.data), "account.xlsx"), key="number"))
    preview = text_of(ann.client.get(url).get_data(as_text=True))
    assert "Problem" not in preview and "Revision the revision" in preview
    result = result_page(ann, url)
    assert "Imported: 0 created, 0 updated, 2 unchanged." in result
    assert "Rejected rows" not in result


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


def test_the_template_has_the_columns_to_fill_and_imports_once_filled(ann, app):
    response = ann.get("/account/template.xlsx")
    assert response.status_code == 200
    assert "account-template.xlsx" in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    headers = [cell.value for cell in book["Accounts"][1]]
    assert headers[:2] == ["Number", "Name"] and "Region Code" not in headers  # read-only
    book["Accounts"].append(["", "Filled", "EUR"])
    data = io.BytesIO()
    book.save(data)
    url = preview_url(upload(ann, (io.BytesIO(data.getvalue()), "template.xlsx")))
    assert "Imported: 1 created" in result_page(ann, url) and names(app) == ["Filled"]


def test_a_viewer_may_export_but_another_tenants_list_is_out_of_reach(app, listed):
    vic = browser(app, "vic")
    page = vic.get("/account/").get_data(as_text=True)
    assert "Export as XLSX" in page and "Export as JSON" in page and "Template (XLSX)" in page
    assert vic.get("/account/export.json").status_code == 200
    uma = browser(app, "uma", "u")
    assert json.loads(uma.get("/account/export.json").data) == []
    assert uma.get("/nothing/export.xlsx").status_code == 404


# accessibility


def audit(html):
    found = _Audit()
    found.feed(html)
    unlabelled = [i for i in found.inputs if i.get("id") not in found.labels]
    assert unlabelled == []
    assert {"main", "header", "nav"} <= found.tags
    assert found.headings[0] == 1
    assert all(b - a <= 1 for a, b in zip(found.headings, found.headings[1:], strict=False))


def test_the_import_pages_are_accessible(ann):
    audit(ann.get("/account/import").get_data(as_text=True))
    audit(upload(ann, csv_file("Name\nx\n"), key="nope").get_data(as_text=True))
    url = preview_url(upload(ann, csv_file(WITH_A_BAD_ROW)))
    audit(ann.client.get(url).get_data(as_text=True))
    audit(run(ann, url, mode="keep_valid").get_data(as_text=True))
    problem = preview_url(upload(ann, csv_file("Colour\nred\n")))
    audit(ann.client.get(problem).get_data(as_text=True))


def test_every_shipped_entitys_import_page_is_accessible(tmp_path):
    app = make_app(SHIPPED, Storage(str(tmp_path / "data")))
    checked = 0
    for tenant in app.extensions["formwork"].registry.tenants.values():
        users.add_user(tenant, "ann", "editor", "correct horse battery")
        person = browser(app, "ann", tenant.spec.name)
        for entity in tenant.entities:
            audit(person.get(f"/{entity}/import").get_data(as_text=True))
            checked += 1
    assert checked >= 60
