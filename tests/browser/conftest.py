"""The app served on a free port of 127.0.0.1, and one Chromium for the whole session.

Every test gets fresh browser contexts (no cookies shared between tests); a test that
fails leaves a screenshot of its page in test-artifacts/<test name>.png (with
`--screenshots`, every test does, and so do the screenshots the tests take on the way).
Nothing is downloaded: the browser is Debian's /usr/bin/chromium, and requests to any
other host are refused.
"""

from __future__ import annotations

import re
import textwrap
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import GROUPS, TENANT
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect, sync_playwright
from records_metadata import CREW, FILES, MEMBER, SURVEY
from werkzeug.serving import make_server

from engine import users
from engine.records.service import RecordService
from webui import create_app

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct horse battery"
USERS = {"ann": "editor", "vic": "viewer", "ada": "admin"}
WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PLACES = 201  # one more than a lookup shows as a select: the place lookup is a search

# Besides the records test metadata: a second tab group, a visit whose place lookup
# targets a large table, for the tabs and the search-as-you-type lookup, and a survey
# whose sections and tabs interleave.
EXTRA_GROUP = "  EXTRA: {label: Extra, order: 30, layout: tab}\n"
PLACE = """\
entity: place
label: Place
plural: Places
title_field: name
delete: never
fields:
  - {name: name, sequence: 1, label: Name, input_type: text, group: MAIN, required: true,
     searchable: true}
  - {name: zone, sequence: 2, label: Zone, input_type: text, group: MAIN}
"""
VISIT = """\
entity: visit
label: Visit
plural: Visits
title_field: subject
fields:
  - {name: subject, sequence: 1, label: Subject, input_type: text, group: MAIN,
     required: true, searchable: true}
  - {name: place, sequence: 2, label: Place, input_type: lookup, group: MAIN,
     lookup: {entity: place, show: name, fetch: {zone: zone}}}
  - {name: zone, sequence: 3, label: Zone, input_type: text, group: MAIN, read_only: true}
  - {name: notes, sequence: 4, label: Notes, input_type: textarea, group: MORE}
  - {name: score, sequence: 5, label: Score, input_type: integer, group: EXTRA, min: 0,
     max: 10}
"""


FAILED = pytest.StashKey[bool]()
EVERY_PAGE = {"saved": False}  # --screenshots: save every screenshot, not only failures


def pytest_configure(config: pytest.Config) -> None:
    EVERY_PAGE["saved"] = config.getoption("screenshots")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Marks a test whose setup or body failed, for its page's screenshot."""
    outcome = yield
    if outcome.get_result().failed:
        item.stash[FAILED] = True


@dataclass
class Site:
    url: str
    app: Flask
    metadata: Path
    regions: dict[str, int]  # id by code

    @property
    def service(self) -> RecordService:
        return self.app.extensions["formwork"]


def write_tree(root: Path) -> Path:
    files = {
        "groups.yaml": GROUPS + EXTRA_GROUP,
        "tenants/t/tenant.yaml": TENANT,
        **FILES,
        "entities/place.yaml": PLACE,
        "entities/visit.yaml": VISIT,
        "entities/survey.yaml": SURVEY,
        "entities/crew.yaml": CREW,
        "entities/member.yaml": MEMBER,
    }
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Iterator[Site]:
    """The app on SQLite in a temporary folder, served by werkzeug in a thread."""
    root = tmp_path_factory.mktemp("browser")
    metadata = write_tree(root / "metadata")
    app = create_app(
        {
            "SECRET_KEY": "browser-tests",
            "FORMWORK_METADATA": str(metadata),
            "FORMWORK_DATA": str(root / "data"),
            # metadata is reloaded by the admins' Reload button only, never behind a test
            "FORMWORK_RELOAD": "off",
        }
    )
    service = app.extensions["formwork"]
    tenant = service.registry.tenant("t")
    for name, role in USERS.items():
        users.add_user(tenant, name, role, PASSWORD)
    regions = {
        c: service.create("t", "region", {"code": c}, "setup")["id"] for c in ("NORTH", "SOUTH")
    }
    with tenant.database.atomic():
        for n in range(1, PLACES + 1):
            service.create("t", "place", {"name": f"Place {n:03d}", "zone": f"Z{n % 7}"}, "setup")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Site(f"http://127.0.0.1:{server.server_port}", app, metadata, regions)
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    expect.set_options(timeout=5_000)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(browser, site):
    """Make browser contexts (separate cookie jars) at the site; all closed after the test."""
    contexts: list[BrowserContext] = []
    script_errors: list[str] = []

    def watch(page: Page) -> None:
        page.on("pageerror", lambda error: script_errors.append(f"{page.url}: {error}"))
        page.on(
            "console",
            lambda message: (
                script_errors.append(f"{page.url}: {message.text}")
                if "Content Security Policy" in message.text
                else None
            ),
        )

    def make(viewport: dict = WIDE) -> BrowserContext:
        context = browser.new_context(base_url=site.url, viewport=viewport)
        context.set_default_timeout(5_000)
        # only the app itself is ever fetched
        context.route(lambda url: not url.startswith(site.url), lambda route: route.abort())
        context.on("page", watch)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    assert script_errors == [], "the pages' script failed or broke the CSP"


@pytest.fixture
def page(new_context, request) -> Iterator[Page]:
    """A page in a fresh context; its screenshot is saved when the test fails."""
    tab = new_context().new_page()
    yield tab
    screenshot(tab, request.node.name, failed=request.node.stash.get(FAILED, False))


def screenshot(page: Page, name: str, full_page: bool = True, failed: bool = False) -> None:
    """Save the page's screenshot as test-artifacts/<name>.png when it shows a failure or
    when every screenshot is wanted (--screenshots): a picture of every passing page
    would cost a large part of the browser tests' time."""
    if not (failed or EVERY_PAGE["saved"]):
        return
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    page.screenshot(path=str(path), full_page=full_page, timeout=60_000)


def field(page: Page, label: str) -> Locator:
    """The input a label names, whether or not the label carries the required asterisk."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}(\s*\*)?$"))


def pick_record(page: Page, label: str, title: str) -> Locator:
    """Choose the record titled `title` in the lookup combobox `label` names, as a person
    does: type its title, click it among the results. Answers the combobox."""
    box = page.get_by_role("combobox", name=label, exact=True)
    box.fill("")
    box.press_sequentially(title)
    page.get_by_role("option", name=title, exact=True).click()
    expect(box).to_have_value(title)
    return box


def log_in_through_the_form(page: Page, username: str) -> None:
    page.goto("/t/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text(f"{username} ({USERS[username]})")).to_be_visible()


@pytest.fixture(scope="session")
def session_cookies() -> dict[str, list]:
    return {}


@pytest.fixture
def log_in(session_cookies):
    """Log a page's context in: through the login form the first time for each user,
    then with the session cookie that login gave (the test of logging in itself uses
    the form every time)."""

    def log_in(page: Page, username: str) -> None:
        if username in session_cookies:
            page.context.add_cookies(session_cookies[username])
            return
        log_in_through_the_form(page, username)
        session_cookies[username] = page.context.cookies()

    return log_in
