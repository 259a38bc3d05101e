"""A field a condition hides, in the browser: not sent, not checked, and saved empty, as
the server decides."""

from playwright.sync_api import expect

from .conftest import field


def test_a_value_typed_into_a_field_then_hidden_is_not_saved(page, log_in, site):
    log_in(page, "ann")
    page.goto("/t/account/new")
    field(page, "Name").fill("Hidden Nickname Co")
    page.get_by_label("Kind").select_option("person")
    nickname = field(page, "Nickname")
    nickname.fill("Bobby")
    page.get_by_label("Kind").select_option("company")
    expect(nickname).to_be_hidden()
    expect(nickname).to_be_disabled()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Account Hidden Nickname Co saved.")).to_be_visible()
    (saved,) = site.service.list("t", "account", q="Hidden Nickname Co")["items"]
    assert saved["kind"] == "company" and saved["nickname"] is None
    # shown again, the field takes what is typed and is sent
    page.goto(f"/t/account/{saved['id']}/edit")
    page.get_by_label("Kind").select_option("person")
    expect(nickname).to_be_enabled()
    nickname.fill("Bobby")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Account Hidden Nickname Co saved.")).to_be_visible()
    assert site.service.read("t", "account", saved["id"])["nickname"] == "Bobby"
