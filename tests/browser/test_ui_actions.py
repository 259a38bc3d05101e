"""Safe actions and feedback in a real browser: leaving a changed form asks first,
Ctrl+S saves, "Save and add another", the action bar in reach on a long form, deleting
after a confirmation page, and pages that ask the browser for nothing missing."""

import re

from playwright.sync_api import Dialog, Page, expect

from .conftest import PHONE, field, screenshot


def watch_dialogs(page: Page, accept: bool = False) -> list[str]:
    """The types of the dialogs the page opens, each dismissed (or accepted)."""
    seen: list[str] = []

    def answer(dialog: Dialog) -> None:
        seen.append(dialog.type)
        dialog.accept() if accept else dialog.dismiss()

    page.on("dialog", answer)
    return seen


def test_leaving_a_changed_form_asks_first_and_an_unchanged_one_does_not(page, log_in):
    log_in(page, "ann")
    dialogs = watch_dialogs(page)
    page.goto("/t/account/new")
    page.get_by_role("link", name="Accounts").click()  # nothing typed: it just goes
    expect(page.get_by_role("heading", name="Accounts")).to_be_visible()
    assert dialogs == []

    page.goto("/t/account/new")
    field(page, "Name").click()
    page.keyboard.type("Half Typed Co")
    page.get_by_role("link", name="Accounts").click()
    page.wait_for_timeout(300)
    assert dialogs == ["beforeunload"]
    expect(page).to_have_url(re.compile(r"/t/account/new$"))  # dismissed: still here
    expect(field(page, "Name")).to_have_value("Half Typed Co")


def test_a_form_sent_leaves_without_asking_and_ctrl_s_saves(page, site, log_in):
    log_in(page, "ann")
    dialogs = watch_dialogs(page)
    page.goto("/t/account/new")
    field(page, "Name").click()
    page.keyboard.type("Keyboard Saver Co")
    page.keyboard.press("Control+s")
    expect(page.get_by_role("status")).to_have_text("Account Keyboard Saver Co saved.")
    expect(page).to_have_url(re.compile(r"/t/account/\d+$"))  # the notice left the URL
    assert dialogs == []
    (saved,) = site.service.list("t", "account", q="Keyboard Saver Co")["items"]
    # on edit too, and the form shown again with a problem still asks before leaving
    page.goto(f"/t/account/{saved['id']}/edit")
    field(page, "Name").fill("")
    page.keyboard.press("Control+s")
    expect(page.locator(".summary")).to_be_visible()
    page.get_by_role("link", name="Accounts").first.click()
    page.wait_for_timeout(300)
    assert dialogs == ["beforeunload"]


def test_save_and_add_another_opens_an_empty_form_that_says_what_was_saved(page, site, log_in):
    log_in(page, "ann")
    page.goto("/t/account/new")
    field(page, "Name").fill("First Of Two Co")
    page.get_by_role("button", name="Save and add another").click()
    expect(page.locator("[data-notice]")).to_have_text("Account First Of Two Co saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text("New Account")
    expect(field(page, "Name")).to_have_value("")
    expect(page).to_have_url(re.compile(r"/t/account/new$"))  # a reload says nothing again
    field(page, "Name").fill("Second Of Two Co")
    page.keyboard.press("Enter")  # Enter saves as Save does, to the record
    expect(page.get_by_role("status")).to_have_text("Account Second Of Two Co saved.")
    assert site.service.list("t", "account", q="Of Two Co")["total"] == 2


def test_the_action_bar_stays_in_reach_on_a_long_form_without_covering_it(new_context, request):
    page = new_context(PHONE).new_page()
    from .conftest import log_in_through_the_form

    log_in_through_the_form(page, "ann")
    page.goto("/t/account/new")
    save = page.get_by_role("button", name="Save", exact=True)
    assert page.evaluate("document.body.scrollHeight") > 1.5 * PHONE["height"]
    expect(save).to_be_in_viewport()  # at the top of a form longer than the screen
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    bar = page.locator(".action-bar").bounding_box()
    form = page.locator("form[data-warn-unsaved] > :not(.action-bar)").last.bounding_box()
    assert form["y"] + form["height"] <= bar["y"] + 1  # the last part of the form is above it
    screenshot(page, request.node.name, full_page=False)


def test_without_the_script_deleting_asks_on_a_page_of_its_own(browser, site, log_in):
    account = site.service.create(
        "t", "account", {"name": "Doomed Co", "branches": [{"city": "Graz"}]}, "x"
    )
    context = browser.new_context(base_url=site.url, viewport=PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        log_in(page, "ann")
        page.goto(f"/t/account/{account['id']}")
        page.get_by_role("link", name="Delete").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Delete Account Doomed Co?")
        expect(page.get_by_text("Account Doomed Co will be deleted.")).to_be_visible()
        expect(page.get_by_role("heading", name="Branches (1)")).to_be_visible()
        screenshot(page, "test_without_the_script_deleting_asks-phone")
        page.get_by_role("link", name="No, keep it as it is").click()
        expect(page.get_by_role("heading", name="Account Doomed Co")).to_be_visible()
        page.get_by_role("link", name="Delete").click()
        page.get_by_role("button", name="Yes, delete").click()
        expect(page.get_by_role("status")).to_have_text("Account Doomed Co deleted.")
        expect(page.get_by_role("heading", name="Accounts")).to_be_visible()
    finally:
        context.close()


def test_with_the_script_the_question_opens_in_a_dialog_over_the_record(page, site, log_in):
    account = site.service.create(
        "t", "account", {"name": "Dialog Co", "branches": [{"city": "Linz"}]}, "x"
    )
    log_in(page, "ann")
    page.goto(f"/t/account/{account['id']}")
    delete = page.get_by_role("link", name="Delete")
    delete.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Delete Account Dialog Co?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_text("Account Dialog Co will be deleted.")).to_be_visible()
    expect(dialog.get_by_role("listitem")).to_have_text("Branch 1: Linz")
    screenshot(page, "test_with_the_script_the_question_opens_in_a_dialog", full_page=False)
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(delete).to_be_focused()  # back where the person was
    page.keyboard.press("Enter")
    dialog.get_by_role("link", name="No, keep it as it is").click()
    expect(dialog).to_have_count(0)
    expect(page).to_have_url(re.compile(rf"/t/account/{account['id']}$"))
    page.keyboard.press("Enter")
    dialog.get_by_role("button", name="Yes, delete").click()
    expect(page.get_by_role("status")).to_have_text("Account Dialog Co deleted.")
    assert site.service.list("t", "account", q="Dialog Co")["total"] == 0


def test_no_page_asks_for_a_missing_file_or_logs_an_error(page, site, log_in):
    account = site.service.create("t", "account", {"name": "Quiet Co"}, "x")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: errors.append(r.url) if r.status >= 400 else None)
    log_in(page, "ann")
    for path in ("/t/", "/t/account/", f"/t/account/{account['id']}", "/t/account/new",
                 f"/t/account/{account['id']}/delete"):  # fmt: skip
        page.goto(path)
        page.wait_for_load_state("networkidle")
    assert errors == []
    icon = page.request.get("/favicon.ico")
    assert icon.status == 200 and icon.body()[:4] == b"\x00\x00\x01\x00"
