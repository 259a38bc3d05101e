"""A standard-tenant customer made with the keyboard alone, in Chromium: its name typed, its
bill-to address chosen in the lookup's combobox with the arrow keys, one site line filled
in its row editor, saved. The Tab presses it takes are counted and written to
test-artifacts/keyboard-tab-stops.txt; collapsed groups and closed row editors are passed
over whole, so they stay below the number of the form's controls."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from . import shipped_site as site
from .conftest import ARTIFACTS, screenshot

# the module's fixtures: the shipped site with its demo data
shipped_site = site.shipped_site

# what has the focus, as a person hears it: an input's label, else the control's own name
FOCUSED = """() => {
  const el = document.activeElement;
  const label = el.labels?.[0]?.textContent || el.getAttribute("aria-label") || el.textContent;
  const said = (label || "").replace(/\\s+/g, " ").trim();
  return [el.tagName, el.getAttribute("role") || el.type || "", said];
}"""
# every control Tab could stop at, where the form is drawn in full (no group collapsed)
TABBABLE = """() => Array.from(document.querySelectorAll(
  "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]"
)).filter((el) => !el.disabled && el.tabIndex >= 0).length"""


class Keyboard:
    """The keyboard of one page, counting the Tab presses."""

    def __init__(self, page: Page) -> None:
        self.page, self.tabs = page, 0

    def tab_to(self, name: str, role: str = "") -> None:
        """Press Tab until the focused control's name starts with `name` (and its tag or
        role is `role`, when given)."""
        wanted = re.compile(rf"^{re.escape(name)}", re.IGNORECASE)
        for _ in range(400):
            self.page.keyboard.press("Tab")
            self.tabs += 1
            tag, kind, said = self.page.evaluate(FOCUSED)
            if wanted.match(said) and (not role or role in (tag.lower(), kind)):
                return
        raise AssertionError(f"Tab never reached {name!r}; last focused: {said!r}")


def test_a_customer_with_a_lookup_and_a_site_is_made_with_the_keyboard_alone(
    shipped_site, browser, request
):
    context = browser.new_context(base_url=shipped_site.url, viewport=site.SIZES["wide"])
    context.set_default_timeout(5_000)
    page = context.new_page()
    shipped_site.log_in(page, "standard")
    page.goto("/standard/customer/new")
    everything = page.evaluate(TABBABLE)
    keys = Keyboard(page)
    keys.tab_to("Customer Name", "input")
    page.keyboard.type("Keyboard Bakery")
    keys.tab_to("Bill To Id", "combobox")
    page.keyboard.type("Branch office 04")
    listbox = page.get_by_role("listbox", name="Bill To Id", exact=True)
    expect(listbox.get_by_role("option").first).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    chosen = listbox.get_by_role("option").nth(1).inner_text()
    page.keyboard.press("Enter")
    expect(page.get_by_role("combobox", name="Bill To Id", exact=True)).to_have_value(chosen)
    keys.tab_to("Edit Sites row 1", "summary")
    page.keyboard.press("Enter")
    keys.tab_to("Customer Site Name (Sites row 1)", "input")
    page.keyboard.type("Bakery North")
    keys.tab_to("Save", "button")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile("Keyboard Bakery"))).to_be_visible()
    screenshot(page, request.node.name)
    context.close()

    service = shipped_site.service
    made = service.list("standard", "customer", q="Keyboard Bakery")["items"]
    assert len(made) == 1
    record = service.read("standard", "customer", made[0]["id"])
    address = service.read("standard", "address", record["bill_to_id"])
    assert address["address_name"] == chosen
    assert [line["customer_site_name"] for line in record["sites"]] == ["Bakery North"]
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "keyboard-tab-stops.txt").write_text(
        f"{keys.tabs} Tab presses to make the customer; {everything} controls on the form\n"
    )
    # a closed group or row editor is passed over whole: fewer stops than the controls
    assert keys.tabs < everything, (keys.tabs, everything)
