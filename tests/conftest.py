"""Shared fixtures: the shipped metadata, compiled once, and tiny metadata trees."""

from __future__ import annotations

import os
import textwrap
import threading
from pathlib import Path

import psycopg2
import pytest

from engine.registry import Registry, build_registry
from engine.storage.databases import Storage

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "metadata"

GROUPS = """\
groups:
  MAIN: {label: Main, order: 10, layout: section}
  MORE: {label: More, order: 20, layout: tab}
"""
TENANT = "tenant: t\nlabel: T\nsettings: {license: '3897'}\n"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--screenshots",
        action="store_true",
        help="the browser tests save a screenshot of every page they check in "
        "test-artifacts/, not only of the pages that fail",
    )


@pytest.fixture(autouse=True, scope="session")
def cheap_hashing():
    """argon2 at its smallest cost for the whole run, the users that fixtures of any scope
    make included: the same code paths, without 0.2 s of both cores per hash and per first
    login (test_users.py sets the real cost where it measures it)."""
    from argon2 import PasswordHasher

    from engine import users

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(users, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        yield


def stop_metadata_watching(before: set[threading.Thread]) -> None:
    """End the metadata watching threads of apps started since `before` was taken."""
    from webui.change_feed import ChangeFeed

    for thread in threading.enumerate():
        if isinstance(thread, ChangeFeed) and thread not in before:
            thread.stop()


@pytest.fixture(autouse=True)
def metadata_watching_ends_with_the_test():
    """The metadata watching threads that the test's apps started end with the test."""
    before = set(threading.enumerate())
    yield
    stop_metadata_watching(before)


@pytest.fixture(scope="session")
def shipped() -> Registry:
    return build_registry(str(SHIPPED))


@pytest.fixture
def tree(tmp_path):
    """Write a metadata tree from {relative path: YAML text}; returns its root."""

    def write(files: dict[str, str]) -> Path:
        files = {"groups.yaml": GROUPS, "tenants/t/tenant.yaml": TENANT, **files}
        for relative, text in files.items():
            path = tmp_path / "metadata" / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return tmp_path / "metadata"

    return write


PG_ADMIN_URL = os.environ.get(
    "FORMWORK_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shipped_site(request, tmp_path_factory):
    """The app over the shipped metadata, once per test module and backend, with an editor
    `clerk` in every tenant (shipped_pages.shipped_app)."""
    from shipped_pages import shipped_app  # it imports this module

    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    yield from shipped_app(str(tmp_path_factory.mktemp("data")), url)


@pytest.fixture(scope="module")
def demo_site(shipped_site):
    """The shipped tenants with their demo data (`formwork demo`), on each backend."""
    from engine.demo import load_demo

    service = shipped_site.extensions["formwork"]
    load_demo(service, service.registry)
    return shipped_site


@pytest.fixture(scope="module")
def clerks(shipped_site):
    """A logged-in test client per shipped tenant, by tenant name."""
    from shipped_pages import Person

    tenants = shipped_site.extensions["formwork"].registry.tenants
    return {tenant: Person(shipped_site, tenant) for tenant in tenants}


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL database made for this test run and dropped after it."""
    name = f"formwork_test_{os.getpid()}"
    admin = psycopg2.connect(PG_ADMIN_URL)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    admin.cursor().execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def storage(request, tmp_path):
    """Storage on each backend; PostgreSQL tenant schemas are dropped afterwards."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    store = Storage(data_dir=str(tmp_path / "data"), database_url=url)
    watching = set(threading.enumerate())
    yield store
    stop_metadata_watching(watching)  # a rebuild under way would still use the databases
    store.close()
    if url:
        _drop_tenant_schemas(url)


def _drop_tenant_schemas(url):
    """Leave the test database empty for the next test, whoever created the schemas."""
    connection = psycopg2.connect(url)
    connection.autocommit = True
    cursor = connection.cursor()
    cursor.execute(
        "SELECT schema_name FROM information_schema.schemata WHERE schema_name NOT LIKE 'pg_%%'"
        " AND schema_name NOT IN ('public', 'information_schema')"
    )
    for (schema,) in cursor.fetchall():
        cursor.execute(f'DROP SCHEMA "{schema}" CASCADE')
    connection.close()


@pytest.fixture
def service(tree, storage):
    """A records service over the records test metadata, synced on the storage backend."""
    from records_metadata import FILES

    from engine.records.service import RecordService
    from engine.storage.sync import sync_registry

    registry = build_registry(str(tree(FILES)))
    sync_registry(registry, storage)
    return RecordService(registry)


@pytest.fixture
def shipped_api(storage):
    """A test client of the app over the shipped metadata, on each backend, with an editor
    `clerk` in every tenant: `client.headers[tenant]` carries the clerk's token."""
    from engine import users
    from webui import create_app

    app = create_app(
        {
            "TESTING": True,
            "FORMWORK_METADATA": str(SHIPPED),
            "FORMWORK_DATA": str(storage.data_dir),
            "FORMWORK_DATABASE": storage.database_url,
        }
    )
    registry = app.extensions["formwork"].registry
    for tenant in registry.tenants:
        users.add_user(registry.tenant(tenant), "clerk", "editor", "correct horse battery")
    return api_client(app)


@pytest.fixture(scope="module")
def module_api(shipped_site):
    """`shipped_api` made once for a whole module, on each backend: for tests that each
    make the records they use and count nothing else."""
    return api_client(shipped_site)


def api_client(app):
    """A test client of `app`, whose tenants have an editor `clerk`: `client.headers[tenant]`
    carries the clerk's API token, `client.service` is the records service."""
    from engine import users

    service = app.extensions["formwork"]
    client = app.test_client()
    client.service = service
    client.headers = {}
    for tenant in service.registry.tenants:
        token = users.issue_token(service.registry.tenant(tenant), "clerk")
        client.headers[tenant] = {"Authorization": f"Bearer {token}"}
    return client
