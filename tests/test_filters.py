"""List filters and the search, through the API and the list page, on both backends: a
filter on a multiselect keeps the records whose list holds the option, and a search
takes LIKE's wildcards as the punctuation they are."""

from __future__ import annotations

import pytest
from test_pages import Browser, make_app

from engine import users

TAGGED = """\
entity: item
label: Item
plural: Items
title_field: name
delete: never
fields:
  - {name: name, sequence: 1, label: Name, input_type: text, group: MAIN, required: true,
     searchable: true, in_list: true}
  - {name: tags, sequence: 2, label: Tags, input_type: multiselect, group: MAIN, in_list: true,
     options: [{value: red, label: Red}, {value: blue, label: Blue},
               {value: "it's", label: Quoted}]}
"""


@pytest.fixture
def app(tree, storage):
    application = make_app(tree({"entities/item.yaml": TAGGED}), storage)
    service = application.extensions["formwork"]
    for name, tags in [
        ("Both", ["red", "blue"]),
        ("Red only", ["red"]),
        ("None", []),
        ("50% off", ["it's"]),
        ("500 off", None),
        ("a_b", ["blue"]),
    ]:
        service.create("t", "item", {"name": name, "tags": tags}, "ann")
    users.add_user(service.registry.tenant("t"), "ann", "editor", "correct horse battery")
    return application


def names(app, query):
    page = app.extensions["formwork"].list("t", "item", **query)
    return sorted(item["name"] for item in page["items"])


def test_a_multiselect_filter_keeps_the_records_whose_list_holds_the_option(app):
    assert names(app, {"filters": {"tags": "red"}}) == ["Both", "Red only"]
    assert names(app, {"filters": {"tags": "blue"}}) == ["Both", "a_b"]
    assert names(app, {"filters": {"tags": "red,blue"}}) == ["Both"]  # each of them
    assert names(app, {"filters": {"tags": "it's"}}) == ["50% off"]
    assert names(app, {"filters": {"tags": "green"}}) == []  # no such option: no record


def test_the_api_and_the_list_page_filter_the_same(app):
    browser = Browser(app, "t")
    browser.login("ann")
    html = browser.get("/item/?tags=red").get_data(as_text=True)
    assert "Red only" in html and "Both" in html
    assert "a_b" not in html and "50% off" not in html


def test_a_search_takes_wildcard_characters_as_what_separates_words(app):
    # each word typed begins a word of the record: "50" begins "50" and "500"
    assert names(app, {"q": "50%"}) == ["50% off", "500 off"]
    assert names(app, {"q": "a_b"}) == ["a_b"]
    assert names(app, {"q": "%"}) == []  # no word typed: no record found
    assert names(app, {"q": "_"}) == []
