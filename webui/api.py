"""The JSON API: every record operation over HTTP, authenticated by bearer token.

Errors are JSON with the right status, never HTML and never a traceback:
400 malformed body, 401 no or bad token, 403 role too low, 404 unknown anything
(including another tenant's URLs), 409 stale revision or refused action,
413 body too large, 422 validation errors (every one, located and worded),
503 the tenant's data cannot be reached now (damaged, busy, database down; with
Retry-After), 507 the disk is full (webui.faults).
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    jsonify,
    render_template,
    request,
)
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter

from engine import users
from engine.compile import openapi
from engine.errors import (
    Conflict,
    EngineError,
    NotFound,
    RecordInvalid,
    Unavailable,
    UnknownName,
)
from engine.records.search import COUNT_UP_TO, unindexed_filters
from engine.registry import CompiledTenant
from webui import faults
from webui.cursors import CursorRefused, make_cursor, read_cursor
from webui.json_body import Unreadable, read_body
from webui.services import record_service
from webui.sessions import COOKIE_NAME
from webui.signed_in import current_user

PREFIX = "/api"
blueprint = Blueprint("api", __name__, url_prefix=PREFIX)

# an entity is named by an identifier, so a path such as openapi.json never names one
ENTITY = "/<tenant>/<name:entity>"
RECORD = "/<tenant>/<name:entity>/<record_id>"
_READ, _WRITE = "viewer", "editor"

# what the OpenAPI document tells callers of how this blueprint serves the API: where, and
# how a caller signs in (authenticate and _session_reads below)
SERVED = openapi.Served(
    prefix=PREFIX,
    security_schemes={
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "A token of one tenant's user: `formwork token issue TENANT USER`.",
        },
        "session": {
            "type": "apiKey",
            "in": "cookie",
            "name": COOKIE_NAME,
            "description": "The web pages' login; it may read this document only.",
        },
    },
    security=[{"bearer": []}],
    document_security=[{"bearer": []}, {"session": []}],
)


def document(tenant: CompiledTenant) -> dict[str, Any]:
    """The tenant's OpenAPI document as this app serves it, built once per compiled tenant;
    treat it as read-only."""
    return openapi.document(tenant, SERVED)


class NameConverter(BaseConverter):
    """A metadata identifier (engine.metaschema.IDENTIFIER) in a URL."""

    regex = r"[a-z][a-z0-9_]*"


class ApiError(Exception):
    """An HTTP error answered as JSON."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.extra = status, code, extra


@blueprint.before_request
def authenticate() -> None:
    """Every call needs a token of the URL's tenant; another tenant's URL is not found.

    The API's description may also be read in a logged-in browser of the tenant, so its
    page and a person's own tools can fetch it without a token."""
    tenant = (request.view_args or {}).get("tenant")
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        if request.endpoint == "api.describe" and _session_reads(tenant):
            return
        raise ApiError(401, "unauthenticated", "Send 'Authorization: Bearer TOKEN'.")
    token = token.strip()
    if tenant is None or users.token_tenant(token) != tenant:
        raise ApiError(404, "not_found", "Not found.")
    user = users.user_for_token(_tenant(tenant), token)
    if user is None:
        raise ApiError(401, "unauthenticated", "The token is not valid; ask for a new one.")
    g.user = user


def _tenant(name: str) -> CompiledTenant:
    try:
        return record_service().registry.tenant(name)
    except UnknownName:
        raise ApiError(404, "not_found", "Not found.") from None


def _session_reads(tenant: str | None) -> bool:
    """Whether the browser's session may read the tenant's description: False without a
    login, or with one that has ended, so the caller answers 401; 404 for a login of
    another tenant, as for a token."""
    user = current_user()
    if user is None:
        return False
    if tenant is None or user["tenant"] != tenant:
        raise ApiError(404, "not_found", "Not found.")
    _tenant(tenant)
    return True


def _require(role: str) -> str:
    if not users.allows(g.user.role, role):
        raise ApiError(403, "forbidden", f"Your role, {g.user.role}, cannot do this.")
    return g.user.username


def _body() -> Any:
    """The request's JSON, read by webui.json_body; a malformed body is a 400."""
    if not request.is_json:
        raise ApiError(400, "malformed", "The body must be JSON (Content-Type: application/json).")
    try:
        return read_body(request.get_data())
    except Unreadable as error:
        raise ApiError(400, "malformed", str(error)) from None


def _int_argument(name: str, default: int) -> int:
    text = request.args.get(name)
    if text is None:
        return default
    try:
        return int(text)
    except ValueError:
        raise ApiError(
            422,
            "invalid",
            f"{name} must be a whole number.",
            errors=[
                {
                    "field": name,
                    "label": name,
                    "code": "type",
                    "message": f"{name} must be a whole number.",
                }
            ],
        ) from None


@blueprint.get("/<tenant>/openapi.json")
def describe(tenant: str) -> Any:
    """The OpenAPI document of the tenant's API (an entity's name has no dot, so this path
    never reaches the entity routes, whatever the method)."""
    compiled = _tenant(tenant)
    memo = compiled.memo
    if "openapi.json" not in memo:  # the same bytes for every caller, serialised once
        memo["openapi.json"] = current_app.json.dumps(document(compiled))
    return Response(memo["openapi.json"], mimetype="application/json")


