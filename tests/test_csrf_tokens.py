"""The CSRF token of pages, signed once per session and process, checked as before."""

import re

import pytest
from records_metadata import FILES
from test_pages import Browser, make_app

from engine import users


@pytest.fixture
def app(tree, storage):
    application = make_app(tree(FILES), storage)
    tenant = application.extensions["formwork"].registry.tenant("t")
    for name in ("ann", "bob"):
        users.add_user(tenant, name, "editor", "correct horse battery")
    return application


def token_of(browser, path="/account/new"):
    page = browser.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_pages_of_one_session_carry_a_token_that_saves(app):
    ann = Browser(app, "t")
    ann.login("ann")
    token = token_of(ann)
    assert token_of(ann, "/account/") == token  # the logout form of the list page
    saved = ann.client.post("/t/account/new", data={"name": "Acme", "csrf_token": token})
    assert saved.status_code == 302


def test_another_sessions_token_is_refused(app):
    ann, bob = Browser(app, "t"), Browser(app, "t")
    ann.login("ann")
    bob.login("bob")
    assert token_of(ann) != token_of(bob)
    forged = bob.client.post("/t/account/new", data={"name": "X", "csrf_token": token_of(ann)})
    assert forged.status_code == 400


def test_a_new_login_gets_a_new_token(app):
    ann = Browser(app, "t")
    ann.login("ann")
    before = token_of(ann)
    ann.client.post("/t/logout", data={"csrf_token": before})
    ann.login("ann")
    after = token_of(ann)
    assert after != before
    stale = ann.client.post("/t/account/new", data={"name": "X", "csrf_token": before})
    assert stale.status_code == 400
