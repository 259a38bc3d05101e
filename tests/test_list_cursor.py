"""The API's list cursor, on SQLite and PostgreSQL: walking a list page after page by
`next` yields every record once, in the order one ORDER BY gives (ties and NULLs in the
sort column included), for every sort, with a search and a filter; a cursor changed, made
for another query, or not one at all is a 400, never a 500."""

from __future__ import annotations

import random

import pytest
from test_pages import make_app

from engine import users

THING = """\
entity: thing
label: Thing
plural: Things
fields:
  - {name: name, sequence: 1, label: Name, input_type: text, group: MAIN, searchable: true}
  - {name: rank, sequence: 2, label: Rank, input_type: integer, group: MAIN}
  - {name: price, sequence: 3, label: Price, input_type: currency, group: MAIN}
  - {name: opened, sequence: 4, label: Opened, input_type: date, group: MAIN}
  - {name: kind, sequence: 5, label: Kind, input_type: select, group: MAIN,
     options: [{value: a, label: A}, {value: b, label: B}]}
"""
SORTS = [None, "name", "-name", "rank", "-rank", "price", "-price", "opened", "-opened",
         "creation_date", "-id"]  # fmt: skip


def things_app(tree, storage, count: int, seed: int):
    """An app of `count` things of few distinct values (ties, and NULLs, in every column)
    and a viewer `ann`."""
    app = make_app(tree({"entities/thing.yaml": THING}), storage)
    service = app.extensions["formwork"]
    rng = random.Random(seed)
    for _ in range(count):
        service.create("t", "thing", {
            "name": rng.choice([None, "alpha", "beta", "Beta", "gamma"]),
            "rank": rng.choice([None, 1, 2, 3]),
            "price": rng.choice([None, 1.5, 2, 10]),
            "opened": rng.choice([None, "2024-01-02", "2023-12-31"]),
            "kind": rng.choice(["a", "b"]),
        }, "ann")  # fmt: skip
    users.add_user(service.registry.tenant("t"), "ann", "viewer", "correct horse battery")
    return app


@pytest.fixture
def api(tree, storage):
    app = things_app(tree, storage, 23, 7)
    service = app.extensions["formwork"]
    client = app.test_client()
    token = users.issue_token(service.registry.tenant("t"), "ann")
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def walk(api, query: dict) -> list[int]:
    """Every id, page after page of 4, by following `next`."""
    ids, after = [], None
    for _ in range(30):
        asked = {**query, "limit": 4, **({"after": after} if after else {})}
        answer = api.get("/api/t/thing", query_string=asked)
        assert answer.status_code == 200, answer.get_json()
        page = answer.get_json()
        ids += [item["id"] for item in page["items"]]
        after = page.get("next")
        if after is None:
            return ids
    raise AssertionError("the pages never ended")


def ordered(api, query: dict) -> list[int]:
    """The ids in the order one query gives them, read at once (by offset)."""
    service = api.application.extensions["formwork"]
    filters = {k: v for k, v in query.items() if k not in ("q", "sort")}
    page = service.list("t", "thing", q=query.get("q"), filters=filters,
                        sort=query.get("sort"), limit=500)  # fmt: skip
    return [item["id"] for item in page["items"]]


@pytest.mark.parametrize("sort", SORTS)
def test_walking_the_pages_by_cursor_gives_every_record_once_in_order(api, sort):
    for extra in ({}, {"kind": "a"}, {"q": "beta"}):
        query = {**extra, **({"sort": sort} if sort else {})}
        expected = ordered(api, query)
        assert walk(api, query) == expected, query
        assert len(set(expected)) == len(expected)
    assert len(walk(api, {"sort": sort} if sort else {})) == 23


def test_a_cursor_changed_or_sent_with_another_query_is_a_400(api):
    first = api.get("/api/t/thing", query_string={"sort": "name", "limit": 4}).get_json()
    cursor = first["next"]
    assert (
        api.get("/api/t/thing", query_string={"sort": "name", "after": cursor}).status_code == 200
    )
    changed = cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")
    for after, query in [
        (changed, {"sort": "name"}),  # tampered with
        (cursor, {"sort": "-name"}),  # another sort
        (cursor, {"sort": "name", "kind": "a"}),  # another filter
        (cursor, {"sort": "name", "q": "alpha"}),  # another search
        ("not a cursor", {}),
        ("e30", {}),  # no signature
    ]:
        answer = api.get("/api/t/thing", query_string={**query, "after": after})
        assert answer.status_code == 400, (after, query)
        assert answer.get_json()["code"] == "bad_cursor"
        assert "start again from the first page" in answer.get_json()["message"]
