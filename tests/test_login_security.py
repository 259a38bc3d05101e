"""Logging in and out as an attacker would try it: a cookie kept after logout, a password
guessed again and again, HTTPS behind a proxy, a hostile `next`. On both backends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from records_metadata import FILES
from test_pages import Browser, make_app

from engine import throttle, users
from webui import create_app, signed_in

PASSWORD = "correct horse battery"


@pytest.fixture
def app(tree, storage):
    application = make_app(tree(FILES), storage)
    tenant = application.extensions["formwork"].registry.tenant("t")
    for name in ("ann", "bob"):
        users.add_user(tenant, name, "editor", PASSWORD)
    return application


@pytest.fixture
def later(monkeypatch):
    """Moves the clocks: a process's trust in a login it looked up, and the failures'."""
    now = [1000.0]
    start = throttle.now()
    monkeypatch.setattr(signed_in, "clock", lambda: now[0])
    monkeypatch.setattr(throttle, "now", lambda: start + timedelta(seconds=now[0] - 1000.0))

    def advance(seconds):
        now[0] += seconds

    return advance


def cookie_of(browser):
    return browser.client.get_cookie("session").value


def with_cookie(app, cookie):
    other = Browser(app, "t")
    other.client.set_cookie("session", cookie)
    return other


def sent_to_login(answer):
    return answer.status_code == 302 and "/t/login" in answer.headers["Location"]


def test_a_cookie_kept_from_before_logout_opens_nothing_after(app):
    ann = Browser(app, "t")
    ann.login("ann")
    kept = cookie_of(ann)
    assert with_cookie(app, kept).get("/account/").status_code == 200  # a copy works
    ann.post("/logout")
    assert sent_to_login(with_cookie(app, kept).get("/account/"))
    assert sent_to_login(ann.get("/account/"))


def test_logging_out_ends_only_that_login(app):
    phone, laptop = Browser(app, "t"), Browser(app, "t")
    phone.login("ann")
    laptop.login("ann")
    phone.post("/logout")
    assert laptop.get("/account/").status_code == 200


def test_another_worker_refuses_the_cookie_within_the_recheck_time(app, storage, later):
    other_worker = make_app(app.config["FORMWORK_METADATA"], storage)
    ann = Browser(app, "t")
    ann.login("ann")
    kept = cookie_of(ann)
    assert with_cookie(other_worker, kept).get("/account/").status_code == 200
    ann.post("/logout")
    later(app.config["FORMWORK_USER_RECHECK_SECONDS"] + 0.01)
    assert sent_to_login(with_cookie(other_worker, kept).get("/account/"))


def test_a_new_password_ends_every_login_of_the_user(app):
    ann = Browser(app, "t")
    ann.login("ann")
    kept = cookie_of(ann)
    users.set_password(app.extensions["formwork"].registry.tenant("t"), "ann", "a new password")
    assert sent_to_login(with_cookie(app, kept).get("/account/"))
    assert ann.login("ann", "a new password").status_code == 302  # a new login works


def test_failed_logins_wait_longer_each_time_then_the_user_gets_in(app, later):
    ann = Browser(app, "t")
    for _ in range(throttle.FREE_FAILURES["user"]):
        assert ann.login("ann", "wrong password").status_code == 401
    refused = ann.login("ann", PASSWORD)  # not even checked while it must wait
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert "Too many failed logins" in refused.get_data(as_text=True)
    later(1)
    assert ann.login("ann", "wrong again").status_code == 401
    assert ann.login("ann", PASSWORD).headers["Retry-After"] == "2"  # twice as long
    later(2)
    assert ann.login("ann", PASSWORD).status_code == 302
    # the success cleared the count: a slip of the finger costs nothing again
    ann.post("/logout")
    assert ann.login("ann", "wrong password").status_code == 401
    assert ann.login("ann", PASSWORD).status_code == 302


def test_failures_are_counted_per_address_and_stop_counting_after_the_window(app, later):
    guesser = Browser(app, "t")
    guesser.client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    for n in range(throttle.FREE_FAILURES["client"]):
        assert guesser.login(f"name{n}", "wrong password").status_code == 401
    assert guesser.login("bob", PASSWORD).status_code == 429  # another name, same address
    elsewhere = Browser(app, "t")
    elsewhere.client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert elsewhere.login("bob", PASSWORD).status_code == 302
    later(throttle.WINDOW.total_seconds() + 1)  # nobody is shut out for good
    assert guesser.login("bob", PASSWORD).status_code == 302


def test_https_behind_a_trusted_proxy_gives_secure_cookies_and_hsts(tree, storage):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test",
        "FORMWORK_METADATA": str(tree(FILES)),
        "FORMWORK_DATA": str(storage.data_dir),
        "FORMWORK_DATABASE": storage.database_url,
    }
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    for proxies, secure in ((1, True), (0, False)):
        app = create_app({**config, "FORMWORK_TRUSTED_PROXIES": proxies})
        users.add_user(app.extensions["formwork"].registry.tenant("t"), f"u{proxies}", "editor",
                       PASSWORD)  # fmt: skip
        client = app.test_client()
        page = client.get("/t/login", headers=https)
        assert ("Strict-Transport-Security" in page.headers) is secure
        token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
        form = {"username": f"u{proxies}", "password": PASSWORD, "csrf_token": token}
        answer = client.post(
            "/t/login", data=form, headers={**https, "Referer": "https://localhost/t/login"}
        )
        cookie = answer.headers.get("Set-Cookie", "")
        assert answer.status_code == 302 and ("; Secure" in cookie) is secure


def test_a_next_with_control_characters_goes_home_not_to_an_error(app):
    for target in ("/t/account/\r\nSet-Cookie: x=1", "/t/\n", "/t/a\\b", "//evil.example/t/"):
        ann = Browser(app, "t")
        form = {"username": "ann", "password": PASSWORD, "csrf_token": ann.token()}
        answer = ann.client.post("/t/login", query_string={"next": target}, data=form)
        assert answer.status_code == 302, target
        assert answer.headers["Location"].endswith("/t/"), target
        assert "x=1" not in answer.headers.get("Set-Cookie", "")
