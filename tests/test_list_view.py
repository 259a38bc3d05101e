"""The list page: its SQL, filters, links and rows built once per query or entity."""

import re

import pytest
from markupsafe import escape
from records_metadata import FILES
from test_admin import edit
from test_admin import make_app as make_reloading_app
from test_pages import Browser, make_app

from engine import users
from engine.records import page_sql
from webui import prerender

HOSTILE = "\"><script>'x'</script>&amp;"


def add_accounts(app, names):
    service = app.extensions["formwork"]
    region = service.create("t", "region", {"code": f"N{HOSTILE}"}, "ann")["id"]
    for index, name in enumerate(names):
        kind = "person" if index % 3 else "company"
        values = {"name": name, "kind": kind, "nickname": "n", "region": region}
        service.create("t", "account", values, "ann")


@pytest.fixture
def app(tree, storage):
    application = make_app(tree(FILES), storage)
    tenant = application.extensions["formwork"].registry.tenant("t")
    users.add_user(tenant, "ann", "editor", "correct horse battery")
    return application


def page(browser, path):
    """The page without its CSRF token, which is another in each session."""
    text = browser.get(path).get_data(as_text=True)
    return re.sub(r'csrf_token" value="[^"]+"', "", text)


def logged_in(app):
    browser = Browser(app, "t")
    browser.login("ann")
    return browser


PATHS = [
    "/account/",
    "/account/?offset=25",
    "/account/?sort=-name&offset=5",
    "/account/?q=Acc&kind=person",
    "/account/?kind=company&region=1&extra=%3Cb%3E",
    "/account/?sort=nothing",  # an error, shown above the first page
    "/account/?offset=25",  # asked again: from what was kept
    "/account/?q=Acc&kind=person",
    "/account/?size=10&offset=10&sort=-status",  # page numbers, a page size, a status sort
    "/account/?size=500",  # a page size out of range, said above the page
    "/account/?q=nothing-matches",  # the empty state
]


def test_list_pages_read_and_render_as_peewee_and_the_macros_do(app, tree, storage, monkeypatch):
    add_accounts(app, [f"Acc {i:02d} {HOSTILE}" for i in range(30)])
    ann = logged_in(app)
    pages = [page(ann, path) for path in PATHS]
    assert "<script>" not in "".join(pages)
    assert pages[1].count("<tr>") == 1 + 5 and pages[1] == pages[6]

    for name in ("text_slots", "by_option"):
        monkeypatch.setattr(prerender, name, lambda *args: None)
    monkeypatch.setattr(page_sql, "keep", lambda *args: None)
    plain = make_app(tree(FILES), storage)
    again = logged_in(plain)
    assert [page(again, path) for path in PATHS] == pages


def test_the_next_page_sort_and_search_each_show_their_own_records(app):
    add_accounts(app, [f"Acc {i:02d}" for i in range(30)])
    ann = logged_in(app)
    first = ann.get("/account/").get_data(as_text=True)
    assert "Acc 00" in first and "Acc 24" in first and "Acc 25" not in first
    following = re.search(r'<a href="([^"]+)">Next</a>', first).group(1)
    second = ann.client.get(following).get_data(as_text=True)
    assert "Acc 25" in second and "Acc 29" in second and "Acc 24" not in second
    assert "Previous" in second and "Next" not in second
    backwards = ann.get("/account/?sort=-name").get_data(as_text=True)
    assert backwards.index("Acc 29") < backwards.index("Acc 28")
    found = ann.get("/account/?q=Acc+1").get_data(as_text=True)
    assert "<caption>10 Accounts" in found and "Acc 20" not in found


def test_the_list_follows_a_metadata_reload(tree, storage):
    metadata = tree({**FILES})
    app = make_reloading_app(metadata, storage)
    add_accounts(app, ["Alpha"])
    ann = logged_in(app)
    assert ">Kind<" in ann.get("/account/").get_data(as_text=True)
    account = FILES["entities/account.yaml"]
    relabelled = account.replace("label: Kind", "label: 'Sort <of>'")
    edit(
        app,
        "entities/account.yaml",
        relabelled.replace("options: [company, person]", "options: [company, person, trust]"),
    )
    page = ann.get("/account/").get_data(as_text=True)
    assert ">Kind<" not in page and "Sort &lt;of&gt;" in page
    assert '<option value="trust" >trust</option>' in page


