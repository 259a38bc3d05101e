"""A list counts the records that match only so far, on SQLite and PostgreSQL: past the
bound, the API answers that many with `total_exact` false and the list page says "More
than"; its pager then offers the next page, and the last page read from the list's end.
A search on the list page counts less far. Exports and other callers that ask for no
bound still get the exact count."""

from __future__ import annotations

import re

import pytest
from test_filters import TAGGED
from test_pages import Browser, make_app

from engine import users

BOUND = 5


@pytest.fixture
def app(tree, storage, monkeypatch):
    monkeypatch.setattr("webui.pager.COUNT_UP_TO", BOUND)
    monkeypatch.setattr("webui.api.COUNT_UP_TO", BOUND)
    application = make_app(tree({"entities/item.yaml": TAGGED}), storage)
    service = application.extensions["formwork"]
    for number in range(8):
        tags = ["red"] if number < 3 else ["blue"]
        service.create("t", "item", {"name": f"Item {number}", "tags": tags}, "ann")
    users.add_user(service.registry.tenant("t"), "ann", "editor", "correct horse battery")
    return application


def api_list(app, query: str) -> dict:
    service = app.extensions["formwork"]
    token = users.issue_token(service.registry.tenant("t"), "ann")
    answer = app.test_client().get(
        f"/api/t/item?{query}", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200
    return answer.get_json()


def test_the_api_counts_up_to_the_bound_and_says_when_more_match(app):
    many = api_list(app, "limit=2")
    assert (many["total"], many["total_exact"], len(many["items"])) == (BOUND, False, 2)
    few = api_list(app, "tags=red")
    assert few["total"] == 3 and "total_exact" not in few
    exactly = api_list(app, "q=item&limit=500&offset=3")
    assert len(exactly["items"]) == 5  # the pages past the bound are all there
    # without a bound (exports, the command line) the count is exact
    assert app.extensions["formwork"].list("t", "item")["total"] == 8


def test_the_list_page_says_more_than_and_offers_the_last_page_from_the_end(app):
    browser = Browser(app, "t")
    browser.login("ann")
    page = browser.get("/item/?size=2").get_data(as_text=True)
    assert re.search(r"<caption>More than 5 Items, 1&ndash;2 shown</caption>", page)
    assert ">Next<" in page and '<a href="/t/item/?size=2&amp;last=1">Last</a>' in page
    beyond = browser.get("/item/?size=2&offset=6").get_data(as_text=True)
    assert beyond.count("<tr>") - 1 == 2  # the records past the bound are listed
    assert ">Previous<" in beyond and ">Last<" in beyond
    last = browser.get("/item/?size=2&last=1").get_data(as_text=True)
    assert re.search(r"<caption>More than 5 Items, 2 shown</caption>", last)
    assert "Item 6" in last and "Item 7" in last and ">Next<" not in last
    exact = browser.get("/item/?size=2&tags=red").get_data(as_text=True)
    assert re.search(r"<caption>3 Items, 1&ndash;2 shown</caption>", exact)
    assert ">Last<" in exact


def test_a_search_on_the_list_page_counts_less_far(app, monkeypatch):
    monkeypatch.setattr("webui.pager.SEARCH_COUNT_UP_TO", 3)
    browser = Browser(app, "t")
    browser.login("ann")
    searched = browser.get("/item/?size=2&q=item").get_data(as_text=True)
    assert re.search(r"<caption>More than 3 Items, 1&ndash;2 shown</caption>", searched)
    unsearched = browser.get("/item/?size=2").get_data(as_text=True)  # no search: up to 5
    assert re.search(r"<caption>More than 5 Items, 1&ndash;2 shown</caption>", unsearched)
    few = browser.get("/item/?size=2&q=item&tags=red").get_data(as_text=True)
    assert re.search(r"<caption>3 Items, 1&ndash;2 shown</caption>", few)
