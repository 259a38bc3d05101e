"""The work every request does (session, CSRF, the tenant's checks, the connection's
checkout and release) answers alike with its shortcuts on and off: for every shipped
tenant × entity, on SQLite and PostgreSQL, the list page, the new-record form and a
submit the CSRF check refuses give the same status, headers, cookies and body (but the
bytes of its CSRF tokens) from an app with FORMWORK_SPEEDUPS on as from one with it
off, both over the same data."""

from __future__ import annotations

import datetime
import re
import time
from unittest import mock

import pytest
from conftest import SHIPPED
from shipped_pages import Person, shipped_app

from engine.registry import build_registry
from webui import create_app

REGISTRY = build_registry(str(SHIPPED))
PAIRS = [(t, e) for t, tenant in REGISTRY.tenants.items() for e in sorted(tenant.entities)]


def frozen_datetime(at: int) -> type:
    """datetime whose now() is `at`, as Flask's sessions module asks it."""

    class Frozen(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.datetime.fromtimestamp(at, tz)

    return Frozen


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def apps(request, tmp_path_factory):
    """The shipped site with every shortcut (and a clerk in each tenant), and the same
    site, over the same data, with none."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    data = str(tmp_path_factory.mktemp("data"))
    for shortcuts in shipped_app(data, url):
        config = {**shortcuts.config, "FORMWORK_SPEEDUPS": "off"}
        plain = create_app({key: config[key] for key in _SETTINGS})
        yield shortcuts, plain


_SETTINGS = ("TESTING", "SECRET_KEY", "FORMWORK_METADATA", "FORMWORK_DATA")
_SETTINGS += ("FORMWORK_DATABASE", "FORMWORK_SPEEDUPS")


@pytest.fixture(scope="module")
def cookies(apps):
    """A clerk's session cookie per tenant, holding a CSRF secret (as after a form)."""
    shortcuts, _ = apps
    found = {}
    for tenant, entity in PAIRS:
        if tenant not in found:
            clerk = Person(shortcuts, tenant)
            clerk.get(f"/{entity}/new")
            found[tenant] = clerk.client.get_cookie("session").value
    return found


def answer(app, at, method, path, cookie, data=None):
    """What `app` answers at the second `at`, as plain data: status, headers in order,
    body (one clock for both apps: cookies and tokens are signed to the second)."""
    client = app.test_client(use_cookies=False)
    headers = {"Cookie": f"session={cookie}", "Accept-Language": "en"}
    with (
        mock.patch("time.time", return_value=at),
        mock.patch("flask.sessions.datetime", frozen_datetime(at)),
    ):
        response = client.open(path, method=method, headers=headers, data=data)
    body = TOKEN.sub(b'name="csrf_token" value="-"', response.get_data())
    return response.status, list(response.headers.items()), body


# a CSRF token is signed once per session and process with the shortcut, anew for each
# page without it: either is valid (tests/test_csrf_tokens.py), but they differ in bytes
TOKEN = re.compile(rb'name="csrf_token" value="[^"]+"')


@pytest.mark.parametrize("tenant,entity", PAIRS)
def test_each_page_answers_alike_with_shortcuts_on_and_off(apps, cookies, tenant, entity):
    shortcuts, plain = apps
    cookie = cookies[tenant]
    requests = [
        ("GET", f"/{tenant}/{entity}/", None),
        ("GET", f"/{tenant}/{entity}/new", None),
        ("POST", f"/{tenant}/{entity}/new", {"csrf_token": "not the token"}),
    ]
    at = int(time.time()) + 1  # after the cookie was signed
    for method, path, data in requests:
        expected = answer(plain, at, method, path, cookie, data)
        assert expected[0] in ("200 OK", "400 BAD REQUEST"), path
        assert answer(shortcuts, at, method, path, cookie, data) == expected, path
