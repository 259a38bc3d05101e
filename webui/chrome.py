"""The parts around every page's content: the style sheet and script, and the header
with the user's name and the log-out form.

They follow from where the request came in, the tenant, the user and the CSRF token
alone, so each is rendered by its macro in page_parts.html once per such key and cached
in a bounded cache of the app; a request whose key is new renders it. The CSRF token is
asked for exactly when the header shows the log-out form, as the template did.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, send_from_directory
from markupsafe import Markup

from engine.caching import BoundedCache
from webui import prerender, urls
from webui.signed_in import current_user

MAX_CACHED = 4096  # rendered parts per process (engine.caching: the oldest goes first)
EXTENSION = "formwork_chrome"
MODULES = "formwork_template_modules"  # the app's extension holding macros(name)'s answers

# The switch of macros()'s cache: False, every call asks Jinja for the template (the plain
# path, which tests/test_list_shortcuts.py compares it with).
CACHE_MODULES = True


def init_app(app: Flask) -> None:
    """base.html calls page_assets() and page_header(tenant); the templates write `dash`
    where a value is empty, as the pre-rendered pieces do (webui.prerender.DASH)."""
    app.extensions[EXTENSION] = BoundedCache(MAX_CACHED)
    app.extensions[MODULES] = {}
    app.jinja_env.globals.update(
        page_assets=page_assets, page_header=page_header, dash=Markup(prerender.DASH)
    )
    app.add_url_rule("/favicon.ico", "favicon", favicon)


def favicon() -> Any:
    """The site's icon where browsers look for it without asking the page (the pages
    link it too): without it, each first visit logs a failed request."""
    return send_from_directory(str(current_app.static_folder), "favicon.ico", max_age=86400)


def page_assets() -> Markup:
    """The links to the style sheet and the script."""
    return _rendered(("assets", urls.origin()), lambda macros: macros.assets())


def page_header(tenant: Any) -> Markup:
    """The page's header: the home link, and for a user of the tenant, their name and
    the log-out form."""
    tenant = tenant or None  # an undefined tenant renders as none
    user = current_user()
    token = _csrf_token() if user and tenant else None
    shown = (user["username"], user["role"], user.get("tenant")) if user else None
    key = ("header", urls.origin(), tenant, shown, token)
    return _rendered(key, lambda macros: macros.header(tenant, user, token))


def _csrf_token() -> str:
    # the templates' own: Flask-WTF's generate_csrf, or webui.speedups.csrf's
    return current_app.jinja_env.globals["csrf_token"]()  # type: ignore[operator]


def _rendered(key: tuple, render: Any) -> Markup:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    found = macros("page_parts.html", app)
    key = (found, *key)  # reloaded macros (in development) render again
    cache: BoundedCache = app.extensions[EXTENSION]
    return cache.get_or_build(key, lambda: render(found))


def macros(name: str, app: Flask | None = None) -> Any:
    """The module of the template `name` (of `app`, else the current app), its macros as
    attributes. Asked for by every part of a page, it is kept by the app once made,
    unless templates are reloaded when they change (in development), when Jinja is
    asked each time."""
    if app is None:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
    kept: dict[str, Any] = app.extensions[MODULES]
    found = kept.get(name) if CACHE_MODULES else None
    if found is None:
        environment = app.jinja_env
        found = environment.get_template(name).module
        if CACHE_MODULES and not environment.auto_reload:
            kept[name] = found
    return found
