"""A person reads the API reference in a real browser, from the link in the header."""

import json

import pytest
from playwright.sync_api import Page, expect

from .conftest import FAILED, screenshot


@pytest.fixture
def tall_page(new_context, request):
    """A page whose screenshot shows the window only: the whole reference is too tall to
    capture within the screenshot's time limit."""
    tab = new_context().new_page()
    yield tab
    failed = request.node.stash.get(FAILED, False)
    screenshot(tab, request.node.name, full_page=False, failed=failed)


def test_the_api_reference_is_one_click_from_the_header_and_needs_no_other_site(
    tall_page: Page, log_in
):
    page = tall_page
    log_in(page, "vic")
    page.goto("/t/")
    page.get_by_role("navigation", name="Account").get_by_role("link", name="API").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("T: the API")
    page.get_by_role("navigation", name="API contents").get_by_role("link", name="Accounts").click()
    operation = page.locator("#op-account\\.list")
    expect(operation.get_by_role("heading")).to_contain_text("GET /api/t/account List Accounts")
    operation.locator("summary").click()  # the list's many filters fold away
    parameters = operation.get_by_role("table", name="Parameters of GET /api/t/account")
    expect(parameters.get_by_role("row", name="credit_limit")).to_contain_text("query")
    page.get_by_role("link", name="account.New").first.click()
    fields = page.get_by_role("table", name="Fields of Accounts")
    expect(fields.get_by_role("row", name="name Name")).to_contain_text("required")
    # the same description for programs, read with the browser's login
    page.get_by_role("link", name="openapi.json").click()
    document = json.loads(page.locator("body").inner_text())
    assert "/api/t/account/{record_id}/actions/confirm" in document["paths"]
    page.go_back()  # the screenshot shows the reference, not a page of JSON
    expect(fields).to_be_visible()


def test_without_a_login_the_reference_asks_to_log_in(page: Page):
    page.goto("/t/api-docs")
    expect(page.get_by_role("heading", name="Log in to T")).to_be_visible()