def test_a_lists_head_follows_each_query_and_user(app):
    users.add_user(app.extensions["formwork"].registry.tenant("t"), "vic", "viewer", "c h b 12")
    ann, vic = logged_in(app), Browser(app, "t")
    vic.login("vic", "c h b 12")
    for q in ("first", '"><b>second'):
        page = ann.get(f"/branch/?q={q}&sort=-city").get_data(as_text=True)
        assert f'value="{escape(q)}"' in page and 'name="sort" value="-city"' in page
    assert "New Branch" in ann.get("/branch/").get_data(as_text=True)
    assert "New Branch" not in vic.get("/branch/").get_data(as_text=True)
    assert (
        'href="/t/branch/?sort=city&amp;offset=0">City &#9660;'
        in ann.get("/branch/?sort=-city").text
    )


def test_a_lookup_filter_offers_the_records_of_now(app):
    ann = logged_in(app)
    service = app.extensions["formwork"]
    service.create("t", "region", {"code": "NORTH"}, "ann")
    assert ">NORTH</option>" in ann.get("/account/").get_data(as_text=True)
    service.create("t", "region", {"code": "SOUTH"}, "ann")
    assert ">SOUTH</option>" in ann.get("/account/").get_data(as_text=True)


def test_rows_rendered_once_follow_every_change_of_their_records(app, tree, storage):
    service = app.extensions["formwork"]
    for code in ("NORTH", HOSTILE, "SAME", "SAME"):
        service.create("t", "region", {"code": code}, "ann")
    ann = logged_in(app)
    first = page(ann, "/region/")
    assert page(ann, "/region/") == first  # the rows kept, drawn alike
    assert "<script>" not in first and escape(HOSTILE) in first
    assert '<a href="/t/region/3">SAME</a>' in first and '<a href="/t/region/4">SAME</a>' in first
    service.update("t", "region", 1, {"code": "NORTHWEST", "rev_number": 1}, "ann")
    changed = page(ann, "/region/")
    assert ">NORTHWEST<" in changed and ">NORTH<" not in changed
    fresh = logged_in(make_app(tree(FILES), storage))  # nothing kept: every row drawn anew
    assert page(fresh, "/region/") == changed


TAGS = """\
entity: tag
label: Tag
plural: Tags
title_field: name
fields:
  - {name: name, sequence: 1, label: Name, input_type: text, group: MAIN, in_list: true}
  - {name: colours, sequence: 2, label: Colours, input_type: multiselect, group: MAIN,
     options: [red, blue], in_list: true}
"""


def test_rows_whose_values_cannot_be_kept_are_rendered_each_time(tree, storage):
    app = make_app(tree({**FILES, "entities/tag.yaml": TAGS}), storage)
    service = app.extensions["formwork"]
    users.add_user(service.registry.tenant("t"), "ann", "editor", "correct horse battery")
    service.create("t", "tag", {"name": "Sky", "colours": ["blue"]}, "ann")
    ann = logged_in(app)
    assert "blue" in page(ann, "/tag/")
    service.update("t", "tag", 1, {"colours": ["red", "blue"], "rev_number": 1}, "ann")
    assert "red, blue" in page(ann, "/tag/")


PLAIN = """\
entity: memo
label: Memo
plural: Memos
title_field: subject
fields:
  - {name: subject, sequence: 1, label: Subject, input_type: text, group: MAIN, in_list: true}
  - {name: body, sequence: 2, label: Body, input_type: text, group: MAIN, in_list: true}
"""


def test_the_caches_stay_within_their_bounds_and_the_pages_stay_whole(tree, storage, monkeypatch):
    from webui import views as web_views

    monkeypatch.setattr(web_views, "MAX_ROWS", 3)
    monkeypatch.setattr(web_views, "MAX_QUERIES", 2)
    application = make_app(tree({"entities/memo.yaml": PLAIN}), storage)
    service = application.extensions["formwork"]
    users.add_user(service.registry.tenant("t"), "ann", "editor", "correct horse battery")
    for n in range(30):
        service.create("t", "memo", {"subject": f"Memo {n:02d}", "body": "text"}, "ann")
    ann = logged_in(application)
    for path in ("/memo/", "/memo/?offset=25", "/memo/?q=Memo", "/memo/"):
        listing = page(ann, path)
        assert listing.count("<tr>") == 1 + (5 if "offset" in path else 25), path
        assert "Memo 00" in listing or "offset" in path
    view = web_views.views(service.target("t", "memo")).list
    assert 0 < len(view.rows) <= 3 and 0 < len(view.parts) <= 2
