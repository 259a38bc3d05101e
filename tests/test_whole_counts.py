"""A list of every record of a table counts them, up to its bound, from the table's pages
on SQLite (COUNT(*) of the whole table) while the table is small enough, and row by row
otherwise and on PostgreSQL: either way the count is the one the capped count, read row
by row, answers (its oracle), around each threshold, with records deleted or not."""

from __future__ import annotations

import peewee
import pytest
from test_pages import Browser, make_app

from engine import users
from engine.records.search import (
    INDEXED_COUNT_TIMES,
    WHOLE_COUNT_TIMES,
    count_query,
    search_query,
)
from engine.records.target import Target
from engine.registry import build_registry
from engine.storage.databases import Storage
from engine.storage.sync import sync_registry

ITEM = """\
entity: item
label: Item
plural: Items
title_field: name
fields:
  - {name: name, sequence: 1, label: Name, input_type: text, group: MAIN, in_list: true}
"""
# an item with a number of its own index: SQLite counts it from that index's pages, a few
# hundred entries each; one whose only index is of text is counted as one without
INDEXED = ITEM + (
    "  - {name: code, sequence: 2, label: Code, input_type: integer, group: MAIN, index: true}\n"
)
TEXT_INDEXED = ITEM + (
    "  - {name: code, sequence: 2, label: Code, input_type: text, group: MAIN, index: true}\n"
)
UP_TO = 5
GUARD = WHOLE_COUNT_TIMES * (UP_TO + 1)  # the largest id counted from the pages


def capped(target: Target, query: peewee.ModelSelect, up_to: int) -> int:
    """The count as it was always read: row by row, stopping at up_to + 1."""
    found = query.select(peewee.SQL("1")).limit(up_to + 1).alias("found")
    counting = peewee.Select([found], [peewee.fn.COUNT(peewee.SQL("*"))])
    return counting.bind(target.tenant.database).scalar()


def item(tree, storage: Storage, text: str = ITEM) -> Target:
    registry = build_registry(str(tree({"entities/item.yaml": text})))
    sync_registry(registry, storage)
    tenant = registry.tenant("t")
    return Target(tenant, tenant.entity("item"))


@pytest.fixture
def target(tree, storage):
    return item(tree, storage)


@pytest.mark.parametrize(
    "text,times",
    [(ITEM, WHOLE_COUNT_TIMES), (INDEXED, INDEXED_COUNT_TIMES), (TEXT_INDEXED, WHOLE_COUNT_TIMES)],
    ids=["plain", "indexed", "text-indexed"],
)
def test_the_whole_count_is_the_capped_count_around_every_threshold(tree, storage, text, times):
    target = item(tree, storage, text)
    guard = times * (UP_TO + 1)
    model, sizes = target.model, sorted({0, 1, UP_TO, UP_TO + 1, UP_TO + 2, guard, guard + 1})
    made = 0
    for size in sizes:
        model.insert_many([{"name": f"n{made + i}", "rev_number": 1} for i in range(size - made)]
                          ).execute()  # fmt: skip
        made = size
        query, errors, _ = search_query(target, None, {})
        assert not errors
        assert count_query(target, query, UP_TO).scalar() == capped(target, query, UP_TO)
        assert count_query(target, query, UP_TO).scalar() == min(size, UP_TO + 1)
    assert made > GUARD  # past the guard of a table without an index
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


def test_a_table_with_an_index_is_counted_from_its_pages_past_the_plain_guard(tree, tmp_path):
    """Its largest id five times the count asked for: SQLite counts the index's pages
    rather than stepping through a thousand rows (the steps of its virtual machine)."""
    target = item(tree, Storage(data_dir=str(tmp_path / "data")), INDEXED)
    up_to = 1_000
    rows = [{"name": f"n{i}", "code": i % 7, "rev_number": 1} for i in range(5 * up_to)]
    with target.tenant.database.atomic():
        for start in range(0, len(rows), 500):
            target.model.insert_many(rows[start : start + 500]).execute()
    query, _, _ = search_query(target, None, {})
    steps = [0]

    def step() -> int:
        steps[0] += 1
        return 0

    connection = target.tenant.database.connection()
    connection.set_progress_handler(step, 1)
    try:
        assert count_query(target, query, up_to).scalar() == up_to + 1
    finally:
        connection.set_progress_handler(None, 1)
    assert steps[0] < up_to  # the capped count takes several steps per row it reads


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
