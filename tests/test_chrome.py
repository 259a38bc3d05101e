"""Every page's header names the user who asks and carries their session's CSRF token."""

import re

import pytest
from records_metadata import FILES
from test_pages import Browser, make_app

from engine import users


@pytest.fixture
def app(tree, storage):
    application = make_app(tree(FILES), storage)
    tenant = application.extensions["formwork"].registry.tenant("t")
    users.add_user(tenant, "ann", "editor", "correct horse battery")
    users.add_user(tenant, "<vic>", "viewer", "correct horse battery")
    return application


def header(browser, path="/account/"):
    page = browser.get(path).get_data(as_text=True)
    return re.search(r'<header class="bar">.*?</header>', page, re.S).group(0)


def test_each_user_sees_their_own_name_role_and_token(app):
    ann, vic = Browser(app, "t"), Browser(app, "t")
    ann.login("ann")
    vic.login("<vic>")
    for _ in range(2):  # the second time, from what was drawn the first
        assert "ann (editor)" in header(ann) and "vic" not in header(ann)
        assert "&lt;vic&gt; (viewer)" in header(vic) and "<vic>" not in header(vic)
    token = re.search(r'name="csrf_token" value="([^"]+)"', header(ann)).group(1)
    assert ann.client.post("/t/logout", data={"csrf_token": token}).status_code == 302
    assert "Log out" not in header(ann, "/login")
    assert 'class="brand" href="#"' in header(ann, "/login")


def test_a_page_without_a_user_has_no_account_menu(app):
    page = Browser(app, "t").get("/login").get_data(as_text=True)
    assert 'href="/static/formwork.css"' in page and "Log out" not in page


def test_the_site_icon_is_there_where_browsers_look_and_every_page_links_it(app):
    ann = Browser(app, "t")
    icon = ann.client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert icon.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
    ann.login("ann")
    for path in ("/login", "/", "/account/", "/account/new"):
        page = ann.get(path).get_data(as_text=True)
        link = re.search(r'<link rel="icon" href="([^"]+)">', page).group(1)
        assert ann.client.get(link).data == icon.data
