"""An admin changes the metadata on disk and reloads it from the admin pages."""

import re

from playwright.sync_api import Page, expect

from .conftest import field, screenshot

LOYALTY = """\
customize: account
add_fields:
  - {name: loyalty_code, sequence: 12, label: Loyalty Code, input_type: text, group: MAIN,
     max_length: 12, help: "The code on the customer's loyalty card."}
"""
BROKEN = """\
customize: region
add_fields:
  - {name: capital, label: Capital, input_type: text, group: MAIN
"""  # the flow mapping is never closed


def write(path, text):
    """Edit a metadata file, as the admin does in an editor."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def reload_from_the_metadata_page(page: Page) -> None:
    page.goto("/t/")
    page.get_by_role("link", name="Metadata (admin)").click()
    expect(page.get_by_role("heading", name="Metadata", exact=True)).to_be_visible()
    page.get_by_role("button", name="Reload").click()


def test_an_admin_adds_a_custom_field_in_yaml_reloads_and_fills_it_in(page, site, log_in):
    log_in(page, "ada")
    page.goto("/t/account/new")
    expect(field(page, "Loyalty Code")).to_have_count(0)
    write(site.metadata / "tenants/t/entities/account.yaml", LOYALTY)
    reload_from_the_metadata_page(page)

    expect(page.get_by_role("status").filter(has_text="reloaded")).to_have_text(
        "The metadata was reloaded from disk."
    )
    # the index lists the new field under its entity, whose page shows its properties
    entry = page.locator("#entity-account")
    entry.get_by_text("fields", exact=False).click()
    entry.get_by_role("link", name="loyalty_code Loyalty Code").click()
    row = page.locator("#field-account-loyalty_code")
    expect(row).to_contain_text("Loyalty Code")
    expect(row).to_contain_text("custom field")
    page.goto("/t/account/new")
    expect(page.get_by_text("The code on the customer's loyalty card.")).to_be_visible()
    field(page, "Name").fill("Loyal Co")
    field(page, "Loyalty Code").fill("GOLD-0042")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", name="Account Loyal Co")).to_be_visible()
    loyalty = page.locator("dl > div").filter(has=page.get_by_text("Loyalty Code", exact=True))
    expect(loyalty.locator("dd")).to_have_text("GOLD-0042")


def test_a_broken_yaml_edit_leaves_the_site_working_and_shows_the_error(
    page, site, log_in, request
):
    broken = site.metadata / "tenants/t/entities/region.yaml"
    log_in(page, "ada")
    try:
        write(broken, BROKEN)
        reload_from_the_metadata_page(page)
        expect(page.get_by_role("alert").first).to_contain_text(
            "The metadata on disk was not loaded: its problems are listed below."
        )
        banner = page.locator(".summary")
        expect(banner.get_by_role("heading")).to_contain_text(
            re.compile(r"The metadata on disk has 1 problem; still serving the version loaded at")
        )
        expect(banner.locator(".problems li")).to_have_count(1)
        expect(banner.locator(".problems li")).to_contain_text(
            re.compile(r"^tenants/t/entities/region\.yaml:\d+")
        )
        screenshot(page, f"{request.node.name}-banner", full_page=False)
        # the site goes on with the metadata it had
        page.goto("/t/region/new")
        expect(page.get_by_role("heading", name="New Region")).to_be_visible()
        expect(field(page, "Capital")).to_have_count(0)
        field(page, "Code").fill("EAST")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_role("status")).to_have_text(re.compile(r"^Region #\d+ saved\.$"))
    finally:
        broken.unlink(missing_ok=True)
        reload_from_the_metadata_page(page)
    expect(page.get_by_role("status").filter(has_text="reloaded")).to_be_visible()
    expect(page.locator(".summary")).to_have_count(0)
