"""Lines with min_rows and max_rows in a real browser: Add and Copy are disabled at the
most, Remove at the fewest, the limits written under the legend and said when reached;
the server refuses what the browser would not let through."""

import re

from playwright.sync_api import Page, expect

from .conftest import field, screenshot


def row_field(page: Page, row: int):
    """The Person input of a Members row, its editor opened first."""
    editor = page.locator(f"details:has(> summary .row-name:text-is('Members row {row}'))")
    if editor.get_attribute("open") is None:
        editor.locator("summary").click()
    return field(page, f"Person (Members row {row})")


def buttons(page: Page, action: str):
    return page.get_by_role("button", name=re.compile(rf"^{action} Members row \d$"))


def test_the_buttons_keep_the_rows_within_the_limits_and_say_why(page, site, log_in):
    log_in(page, "ann")
    page.goto("/t/crew/new")
    limits = page.locator("#limits-members")
    expect(limits).to_have_text("Members takes 1 to 3 rows.")
    expect(limits).to_be_visible()
    add = page.get_by_role("button", name="Add row to Members")
    expect(buttons(page, "Remove")).to_have_count(1)
    expect(buttons(page, "Remove")).to_be_disabled()  # the one row it needs
    expect(buttons(page, "Remove")).to_have_attribute("aria-describedby", "limits-members")
    field(page, "Name").fill("Night shift")
    row_field(page, 1).fill("Ana")

    add.click()
    expect(buttons(page, "Remove")).to_have_count(2)
    for remove in buttons(page, "Remove").all():
        expect(remove).to_be_enabled()
    page.keyboard.type("Ben")
    page.get_by_role("button", name="Copy Members row 2").click()
    expect(row_field(page, 3)).to_have_value("Ben")
    status = page.locator("fieldset[data-lines=members] [role=status]")
    expect(status).to_have_text(
        "Members row 2 copied to row 3. No more rows: Members takes 1 to 3 rows."
    )
    expect(add).to_be_disabled()
    expect(add).to_have_attribute("aria-describedby", "limits-members")
    for copy in buttons(page, "Copy").all():
        expect(copy).to_be_disabled()
    screenshot(page, "line-limits-at-most")

    page.get_by_role("button", name="Remove Members row 3").click()
    expect(add).to_be_enabled()
    expect(buttons(page, "Copy").first).to_be_enabled()
    add.click()
    row_field(page, 3).fill("Cy")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Crew Night shift saved.")

    # the edit form of three members has no empty fourth row, and adds none
    record_id = int(re.search(r"/t/crew/(\d+)", page.url).group(1))
    stored = [(m["id"], m["person"]) for m in site.service.read("t", "crew", record_id)["members"]]
    assert [person for _, person in stored] == ["Ana", "Ben", "Cy"]
    page.get_by_role("link", name="Edit").click()
    expect(buttons(page, "Remove")).to_have_count(3)
    expect(add).to_be_disabled()

    # after a removal, the row added is empty and new, not a copy of a stored one
    page.get_by_role("button", name="Remove Members row 2").click()
    add.click()
    expect(row_field(page, 3)).to_have_value("")
    expect(page.locator('input[name="members-2-id"]')).to_have_value("")
    expect(add).to_be_disabled()
    row_field(page, 3).fill("Dot")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Crew Night shift saved.")
    members = site.service.read("t", "crew", record_id)["members"]
    assert [m["person"] for m in members] == ["Ana", "Cy", "Dot"]
    assert [m["id"] for m in members[:2]] == [stored[0][0], stored[2][0]]  # kept, not copied


def test_the_server_refuses_rows_past_the_limits_the_buttons_enforce(page, site, log_in):
    log_in(page, "ann")
    page.goto("/t/crew/new")
    field(page, "Name").fill("Day shift")
    row_field(page, 1).fill("Dee")
    add = page.get_by_role("button", name="Add row to Members")
    for row in (2, 3):
        add.click()
        row_field(page, row).fill(f"Person {row}")
    expect(add).to_be_disabled()
    add.evaluate("(button) => { button.disabled = false; }")  # past what the page allows
    add.click()
    row_field(page, 4).fill("One too many")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".summary")).to_contain_text("Members allows at most 3 lines.")
    expect(buttons(page, "Remove")).to_have_count(4)  # nothing typed is lost
    expect(row_field(page, 4)).to_have_value("One too many")

    # and a crew with no member at all
    page.goto("/t/crew/new")
    field(page, "Name").fill("No shift")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".summary")).to_contain_text("Members needs at least 1 line.")
