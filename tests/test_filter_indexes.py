"""Every filter a shipped list page offers is answered from an index, on SQLite and
PostgreSQL: the database's catalog holds an index on the filter's column and the
planner uses it. A filter no index answers (a multiselect's) is said to be slow, on the
list page and in the API's answer."""

from __future__ import annotations

import re

import peewee
import pytest
from conftest import SHIPPED
from test_filters import TAGGED
from test_pages import Browser, make_app

from engine import users
from engine.records.search import search_query
from engine.records.service import RecordService
from engine.registry import build_registry

REGISTRY = build_registry(str(SHIPPED))
PAIRS = [(t, e) for t, tenant in REGISTRY.tenants.items() for e in sorted(tenant.entities)]
FILTER = re.compile(r'<select id="filter-([a-z0-9_]+)" name="[^"]+"[^>]*>\s*'
                    r'<option value="">Any</option>\s*(?:<option value="([^"]*)")?')  # fmt: skip


def indexed_columns(database, table: str, postgres: bool) -> set[str]:
    """The columns that lead an index of `table`, as the database's catalog lists them."""
    if not postgres:
        names = database.execute_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (table,)
        ).fetchall()
        return {
            database.execute_sql(f'PRAGMA index_info("{name}")').fetchone()[2] for (name,) in names
        }
    definitions = database.execute_sql(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s",
        (table,),
    ).fetchall()
    return {re.search(r"\(\"?([a-z0-9_]+)", text).group(1) for (text,) in definitions}


def plan(database, query, postgres: bool) -> str:
    """The plan of `query` as the list runs it (in id order, a page at a time)."""
    sql, params = query.order_by(query.model.id).limit(25).sql()
    if not postgres:
        rows = database.execute_sql(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
        return "\n".join(row[-1] for row in rows)
    with database.atomic():
        # the test tables are small: without this, reading them whole is cheapest anyway
        database.execute_sql("SET LOCAL enable_seqscan = off")
        rows = database.execute_sql(f"EXPLAIN {sql}", params).fetchall()
    return "\n".join(row[0] for row in rows)


@pytest.mark.parametrize("tenant,entity", PAIRS)
def test_each_filter_of_a_list_page_is_answered_from_an_index(shipped_site, clerks, tenant, entity):
    service: RecordService = shipped_site.extensions["formwork"]
    target = service.target(tenant, entity)
    table, database = target.model._meta.table_name, target.tenant.database
    postgres = isinstance(database.obj, peewee.PostgresqlDatabase)
    page = clerks[tenant].get(f"/{entity}/").get_data(as_text=True)
    filters = FILTER.findall(page)
    indexed = indexed_columns(database, table, postgres)
    for name, value in filters:
        answer = service.list(tenant, entity, filters={name: value or "1"})
        if f'id="filter-{name}-slow"' in page:  # said to be slow, by the page and the API
            assert answer["unindexed_filters"] == [name]
            # only where no index could answer: an option inside a list of them
            assert not target.entity.spec.field(name).type.filter_by_equality
            continue
        assert "unindexed_filters" not in answer
        assert name in indexed, f"{tenant}.{entity}: no index on the filter {name}"
        query, errors, _ = search_query(target, None, {name: value or "1"})
        assert not errors
        found = plan(database, query, postgres)
        assert "Seq Scan" not in found and not re.search(rf"^SCAN {table}\b", found, re.M), found


@pytest.fixture
def tagged(tree, storage):
    application = make_app(tree({"entities/item.yaml": TAGGED}), storage)
    service = application.extensions["formwork"]
    service.create("t", "item", {"name": "Both", "tags": ["red", "blue"]}, "ann")
    users.add_user(service.registry.tenant("t"), "ann", "editor", "correct horse battery")
    return application


def test_a_filter_no_index_answers_says_it_reads_every_record(tagged):
    browser = Browser(tagged, "t")
    browser.login("ann")
    page = browser.get("/item/?tags=red").get_data(as_text=True)
    assert 'aria-describedby="filter-tags-slow"' in page
    assert re.search(r'id="filter-tags-slow"[^>]*>reads every record', page)
    service = tagged.extensions["formwork"]
    assert service.list("t", "item", filters={"tags": "red"})["unindexed_filters"] == ["tags"]
    # a column without an index, filtered through the API: said too
    assert service.list("t", "item", filters={"created_by": "ann"})["unindexed_filters"] == [
        "created_by"
    ]
    assert "unindexed_filters" not in service.list("t", "item", filters={"active": "true"})
