"""Copy in the browser: the record's Copy opens a filled new form; saving it makes the copy."""

from playwright.sync_api import expect

from .conftest import field
from .test_ui_records import cell


def test_copy_fills_a_new_form_and_only_saving_it_makes_a_record(page, log_in, site):
    service = site.service
    original = service.create(
        "t", "account", {"name": "Copied Co", "kind": "company", "branches": [{"city": "Lyon"}]},
        "setup",
    )  # fmt: skip
    before = service.list("t", "account", limit=1)["total"]
    log_in(page, "ann")
    page.goto(f"/t/account/{original['id']}")
    page.get_by_role("link", name="Copy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"New Account (a copy of Account {original['id']})"
    )
    expect(field(page, "Name")).to_have_value("Copied Co")
    expect(cell(page, "City", 1)).to_have_value("Lyon")
    assert service.list("t", "account", limit=1)["total"] == before  # nothing saved yet
    field(page, "Name").fill("Copy Co")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Account Copy Co saved.")).to_be_visible()
    assert service.list("t", "account", limit=1)["total"] == before + 1
    (copy,) = service.list("t", "account", q="Copy Co")["items"]
    assert [b["city"] for b in service.read("t", "account", copy["id"])["branches"]] == ["Lyon"]
