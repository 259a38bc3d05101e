"""The web list's deep pages, found from a record rather than by skipping the ones before
(webui.pager), on SQLite and PostgreSQL. Following Next from the first page, or Previous
from the last, shows every record once, in the order the same list read at once by
OFFSET gives (the oracle): for every shipped tenant × entity, unsorted, sorted the other
way, and searched, filtered and sorted; and for every sort of an entity whose columns
hold ties and NULLs. A cursor changed, made for another query, or an offset past the
numbered pages gets the first page and says why, never a 500."""

from __future__ import annotations

import html
import re

import peewee
import pytest
from sample_records import create_sample
from test_list_cursor import SORTS, things_app
from test_list_pages import PAIRS, REGISTRY
from test_pages import Browser

from engine.records.words import words
from webui.pager import DEEP, FIRST_PAGES, STALE

RECORDS = FIRST_PAGES + 2  # one a page: the numbered pages, then two found by record
LINK = re.compile(r'<a href="([^"]+)">(First|Previous|Next|Last)</a>')


def links(page: str) -> dict[str, str]:
    """The pager's links of a page, by their words."""
    return {name: html.unescape(href) for href, name in LINK.findall(page)}


def row_ids(page: str, tenant: str, entity: str) -> list[int]:
    body = re.search(r"<tbody>(.*?)</tbody>", page, re.S).group(1)
    found = re.findall(rf'href="/{tenant}/{entity}/([0-9]+)"', body)
    return list(map(int, dict.fromkeys(found)))


