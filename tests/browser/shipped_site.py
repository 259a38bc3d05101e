"""The shipped metadata with the demo data, served on a free port of 127.0.0.1.

For browser tests that go over every shipped tenant and entity: the app as `formwork
demo` and `formwork serve` set it up, on SQLite in a temporary folder, with the demo's
users (their passwords as the demo gave them).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from argon2 import PasswordHasher
from conftest import SHIPPED
from flask import Flask
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from engine import users
from engine.demo import load_demo
from engine.records.service import RecordService
from webui import create_app


@dataclass
class ShippedSite:
    """The served app, and the demo users' passwords by (tenant, user name)."""

    url: str
    app: Flask
    passwords: dict[tuple[str, str], str]

    @property
    def service(self) -> RecordService:
        return self.app.extensions["formwork"]

    def log_in(self, page: Page, tenant: str, username: str = "editor") -> None:
        """Log the page's context in to the tenant through its login form."""
        page.goto(f"{self.url}/{tenant}/login")
        page.get_by_label("User name").fill(username)
        page.get_by_label("Password").fill(self.passwords[tenant, username])
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_text(f"{username} (")).to_be_visible()


@pytest.fixture(scope="session")
def shipped_site(tmp_path_factory) -> Iterator[ShippedSite]:
    """The shipped tenants with the demo data, served by werkzeug in a thread."""
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
    with pytest.MonkeyPatch.context() as patch:  # quick hashes: the tests log in often
        patch.setattr(users, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        report = load_demo(service, service.registry)
    passwords = {
        (tenant.tenant, user.username): user.password
        for tenant in report.tenants
        for user in tenant.users
        if user.password
    }
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield ShippedSite(f"http://127.0.0.1:{server.server_port}", app, passwords)
    server.shutdown()
    thread.join(timeout=10)
