"""Logging in and out, per tenant, with a signed session cookie."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for

from engine import users
from engine.errors import UnknownName
from webui.services import record_service
from webui.signed_in import current_user, login_ended, login_session

blueprint = Blueprint("auth", __name__)
LOGIN_ENDED = (
    "Your session has ended: your account was deactivated or removed, or its password "
    "was changed. Log in again."
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
    _known_tenant(tenant)
    compiled = record_service().registry.tenant(tenant)
    if request.method == "POST":
        username = request.form.get("username", "")
        found = users.authenticate(compiled, username, request.form.get("password", ""))
        if found is not None:
            session.clear()
            session["user"] = login_session(tenant, found)
            return redirect(_safe_next(tenant))
        flash("The user name or the password is not right.", "error")
        return render_template(
            "pages/login.html", tenant=tenant, label=compiled.spec.label, username=username
        ), 401
    return render_template(
        "pages/login.html", tenant=tenant, label=compiled.spec.label, username=""
    )


@blueprint.post("/<tenant>/logout")
def logout(tenant: str) -> Any:
    session.clear()
    return redirect(url_for("auth.login", tenant=tenant))


def _safe_next(tenant: str) -> str:
    """Only a path of this tenant, never another site: no open redirect."""
    target = request.args.get("next", "")
    if target.startswith(f"/{tenant}/") and not target.startswith("//"):
        return target
    return url_for("pages.home", tenant=tenant)
