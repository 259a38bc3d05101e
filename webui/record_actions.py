"""The actions of a record's page: status actions, activate and deactivate, copy, delete.

An action that ends the record's life (webui.confirmations) first shows a page that says
what will happen (GET); only the form of that page, sent with its CSRF token and its
`confirmed` field, runs it (POST). A POST without `confirmed` does nothing and shows
that page. Other actions run at once. Each one's notice names the record and what
happened to it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from engine import users
from engine.errors import Conflict, NotFound, RecordInvalid
from engine.records.target import Target
from webui import urls
from webui.auth import login_required
from webui.confirmations import (
    DELETE,
    action_label,
    consequences,
    named,
    needs_confirmation,
)
from webui.language import in_page_language
from webui.services import record_service, target_or_404

blueprint = Blueprint("actions", __name__)


def available_actions(target: Target, record: dict) -> list[dict]:
    """The actions the record's page offers for the record as it is now, each with
    whether it asks for confirmation first."""
    spec, found = target.spec, []
    if spec.statuses:
        for action in spec.statuses.actions.values():
            if record.get("status") in action.sources:
                found.append({"name": action.name, "label": action.label})
    if spec.delete == "never":
        name = "deactivate" if record.get("active", True) else "activate"
        found.append({"name": name, "label": action_label(target, name)})
    for action in found:
        action["confirm"] = needs_confirmation(target, action["name"])
    return found


@blueprint.route("/<tenant>/<entity>/<int:record_id>/actions/<action>", methods=["GET", "POST"])
@login_required("editor")
def run_action(tenant: str, entity: str, record_id: int, action: str) -> Any:
    """Run a status action (or activate, deactivate) on a record, then show it, once
    confirmed where the action asks; a copy opens a new record's form instead."""
    if action == "copy":  # a copy is a new form to fill, saved only when the person saves
        return redirect(url_for("pages.new", tenant=tenant, entity=entity, copy_of=record_id))
    target = in_page_language(target_or_404(tenant, entity))
    if action_label(target, action) is None:
        abort(404)
    if request.method == "GET" or (
        needs_confirmation(target, action) and request.form.get("confirmed") != "yes"
    ):
        return _confirmation_page(target, record_id, action)
    try:
        record_service().act(tenant, entity, record_id, action, g.user["username"])
    except (Conflict, RecordInvalid) as error:
        flash(str(error), "error")
        return redirect(_record_url(tenant, entity, record_id))
    except NotFound:
        return _gone(target, record_id)
    return redirect(f"{_record_url(tenant, entity, record_id)}?notice={action}")


@blueprint.route("/<tenant>/<entity>/<int:record_id>/delete", methods=["GET", "POST"])
@login_required("editor")
def delete(tenant: str, entity: str, record_id: int) -> Any:
    """Delete a record, as the entity's delete policy allows, once confirmed; then show
    the list, whose notice names the record deleted."""
    target = in_page_language(target_or_404(tenant, entity))
    if request.method == "GET" or request.form.get("confirmed") != "yes":
        return _confirmation_page(target, record_id, DELETE)
    service = record_service()
    try:
        title = named(target, service.read(tenant, entity, record_id))
        service.delete(tenant, entity, record_id, g.user["username"])
    except Conflict as error:
        flash(str(error), "error")
        return redirect(_record_url(tenant, entity, record_id))
    except NotFound:
        return _gone(target, record_id)
    flash(f"{title} deleted.", "info")
    return redirect(url_for("pages.list_page", tenant=tenant, entity=entity))


def _confirmation_page(target: Target, record_id: int, action: str) -> Any:
    """The page that says what the action will do and asks to confirm it (200), or why
    it cannot be done (409)."""
    tenant, entity = target.tenant.spec.name, target.spec.name
    try:
        record = record_service().read(tenant, entity, record_id)
    except NotFound:
        return _gone(target, record_id)
    available = [a["name"] for a in available_actions(target, record)]
    found = consequences(target, record, action, available)
    if action == DELETE:
        post_to = url_for("actions.delete", tenant=tenant, entity=entity, record_id=record_id)
    else:
        post_to = url_for(
            "actions.run_action", tenant=tenant, entity=entity, record_id=record_id, action=action
        )
    page = render_template(
        "pages/confirm.html",
        tenant=tenant,
        entity=target.spec,
        title=f"{found.label} {found.title}?",
        found=found,
        post_to=post_to,
        back=_record_url(tenant, entity, record_id),
        can_write=users.allows(g.user["role"], "editor"),
    )
    return page, 409 if found.refusal else 200


def _gone(target: Target, record_id: int) -> Any:
    """The answer when the record is no longer there (deleted meanwhile): 404, saying so,
    with the way back to the list."""
    message = (
        f"{target.spec.label} #{record_id} no longer exists: it may have been deleted "
        "meanwhile. Nothing was done."
    )
    tenant = target.tenant.spec.name
    return render_template("pages/error.html", tenant=tenant, status=404, message=message), 404


def _record_url(tenant: str, entity: str, record_id: int) -> str:
    # a record's page is the list's URL and its id, as the list page links it
    return f"{urls.url_for('pages.list_page', tenant=tenant, entity=entity)}{record_id}"
