"""The CSRF token of pages, signed once per session and process, checked as before
(webui.speedups.csrf), in the app and against Flask-WTF's own code."""

import re

import flask
import pytest
from flask import Blueprint, Flask
from flask_wtf.csrf import CSRFProtect, generate_csrf, validate_csrf
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer
from records_metadata import FILES
from test_pages import Browser, make_app

from engine import users
from webui import speedups
from webui.speedups import csrf
from webui.speedups.csrf import CachedCSRFProtect


@pytest.fixture(params=["on", "off"])
def app(request, tree, storage, monkeypatch):
    """The app with its shortcuts, and with the libraries' own code: both pass alike."""
    monkeypatch.setenv("FORMWORK_SPEEDUPS", request.param)
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
    tokens = [token_of(ann), token_of(ann, "/account/")]  # the list page's logout form
    for token in tokens:
        saved = ann.client.post("/t/account/new", data={"name": "Acme", "csrf_token": token})
        assert saved.status_code == 302
    # signed once per session and process with the shortcuts; the library signs each page
    # anew, with the second it was made in
    if speedups.enabled(app, "csrf"):
        assert tokens[0] == tokens[1]


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
    for name in ("A", "B"):  # the second submit is checked against the cached token
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


# property tests: Flask-WTF's own CSRFProtect and generate_csrf are the oracle

SECRET, OTHER_SECRET = "the app's key", "another key"
RAWS = ["a" * 40, "b" * 40, "0123456789abcdef0123456789abcdef01234567"]


def signed(raw, secret=SECRET):
    return URLSafeTimedSerializer(secret, salt="wtf-csrf-token").dumps(raw)


# a few signed tokens, each sent many times, so the cached check meets them again
SIGNED = [signed(raw, secret) for raw in RAWS for secret in (SECRET, OTHER_SECRET)]


def tampered(token, at, by):
    at %= len(token)
    return token[:at] + by + token[at + 1 :]


TOKENS = st.one_of(
    st.sampled_from(SIGNED),
    st.builds(tampered, st.sampled_from(SIGNED), st.integers(0, 200), st.sampled_from("A_-.x")),
    st.sampled_from(["", "garbage", SIGNED[0] + "x", SIGNED[0].split(".")[0]]),
    st.text(max_size=20),
)


def csrf_app(protect, time_limit):
    """A small app of one form, one exempt form and one blueprint of exempt views."""
    app = Flask(__name__)
    app.config.update(SECRET_KEY=SECRET, WTF_CSRF_TIME_LIMIT=time_limit)
    protect.init_app(app)
    exempt = Blueprint("exempt", __name__)

    @app.route("/form", methods=["GET", "POST", "PUT", "DELETE"])
    def form():
        return "saved"

    @app.post("/exempt")
    @protect.exempt
    def exempt_view():
        return "saved, unchecked"

    @exempt.post("/open")
    def open_view():
        return "saved, unchecked"

    app.register_blueprint(exempt)
    protect.exempt(exempt)
    return app


APPS = {
    (kind, limit): csrf_app(kind(), limit)
    for kind in (CSRFProtect, CachedCSRFProtect)
    for limit in (None, 3600)
}


def answer(app, raw, token, how, method, path, secure, referrer):
    """Status and body of one submit in a session holding `raw` (none when None)."""
    client = app.test_client()
    with client.session_transaction() as session:
        if raw is not None:
            session["csrf_token"] = raw
    headers = {"Referer": referrer} if referrer else {}
    data = {}
    if how == "field":
        data["csrf_token"] = token
    elif how == "prefixed field":
        data["item-csrf_token"] = token
    elif how == "header":
        headers["X-CSRFToken"] = token
    base = "https://localhost" if secure else "http://localhost"
    response = client.open(path, method=method, data=data, headers=headers, base_url=base)
    return response.status_code, response.get_data(as_text=True)


@st.composite
def submits(draw):
    """A session's raw token (or none) and its submits, most with the token its pages
    carry, so the cached check meets a token it verified before."""
    raw = draw(st.one_of(st.none(), st.sampled_from(RAWS)))
    own = signed(raw) if raw is not None else SIGNED[0]
    submit = st.tuples(
        st.one_of(st.just(own), TOKENS),
        st.sampled_from(["field", "prefixed field", "header", "none"]),
        st.sampled_from(["POST", "POST", "PUT", "DELETE", "GET"]),
        st.sampled_from(["/form", "/form", "/exempt", "/open", "/nowhere"]),
        st.booleans(),
        st.sampled_from([None, "https://localhost/form", "https://evil.example/", "x"]),
    )
    return raw, draw(st.lists(submit, min_size=1, max_size=6))


@settings(max_examples=300, deadline=None)
@given(session=submits(), limit=st.sampled_from([None, None, 3600]))
def test_a_submit_is_let_through_or_refused_as_flask_wtf_does(session, limit):
    raw, submitted = session
    for token, how, *rest in submitted:  # some of a token checked before
        assume(how != "header" or (token.isascii() and token.isprintable()))  # what HTTP carries
        expected = answer(APPS[CSRFProtect, limit], raw, token, how, *rest)
        assert answer(APPS[CachedCSRFProtect, limit], raw, token, how, *rest) == expected


def token_app():
    app = Flask(__name__)
    app.config.update(SECRET_KEY=SECRET, WTF_CSRF_TIME_LIMIT=None)
    CSRFProtect(app)
    csrf.init_app(app)
    return app


TOKEN_APP = token_app()


@settings(max_examples=300, deadline=None)
@given(raws=st.lists(st.one_of(st.none(), st.sampled_from(RAWS)), min_size=1, max_size=6))
def test_a_pages_token_is_one_flask_wtf_signs_and_accepts(raws):
    for raw in raws:  # requests of several sessions, some of them again
        with TOKEN_APP.test_request_context("/"):
            if raw is not None:
                flask.session["csrf_token"] = raw
            token = csrf.csrf_token()
            assert csrf.csrf_token() == token == generate_csrf()  # one per request
            carried = flask.session["csrf_token"]
            assert carried == raw or (raw is None and len(carried) == 40)
            validate_csrf(token)  # Flask-WTF's own check lets it through
            loads = URLSafeTimedSerializer(SECRET, salt="wtf-csrf-token").loads
            assert loads(token) == carried
