"""The titles and choices a page reads once (webui.page_links), the statements built once
(engine.records.statements) and the views cached per entity (webui.views) against the
plain path, which reads each where it is shown and builds everything anew: every page of
every shipped tenant × entity is the same either way, and the records service's bulk
reads answer what its plain reads do, on SQLite and PostgreSQL."""

import re

import pytest
from conftest import SHIPPED
from page_costs import (
    ENTITIES,
    failing_save,
    fullest_record,
    logged_in,
    served_demo,
)

from engine.demo import load_demo
from engine.records import statements
from webui import create_app, page_links
from webui.display import LOOKUP_CHOICES
from webui.views import EntityViews

TOKEN = re.compile(r'(name="csrf_token" value=")[^"]+"')


def pages(client, service, tenant: str, entity: str) -> dict[str, str]:
    """Every kind of page of the entity, by what it is, as served now."""
    shown = {}
    for path in (f"/{tenant}/{entity}/", f"/{tenant}/{entity}/new"):
        shown[path] = client.get(path).get_data(as_text=True)
    record = fullest_record(service, tenant, entity)
    if record is not None:
        base = f"/{tenant}/{entity}/{record['id']}"
        for path in (base, f"{base}/edit"):
            shown[path] = client.get(path).get_data(as_text=True)
        data = failing_save(client, service, tenant, entity, f"{base}/edit")
        shown["failed save"] = client.post(f"{base}/edit", data=data).get_data(as_text=True)
    return {kind: TOKEN.sub(r'\1"', html) for kind, html in shown.items()}


def assert_switch_changes_no_page(site, tenant, entity, monkeypatch, module, switch):
    """Every page of the entity is the same with `module.switch` on as with it off."""
    service = site.extensions["formwork"]
    client = logged_in(site, tenant)
    on = pages(client, service, tenant, entity)
    monkeypatch.setattr(module, switch, False)
    off = pages(client, service, tenant, entity)
    assert on.keys() == off.keys()
    for kind in on:
        assert on[kind] == off[kind], kind


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    return served_demo(tmp_path_factory)


@pytest.mark.parametrize(("tenant", "entity"), ENTITIES)
def test_pages_read_once_equal_pages_read_where_shown(demo_app, tenant, entity, monkeypatch):
    service = demo_app.extensions["formwork"]
    client = logged_in(demo_app, tenant)
    quick = pages(client, service, tenant, entity)
    # the plain path: each title and choice list read where shown, every statement built
    # by Peewee, and every view of the tenant's entities built anew on the first request
    monkeypatch.setattr(page_links, "READ_ONCE", False)
    monkeypatch.setattr(statements, "REUSE_SQL", False)
    for compiled in service.registry.tenant(tenant).entities.values():
        compiled.memo.pop(EntityViews, None)
    plain = pages(client, service, tenant, entity)
    assert quick.keys() == plain.keys()
    for kind in quick:
        assert quick[kind] == plain[kind], kind


@pytest.fixture
def demo_service(storage):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "FORMWORK_METADATA": str(SHIPPED),
            "FORMWORK_DATA": str(storage.data_dir),
            "FORMWORK_DATABASE": storage.database_url,
        }
    )
    service = app.extensions["formwork"]
    load_demo(service, service.registry)
    return service


@pytest.mark.parametrize("reuse_sql", [True, False])
def test_bulk_reads_answer_what_plain_reads_do(demo_service, reuse_sql, monkeypatch):
    """read_many is `read` of each id, lines aside, and knows no id of no live record;
    few_records is `list`'s items, of every record or of those a link may name, while
    there are at most as many as it is asked for, and None beyond."""
    monkeypatch.setattr(statements, "REUSE_SQL", reuse_sql)
    service = demo_service
    for tenant in service.registry.tenants:
        for entity in service.registry.tenant(tenant).entities:
            target = service.target(tenant, entity)
            page = service.list(tenant, entity, limit=LOOKUP_CHOICES + 1)
            items, total = page["items"], page["total"]
            ids = [item["id"] for item in items]
            lines = [line.name for line in target.lines()]
            plain = {
                i: {k: v for k, v in service.read(tenant, entity, i).items() if k not in lines}
                for i in ids
            }
            assert service.read_many(tenant, entity, [*ids, 0, -1, 2**40]) == plain
            assert service.few_records(tenant, entity, LOOKUP_CHOICES) == (
                items if total <= LOOKUP_CHOICES else None
            )
            if total:  # one fewer than there are: too many
                assert service.few_records(tenant, entity, total - 1) is None
            filters = {"active": "true"} if "active" in target.spec.system_columns else {}
            selectable = service.list(tenant, entity, filters=filters, limit=500)
            assert service.few_records(tenant, entity, 500, selectable=True) == (
                selectable["items"] if selectable["total"] <= 500 else None
            )
