"""A list of every record of a table counts them, up to its bound, from the table's pages
on SQLite (COUNT(*) of the whole table) while the table is small enough, and row by row
otherwise and on PostgreSQL: either way the count is the one the capped count, read row
by row, answers (its oracle), around each threshold, with records deleted or not."""

from __future__ import annotations

import peewee
import pytest
from test_pages import Browser, make_app

from engine import users
from engine.records.search import WHOLE_COUNT_TIMES, count_query, search_query
from engine.records.target import Target
from engine.registry import build_registry
from engine.storage.sync import sync_registry

ITEM = """\
entity: item
label: Item
plural: Items
title_field: name
fields:
  - {name: name, sequence: 1, label: Name, input_type: text, group: MAIN, in_list: true}
"""
UP_TO = 5
GUARD = WHOLE_COUNT_TIMES * (UP_TO + 1)  # the largest id counted from the pages


def capped(target: Target, query: peewee.ModelSelect, up_to: int) -> int:
    """The count as it was always read: row by row, stopping at up_to + 1."""
    found = query.select(peewee.SQL("1")).limit(up_to + 1).alias("found")
    counting = peewee.Select([found], [peewee.fn.COUNT(peewee.SQL("*"))])
    return counting.bind(target.tenant.database).scalar()


@pytest.fixture
def target(tree, storage):
    registry = build_registry(str(tree({"entities/item.yaml": ITEM})))
    sync_registry(registry, storage)
    tenant = registry.tenant("t")
    return Target(tenant, tenant.entity("item"))


def test_the_whole_count_is_the_capped_count_around_every_threshold(target):
    model, sizes = target.model, sorted({0, 1, UP_TO, UP_TO + 1, UP_TO + 2, GUARD, GUARD + 1})
    made = 0
    for size in sizes:
        model.insert_many([{"name": f"n{made + i}", "rev_number": 1} for i in range(size - made)]
                          ).execute()  # fmt: skip
        made = size
        query, errors, _ = search_query(target, None, {})
        assert not errors
        assert count_query(target, query, UP_TO).scalar() == capped(target, query, UP_TO)
        assert count_query(target, query, UP_TO).scalar() == min(size, UP_TO + 1)
    # ids past the guard with few records left: the count is still the capped one
    model.delete().where(model.id > 2).execute()
    query, _, _ = search_query(target, None, {})
    assert count_query(target, query, UP_TO).scalar() == capped(target, query, UP_TO) == 2
    # a search or a filter: row by row, as before
    query, _, _ = search_query(target, None, {"name": "n1"})
    assert count_query(target, query, UP_TO).scalar() == capped(target, query, UP_TO) == 1


def test_only_sqlite_counts_a_whole_table_from_its_pages(target):
    query, _, _ = search_query(target, None, {})
    sql, _ = count_query(target, query, UP_TO).sql()
    sqlite = isinstance(target.tenant.database.obj, peewee.SqliteDatabase)
    assert ("MAX(" in sql) is sqlite  # PostgreSQL reads each row of a COUNT(*) anyway
    filtered, _, _ = search_query(target, None, {"name": "x"})
    assert "MAX(" not in count_query(target, filtered, UP_TO).sql()[0]


@pytest.mark.parametrize("records,caption", [(3, "3 Items"), (7, "More than 5 Items")])
def test_the_list_page_says_the_count_it_always_said(tree, storage, monkeypatch, records, caption):
    monkeypatch.setattr("webui.pager.COUNT_UP_TO", UP_TO)
    app = make_app(tree({"entities/item.yaml": ITEM}), storage)
    service = app.extensions["formwork"]
    for number in range(records):
        service.create("t", "item", {"name": f"Item {number}"}, "ann")
    users.add_user(service.registry.tenant("t"), "ann", "viewer", "correct horse battery")
    browser = Browser(app, "t")
    browser.login("ann")
    page = browser.get("/item/?size=2").get_data(as_text=True)
    assert f"<caption>{caption}, 1&ndash;2 shown</caption>" in page
