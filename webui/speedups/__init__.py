"""Shortcuts past the libraries' own code on the web's hot paths, each behind a switch.

Each one replaces a piece of a library with a faster one that answers exactly as the
library does, and the library's own code is its test oracle: property tests (hypothesis)
feed both the same random input and compare what they give (tests/test_form_data.py,
test_csrf_tokens.py, test_sessions.py). They live here together, apart from the app, so
that an upgrade of Flask, Werkzeug or Flask-WTF has one place to look at.

form_data  A saved form's urlencoded body. Werkzeug reads it with parse_qsl, which
           unquotes every name and value; this reader unquotes only those with a `%` or
           a `+` in them. In effect it replaces the private
           FormDataParser._parse_urlencoded, but only through public seams: it overrides
           FormDataParser.parse for that one type, and is plugged in by
           Request.form_data_parser_class and Flask's app.request_class.
csrf       The CSRF token of every page and submit. Flask-WTF signs the session's token
           again for every page and verifies the signature of every submit; this one
           signs once per session and process, and verifies a token once. Flask-WTF has
           no seam for either: it overrides CSRFProtect.protect, calling its private
           _get_csrf_token, _is_exempt and _error_response, and replaces the templates'
           csrf_token (generate_csrf), setting the `g` attribute generate_csrf reads.
sessions   The session cookie. Flask verifies its signature and decodes its data on
           every request; this one does so once per cookie and process. It goes through
           Flask's public seam, app.session_interface, so it overrides nothing private;
           it lives here because it is the same kind of shortcut, a cache of what the
           library computes, and wants the same switch and oracle. The app's own session
           behaviour (a Secure cookie over HTTPS) is webui/sessions.py, on either way.
hooks      Flask's ensure_sync, which asks `inspect` for every view and request hook
           it calls whether it is a coroutine function; this one asks once per
           function. It replaces app.ensure_sync, which Flask documents as the method
           to override.
escaping   A value written into a page's pieces: markupsafe's escape builds a Markup
           around the text of its C code; this calls the C code (a private function)
           for the text alone. Process-wide: the app created last chooses.

The switch is the setting FORMWORK_SPEEDUPS (webui/settings.py, README.md's Settings):
`on`, the default; `off`, the libraries' own code for all five; or the names of those to
use, separated by commas (`form_data,sessions`). What runs when one is off: Flask's
Request; Flask-WTF's CSRFProtect and generate_csrf; webui.sessions.CookieSessions, which
is Flask's SecureCookieSessionInterface with the Secure cookie; Flask's ensure_sync;
escaping by markupsafe's five replaces.
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SessionInterface
from flask_wtf.csrf import CSRFProtect

from webui.sessions import CookieSessions
from webui.speedups import csrf, escaping, form_data, hooks, sessions

NAMES = ("form_data", "csrf", "sessions", "hooks", "escaping")
SETTING = "FORMWORK_SPEEDUPS"


def chosen(value: str) -> frozenset[str]:
    """The names of the speedups a FORMWORK_SPEEDUPS value turns on; ValueError, saying
    what is allowed, for a value that is none of them."""
    text = value.strip().lower()
    if text == "on":
        return frozenset(NAMES)
    if text == "off":
        return frozenset()
    names = {name.strip() for name in text.split(",") if name.strip()}
    if not names or not names <= set(NAMES):
        raise ValueError(
            f"{SETTING} must be on, off, or some of {', '.join(NAMES)} separated by "
            f"commas, not {value!r}."
        )
    return frozenset(names)


def enabled(app: Flask, name: str) -> bool:
    """Whether the app uses the speedup `name` rather than the library's own code."""
    return name in chosen(app.config[SETTING])


def request_class(app: Flask) -> type[Request]:
    """The class of the app's requests: Flask's, or one reading forms faster."""
    return form_data.QuickFormRequest if enabled(app, "form_data") else Request


def init_csrf(app: Flask) -> CSRFProtect:
    """Protect the app's forms against CSRF, as Flask-WTF's CSRFProtect does; the
    extension, whose `exempt` the app calls."""
    if not enabled(app, "csrf"):
        protect = CSRFProtect()
        protect.init_app(app)
        return protect
    protect = csrf.CachedCSRFProtect()
    protect.init_app(app)
    csrf.init_app(app)  # the templates' csrf_token, over the one init_app just set
    return protect


def session_interface(app: Flask) -> SessionInterface:
    """How the app reads and writes its session cookie."""
    return sessions.VerifiedCookieSessions() if enabled(app, "sessions") else CookieSessions()


def init_hooks(app: Flask) -> None:
    """How the app calls its views and hooks: through Flask's ensure_sync, or one that
    remembers which functions are plain."""
    if enabled(app, "hooks"):
        hooks.install(app)


def init_escaping(app: Flask) -> None:
    """How the pages' pieces escape a text: by markupsafe's C code, or its replaces."""
    escaping.install(enabled(app, "escaping"))
