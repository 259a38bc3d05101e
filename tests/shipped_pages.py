"""The shipped metadata served by the app, with an editor `clerk` in every tenant, and
a test client that logs in and sends the pages' CSRF token: for the page tests that
cover every shipped tenant × entity."""

from __future__ import annotations

import re
from collections.abc import Iterator

from conftest import SHIPPED, _drop_tenant_schemas
from flask import Flask

from engine import users
from webui import create_app

PASSWORD = "correct horse battery"


def shipped_app(data: str, url: str | None) -> Iterator[Flask]:
    """The app over the shipped metadata on SQLite in `data`, or on PostgreSQL at `url`;
    the tenants' schemas are dropped afterwards."""
    application = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "FORMWORK_METADATA": str(SHIPPED),
            "FORMWORK_DATA": data,
            "FORMWORK_DATABASE": url,
        }
    )
    service = application.extensions["formwork"]
    for tenant in service.registry.tenants:
        users.add_user(service.registry.tenant(tenant), "clerk", "editor", PASSWORD)
    yield application
    if url:
        _drop_tenant_schemas(url)


class Person:
    """A test client logged in as an editor of one tenant, sending the pages' CSRF token.
    Its browser asks for English, the language the metadata is written in, so the words
    these tests look for are the metadata's own (test_translations.py reads the pages in
    the tenants' other languages)."""

    def __init__(self, app, tenant):
        self.client, self.tenant = app.test_client(), tenant
        self.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        data = {"username": "clerk", "password": PASSWORD, "csrf_token": self.token()}
        assert self.client.post(f"/{tenant}/login", data=data).status_code == 302

    def token(self):
        page = self.client.get(f"/{self.tenant}/login").get_data(as_text=True)
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def get(self, path):
        return self.client.get(f"/{self.tenant}{path}")

    def post(self, path, data=None, token=True):
        data = dict(data or {})
        if token is True:
            data["csrf_token"] = self.token()
        elif token:
            data["csrf_token"] = token
        return self.client.post(f"/{self.tenant}{path}", data=data)
