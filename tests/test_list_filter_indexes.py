"""Only the filters a list page offers get an index of their own: a page offers at most
LIST_FILTERS, and an index on a column no page filters by costs every write a page. A
filter past them, through the API, says it reads every record, unless its field asks for
an index (`index: true`). The sync drops an index it made when its filter leaves the list
page, builds it again when the filter comes back, and never drops another index."""

from __future__ import annotations

import re

import pytest
from test_pages import Browser, make_app

from engine import users
from engine.records.list_filters import LIST_FILTERS, filter_indexed_fields
from engine.registry import build_registry
from engine.storage.sync import sync_registry

KINDS = [f"kind_{n}" for n in range(1, 10)]  # nine selects: two more than a page offers


def entity(hidden: str = "", indexed: str = "") -> str:
    """An item with a name and nine selects; `hidden` is hidden, `indexed` asks for one."""
    lines = [
        "entity: item",
        "label: Item",
        "plural: Items",
        "fields:",
        "  - {name: name, sequence: 1, label: Name, input_type: text, group: MAIN, in_list: true}",
    ]
    for number, name in enumerate(KINDS, start=2):
        extra = ", hidden: true" if name == hidden else ", index: true" if name == indexed else ""
        lines.append(
            f"  - {{name: {name}, sequence: {number}, label: Kind {number - 1}, input_type: "
            f"select, group: MAIN, options: [a, b]{extra}}}"
        )
    return "\n".join(lines) + "\n"


def indexed(storage) -> dict[str, str]:
    """Each indexed column of the item table → its index's name, from the catalog."""
    found = storage.database("t").get_indexes("item", schema=storage.schema("t"))
    return {index.columns[0]: index.name for index in found if len(index.columns) == 1}


def test_the_first_filters_a_page_offers_are_indexed_the_others_not(tree, storage):
    registry = build_registry(str(tree({"entities/item.yaml": entity()})))
    sync_registry(registry, storage)
    offered = KINDS[:LIST_FILTERS]
    assert filter_indexed_fields(registry.tenant("t").entity("item").spec) == set(offered)
    columns = indexed(storage)
    assert set(offered) <= set(columns)
    assert not {"kind_8", "kind_9"} & set(columns)

    app = make_app(tree({"entities/item.yaml": entity()}), storage)
    service = app.extensions["formwork"]
    service.create("t", "item", {"name": "One", "kind_1": "a", "kind_9": "b"}, "ann")
    users.add_user(service.registry.tenant("t"), "ann", "viewer", "correct horse battery")
    browser = Browser(app, "t")
    browser.login("ann")
    page = browser.get("/item/").get_data(as_text=True)
    # the page offers exactly the indexed filters, none said to be slow
    assert re.findall(r'<select id="filter-([a-z0-9_]+)"', page) == offered
    assert "-slow" not in page
    # a filter the page does not offer, asked through the API, says it reads every record
    answer = service.list("t", "item", filters={"kind_9": "b"})
    assert [r["name"] for r in answer["items"]] == ["One"]
    assert answer["unindexed_filters"] == ["kind_9"]
    assert "unindexed_filters" not in service.list("t", "item", filters={"kind_1": "a"})


def test_a_field_that_asks_for_an_index_gets_one_past_the_page_filters(tree, storage):
    registry = build_registry(str(tree({"entities/item.yaml": entity(indexed="kind_9")})))
    sync_registry(registry, storage)
    assert "kind_9" in indexed(storage) and "kind_8" not in indexed(storage)


def test_sync_drops_the_index_of_a_filter_that_left_the_page_and_builds_it_again(tree, storage):
    sync_registry(build_registry(str(tree({"entities/item.yaml": entity()}))), storage)
    database = storage.database("t")
    database.execute_sql('CREATE INDEX "by_hand" ON "item" ("kind_9")')  # not the sync's own
    # kind_3 hidden: kind_8 is now among the page's filters, kind_3 is not
    registry = build_registry(str(tree({"entities/item.yaml": entity(hidden="kind_3")})))
    plans = sync_registry(registry, storage)
    assert [str(s) for p in plans for s in p.steps] == [
        "add index item: kind_8",
        "drop index item.kind_3: item_kind_3",
    ]
    columns = indexed(storage)
    assert "kind_3" not in columns and columns["kind_8"] == "item_kind_8"
    assert columns["kind_9"] == "by_hand"  # an index made otherwise stays
    assert sync_registry(registry, storage, dry_run=True)[0].steps == ()
    # shown again: the index is built again, and kind_8's goes
    plans = sync_registry(build_registry(str(tree({"entities/item.yaml": entity()}))), storage)
    assert [str(s) for p in plans for s in p.steps] == [
        "add index item: kind_3",
        "drop index item.kind_8: item_kind_8",
    ]
    assert {"kind_3", "kind_9"} <= set(indexed(storage)) and "kind_8" not in indexed(storage)


@pytest.mark.parametrize("removed", ["kind_3"])
def test_a_removed_field_keeps_its_column_and_its_index(tree, storage, removed):
    sync_registry(build_registry(str(tree({"entities/item.yaml": entity()}))), storage)
    without = "\n".join(line for line in entity().splitlines() if removed not in line) + "\n"
    plans = sync_registry(build_registry(str(tree({"entities/item.yaml": without}))), storage)
    # kind_8 joins the page's filters; the removed field's column keeps what it had
    assert [str(s) for p in plans for s in p.steps] == ["add index item: kind_8"]
    assert removed in indexed(storage)
