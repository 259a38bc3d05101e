"""What the enhancement script does on a form, checked against what the server decides."""

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import PHONE, field, pick_record, screenshot


def problems(page: Page) -> list[str]:
    """The error summary's messages after a submit (none when there is no summary)."""
    page.wait_for_load_state()
    return page.locator(".summary li").all_inner_texts()


@pytest.mark.parametrize(
    ("kind", "credit", "required"),
    [
        ("company", "5000", True),
        ("company", "1000", False),  # the rule is strictly more than 1000
        ("company", "1000.01", True),
        ("company", "", False),
        ("person", "5000", False),
        ("", "5000", False),
    ],
)
def test_required_if_in_the_browser_matches_the_server(page, kind, credit, required, log_in):
    log_in(page, "ann")
    page.goto("/t/account/new")
    tax_id = page.get_by_label("Tax Id")
    page.get_by_label("Kind").select_option(kind)
    page.get_by_label("Credit Limit").fill(credit)
    expect(tax_id).to_have_js_property("required", required)
    star = page.locator("label[for=field-tax_id] .required")
    expect(star).to_have_count(1 if required else 0)
    # the name is left empty so that the submit always fails and shows the server's view
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".summary")).to_be_visible()
    assert ("Tax Id is required." in problems(page)) is required
    expect(tax_id).to_have_js_property("required", required)  # the same after the round trip
    if required:
        expect(tax_id).to_have_attribute("aria-invalid", "true")


def test_conditions_follow_each_change(page, log_in):
    log_in(page, "ann")
    page.goto("/t/account/new")
    tax_id, nickname = page.get_by_label("Tax Id"), field(page, "Nickname")
    expect(page.get_by_label("Kind")).to_have_value("company")  # the default
    expect(nickname).to_be_hidden()
    expect(tax_id).to_have_js_property("required", False)
    page.get_by_label("Credit Limit").fill("1500")
    expect(tax_id).to_have_js_property("required", True)
    expect(page.locator("label[for=field-tax_id]")).to_have_text(re.compile(r"^Tax Id\s*\*$"))
    screenshot(page, "test_conditions_follow_each_change-required")
    page.get_by_label("Kind").select_option("person")
    expect(tax_id).to_have_js_property("required", False)
    expect(page.locator("label[for=field-tax_id]")).to_have_text("Tax Id")
    expect(nickname).to_be_visible()
    page.get_by_label("Credit Limit").fill("999")
    page.get_by_label("Kind").select_option("company")
    expect(nickname).to_be_hidden()
    expect(tax_id).to_have_js_property("required", False)
    page.get_by_label("Credit Limit").press("End")
    page.keyboard.type("9")  # 9999, typed key by key
    expect(tax_id).to_have_js_property("required", True)
    field(page, "Name").fill("Taxed Co")
    page.get_by_label("Tax Id").fill("NO-123")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", name="Account Taxed Co")).to_be_visible()


def test_a_lookup_over_a_large_table_is_searched_as_you_type(page, log_in, request):
    log_in(page, "ann")
    page.goto("/t/visit/new")
    # 201 places, made through the records service: too many for a select, so the server
    # draws a number input that names where to search, which becomes a combobox
    box = page.get_by_role("combobox", name="Place")
    expect(box).to_have_attribute("aria-expanded", "false")
    place = page.locator("input[type=hidden][name=place]")
    expect(place).to_have_attribute("data-lookup", "/t/place/lookup?show=name")
    status = page.locator(".lookup-combobox [role=status]")
    box.press_sequentially("Place 15")
    results = page.get_by_role("listbox", name="Place").get_by_role("option")
    expect(results).to_have_text([f"Place {n}" for n in range(150, 160)])
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(status).to_contain_text("10 results")
    screenshot(page, f"{request.node.name}-results", full_page=False)
    box.fill("nothing like it")
    expect(status).to_have_text("No results.")
    expect(results).to_have_count(0)
    box.fill("Place 153")
    page.get_by_role("option", name="Place 153").click()
    expect(box).to_have_value("Place 153")
    expect(status).to_have_text("Chosen: Place 153.")
    expect(place).to_have_value(re.compile(r"^\d+$"))
    field(page, "Subject").fill("Visit to 153")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", name="Visit Visit to 153")).to_be_visible()
    shown = page.locator("dl > div")
    expect(shown.filter(has=page.get_by_text("Place", exact=True)).locator("dd")).to_have_text(
        "Place 153"
    )
    expect(shown.filter(has=page.get_by_text("Zone", exact=True)).locator("dd")).to_have_text(
        "Z6"  # 153 % 7, fetched by the server
    )


