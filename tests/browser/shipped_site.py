"""The shipped metadata with its demo data, served on a free port, and visitors at two sizes.

`shipped_site` serves every shipped tenant on SQLite with `formwork demo`'s users and
records. `visitors` gives one browser context per viewport size (reused by every test of
the module), which logs in as the role a page needs, tenant by tenant, and audits the
pages it opens with `page_audit`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import yaml
from conftest import SHIPPED
from playwright.sync_api import Browser, BrowserContext, Page, expect
from werkzeug.serving import make_server

from engine.demo import DATA_DIR, load_demo
from engine.errors import Conflict, RecordInvalid
from engine.records.service import RecordService
from engine.registry import build_registry
from webui import create_app

from .page_audit import AUDIT, AXE

SIZES = {"wide": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@dataclass
class ShippedSite:
    """The shipped tenants served at `url`, with the demo users' passwords and records."""

    url: str
    passwords: dict[tuple[str, str], str]  # (tenant, role) → password
    service: RecordService

    def log_in(self, page: Page, tenant: str, username: str = "editor") -> None:
        """Log the page's context in to the tenant through its login form."""
        page.goto(f"{self.url}/{tenant}/login")
        page.get_by_label("User name").fill(username)
        page.get_by_label("Password").fill(self.passwords[tenant, username])
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_text(f"{username} (")).to_be_visible()

    def first_record(self, tenant: str, entity: str) -> int:
        """The id of the oldest record of an entity, which the demo data must have."""
        items = self.service.list(tenant, entity, sort="id", limit=1)["items"]
        assert items, f"the demo data of {tenant} has no {entity} record to open"
        return items[0]["id"]

    def entity_with_lines(self, tenant: str) -> str:
        """The entity of the tenant with the most lines fields and demo records."""
        entities = [
            entity
            for entity in self.service.registry.tenant(tenant).spec.entities.values()
            if self.service.list(tenant, entity.name, limit=1)["items"]
        ]
        return max(
            entities, key=lambda entity: sum(f.lines is not None for f in entity.fields)
        ).name

    def edited_record(self, tenant: str, entity: str) -> int:
        """A demo record of the entity changed by the editor after it was made: the first
        whose optional text fields take a new value (a locked record refuses them)."""
        spec = self.service.registry.tenant(tenant).spec.entities[entity]
        texts = [
            f.name
            for f in spec.fields
            if f.input_type == "text"
            and f.stored
            and not f.required
            and not f.unique
            and not (f.read_only or f.view or f.hidden or f.set_once or f.system)
        ]
        for record in self.service.list(tenant, entity, sort="id", limit=20)["items"]:
            values = {name: f"{record.get(name) or ''} (changed)"[-40:] for name in texts[:2]}
            try:
                self.service.update(
                    tenant,
                    entity,
                    record["id"],
                    {**values, "rev_number": record["rev_number"]},
                    "editor",
                )
            except (Conflict, RecordInvalid):
                continue
            return record["id"]
        raise AssertionError(f"no {tenant} {entity} of the demo data takes a change")

    def widest_entity(self, tenant: str) -> str:
        """The entity of the tenant with the most fields."""
        entities = self.service.registry.tenant(tenant).spec.entities.values()
        return max(entities, key=lambda entity: len(entity.fields)).name


def shipped_entities() -> list[tuple[str, str]]:
    """Every (tenant, entity) of the shipped metadata, tenant by tenant."""
    registry = build_registry(str(SHIPPED))
    return [
        (tenant, entity)
        for tenant, compiled in registry.tenants.items()
        for entity in compiled.entities
    ]


def demo_entities() -> list[tuple[str, str]]:
    """The (tenant, entity) pairs the demo data files create records of, lines included."""
    registry = build_registry(str(SHIPPED))
    found: list[tuple[str, str]] = []
    for tenant, compiled in registry.tenants.items():
        path = DATA_DIR / f"{tenant}.yaml"
        records = (
            yaml.safe_load(path.read_text(encoding="utf-8"))["records"] if path.exists() else []
        )
        for record in records:
            spec = compiled.entities[record["entity"]].spec
            names = [record["entity"]]
            for name, value in (record.get("values") or {}).items():
                lines = spec.field(name).lines
                if lines is not None and value:
                    names.append(lines.entity)
            found += [(tenant, name) for name in names if (tenant, name) not in found]
    return found


@pytest.fixture(scope="module")
def shipped_site(tmp_path_factory) -> Iterator[ShippedSite]:
    """Every shipped tenant with its demo users and records, served by werkzeug in a thread."""
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
    report = load_demo(service, service.registry)
    passwords = {
        (demo.tenant, user.username): user.password
        for demo in report.tenants
        for user in demo.users
    }
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield ShippedSite(f"http://127.0.0.1:{server.server_port}", passwords, service)
    server.shutdown()
    thread.join(timeout=10)


@dataclass
class Visitor:
    """One browser context of one viewport size, logged in to one tenant as one role at a time."""

    size: str
    context: BrowserContext
    site: ShippedSite
    page: Page
    cookies: dict[tuple[str, str], list] = field(default_factory=dict)
    signed_in: tuple[str, str] | None = None

    def open(self, tenant: str, role: str, path: str, also: tuple[int, ...] = ()) -> Page:
        """The page at `path`, opened as `role` of `tenant`; fails on an error status
        other than those `also` names (a page that refuses, with 409, is still a page)."""
        self._sign_in(tenant, role)
        response = self.page.goto(path)
        assert response is not None and (response.ok or response.status in also), (
            f"{path} answered {response and response.status}"
        )
        return self.page

    def _sign_in(self, tenant: str, role: str) -> None:
        if self.signed_in == (tenant, role):
            return
        self.context.clear_cookies()
        saved = self.cookies.get((tenant, role))
        if saved:
            self.context.add_cookies(saved)
        else:
            self.page.goto(f"/{tenant}/login")
            self.page.get_by_label("User name").fill(role)
            self.page.get_by_label("Password").fill(self.site.passwords[(tenant, role)])
            self.page.get_by_role("button", name="Log in").click()
            expect(self.page.get_by_text(f"{role} ({role})")).to_be_visible()
            self.cookies[(tenant, role)] = self.context.cookies()
        self.signed_in = (tenant, role)


@pytest.fixture(scope="module")
def visitors(browser: Browser, shipped_site: ShippedSite) -> Iterator[dict[str, Visitor]]:
    """A visitor per viewport size, its context and tab reused by every test of the module;
    its pages get the audit's scripts (page_audit.problems fails when axe-core is missing)."""
    audit_scripts = [path for path in (AUDIT, AXE) if path.exists()]
    made: dict[str, Visitor] = {}
    for size, viewport in SIZES.items():
        context = browser.new_context(base_url=shipped_site.url, viewport=viewport)
        context.set_default_timeout(10_000)
        for script in audit_scripts:  # in every page before its own, past its CSP
            context.add_init_script(path=script)
        context.route(lambda url: not url.startswith(shipped_site.url), lambda route: route.abort())
        made[size] = Visitor(size, context, shipped_site, context.new_page())
    yield made
    for visitor in made.values():
        visitor.context.close()


@pytest.fixture
def shipped_page(browser: Browser, shipped_site: ShippedSite) -> Iterator[Page]:
    """A page of a fresh context at the shipped site (wide); its scripts must not fail."""
    context: BrowserContext = browser.new_context(base_url=shipped_site.url, viewport=SIZES["wide"])
    context.set_default_timeout(5_000)
    context.route(lambda url: not url.startswith(shipped_site.url), lambda route: route.abort())
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], "the pages' script failed"
