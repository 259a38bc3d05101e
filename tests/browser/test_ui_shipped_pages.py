"""Every page of every shipped tenant, at 1280×800 and 390×844, as people see it.

Each page is opened in real Chromium with the demo data and must be no wider than the
viewport (wide tables scroll inside their own region), label every visible control
visibly, offer targets of at least 24×24 px, and pass axe-core's WCAG 2.x A/AA rules. A
failure names the page, the size and every problem found on it, and leaves the page's
screenshot in test-artifacts/<tenant>-<entity>-<page>-<size>.png (`--screenshots` leaves
one of every page).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from . import shipped_site as site
from .conftest import screenshot
from .page_audit import problems
from .shipped_site import SIZES, Visitor, demo_entities, shipped_entities

# the module's fixtures: the shipped site with its demo data, a visitor per size
shipped_site = site.shipped_site
visitors = site.visitors

TENANTS = sorted({tenant for tenant, _ in shipped_entities()})


def audit(
    visitor: Visitor,
    tenant: str,
    role: str,
    path: str,
    *name: str,
    also: tuple[int, ...] = (),
    prepare: Callable[[Page], None] | None = None,
) -> list[str]:
    """The problems of the page at `path`, each naming the page (its screenshot saved
    when it has any).
    `also` names the error statuses the page may answer with; `prepare` acts on the page
    before it is audited."""
    page = visitor.open(tenant, role, path, also)
    if prepare is not None:
        prepare(page)
    return findings(page, visitor.size, name, path)


def findings(page: Page, size: str, name: tuple[str, ...], where: str) -> list[str]:
    """The problems of `page` as shown now, each naming the page (its screenshot saved
    when it has any)."""
    found = problems(page)
    screenshot(page, "-".join([*name, size]), failed=bool(found))
    return [f"{' '.join(name)} at {size} ({where}): {problem}" for problem in found]


def report(found: list[str]) -> str:
    return "\n".join(["the pages have problems:", *found])


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("tenant", "entity"), shipped_entities())
def test_list_and_new_record_form(visitors, tenant, entity, size):
    visitor = visitors[size]
    found = audit(visitor, tenant, "editor", f"/{tenant}/{entity}/", tenant, entity, "list")
    found += audit(visitor, tenant, "editor", f"/{tenant}/{entity}/new", tenant, entity, "new")
    assert not found, report(found)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("tenant", "entity"), demo_entities())
def test_record_page_and_edit_form(visitors, shipped_site, tenant, entity, size):
    visitor = visitors[size]
    record = shipped_site.first_record(tenant, entity)
    path = f"/{tenant}/{entity}/{record}"
    found = audit(visitor, tenant, "editor", path, tenant, entity, "record")
    found += audit(visitor, tenant, "editor", f"{path}/edit", tenant, entity, "edit")
    assert not found, report(found)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("tenant", "entity"), demo_entities())
def test_edit_form_with_every_row_open(visitors, shipped_site, tenant, entity, size):
    """The stored rows' editors, served closed, audited once their fields are loaded."""
    record = shipped_site.first_record(tenant, entity)
    path = f"/{tenant}/{entity}/{record}/edit"
    found = audit(
        visitors[size], tenant, "editor", path, tenant, entity, "rows-open", prepare=open_every_row
    )
    assert not found, report(found)


def open_every_row(page: Page) -> None:
    """Opens every stored row of the form and waits until each has its fields."""
    page.evaluate(
        "() => document.querySelectorAll('tbody.line details').forEach((d) => { d.open = true; })"
    )
    expect(page.locator(".row-fields[data-row-fields]")).to_have_count(0)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("tenant", TENANTS)
def test_home_api_metadata_index_and_form_preview(visitors, shipped_site, tenant, size):
    visitor = visitors[size]
    found = audit(visitor, tenant, "editor", f"/{tenant}/", tenant, "home")
    found += audit(visitor, tenant, "editor", f"/{tenant}/api-docs", tenant, "api")
    found += audit(visitor, tenant, "admin", f"/{tenant}/admin/metadata", tenant, "metadata")
    # the preview draws the new-record form, audited for every entity above: once here,
    # for the widest form, is enough for the page around it
    widest = shipped_site.widest_entity(tenant)
    path = f"/{tenant}/admin/preview/{widest}"
    found += audit(visitor, tenant, "admin", path, tenant, widest, "preview")
    assert not found, report(found)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("tenant", "entity"), shipped_entities())
def test_metadata_page(visitors, tenant, entity, size):
    visitor = visitors[size]
    path = f"/{tenant}/admin/metadata/{entity}"
    found = audit(visitor, tenant, "admin", path, tenant, entity, "metadata")
    assert not found, report(found)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("tenant", "entity"), demo_entities())
def test_confirmation_pages_of_a_record(visitors, shipped_site, tenant, entity, size):
    """Every action of the record's page that asks first (delete, cancel, deactivate, …)
    shows a page saying what will happen, lines included."""
    visitor = visitors[size]
    record = shipped_site.first_record(tenant, entity)
    page = visitor.open(tenant, "editor", f"/{tenant}/{entity}/{record}")
    asking = page.locator("a[data-asks-first]")
    paths = [asking.nth(i).get_attribute("href") for i in range(asking.count())]
    found: list[str] = []
    for path in paths:
        kind = path.rstrip("/").rsplit("/", 1)[-1]
        # a record still in use answers 409 with the page saying why it cannot be done
        found += audit(visitor, tenant, "editor", path, tenant, entity, kind, also=(409,))
    assert not found, report(found)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("tenant", TENANTS)
def test_history_of_an_edited_record(visitors, shipped_site, tenant, size):
    """The history of a record changed after it was made, each change listed."""
    visitor = visitors[size]
    entity = shipped_site.entity_with_lines(tenant)
    record = shipped_site.edited_record(tenant, entity)
    path = f"/{tenant}/{entity}/{record}"
    found = audit(visitor, tenant, "editor", path, tenant, entity, "history")
    assert not found, report(found)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("tenant", TENANTS)
def test_import_pages(visitors, shipped_site, tenant, size):
    """The import of the entity's own export: its upload page, its preview, the result of
    checking it."""
    visitor = visitors[size]
    entity = shipped_site.entity_with_lines(tenant)
    path = f"/{tenant}/{entity}/import"
    found = audit(visitor, tenant, "editor", path, tenant, entity, "import")
    page = visitor.page
    exported = page.request.get(f"/{tenant}/{entity}/export.csv")
    assert exported.ok, f"{tenant} {entity}'s export answered {exported.status}"
    page.get_by_label("File (CSV or XLSX)").set_input_files(
        files=[{"name": f"{entity}.csv", "mimeType": "text/csv", "buffer": exported.body()}]
    )
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", name=re.compile(": preview$"))).to_be_visible()
    found += audit_shown(visitor, tenant, entity, "import-preview")
    page.get_by_role("button", name="Check only").click()
    expect(page.get_by_role("heading", name="Result")).to_be_visible(timeout=60_000)
    found += audit_shown(visitor, tenant, entity, "import-check")
    assert not found, report(found)


def audit_shown(visitor: Visitor, tenant: str, *name: str) -> list[str]:
    """The problems of the page the visitor shows now, as `audit` reports them."""
    page = visitor.page
    # a heading is visible as soon as the page's HTML is parsed; its stylesheet may still
    # be on its way on a busy machine, and a page measured unstyled is too wide
    page.wait_for_load_state("load")
    return findings(page, visitor.size, (tenant, *name), page.url)