def test_the_enter_key_in_a_lookup_combobox_picks_the_first_match(page, log_in):
    log_in(page, "ann")
    page.goto("/t/visit/new")
    box = page.get_by_role("combobox", name="Place")
    box.press_sequentially("Place 20")
    expect(page.get_by_role("option")).to_have_count(2)  # 200 and 201
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/t/visit/new$"))  # the form was not sent
    expect(box).to_have_value("Place 200")


def test_tab_groups_are_tabs_on_a_wide_screen(page, log_in):
    log_in(page, "ann")
    page.goto("/t/visit/new")
    more, extra = page.get_by_role("tab", name="More"), page.get_by_role("tab", name="Extra")
    expect(more).to_have_attribute("aria-selected", "true")
    expect(page.get_by_label("Notes")).to_be_visible()
    expect(page.get_by_label("Score")).to_be_hidden()
    expect(field(page, "Subject")).to_be_visible()  # sections are not tabs
    extra.click()
    expect(extra).to_have_attribute("aria-selected", "true")
    expect(page.get_by_label("Score")).to_be_visible()
    expect(page.get_by_label("Notes")).to_be_hidden()
    extra.press("ArrowLeft")
    expect(more).to_be_focused()
    expect(page.get_by_label("Notes")).to_be_visible()
    # a problem in a hidden tab: the form comes back on that tab
    field(page, "Subject").fill("Scored")
    extra.click()
    page.get_by_label("Score").fill("11")
    more.click()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("tab", name="Extra")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_label("Score")).to_have_value("11")
    expect(page.get_by_label("Score")).to_have_attribute("aria-invalid", "true")
    page.get_by_role("tab", name="More").click()
    page.get_by_role("link", name="Score must be at most 10.").click()
    expect(page.get_by_label("Score")).to_be_focused()


def test_tabs_stand_in_their_order_among_sections(page, log_in):
    log_in(page, "ann")
    page.goto("/t/survey/new")
    # Lines (80) and Reference (90) are one set of tabs, after Planning (40); the lone
    # tab Early (35) stays a titled group between the sections at 10 and 40
    strips = page.get_by_role("tablist")
    expect(strips).to_have_count(1)
    expect(strips.get_by_role("tab")).to_have_text(["Lines", "Reference"])
    order = page.evaluate(
        """() => Array.from(document.querySelectorAll("form fieldset.group, [role=tablist]"))
            .map((node) => node.id || node.getAttribute("role"))"""
    )
    assert order == [
        "group-MAIN",
        "group-EARLY",
        "group-PLANNING",
        "tablist",
        "group-LINES",
        "group-REFERENCE",
    ]
    expect(page.get_by_role("group", name="Early")).to_be_visible()
    expect(page.get_by_label("Early Note")).to_be_visible()
    expect(page.get_by_label("Lines Note")).to_be_visible()
    expect(page.get_by_label("Ref", exact=True)).to_be_hidden()
    page.get_by_role("tab", name="Reference").click()
    expect(page.get_by_label("Ref", exact=True)).to_be_visible()
    expect(page.get_by_label("Lines Note")).to_be_hidden()


def test_tab_groups_stay_a_plain_list_on_a_phone(new_context, request, log_in):
    page = new_context(viewport=PHONE).new_page()
    log_in(page, "ann")
    page.goto("/t/visit/new")
    expect(page.get_by_role("tab", name="Extra")).to_be_hidden()
    expect(page.get_by_label("Notes")).to_be_visible()
    expect(page.get_by_label("Score")).to_be_visible()
    screenshot(page, request.node.name)


def test_choosing_a_lookup_fills_its_fetched_fields_at_once(page, site, log_in):
    log_in(page, "ann")
    page.goto("/t/account/new")
    region_code = page.locator("output#field-region_code")
    expect(region_code).to_have_text("—")
    region = pick_record(page, "Region", "SOUTH")
    expect(page.locator("input[type=hidden][name=region]")).to_have_value(
        str(site.regions["SOUTH"])
    )
    expect(region_code).to_have_text("SOUTH")  # before anything is saved
    pick_record(page, "Region", "NORTH")
    expect(region_code).to_have_text("NORTH")
    expect(region).to_have_value("NORTH")
    screenshot(page, "test_choosing_a_lookup_fills_its_fetched_fields_at_once")
