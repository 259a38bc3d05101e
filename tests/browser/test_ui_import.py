"""Importing a file in a real browser: upload, preview, import with progress, rejects, list."""

import re
from pathlib import Path

from playwright.sync_api import expect

from .conftest import field, screenshot

FILE = b"""\
Name,Credit Limit,Region Code
Wombat Traders,500,X
Wombat Bakery,lots,Y
Wombat Mills,20,Z
"""


def test_an_editor_imports_a_file_keeping_the_valid_rows_and_fetches_the_rejected(
    page, site, log_in
):
    log_in(page, "ann")
    page.goto("/t/account/")
    page.get_by_role("link", name="Import from a file").click()
    expect(page.get_by_role("heading", name="Import Accounts")).to_be_visible()
    field(page, "File (CSV or XLSX)").set_input_files(
        files=[{"name": "wombats.csv", "mimeType": "text/csv", "buffer": FILE}]
    )
    page.get_by_label("Import the valid rows and give me the rejected ones").check()
    screenshot(page, "import-upload")
    page.get_by_role("button", name="Upload and preview").click()

    expect(page.get_by_role("heading", name="Import Accounts: preview")).to_be_visible()
    mapping = page.locator("table.mapping tbody tr")
    expect(mapping).to_have_count(3)
    expect(mapping.nth(0).locator("td")).to_have_text(["1", "Name", "Name"])
    expect(mapping.nth(1).locator("td")).to_have_text(["2", "Credit Limit", "Credit Limit"])
    expect(mapping.nth(2).locator("td")).to_have_text(
        ["3", "Region Code", "skipped: filled by the system"]
    )
    expect(page.get_by_text("The first 3 of 3 rows")).to_be_visible()
    expect(page.get_by_role("cell", name="Wombat Bakery")).to_be_visible()
    expect(page.get_by_label("Import the valid rows and give me the rejected ones")).to_be_checked()
    screenshot(page, "import-preview")
    page.get_by_role("button", name="Import", exact=True).click()

    expect(page.get_by_role("heading", name="Importing wombats.csv")).to_be_visible()
    expect(page.get_by_role("log")).to_contain_text("3 of 3 rows checked, 0 written or set aside")
    expect(page.get_by_role("log")).to_contain_text("3 of 3 rows checked, 3 written or set aside")
    shown = page.locator(".progress-log progress:visible")  # the latest bar alone
    expect(shown).to_have_count(1)
    expect(shown).to_have_attribute("value", "6")
    expect(page.get_by_role("status")).to_have_text(
        "Imported: 2 created, 0 updated, 0 unchanged. 1 row was rejected."
    )
    rejected = page.locator("table.rejected tbody tr")
    expect(rejected).to_have_count(1)
    expect(rejected.locator("td, th")).to_have_text(
        ["wombats.csv", "3", "Credit Limit must be an amount; the file has 'lots'."]
    )
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the rejected rows").click()
    assert download.value.suggested_filename == "account-rejects.csv"
    rejects = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert rejects.splitlines() == [
        "Name,Credit Limit,Region Code,Import errors",
        "Wombat Bakery,lots,Y,Credit Limit must be an amount; the file has 'lots'.",
    ]
    screenshot(page, "import-result")

    page.get_by_role("link", name="Back to Accounts").click()
    page.get_by_label("Search").fill("wombat")
    page.get_by_role("button", name="Search").click()
    names = page.locator("table.records tbody tr td:nth-child(2)")
    expect(names).to_have_text(["Wombat Traders", "Wombat Mills"])
    page.get_by_role("link", name="Wombat Mills").click()
    expect(page.get_by_role("heading", name="Account Wombat Mills")).to_be_visible()
    history = page.locator(".history > ol > li")
    expect(history).to_have_count(1)
    expect(history).to_contain_text(re.compile(r"^create by ann at "))
    expect(history).to_contain_text("Credit Limit: — → 20")
