"""A person's work with accounts in a real browser: log in, create, fix, edit, act, find."""

import re

from playwright.sync_api import Page, expect

from .conftest import PASSWORD, field, pick_record, screenshot


def shown(page: Page, label: str):
    """The value a record page shows for a field."""
    return page.locator("dl > div").filter(has=page.get_by_text(label, exact=True)).locator("dd")


def line_field(page: Page, label: str, row: int):
    """The value a record page shows for a field of a lines row, in the row's details,
    opened first."""
    details = page.locator(
        f".lines-view details:has(> summary .row-name:text-is('Branches row {row}'))"
    )
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    return details.locator("dl > div").filter(has=page.get_by_text(label, exact=True)).locator("dd")


def cell(page: Page, label: str, row: int):
    """An input of a lines row, by its label and row as the label says them, in the row's
    editor, opened first if it is closed."""
    editor = page.locator(f"details:has(> summary .row-name:text-is('Branches row {row}'))")
    if editor.get_attribute("open") is None:
        editor.locator("summary").click()
    return field(page, f"{label} (Branches row {row})")


def test_logging_in_and_a_wrong_password(page):
    page.goto("/t/account/")
    expect(page).to_have_url(re.compile(r"/t/login\?next="))
    expect(page.get_by_role("heading", name="Log in to T")).to_be_visible()
    page.get_by_label("User name").fill("ann")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("The user name or the password is not right.")
    expect(page.get_by_label("User name")).to_have_value("ann")
    expect(page.get_by_label("Password")).to_have_value("")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/t/account/\??$"))  # back where ann was going
    expect(page.get_by_role("heading", name="Accounts")).to_be_visible()
    expect(page.get_by_text("ann (editor)")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in to T")).to_be_visible()
    page.goto("/t/account/")
    expect(page).to_have_url(re.compile(r"/t/login"))


def test_creating_an_account_with_lines_a_lookup_and_a_conditional_field(page, site, log_in):
    log_in(page, "ann")
    page.goto("/t/")
    page.get_by_role("link", name="Accounts").click()
    page.get_by_role("link", name="New Account").click()
    expect(page.get_by_role("heading", name="New Account")).to_be_visible()
    field(page, "Name").fill("Fjord Traders")
    page.get_by_label("Currency", exact=True).select_option("EUR")
    page.get_by_label("Credit Limit").fill("750.25")
    expect(field(page, "Nickname")).to_be_hidden()
    page.get_by_label("Kind").select_option("person")
    expect(field(page, "Nickname")).to_be_visible()
    field(page, "Nickname").fill("Fjordy")
    north = "NORTH"  # the region lookup shows the region's code
    pick_record(page, "Region", north)
    cell(page, "City", 1).fill("Oslo")
    cell(page, "Staff", 1).fill("3")
    page.get_by_role("button", name="Add row").click()
    expect(cell(page, "City", 2)).to_be_focused()
    page.keyboard.type("Bergen")
    cell(page, "Staff", 2).fill("12")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_role("status")).to_have_text("Account Fjord Traders saved.")
    expect(page).to_have_url(re.compile(r"/account/\d+$"))  # a reload would not say it again
    expect(page.get_by_role("heading", name="Account Fjord Traders")).to_be_visible()
    expect(page.get_by_text("Status: Draft")).to_be_visible()
    expect(shown(page, "Number")).to_have_text(re.compile(r"^3897-\d{4}$"))
    expect(shown(page, "Kind")).to_have_text("person")
    expect(shown(page, "Nickname")).to_have_text("Fjordy")
    expect(shown(page, "Credit Limit")).to_contain_text("750.25")
    expect(shown(page, "Region")).to_have_text(north)
    expect(shown(page, "Region Code")).to_have_text("NORTH")  # fetched from the region
    lines = page.locator(".lines-view tr.line-cells")
    expect(lines).to_have_count(2)
    expect(lines.nth(0).locator("td")).to_have_text(["Oslo"])  # the grid's column
    expect(lines.nth(1).locator("td")).to_have_text(["Bergen"])
    # each row opens on all its fields
    expect(line_field(page, "City", 1)).to_have_text("Oslo")
    expect(line_field(page, "Staff", 1)).to_have_text("3")
    expect(line_field(page, "Currency", 1)).to_have_text("EUR")  # inherited
    expect(line_field(page, "Staff", 2)).to_have_text("12")
    expect(line_field(page, "Currency", 2)).to_have_text("EUR")


