"""The web app's sessions: Flask's signed cookies, set `Secure` whenever the request came
over HTTPS.

Flask's SecureCookieSessionInterface, plugged in through its public seam,
`app.session_interface`. A faster reading of the same cookies, verifying each once per
process, is webui/speedups/sessions.py, a subclass of this one.
"""

from __future__ import annotations

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface

COOKIE_NAME = "session"  # Flask's default SESSION_COOKIE_NAME, which create_app sets


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, whose cookie is `Secure` over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure over HTTPS (as a trusted proxy says, see FORMWORK_TRUSTED_PROXIES), or
        always when SESSION_COOKIE_SECURE says so."""
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure
