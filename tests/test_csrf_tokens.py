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


def test_a_token_checked_once_still_belongs_to_its_session_alone(app):
    ann, bob = Browser(app, "t"), Browser(app, "t")
    ann.login("ann")
    bob.login("bob")
    token = token_of(ann)
    for name in ("A", "B"):  # the second submit is checked against the remembered token
        saved = ann.client.post("/t/account/new", data={"name": name, "csrf_token": token})
        assert saved.status_code == 302
    assert token_of(bob) != token  # bob's session has a token of its own
    forged = bob.client.post("/t/account/new", data={"name": "X", "csrf_token": token})
    assert forged.status_code == 400
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    refused = ann.client.post("/t/account/new", data={"name": "X", "csrf_token": tampered})
    assert refused.status_code == 400
    assert app.extensions["formwork"].list("t", "account")["total"] == 2


def test_over_https_every_submit_must_come_from_the_site(app):
    ann = Browser(app, "t")
    secure = {"base_url": "https://localhost"}
    page = ann.client.get("/t/login", **secure).get_data(as_text=True)
    login = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"username": "ann", "password": "correct horse battery", "csrf_token": login}
    site = {"Referer": "https://localhost/t/login"}
    assert ann.client.post("/t/login", data=form, headers=site, **secure).status_code == 302
    page = ann.client.get("/t/account/new", **secure).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = {"name": "Acme", "csrf_token": token}
    assert ann.client.post("/t/account/new", data=data, headers=site, **secure).status_code == 302
    # the same token again, now known good: the referrer is still required, and checked
    assert ann.client.post("/t/account/new", data=data, **secure).status_code == 400
    elsewhere = {"Referer": "https://evil.example/form"}
    assert (
        ann.client.post("/t/account/new", data=data, headers=elsewhere, **secure).status_code == 400
    )
    assert ann.client.post("/t/account/new", data=data, headers=site, **secure).status_code == 302
