"""A stored row's editor in Chromium, for every shipped tenant × entity with lines: served
closed, its fields loaded from the server when it is opened (by the keyboard), edited,
copied before and after it is opened, moved, and saved as seen; the rows left closed keep
their values."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from test_line_pieces import hostile_record
from test_lines_form import CASES

from . import shipped_site as site
from .test_ui_lines import enter_text, open_form, press

# the module's fixtures: the shipped site with its demo data
shipped_site = site.shipped_site


@pytest.mark.parametrize(("tenant", "entity", "line"), CASES)
def test_a_stored_rows_fields_load_when_it_opens_and_save(
    shipped_site, browser, request, tenant, entity, line
):
    record = hostile_record(shipped_site.service, tenant, entity, rows=2)  # 2 rows in each
    page, lines = open_form(shipped_site, browser, request, tenant, entity, line, "wide", record)
    stored = lines.record[line]
    text = lines.texts[0]
    first = lines.rows.nth(0)
    # served closed: the grid row and the id, no field of the row
    expect(page.locator(f'[name="{line}-0-{text.name}"]')).to_have_count(0)
    expect(first.locator(f'input[type=hidden][name="{line}-0-id"]')).to_have_value(
        str(stored[0]["id"])
    )

    press(first.locator("summary"))  # opens the editor: its fields come from the server
    expect(first.locator("details")).to_have_attribute("open", "")
    control = lines.control(0, text)
    expect(control).to_have_value(str(stored[0][text.name] or ""))
    enter_text(control, "opened and changed")

    # copying a closed row loads its fields first: the copy holds them
    press(lines.button("copy", 1))
    copy = lines.rows.nth(2)
    expect(copy.locator("summary")).to_be_focused()
    if text.copy:
        expect(lines.sent(2, text)).to_have_value(str(stored[1][text.name] or ""))
    expect(page.locator(f'[name="{line}-1-{text.name}"]')).to_have_count(1)  # loaded
    # removed again: a copy may repeat what must be unique among the rows, or leave out
    # a required field
    press(lines.button("remove", 2))
    expect(lines.rows).to_have_count(len(stored) + 1)

    press(lines.button("up", 1))  # the second row, loaded, moves up: its names follow
    expect(page.locator(f'[name="{line}-0-{text.name}"]')).to_have_value(
        str(stored[1][text.name] or "")
    )
    expect(page.locator(f'[name="{line}-1-{text.name}"]')).to_have_value("opened and changed")

    press(page.get_by_role("button", name="Save", exact=True))
    expect(page).to_have_url(re.compile(rf"/{tenant}/{entity}/{lines.record['id']}(\?.*)?$"))
    saved = shipped_site.service.read(tenant, entity, lines.record["id"])[line]
    by_id = {row["id"]: row for row in saved}
    assert by_id[stored[0]["id"]][text.name] == "opened and changed"
    assert by_id[stored[1]["id"]][text.name] == stored[1][text.name]
    for before in stored[2:]:  # never opened: as they were
        after = by_id[before["id"]]
        changed = {
            k
            for k in before
            if k not in ("rev_number", "last_update_date", "last_updated_by")
            and before[k] != after[k]
        }
        assert not changed, changed
    if lines.spec.lines.order:
        order = [row["id"] for row in saved[:2]]
        assert order == [stored[1]["id"], stored[0]["id"]]


def test_a_row_that_cannot_load_says_so_and_keeps_its_button(shipped_site, browser, request):
    """The session gone (logged out elsewhere), opening a closed row shows no login page
    in the row: it says the fields could not be loaded, its button still there."""
    tenant, entity, line = next(case for case in CASES if case[2] == "sites")
    record = hostile_record(shipped_site.service, tenant, entity, rows=2)
    page, lines = open_form(shipped_site, browser, request, tenant, entity, line, "wide", record)
    page.context.clear_cookies()
    first = lines.rows.nth(0)

    press(first.locator("summary"))

    expect(first.get_by_role("alert")).to_contain_text("could not be loaded")
    expect(first.get_by_role("button", name=re.compile("^Show the fields"))).to_be_visible()
    expect(first.locator('input[name="username"]')).to_have_count(0)
