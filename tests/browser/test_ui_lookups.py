"""Lookups on the shipped metadata in a real browser: a combobox over hundreds of demo
records worked with the keyboard alone, and view values filled from the link at once."""

import re

import pytest
from playwright.sync_api import Page, expect

from . import shipped_site as site
from .conftest import pick_record, screenshot

# the fixtures of the shipped site, used here by name
shipped_site, shipped_page = site.shipped_site, site.shipped_page


@pytest.fixture
def editor_page(shipped_site, shipped_page: Page) -> Page:
    """A page logged in to the standard tenant as its editor."""
    shipped_site.log_in(shipped_page, "standard")
    return shipped_page


# the standard tenant's customer: ship_to_id searches the demo's 248 addresses, and its
# fetch fills the ship-to view values
LINK, VIEW = "Ship To Id", "output#field-vv_ship_to_address_name"


def open_reference(page: Page) -> None:
    """Open the Reference group, which the shipped metadata collapses, unless open."""
    group = page.locator(
        "details.group-disclosure", has=page.locator("summary", has_text="Reference")
    )
    if group.get_attribute("open") is None:
        group.locator("summary").press("Enter")
    expect(group).to_have_attribute("open", "")


def test_a_lookup_combobox_is_worked_with_the_keyboard_alone(editor_page: Page):
    page = editor_page
    page.goto("/standard/customer/new")
    open_reference(page)  # the link's group
    box = page.get_by_role("combobox", name=LINK, exact=True)
    listbox = page.get_by_role("listbox", name=LINK, exact=True)
    status = page.locator(".lookup-combobox", has=box).get_by_role("status")
    expect(box).to_have_value("")
    box.focus()
    box.press_sequentially("Branch office 12")
    options = listbox.get_by_role("option")
    expect(options).to_have_count(10)  # 120 to 129
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(status).to_contain_text("10 results")
    box.press("ArrowDown")
    box.press("ArrowDown")
    second = options.nth(1)
    expect(second).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", second.get_attribute("id"))
    picked = second.inner_text()
    box.press("Enter")
    expect(box).to_have_value(picked)
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(status).to_have_text(f"Chosen: {picked}.")
    expect(page.locator(VIEW)).to_have_text(picked)  # filled from the link at once
    # Escape closes the results and leaves the choice as it was
    box.press("ArrowDown")
    expect(listbox).to_be_visible()
    box.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    box.press_sequentially(" and more")
    expect(status).to_have_text("No results.")
    box.press("Tab")
    expect(box).to_have_value(picked)  # leaving without picking keeps the record chosen
    screenshot(page, "test_a_lookup_combobox_is_worked_with_the_keyboard_alone")
    page.get_by_label(re.compile(r"^Customer Name")).fill("Keyboard Traders")
    page.get_by_role("button", name="Save", exact=True).click()
    heading = page.get_by_role("heading", name=re.compile("Keyboard Traders"))
    expect(heading).to_be_visible()
    for label in (LINK, "Ship To Address Name"):
        expect(page.locator(f'dl > div:has(> dt:text-is("{label}")) > dd')).to_have_text(picked)


def test_a_failed_save_shows_the_lookup_and_its_view_values_by_title(editor_page: Page):
    page = editor_page
    page.goto("/standard/customer/new")
    open_reference(page)
    box = page.get_by_role("combobox", name=LINK, exact=True)
    box.press_sequentially("Branch office 207")
    page.get_by_role("option", name="Branch office 207").click()
    # the name, which is required, is left empty: the form comes back with its errors
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".summary")).to_be_visible()
    open_reference(page)
    box = page.get_by_role("combobox", name=LINK, exact=True)
    expect(box).to_have_value("Branch office 207")
    expect(page.locator(VIEW)).to_have_text("Branch office 207")
    expect(page.locator("output#field-vv_ship_to_postal_code")).to_have_text("43207")
    # a view value is shown, never an input of its own
    expect(page.locator("[name=vv_ship_to_address_name]")).to_have_count(0)
    # clearing the box clears the link and its view values
    box.fill("")
    box.press("Tab")
    expect(page.locator("input[type=hidden][name=ship_to_id]")).to_have_value("")
    expect(page.locator(VIEW)).to_have_text("—")


def test_a_copied_or_added_line_gets_a_working_lookup_combobox(editor_page: Page):
    page = editor_page
    page.goto("/standard/customer/new")
    sites = page.locator("fieldset[data-lines=sites]")
    sites.get_by_text("Edit Sites row 1").press("Enter")  # the empty row's editor
    first = page.get_by_role("combobox", name="Ship To Id (Sites row 1)")
    first.press_sequentially("Branch office 031")
    expect(page.get_by_role("option", name="Branch office 031")).to_be_visible()
    first.press("ArrowDown")
    first.press("Enter")
    expect(first).to_have_value("Branch office 031")
    page.get_by_role("button", name="Copy Sites row 1", exact=True).press("Enter")
    sites.get_by_text("Edit Sites row 2").press("Enter")
    copy = page.get_by_role("combobox", name="Ship To Id (Sites row 2)")
    expect(copy).to_have_value("Branch office 031")  # the copy keeps the choice
    copy.fill("")
    copy.press_sequentially("Branch office 032")
    expect(page.get_by_role("option", name="Branch office 032")).to_be_visible()
    copy.press("ArrowDown")
    copy.press("Enter")
    expect(copy).to_have_value("Branch office 032")
    expect(first).to_have_value("Branch office 031")
    ids = page.locator("input[type=hidden][name$='-ship_to_id']")
    expect(ids).to_have_count(2)
    assert ids.nth(0).input_value() != ids.nth(1).input_value()


def test_view_values_of_a_small_lookup_fill_with_titles_at_once(editor_page: Page):
    """A lookup to a few records is searched as the user types, as any lookup; its view
    values show titles, not ids."""
    page = editor_page
    page.goto("/standard/customer_bu/new")
    org, code = page.locator("output#field-vv_bu_org"), page.locator("output#field-vv_bu_org_code")
    expect(org).to_have_text("—")
    open_reference(page)  # the link's group
    box = pick_record(page, "Bu Org Id", "Europe Operations")
    expect(org).to_have_text("Europe Operations")
    expect(code).to_have_text("DE01")
    pick_record(page, "Bu Org Id", "UK Operations")
    expect(org).to_have_text("UK Operations")
    expect(code).to_have_text("UK01")
    box.fill("")
    box.press("Tab")  # leaving the box emptied clears the link
    expect(page.locator("input[type=hidden][name=bu_org_id]")).to_have_value("")
    expect(org).to_have_text("—")