def get(client, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, path
    return answer.get_data(as_text=True)


def walk(client, start: str, way: str, tenant: str, entity: str) -> tuple[list[list[int]], str]:
    """The ids of each page from `start`, following the `way` link (Next or Previous) to
    the end, and every URL visited, one a line."""
    pages, path, visited = [], start, []
    for _ in range(100):
        visited.append(path)
        page = get(client, path)
        pages.append(row_ids(page, tenant, entity))
        path = links(page).get(way)
        if path is None:
            return pages, "\n".join(visited)
    raise AssertionError("the pages never ended")


def check_both_ways(client, service, tenant: str, entity: str, query: dict) -> None:
    """Next from the first page, and Previous from the last, give the oracle's order."""
    filters = {k: v for k, v in query.items() if k not in ("q", "sort", "size")}
    listed = service.list(tenant, entity, q=query.get("q"), filters=filters,
                          sort=query.get("sort"), limit=500)["items"]  # fmt: skip
    oracle = [item["id"] for item in listed]
    arguments = "&".join(f"{k}={v}" for k, v in query.items())
    first = f"/{tenant}/{entity}/?{arguments}"
    forward, visited = walk(client, first, "Next", tenant, entity)
    assert [i for page in forward for i in page] == oracle, (query, visited)
    size = int(query["size"])
    if len(oracle) > size * FIRST_PAGES:  # deep pages are reached by record
        assert "after=" in visited, visited
    if len(oracle) <= size:
        return
    last = links(get(client, first))["Last"]
    backward, visited = walk(client, last, "Previous", tenant, entity)
    if "last=1" in last:  # read from the list's end: whole
        assert backward[0] == oracle[-size:], visited
    else:  # the last numbered page
        assert backward[0] == oracle[(len(oracle) - 1) // size * size :], visited
    # the page before which nothing comes is the first page, whole: it may repeat some
    assert backward[-1] == oracle[:size], visited
    flat = [i for page in reversed(backward) for i in page]
    assert list(dict.fromkeys(flat)) == oracle, (query, visited)
    for page in backward:
        start = oracle.index(page[0])
        assert oracle[start : start + len(page)] == page, (query, visited)


@pytest.mark.parametrize("tenant,entity", PAIRS)
def test_deep_pages_by_record_show_what_offset_pages_do(shipped_site, clerks, tenant, entity):
    service, person = shipped_site.extensions["formwork"], clerks[tenant]
    made = [create_sample(service, tenant, entity) for _ in range(RECORDS)]
    page = get(person.client, f"/{tenant}/{entity}/")
    column = re.search(r'<th scope="col"[^>]*><a href="[^"]*sort=([^&"]+)', page).group(1)
    check_both_ways(person.client, service, tenant, entity, {"size": 1})
    check_both_ways(person.client, service, tenant, entity, {"size": 1, "sort": f"-{column}"})
    spec = REGISTRY.tenant(tenant).entity(entity).spec
    searched = [f for f in spec.fields if f.searchable and made[0].get(f.name)]
    query: dict = {"size": 2, "sort": column}
    if searched:
        query["q"] = words(str(made[0][searched[0].name]))[0]
    offered = re.search(r'<select id="filter-([a-z_]+)"[^>]*>\s*<option value="">Any</option>'
                        r'\s*<option value="([^"]*)"', page)  # fmt: skip
    if offered:  # the records' own value where it is one of the filter's, so some match
        value = made[0].get(offered.group(1))
        value = str(value).lower() if isinstance(value, bool) else value
        query[offered.group(1)] = str(value) if value not in (None, "", []) else offered.group(2)
    check_both_ways(person.client, service, tenant, entity, query)


@pytest.fixture
def things(tree, storage):
    served = things_app(tree, storage, 17, 11)
    browser = Browser(served, "t")
    browser.login("ann")
    return browser.client, served.extensions["formwork"]


@pytest.mark.parametrize("sort", SORTS)
def test_deep_pages_keep_ties_and_nulls_in_order_both_ways(things, sort):
    client, service = things
    for extra in ({}, {"kind": "a"}, {"q": "beta"}):
        query = {"size": 2, **extra, **({"sort": sort} if sort else {})}
        check_both_ways(client, service, "t", "thing", query)


def test_a_bad_cursor_or_a_deep_offset_gets_the_first_page_and_says_why(things):
    client, service = things
    first = get(client, "/t/thing/?size=2")
    oracle = row_ids(first, "t", "thing")
    handover = links(get(client, "/t/thing/?size=2&offset=8"))["Next"]  # page 5's next
    cursor = re.search(r"after=([^&]+)", handover).group(1)
    stale = html.escape(STALE, quote=True)
    for path in (
        "/t/thing/?size=2&after=not-a-cursor",
        "/t/thing/?size=2&before=not-a-cursor",
        f"/t/thing/?size=2&after={cursor[:-2]}xx",  # changed: its signature fails
        f"/t/thing/?size=2&sort=-rank&after={cursor}",  # made for another sort
        f"/t/thing/?size=2&kind=a&before={cursor}",  # made for another filter
        "/t/thing/?size=2&after=" + "x" * 5000,
    ):
        page = get(client, path)
        assert stale in page, path
        first_page = get(client, re.sub(r"&(after|before)=.*", "", path))
        assert row_ids(page, "t", "thing") == row_ids(first_page, "t", "thing"), path
        assert "Next" in links(page), path
    far = get(client, "/t/thing/?size=2&offset=400")
    assert html.escape(DEEP, quote=True) in far and row_ids(far, "t", "thing") == oracle
    # a cursor whose record was deleted since still finds the records after it
    listed = [i["id"] for i in service.list("t", "thing", limit=500)["items"]]
    gone = row_ids(get(client, "/t/thing/?size=2&offset=8"), "t", "thing")[-1]
    service.delete("t", "thing", gone, "ann")
    following = listed[listed.index(gone) + 1 :][:2]
    assert row_ids(get(client, handover), "t", "thing") == following


def test_a_cursor_whose_value_the_column_cannot_hold_gets_the_first_page(things):
    """A link made before the sort column changed its type (here, made by hand): the
    database refuses the value (PostgreSQL) or finds what it finds (SQLite); never a 500."""
    from webui.cursors import make_cursor

    client, _ = things
    with client.application.test_request_context():
        cursor = make_cursor(("not a number", 3), "t", "thing", None, {}, "rank")
    answer = client.get(f"/t/thing/?size=2&sort=rank&after={cursor}")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    if "postgresql" in str(client.application.config.get("FORMWORK_DATABASE")):
        assert html.escape(STALE, quote=True) in page
        assert row_ids(page, "t", "thing") == row_ids(
            get(client, "/t/thing/?size=2&sort=rank"), "t", "thing"
        )


@pytest.mark.parametrize("sort", [s for s in SORTS if s and s.lstrip("-") != "id"])
def test_a_page_after_a_sorted_record_starts_where_it_begins(things, sort):
    """SQLite: each stretch of a sorted page after a record (engine.records.keyset) reads
    its index from the key on (SEARCH), never from its start (SCAN) as an OR of the whole
    condition would; the stretches together are the whole condition. (PostgreSQL plans a
    table this small by reading it all; bench/large_list.py reads its plans at size.)"""
    from engine.records.keyset import after, after_parts, key_at
    from engine.records.search import ordering

    _, service = things
    target = service.target("t", "thing")
    column = target.column(sort.lstrip("-"))
    database = target.tenant.database
    # keys as the database holds them, of records here and there in the list (NULLs too)
    for key in (key_at(target, None, {}, sort, place) for place in (0, 3, 8, 12, 16)):
        parts = after_parts(target, sort, key)
        query, everything = target.live(), target.live().where(after(target, sort, key))
        order, _ = ordering(target, sort)
        joined = [r.id for p in parts for r in query.where(p).order_by(*order)]
        assert joined == [r.id for r in everything.order_by(*order)], key
        if not isinstance(database.obj, peewee.SqliteDatabase) or not column.index:
            continue
        sql, params = query.where(parts[0]).order_by(*order).limit(3).sql()
        plan = " ".join(r[-1] for r in database.execute_sql(f"EXPLAIN QUERY PLAN {sql}", params))
        assert "SEARCH" in plan and "SCAN" not in plan, plan
