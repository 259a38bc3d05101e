"""url_for for the templates, remembered per request origin.

Every page asks for the same few URLs (its style sheet and script, the home page, the
log-out form's action), and building one takes longer than most of a page's values.
A URL depends only on its arguments and on where the request came in (scheme, host,
script root), which the key holds; calls that depend on more (a relative endpoint,
URL defaults) are built every time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, request

from engine.caching import BoundedCache

MAX_REMEMBERED = 4096  # URLs per process (engine.caching: the oldest goes first)


def origin() -> tuple:
    """Where this request came in, as far as building a URL can tell; worked out once per
    request, which asks for it for each part of its page."""
    environ = request.environ
    found = environ.get(_ORIGIN)
    if found is None:
        found = environ[_ORIGIN] = (
            environ.get("wsgi.url_scheme"),
            environ.get("HTTP_HOST"),
            environ.get("SERVER_NAME"),
            environ.get("SERVER_PORT"),
            environ.get("SCRIPT_NAME"),
        )
    return found


_ORIGIN = "formwork.origin"  # the environ key of the request's origin()


EXTENSION = "formwork_urls"


def init_app(app: Flask) -> None:
    """Templates call url_for() as before; it builds each URL once per origin."""
    app.extensions[EXTENSION] = app.jinja_env.globals["url_for"] = remembering(app)


def url_for(endpoint: str, **values: Any) -> str:
    """The current app's url_for, remembering what it built: for the URLs every request
    of a page asks for alike."""
    return current_app.extensions[EXTENSION](endpoint, **values)


def remembering(app: Flask) -> Callable[..., str]:
    """app.url_for, remembering what it built."""
    built: BoundedCache[tuple, str] = BoundedCache(MAX_REMEMBERED)

    def url_for(endpoint: str, **values: Any) -> str:
        if endpoint[:1] == "." or any(app.url_default_functions.values()):
            return app.url_for(endpoint, **values)
        key = (origin(), endpoint, *sorted(values.items()))
        try:
            return built[key]
        except TypeError:  # a value that cannot be a key
            return app.url_for(endpoint, **values)
        except KeyError:
            pass
        built[key] = url = app.url_for(endpoint, **values)
        return url

    return url_for
