"""Signed-cookie sessions whose signature each process checks once
(webui.speedups.sessions), in the app and against Flask's own sessions."""

import datetime
import time
from unittest import mock

import flask
import pytest
from flask import Flask
from hypothesis import example, given, settings
from hypothesis import strategies as st
from records_metadata import FILES
from test_pages import Browser, make_app

from engine import users
from webui.sessions import CookieSessions
from webui.speedups import sessions
from webui.speedups.sessions import VerifiedCookieSessions


@pytest.fixture(params=["on", "off"])
def app(request, tree, storage, monkeypatch):
    """The app with its shortcuts, and with the libraries' own code: both pass alike."""
    monkeypatch.setenv("FORMWORK_SPEEDUPS", request.param)
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


# property tests: Flask's own SecureCookieSessionInterface (CookieSessions) is the oracle

SESSION_APP = Flask(__name__)
SESSION_APP.config.update(SECRET_KEY="current key", SECRET_KEY_FALLBACKS=["older key"])
STOCK, VERIFIED = CookieSessions(), VerifiedCookieSessions()  # one each: the cache carries on
NOW = 1_800_000_000

leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.binary(max_size=8),
    st.uuids(),
)
VALUES = st.dictionaries(
    st.text(max_size=6),
    st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.tuples(inner, inner),
            st.dictionaries(st.text(max_size=4), inner, max_size=3),
        ),
        max_leaves=8,
    ),
    max_size=4,
)
# half of the sessions permanent (Flask keeps the flag in the data), as a login makes it
DATA = st.builds(lambda data, permanent: {**data, "_permanent": permanent}, VALUES, st.booleans())


def signed_cookie(data, key, at):
    app = Flask(__name__)
    app.secret_key = key
    with mock.patch("time.time", return_value=at):
        return STOCK.get_signing_serializer(app).dumps(data)


def changed(cookie, at, by):
    at %= len(cookie)
    return cookie[:at] + by + cookie[at + 1 :]


@st.composite
def cookies(draw):
    """A session cookie as a browser may send it: signed by a key of the app's or not,
    some time ago, or changed, cut, or not a cookie at all."""
    data = draw(DATA)
    key = draw(st.sampled_from(["current key", "current key", "older key", "a stranger's"]))
    age = draw(st.one_of(st.integers(-5, 5), st.integers(55, 65), st.integers(0, 10**6)))
    cookie = signed_cookie(data, key, NOW - age)
    how = draw(st.sampled_from(["as signed"] * 4 + ["changed", "cut", "other"]))
    if how == "changed":
        cookie = changed(cookie, draw(st.integers(0, 500)), draw(st.sampled_from("A_-.0")))
    elif how == "cut":
        cookie = cookie[: draw(st.integers(0, len(cookie)))]
    elif how == "other":
        cookie = draw(st.text(alphabet="abcXYZ0123456789._-", max_size=40))
    return cookie


def opened(interface):
    return interface.open_session(SESSION_APP, flask.request)


def change(session, what):
    """Do to a session what a request may: read it, write it, empty it, make it last."""
    if what == "read":  # through flask.session, which marks it read (Flask's ctx.py)
        session.accessed = True
        session.get("user")
    elif what == "write":
        session["user"] = {"name": "ann", "tags": ["a"]}
    elif what == "change inside":  # changes Flask does not notice
        for value in list(session.values()):
            if isinstance(value, dict):
                value["name"] = "eve"
            elif isinstance(value, list):
                value.append("eve")
    elif what == "empty":
        session.clear()
    elif what == "permanent":
        session.permanent = True


class FrozenDatetime(datetime.datetime):
    """datetime whose now() is NOW, as Flask's sessions module asks it."""

    @classmethod
    def now(cls, tz=None):
        return datetime.datetime.fromtimestamp(NOW, tz)


@settings(max_examples=400, deadline=None)
@given(
    cookie=cookies(),
    lifetime=st.sampled_from([60, 3600]),
    refresh=st.booleans(),
    secure=st.booleans(),
    changes=st.lists(
        st.sampled_from(["read", "write", "change inside", "empty", "permanent"]), max_size=3
    ),
    vary=st.sampled_from([None, "Accept-Encoding", "cookie", "Accept, Origin"]),
    others=st.sampled_from(["", "theme=dark; ", 'note="a b"; ', "session=; "]),
)
# a signed-in user's session, which opens copied one level deep
@example(
    cookie=signed_cookie({"user": {"name": "ann"}, "csrf_token": "x"}, "current key", NOW),
    lifetime=60,
    refresh=False,
    secure=False,
    changes=["read", "change inside"],
    vary=None,
    others="",
)
def test_a_cookie_opens_and_saves_as_flasks_sessions_do(
    cookie, lifetime, refresh, secure, changes, vary, others
):
    SESSION_APP.config.update(PERMANENT_SESSION_LIFETIME=lifetime)
    SESSION_APP.config.update(SESSION_REFRESH_EACH_REQUEST=refresh)
    base = "https://localhost" if secure else "http://localhost"
    headers = {"Cookie": f"{others}session={cookie}"}  # beside other cookies, or not
    with (
        mock.patch("time.time", return_value=NOW),
        # one clock for both answers: a cookie's Expires is written to the second
        mock.patch("flask.sessions.datetime", FrozenDatetime),
        SESSION_APP.test_request_context("/", base_url=base, headers=headers),
    ):
        stock, verified = opened(STOCK), opened(VERIFIED)
        assert type(verified) is type(stock) and verified == stock
        answers = []
        for interface, session in ((STOCK, stock), (VERIFIED, verified)):
            for what in changes:
                change(session, what)
            response = SESSION_APP.response_class()
            if vary is not None:  # a page that varies on a header of its own already
                response.headers["Vary"] = vary
            interface.save_session(SESSION_APP, session, response)
            answers.append([*response.headers.items()])
        assert answers[1] == answers[0]
        # what a request changed in its session reaches no other request
        assert opened(VERIFIED) == opened(STOCK)
