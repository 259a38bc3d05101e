"""Logging in and out, per tenant, with a signed session cookie."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from engine import logins, throttle, users
from engine.errors import UnknownName
from webui.services import record_service
from webui.signed_in import current_user, forget, login_ended, login_session

blueprint = Blueprint("auth", __name__)
TOO_MANY = (
    "Too many failed logins for this user name or from this computer. Wait {seconds} "
    "seconds and try again; the wait grows with each failure and ends within 15 minutes."
)
LOGIN_ENDED = (
    "Your session has ended: you logged out, your account was deactivated or removed, or "
    "its password was changed. Log in again."
)


def login_required(role: str = "viewer") -> Callable:
    """A page for logged-in users of the URL's tenant with at least `role`, as the user
    table has it now (webui.signed_in)."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(tenant: str, **kwargs: Any) -> Any:
            _known_tenant(tenant)
            user = current_user(tenant)
            if user is None:
                if login_ended():
                    flash(LOGIN_ENDED, "error")
                return redirect(url_for("auth.login", tenant=tenant, next=request.full_path))
            if not users.allows(user["role"], role):
                abort(403)
            g.user = user
            return view(tenant, **kwargs)

        return wrapper

    return decorate


def _known_tenant(tenant: str) -> None:
    try:
        record_service().registry.tenant(tenant)
    except UnknownName:
        abort(404)


@blueprint.route("/<tenant>/login", methods=["GET", "POST"])
def login(tenant: str) -> Any:
    """The tenant's login page; a right name and password start a login and go on to the
    page asked for, a wrong one counts against the name and the client (throttle)."""
    _known_tenant(tenant)
    compiled = record_service().registry.tenant(tenant)
    if request.method == "GET":
        return _login_page(compiled, "")
    username = request.form.get("username", "")
    counted = throttle.keys(username, request.remote_addr)
    wait = throttle.wait_seconds(compiled, counted)
    if wait:  # not even checked: guessing on has to wait
        flash(TOO_MANY.format(seconds=wait), "error")
        return _login_page(compiled, username), 429, {"Retry-After": str(wait)}
    found = users.authenticate(compiled, username, request.form.get("password", ""))
    if found is None:
        throttle.failed(compiled, counted)
        flash("The user name or the password is not right.", "error")
        return _login_page(compiled, username), 401
    throttle.succeeded(compiled, counted[0])
    token = logins.start(compiled, found, current_app.permanent_session_lifetime)
    session.clear()
    session["user"] = login_session(tenant, found, token)
    return redirect(_safe_next(tenant))


def _login_page(compiled: Any, username: str) -> str:
    return render_template(
        "pages/login.html", tenant=compiled.spec.name, label=compiled.spec.label, username=username
    )


@blueprint.post("/<tenant>/logout")
def logout(tenant: str) -> Any:
    """End the login server-side (every copy of its cookie opens nothing after), then
    forget it in the browser."""
    signed = session.get("user")
    if isinstance(signed, dict) and signed.get("tenant") == tenant:
        _known_tenant(tenant)
        logins.end(record_service().registry.tenant(tenant), signed.get("login"))
        forget(tenant, str(signed.get("username")), str(signed.get("login")))
    session.clear()
    return redirect(url_for("auth.login", tenant=tenant))


def _safe_next(tenant: str) -> str:
    """Only a path of this tenant, never another site and never a header's worth of
    control characters: no open redirect, no broken answer."""
    target = request.args.get("next", "")
    if (
        target.startswith(f"/{tenant}/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()
    ):
        return target
    return url_for("pages.home", tenant=tenant)
