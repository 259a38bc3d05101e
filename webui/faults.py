"""What the web answers when a tenant's data cannot be reached: a damaged database, a
tenant busy with an import, a database server out of reach, a full disk.

Every such answer is a 503 (507 for a full disk) that says what happened and whether to
try again (`Retry-After`): JSON with a `code` for the API, a page for people. A form
whose save failed so is shown again with what the person typed and the reason above
it, so nothing typed is lost. A tenant that the last sync set aside (Storage.unavailable)
answers so at once, and is tried again at most every RETRY_SECONDS, so a database
restored from a backup, or a server back up, is served again without a restart.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from typing import Any

from flask import Flask, Response, current_app, flash, jsonify, render_template, request

from engine.errors import EngineError, TenantDamaged, Unavailable
from engine.storage.databases import Storage
from engine.storage.faults import classify
from engine.storage.sync import sync_tenants
from webui.form_page import render_form
from webui.forms import parse_form
from webui.services import record_service

RETRY_SECONDS = 5.0  # how often a process tries a tenant set aside again, at most
EXTENSION = "formwork_faults"
_FORMS = {"pages.new", "pages.edit"}  # the form pages that are shown again on a failed save
_HEADINGS = {
    "tenant_damaged": "This tenant's data cannot be read",
    "tenant_busy": "Busy: try again in a moment",
    "database_busy": "Busy: try again in a moment",
    "database_unavailable": "The database cannot be reached",
    "outcome_unknown": "Saved or not? Look before saving again",
    "out_of_space": "The server is out of disk space",
}
logger = logging.getLogger("formwork.faults")


class Retries:
    """When each tenant set aside was last tried again in this process; one try at a time."""

    def __init__(self) -> None:
        self.tried: dict[str, float] = {}
        self.lock = threading.Lock()


def init_app(app: Flask) -> None:
    """Answer at once for a tenant set aside, before anything asks its database."""
    app.extensions[EXTENSION] = Retries()
    app.before_request(refuse_unavailable_tenant)


def refuse_unavailable_tenant() -> None:
    """Raise the reason a request's tenant cannot be served, after trying it again if
    it is time to."""
    tenant = (request.view_args or {}).get("tenant")
    if tenant is None:
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    storage: Storage = app.extensions["formwork_storage"]
    registry = record_service().registry
    if tenant in registry.tenants:
        registry.tenant(tenant)  # compiled and synced on its first request: set aside or not
    if tenant not in storage.unavailable:
        return
    _try_again(tenant, storage)
    reason = storage.unavailable.get(tenant)
    if reason is not None:
        raise copy.copy(reason)


def _try_again(tenant: str, storage: Storage) -> None:
    retries: Retries = current_app.extensions[EXTENSION]
    if time.monotonic() - retries.tried.get(tenant, float("-inf")) < RETRY_SECONDS:
        return
    if not retries.lock.acquire(blocking=False):  # another thread tries it: answer now
        return
    try:
        retries.tried[tenant] = time.monotonic()
        registry = current_app.extensions["formwork"].registry
        if tenant in registry.tenants:
            sync_tenants(registry, storage, [tenant])
    except EngineError as error:  # a metadata refusal: the tenant stays set aside
        logger.warning("Tenant %s was tried again and is still set aside: %s", tenant, error)
    finally:
        retries.lock.release()


def storage_fault(error: BaseException) -> Unavailable | None:
    """The storage fault behind an unexpected error of this request, if it is one."""
    return classify(error, (request.view_args or {}).get("tenant"))


def answer(error: Unavailable) -> Any:
    """The answer to a request that met `error`: JSON, the form again, or a page."""
    log = logger.error if isinstance(error, TenantDamaged) else logger.warning
    log("%s %s answered %s (%s): %s", request.method, request.path, error.status, error.code, error)
    if request.path.startswith("/api/"):
        body = {"status": error.status, "code": error.code, "message": error.public}
        response = jsonify(body)
    else:
        response = _form_again(error) or _page(error)
    response.status_code = error.status
    if error.retry_after:
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _page(error: Unavailable) -> Response:
    # a page of its own, without the header of base.html, which would look the signed-in
    # user up in the very database that cannot be read
    html = render_template(
        "faults/unavailable.html",
        heading=_HEADINGS.get(error.code, "Unavailable"),
        message=error.public,
        retry_after=error.retry_after if error.code != "tenant_damaged" else None,
    )
    return Response(html, mimetype="text/html")


def _form_again(error: Unavailable) -> Response | None:
    """The form that was being saved, filled with what was typed, saying why it was not
    saved; None when that form cannot be rendered either (its data cannot be read)."""
    if request.method != "POST" or request.endpoint not in _FORMS:
        return None
    try:
        html = _form_html(error)
    except Exception:  # the form needs the tenant's data too: the plain page says enough
        logger.warning("The form of %s could not be shown again.", request.path, exc_info=True)
        return None
    return Response(html, mimetype="text/html")


def _form_html(error: Unavailable) -> str:
    arguments = request.view_args or {}
    service = record_service()
    target = service.target(arguments["tenant"], arguments["entity"])
    record = None
    if request.endpoint == "pages.edit":
        try:
            record = service.read(arguments["tenant"], arguments["entity"], arguments["record_id"])
        except Unavailable:  # it cannot be read either: the form shows what was typed alone
            record = {"id": arguments["record_id"]}
        revision = request.form.get("rev_number", type=int)
        if revision is not None:  # the version the person was editing, not the latest
            record = {**record, "rev_number": revision}
    children = {line.name: target.child(line).spec for line in target.lines()}
    # a file chosen in the form is not kept: it has to be chosen again
    submission = parse_form(
        target.spec,
        children,
        request.form,
        creating=record is None,
        locality=target.tenant.spec.locality,
    )
    flash(f"{error.public} What you typed is kept below.", "error")
    copy_of = request.values.get("copy_of", type=int)
    html, _ = render_form(target, record or {}, record, submission, error.status, copy_of)
    return html