@blueprint.get(ENTITY)
def list_records(tenant: str, entity: str) -> Any:
    """A page of the entity's records: `q` searches, `sort`, `limit` and `offset` page,
    any other parameter filters by field. Past COUNT_UP_TO matches, `total` is that many
    and `total_exact` false. Without an offset, `next` is the cursor of the following
    page (send it as `after`), which costs what the first page does."""
    _require(_READ)
    reserved = {"q", "sort", "limit", "offset", "after"}
    filters = {k: v for k, v in request.args.items() if k not in reserved}
    q, sort, limit = request.args.get("q"), request.args.get("sort"), _int_argument("limit", 50)
    offset = _int_argument("offset", 0)
    if offset:  # a page by its place: the records before it are read to be skipped
        page = record_service().list(
            tenant, entity, q, filters, sort, limit, offset, count_up_to=COUNT_UP_TO
        )
        return jsonify(page)
    key = None
    if request.args.get("after"):
        try:
            key = read_cursor(request.args["after"], tenant, entity, q, filters, sort)
        except CursorRefused as error:
            raise ApiError(400, "bad_cursor", str(error)) from None
    page, following = record_service().list_after(
        tenant, entity, q, filters, sort, limit, key, count_up_to=COUNT_UP_TO
    )
    if following is not None:  # the page after this one starts after its last record
        page["next"] = make_cursor(following, tenant, entity, q, filters, sort)
    unindexed = unindexed_filters(record_service().target(tenant, entity), filters)
    return jsonify({**page, **({"unindexed_filters": unindexed} if unindexed else {})})


@blueprint.post(ENTITY)
def create_record(tenant: str, entity: str) -> Any:
    """Create a record from the JSON body: 201 and the stored record."""
    user = _require(_WRITE)
    return jsonify(record_service().create(tenant, entity, _body(), user)), 201


@blueprint.get(RECORD)
def read_record(tenant: str, entity: str, record_id: str) -> Any:
    """A record with its lines."""
    _require(_READ)
    return jsonify(record_service().read(tenant, entity, record_id))


@blueprint.patch(RECORD)
def update_record(tenant: str, entity: str, record_id: str) -> Any:
    """Change the fields the body gives, at the revision it names (`rev_number`, or
    If-Match); the stored record."""
    user = _require(_WRITE)
    data = _body()
    if isinstance(data, dict) and "rev_number" not in data and request.headers.get("If-Match"):
        try:
            data["rev_number"] = int(request.headers["If-Match"].strip('"'))
        except ValueError:
            raise ApiError(400, "malformed", "If-Match must carry the revision number.") from None
    return jsonify(record_service().update(tenant, entity, record_id, data, user))


@blueprint.delete(RECORD)
def delete_record(tenant: str, entity: str, record_id: str) -> Any:
    """Delete a record, as the entity's delete policy allows: 204."""
    user = _require(_WRITE)
    record_service().delete(tenant, entity, record_id, user)
    return "", 204


@blueprint.post(RECORD + "/actions/<action>")
def run_action(tenant: str, entity: str, record_id: str, action: str) -> Any:
    """Run a status action, activate, deactivate or copy on a record; the record (201 and
    the new one for a copy)."""
    user = _require(_WRITE)
    record = record_service().act(tenant, entity, record_id, action, user)
    return jsonify(record), 201 if action == "copy" else 200


@blueprint.get(RECORD + "/history")
def record_history(tenant: str, entity: str, record_id: str) -> Any:
    """Every change of a record, oldest first, as `items`."""
    _require(_READ)
    return jsonify({"items": record_service().history(tenant, entity, record_id)})


def _answer(status: int, code: str, message: str, **extra: Any) -> Any:
    """JSON for the API; a page for a person everywhere else."""
    if not request.path.startswith(blueprint.url_prefix + "/"):
        tenant = (request.view_args or {}).get("tenant")
        page = render_template("pages/error.html", tenant=tenant, status=status, message=message)
        return page, status
    return jsonify({"status": status, "code": code, "message": message, **extra}), status


def register_error_handlers(app: Flask) -> None:
    """Map every error to its JSON answer, in one place."""

    @app.errorhandler(ApiError)
    def api_error(error: ApiError) -> Any:
        return _answer(error.status, error.code, str(error), **error.extra)

    @app.errorhandler(RecordInvalid)
    def invalid(error: RecordInvalid) -> Any:
        errors = [e.as_dict() for e in error.errors]
        return _answer(422, "invalid", f"{len(errors)} problem(s) with the record.", errors=errors)

    @app.errorhandler(NotFound)
    def not_found(error: NotFound) -> Any:
        return _answer(404, "not_found", str(error))

    @app.errorhandler(Conflict)
    def conflict(error: Conflict) -> Any:
        details = dict(error.details)
        code = details.pop("code", "conflict")
        return _answer(409, code, str(error), **details)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        return _answer(
            error.code or 500, error.name.lower().replace(" ", "_"), error.description or error.name
        )

    @app.errorhandler(EngineError)
    def engine_error(error: EngineError) -> Any:
        return _answer(400, "refused", str(error))

    @app.errorhandler(Unavailable)
    def unavailable(error: Unavailable) -> Any:
        return faults.answer(error)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Any:
        fault = faults.storage_fault(error)  # a driver's error the engine did not name
        if fault is not None:
            return faults.answer(fault)
        app.logger.exception("unexpected error")
        return _answer(500, "server_error", "Something went wrong on our side; it was logged.")
