"""Signed-cookie sessions whose signature each process checks once."""

import time

import pytest
from records_metadata import FILES
from test_pages import Browser, make_app

from engine import users
from webui.speedups import sessions


@pytest.fixture
def app(tree, storage):
    application = make_app(tree(FILES), storage)
    tenant = application.extensions["formwork"].registry.tenant("t")
    users.add_user(tenant, "ann", "editor", "correct horse battery")
    return application


def session_cookie(browser):
    return browser.client.get_cookie("session").value


def test_a_remembered_cookie_keeps_its_session_and_a_changed_one_is_refused(app):
    ann = Browser(app, "t")
    ann.login("ann")
    assert ann.get("/account/").status_code == 200
    assert ann.get("/account/").status_code == 200  # the second look uses the memo
    cookie = session_cookie(ann)
    forged = cookie[:-2] + ("AA" if cookie[-2:] != "AA" else "BB")
    intruder = Browser(app, "t")
    intruder.client.set_cookie("session", forged)
    assert intruder.get("/account/").status_code == 302  # to the login page


def test_a_remembered_cookie_still_expires(app, monkeypatch):
    app.config["PERMANENT_SESSION_LIFETIME"] = 60
    ann = Browser(app, "t")
    ann.login("ann")
    assert ann.get("/account/").status_code == 200
    later = time.time() + 61
    monkeypatch.setattr(sessions.time, "time", lambda: later)
    assert ann.get("/account/").status_code == 302


def test_a_new_secret_key_ends_every_session(app):
    ann = Browser(app, "t")
    ann.login("ann")
    assert ann.get("/account/").status_code == 200
    app.secret_key = "another secret"
    assert ann.get("/account/").status_code == 302


def test_a_session_is_decoded_afresh_for_each_request(app):
    ann = Browser(app, "t")
    ann.login("ann")
    with app.test_request_context("/", headers={"Cookie": f"session={session_cookie(ann)}"}):
        from flask import request

        first = app.session_interface.open_session(app, request)
        first["user"]["username"] = "eve"  # a request that changed its copy
        second = app.session_interface.open_session(app, request)
    assert second["user"]["username"] == "ann"


def test_a_page_that_leaves_the_session_alone_sends_no_cookie_but_says_it_varies(app):
    ann = Browser(app, "t")
    ann.login("ann")
    ann.get("/account/new")  # the first form page puts a CSRF secret in the session
    page = ann.get("/account/")
    assert page.status_code == 200 and "Set-Cookie" not in page.headers
    assert page.headers["Vary"] == "Cookie"  # its HTML depends on who asks
    out = ann.client.post("/t/logout", data={"csrf_token": ann.token()})
    assert "session=;" in out.headers["Set-Cookie"]  # an emptied session is removed


def test_a_permanent_session_is_refreshed_on_every_request(app):
    app.config["SESSION_REFRESH_EACH_REQUEST"] = True
    ann = Browser(app, "t")
    ann.login("ann")
    with ann.client.session_transaction() as session:
        session.permanent = True
    page = ann.get("/account/")
    assert "Expires=" in page.headers["Set-Cookie"]