def test_copying_and_removing_lines_on_edit(page, site, log_in):
    account = site.service.create(
        "t", "account", {"name": "Line Co", "branches": [{"city": "Rome"}, {"city": "Pisa"}]}, "x"
    )
    log_in(page, "ann")
    page.goto(f"/t/account/{account['id']}")
    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_role("button", name="Add row")).to_be_visible()  # the script ran
    expect(cell(page, "City", 1)).to_have_value("Rome")
    expect(cell(page, "City", 2)).to_have_value("Pisa")
    cell(page, "Staff", 1).fill("7")
    copy = page.get_by_role("button", name="Copy Branches row 1")
    expect(copy).to_have_css("color", "rgb(31, 95, 168)")  # not white on the white table
    copy.click()
    expect(cell(page, "City", 2)).to_have_value("Rome")  # the copy sits under its original
    expect(cell(page, "Staff", 2)).to_have_value("7")
    cell(page, "City", 2).fill("Ostia")
    expect(cell(page, "City", 3)).to_have_value("Pisa")
    page.get_by_role("button", name="Remove Branches row 3").click()
    # three rows, with the empty one
    expect(page.get_by_label(re.compile(r"^City \(Branches row"))).to_have_count(3)
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_role("status")).to_have_text("Account Line Co saved.")
    lines = page.locator(".lines-view tr.line-cells")
    expect(lines).to_have_count(2)
    expect(lines.nth(0).locator("td").first).to_have_text("Rome")
    expect(lines.nth(1).locator("td").first).to_have_text("Ostia")
    expect(line_field(page, "Staff", 2)).to_have_text("7")
    assert [b["city"] for b in site.service.read("t", "account", account["id"])["branches"]] == [
        "Rome",
        "Ostia",
    ]


def test_a_failed_submit_keeps_every_typed_value_and_points_at_each_error(page, site, log_in):
    log_in(page, "ann")
    page.goto("/t/account/new")
    page.get_by_label("Credit Limit").fill("-5")
    page.get_by_label("Opened").fill("2024-03-01")
    page.get_by_label("Kind").select_option("person")
    south = str(site.regions["SOUTH"])
    pick_record(page, "Region", "SOUTH")
    page.get_by_label("Note").fill("keep me\non two lines")
    cell(page, "Staff", 1).fill("-4")
    page.get_by_role("button", name="Save", exact=True).click()

    summary = page.locator(".summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("5 problems to fix")
    links = summary.get_by_role("link")
    expect(links).to_have_text(
        [
            "Name is required.",
            "Credit Limit must be at least 0.",
            "Nickname is required.",
            "City is required.",
            "Staff must be at least 0.",
        ]
    )
    hrefs = [links.nth(i).get_attribute("href") for i in range(5)]
    assert hrefs == [
        "#field-name",
        "#field-credit_limit",
        "#field-nickname",
        "#field-branches-0-city",
        "#field-branches-0-staff",
    ]
    # every typed value is still there
    expect(field(page, "Name")).to_have_value("")
    expect(page.get_by_label("Credit Limit")).to_have_value("-5")
    expect(page.get_by_label("Opened")).to_have_value("2024-03-01")
    expect(page.get_by_label("Kind")).to_have_value("person")
    expect(field(page, "Nickname")).to_be_visible()
    expect(page.get_by_role("combobox", name="Region", exact=True)).to_have_value("SOUTH")
    expect(page.locator("input[type=hidden][name=region]")).to_have_value(south)
    expect(page.get_by_label("Note")).to_have_value("keep me\non two lines")
    expect(cell(page, "Staff", 1)).to_have_value("-4")
    # each bad field says so, and names its message
    for name, message in [
        ("name", "Name is required."),
        ("credit_limit", "Credit Limit must be at least 0."),
        ("nickname", "Nickname is required."),
        ("branches-0-city", "City is required."),
        ("branches-0-staff", "Staff must be at least 0."),
    ]:
        bad = page.locator(f"#field-{name}")
        expect(bad).to_have_attribute("aria-invalid", "true")
        expect(bad).to_have_attribute("aria-describedby", re.compile(rf"\berror-{name}\b"))
        expect(page.locator(f"#error-{name}")).to_have_text(message)
    expect(page.get_by_label("Opened")).not_to_have_attribute("aria-invalid", "true")
    # a summary link takes the person to the field
    links.nth(1).click()
    expect(page.get_by_label("Credit Limit")).to_be_focused()
    links.nth(0).click()
    expect(field(page, "Name")).to_be_focused()
    page.keyboard.type("Fixed Co")
    page.get_by_label("Credit Limit").fill("5")
    field(page, "Nickname").fill("Fix")
    cell(page, "City", 1).fill("Turin")
    cell(page, "Staff", 1).fill("4")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", name="Account Fixed Co")).to_be_visible()
    expect(shown(page, "Note")).to_have_text("keep me\non two lines")


def test_a_stale_edit_shows_who_changed_the_record_and_keeps_the_typing(page, site, log_in):
    account = site.service.create("t", "account", {"name": "Stale Co"}, "x")
    log_in(page, "ann")
    page.goto(f"/t/account/{account['id']}/edit")
    field(page, "Name").fill("Mine Co")
    page.get_by_label("Note").fill("my note")
    # meanwhile bob saves the same record
    site.service.update(
        "t",
        "account",
        account["id"],
        {"note": "theirs", "rev_number": account["rev_number"]},
        "bob",
    )
    page.get_by_role("button", name="Save", exact=True).click()

    banner = page.get_by_role("alert")
    expect(banner).to_contain_text("Account was changed by bob at")
    expect(banner).to_contain_text("while you were editing")
    expect(banner.get_by_role("link", name="reload the new version")).to_be_visible()
    expect(field(page, "Name")).to_have_value("Mine Co")
    expect(page.get_by_label("Note")).to_have_value("my note")
    screenshot(page, "test_a_stale_edit-banner")
    page.get_by_role("button", name="Save", exact=True).click()  # over the new version
    expect(page.get_by_role("status")).to_have_text("Account Mine Co saved.")
    expect(shown(page, "Name")).to_have_text("Mine Co")
    expect(shown(page, "Note")).to_have_text("my note")
    expect(page.locator(".history > ol > li").first).to_contain_text("update by ann")


def test_a_status_action_and_the_history(page, site, log_in):
    account = site.service.create("t", "account", {"name": "Action Co"}, "x")
    log_in(page, "ann")
    page.goto(f"/t/account/{account['id']}")
    expect(page.get_by_text("Status: Draft")).to_be_visible()
    expect(page.get_by_role("link", name="Close")).to_have_count(0)
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("status")).to_have_text("Account Action Co confirmed.")
    expect(page.get_by_text("Status: Confirmed")).to_be_visible()
    expect(page.get_by_role("button", name="Confirm")).to_have_count(0)
    expect(page.get_by_role("link", name="Close")).to_be_visible()  # it asks first
    history = page.locator(".history > ol > li")
    expect(history).to_have_count(2)
    expect(history.nth(0)).to_contain_text("confirm by ann")
    expect(history.nth(0)).to_contain_text("Status: Draft → Confirmed")
    expect(history.nth(1)).to_contain_text("create by x")
    # the confirmed account's name is locked on its edit form
    page.get_by_role("link", name="Edit").click()
    expect(page.locator("output#field-name")).to_have_text("Action Co")


