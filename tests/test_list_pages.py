"""The list page of every shipped tenant × entity, on SQLite and PostgreSQL: a status
column where the entity has statuses, page numbers and a bounded page size kept in the
URL, `aria-sort` on the sorted header, and an empty state that offers to clear a search."""

from __future__ import annotations

import re

import pytest
from conftest import SHIPPED
from records_metadata import FILES
from sample_records import create_sample
from shipped_pages import PASSWORD
from test_pages import Browser, make_app

from engine import users
from engine.registry import build_registry
from webui.pager import FIRST_PAGES

REGISTRY = build_registry(str(SHIPPED))
PAIRS = [(t, e) for t, tenant in REGISTRY.tenants.items() for e in sorted(tenant.entities)]


def html(person, path):
    response = person.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def rows(page):
    body = re.search(r"<tbody>(.*?)</tbody>", page, re.S).group(1)
    return body.count("<tr>")


def headers(page):
    return re.findall(r"<th scope=\"col\"([^>]*)><a [^>]*>([^<]*?)(?: &#9650;| &#9660;)?</a>", page)


@pytest.mark.parametrize("tenant,entity", PAIRS)
def test_a_list_pages_sorts_and_shows_each_records_status(shipped_site, clerks, tenant, entity):
    service, person = shipped_site.extensions["formwork"], clerks[tenant]
    spec = REGISTRY.tenant(tenant).entity(entity).spec
    made = [create_sample(service, tenant, entity) for _ in range(3)]
    total = service.list(tenant, entity, limit=1)["total"]
    page = html(person, f"/{entity}/")
    labels = [label.strip() for _, label in headers(page)]
    if spec.statuses:
        assert "Status" in labels or any(f.system == "status" for f in spec.fields)
        initial = spec.statuses.states[spec.statuses.initial].label
        assert re.search(rf"<td>(<a [^>]*>)?{re.escape(initial)}(</a>)?</td>", page)
    # two a page: the page numbers, the first and last page, and the sizes to choose
    first = html(person, f"/{entity}/?size=2")
    assert rows(first) == 2
    last = (total - 1) // 2 + 1
    assert 'aria-current="page" aria-label="Page 1"' in first
    assert f'aria-label="Page 2" href="/{tenant}/{entity}/?size=2&amp;offset=2"' in first
    # the last page by its number among the first pages, else read from the list's end
    to_last = f"offset={(last - 1) * 2}" if last <= FIRST_PAGES else "last=1"
    assert f'<a href="/{tenant}/{entity}/?size=2&amp;{to_last}">Last</a>' in first
    assert ">First<" not in first and ">Previous<" not in first
    assert f'href="/{tenant}/{entity}/?size=50&amp;offset=0">50</a>' in first
    second = html(person, f"/{entity}/?size=2&offset=2")
    assert 'aria-current="page" aria-label="Page 2"' in second
    assert ">First<" in second and ">Previous<" in second
    # sorted by a column, its header says which way
    column = re.search(r'<th scope="col"[^>]*><a href="[^"]*sort=([^&"]+)', page).group(1)
    down = html(person, f"/{entity}/?sort=-{column}&size=2")
    assert headers(down)[0][0] == ' aria-sort="descending"'
    assert all(attributes == "" for attributes, _ in headers(down)[1:])
    up = html(person, f"/{entity}/?sort={column}")
    assert headers(up)[0][0] == ' aria-sort="ascending"'
    assert "aria-sort" not in page
    assert made


SEARCHED = [
    (t, e) for t, e in PAIRS if any(f.searchable for f in REGISTRY.tenant(t).entity(e).spec.fields)
]


@pytest.mark.parametrize("tenant,entity", SEARCHED)
def test_an_empty_list_says_so_and_offers_to_clear_the_search(shipped_site, clerks, tenant, entity):
    person = clerks[tenant]
    spec = REGISTRY.tenant(tenant).entity(entity).spec
    page = html(person, f"/{entity}/?q=nothing-is-called-this-xyzzy&size=50")
    assert rows(page) == 0
    assert f"No {spec.plural} match this search." in page
    assert f'<a class="button" href="/{tenant}/{entity}/">Clear search</a>' in page


def test_an_empty_list_without_a_search_says_there_is_nothing_yet(tree, storage):
    app = make_app(tree(FILES), storage)
    users.add_user(app.extensions["formwork"].registry.tenant("t"), "ann", "editor", PASSWORD)
    ann = Browser(app, "t")
    ann.login("ann", PASSWORD)
    page = ann.get("/account/").get_data(as_text=True)
    assert "No Accounts yet." in page and "Clear search" not in page
    searched = ann.get("/account/?q=Acme").get_data(as_text=True)
    assert "No Accounts match this search." in searched and "Clear search" in searched


@pytest.mark.parametrize(
    "size,shown,problem",
    [
        ("1000", 100, "A page shows at most 100 records: showing 100."),
        ("0", 25, "A page shows at least 1 record: showing 25."),
        ("-3", 25, "A page shows at least 1 record: showing 25."),
        ("ten", 25, "&#39;ten&#39; is not a number of records a page can show: showing 25."),
    ],
)
def test_a_page_size_out_of_range_gets_the_nearest_and_says_so(
    shipped_site, clerks, size, shown, problem
):
    tenant, person = "standard", clerks["standard"]
    entity = next(e for t, e in PAIRS if t == tenant and not e.startswith("customer"))
    service = shipped_site.extensions["formwork"]
    while service.list(tenant, entity, limit=1)["total"] < 110:
        create_sample(service, tenant, entity)
    page = html(person, f"/{entity}/?size={size}")
    assert problem in page
    assert rows(page) == shown
    assert rows(html(person, f"/{entity}/?size=30")) == 30
