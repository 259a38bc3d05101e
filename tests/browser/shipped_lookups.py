"""The shipped metadata with the demo data, served on a free port, for the browser tests of
lookups: every tenant, with the demo's records (hundreds of targets for some lookups) and
a user `eve` (editor) per tenant who logs in with a known password."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect
from werkzeug.serving import make_server

from engine import users
from engine.demo import load_demo
from engine.records.service import RecordService
from webui import create_app

SHIPPED = Path(__file__).resolve().parents[2] / "metadata"
EDITOR, PASSWORD = "eve", "correct horse battery"


@dataclass
class ShippedSite:
    url: str
    app: Flask

    @property
    def service(self) -> RecordService:
        return self.app.extensions["formwork"]


@pytest.fixture(scope="session")
def shipped_site(tmp_path_factory) -> Iterator[ShippedSite]:
    """The shipped metadata and its demo data on SQLite, served by werkzeug in a thread."""
    root = tmp_path_factory.mktemp("shipped")
    app = create_app(
        {
            "SECRET_KEY": "browser-tests",
            "FORMWORK_METADATA": str(SHIPPED),
            "FORMWORK_DATA": str(root / "data"),
            "FORMWORK_RELOAD": "off",
        }
    )
    service = app.extensions["formwork"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(users, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        load_demo(service, service.registry)
        for name in service.registry.tenants:
            users.add_user(service.registry.tenant(name), EDITOR, "editor", PASSWORD)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield ShippedSite(f"http://127.0.0.1:{server.server_port}", app)
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def shipped_page(browser: Browser, shipped_site: ShippedSite) -> Iterator[Page]:
    """A page of a fresh context at the shipped site; its scripts must not fail."""
    context: BrowserContext = browser.new_context(
        base_url=shipped_site.url, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(5_000)
    context.route(lambda url: not url.startswith(shipped_site.url), lambda route: route.abort())
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], "the pages' script failed"


def log_in_to(page: Page, tenant: str) -> None:
    """Log the page's context in to `tenant` as its editor."""
    page.goto(f"/{tenant}/login")
    page.get_by_label("User name").fill(EDITOR)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text(f"{EDITOR} (editor)")).to_be_visible()