def test_searching_filtering_and_sorting_the_list(page, site, log_in):
    for name, kind in [
        ("Quokka Alpha", "company"),
        ("Quokka Beta", "person"),
        ("Quokka Gamma", "company"),
        ("Numbat", "company"),
    ]:
        site.service.create("t", "account", {"name": name, "kind": kind, "nickname": "n"}, "x")
    log_in(page, "ann")
    page.goto("/t/account/")
    names = page.locator("table.records tbody tr td:nth-child(2)")  # after the number
    page.get_by_label("Search").fill("quokka")
    page.get_by_role("button", name="Search").click()
    expect(names).to_have_text(["Quokka Alpha", "Quokka Beta", "Quokka Gamma"])
    expect(page.locator("caption")).to_have_text("3 Accounts, 1–3 shown")

    page.get_by_label("Kind").select_option("company")
    page.get_by_role("button", name="Search").click()
    expect(names).to_have_text(["Quokka Alpha", "Quokka Gamma"])
    expect(page.get_by_label("Search")).to_have_value("quokka")
    expect(page.get_by_label("Kind")).to_have_value("company")

    page.get_by_role("link", name="Name").click()
    expect(page.get_by_role("link", name="Name ▲")).to_be_visible()
    expect(names).to_have_text(["Quokka Alpha", "Quokka Gamma"])
    page.get_by_role("link", name="Name ▲").click()
    expect(names).to_have_text(["Quokka Gamma", "Quokka Alpha"])

    page.get_by_label("Search").fill("no such account")
    page.get_by_role("button", name="Search").click()
    expect(names).to_have_count(0)
    expect(page.locator("caption")).to_have_text("0 Accounts")
    page.get_by_label("Search").fill("numbat")
    page.get_by_label("Kind").select_option("")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Numbat").click()
    expect(page.get_by_role("heading", name="Account Numbat")).to_be_visible()


def test_a_viewer_sees_no_edit_button_and_is_refused_the_edit_form(page, site, log_in):
    account = site.service.create("t", "account", {"name": "Viewer Co"}, "x")
    log_in(page, "vic")
    page.goto("/t/account/")
    expect(page.get_by_role("link", name="Viewer Co")).to_be_visible()
    expect(page.get_by_role("link", name="New Account")).to_have_count(0)
    page.get_by_role("link", name="Viewer Co").click()
    expect(page.get_by_role("heading", name="Account Viewer Co")).to_be_visible()
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    expect(page.get_by_role("button", name="Confirm")).to_have_count(0)
    expect(page.get_by_role("link", name="Delete")).to_have_count(0)
    response = page.goto(f"/t/account/{account['id']}/edit")
    assert response.status == 403
    # (the page is the API's JSON error body, not an HTML page: see the report)
    expect(page.get_by_text("You don't have the permission")).to_be_visible()
    response = page.goto("/t/account/new")
    assert response.status == 403
