"""The parts around every page's content: the style sheet and script, and the header
with the user's name and the log-out form.

They follow from where the request came in, the tenant, the user and the CSRF token
alone, so each is drawn by its macro in page_parts.html once per such key and kept in
a bounded table of the app; a request whose key is new draws it. The CSRF token is
asked for exactly when the header shows the log-out form, as the template did.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from markupsafe import Markup

from webui import urls
from webui.signed_in import current_user

MAX_REMEMBERED = 4096  # drawn parts per process; the table starts afresh when full
EXTENSION = "formwork_chrome"


def init_app(app: Flask) -> None:
    """base.html calls page_assets() and page_header(tenant)."""
    app.extensions[EXTENSION] = {}
    app.jinja_env.globals.update(page_assets=page_assets, page_header=page_header)


def page_assets() -> Markup:
    """The links to the style sheet and the script."""
    return _drawn(("assets", urls.origin()), lambda macros: macros.assets())


def page_header(tenant: Any) -> Markup:
    """The page's header: the home link, and for a user of the tenant, their name and
    the log-out form."""
    tenant = tenant or None  # an undefined tenant draws as none
    user = current_user()
    token = _csrf_token() if user and tenant else None
    shown = (user["username"], user["role"], user.get("tenant")) if user else None
    key = ("header", urls.origin(), tenant, shown, token)
    return _drawn(key, lambda macros: macros.header(tenant, user, token))


def _csrf_token() -> str:
    # the templates' own: Flask-WTF's generate_csrf, or webui.speedups.csrf's
    return current_app.jinja_env.globals["csrf_token"]()  # type: ignore[operator]


def _drawn(key: tuple, draw: Any) -> Markup:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    macros = app.jinja_env.get_template("page_parts.html").module
    key = (macros, *key)  # reloaded macros (in development) draw anew
    drawn: dict = app.extensions[EXTENSION]
    html = drawn.get(key)
    if html is None:
        html = draw(macros)
        if len(drawn) >= MAX_REMEMBERED:
            drawn.clear()
        drawn[key] = html
    return html
