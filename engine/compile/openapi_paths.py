"""The paths of a tenant's OpenAPI document: each route webui/api.py serves for an
entity, its operations and parameters, and the answers it gives, errors included.
engine.compile.openapi puts them in the document beside the record schemas."""

from __future__ import annotations

from collections.abc import Iterator

from engine.records.search import DEFAULT_LIMIT, MAX_LIMIT
from engine.spec import EntitySpec, FieldSpec
from engine.types import INT64_MAX, SYSTEM_COLUMNS

MAX_ID = INT64_MAX  # ids are 64-bit database integers
RESERVED_QUERY = ("q", "sort", "limit", "offset", "after")
SCHEMA_REF = "#/components/schemas/"
_REF = SCHEMA_REF


# the errors, as webui/api.py answers them

_ERRORS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    # status: (what it means, schema, the codes it carries)
    "400": ("The body is not JSON, If-Match holds no revision, or a list's `after` is not "
            "the cursor of this query.", "Error",
            ("malformed", "refused", "bad_request", "bad_cursor")),
    "401": ("No token, or a token that is not valid.", "Error", ("unauthenticated",)),
    "403": ("The user's role may not do this.", "Error", ("forbidden",)),
    "404": ("No such record, entity or action for this token.", "Error", ("not_found",)),
    "409": ("The record changed since it was read, or its state refuses this.",
            "ConflictError",
            ("stale", "conflict", "invalid_transition", "delete_refused", "referenced")),
    "413": ("The body is over 1 MiB.", "Error", ("request_entity_too_large",)),
    "422": ("The request has problems; `errors` lists every one.", "ValidationError",
            ("invalid",)),
}  # fmt: skip


def error_responses() -> dict[str, dict]:
    """The answers of each error status, as webui/api.py sends them."""
    responses = {}
    for status, (description, schema, codes) in _ERRORS.items():
        narrowed = {
            "allOf": [
                {"$ref": f"{_REF}{schema}"},
                {
                    "properties": {
                        "status": {"const": int(status)},
                        "code": {"enum": list(codes)},
                    }
                },
            ]
        }
        responses[status] = {
            "description": description,
            "content": {"application/json": {"schema": narrowed}},
        }
    return responses


# paths


def entity_paths(prefix: str, entity: EntitySpec) -> dict[str, dict]:
    """Every path the API serves for one entity under `prefix` (its tenant's), with its
    operations."""
    base = f"{prefix}/{entity.name}"
    record = f"{base}/{{record_id}}"
    paths = {
        base: {"get": _list_operation(entity), "post": _create_operation(entity)},
        record: {
            "parameters": [_record_id()],
            "get": _operation(entity, "read", f"Read a {entity.label}", entity.name, 200),
            "patch": _update_operation(entity),
            "delete": _delete_operation(entity),
        },
        f"{record}/history": {
            "parameters": [_record_id()],
            "get": _operation(
                entity, "history", f"The history of a {entity.label}", "History", 200
            ),
        },
    }
    for action, label in actions(entity):
        operation = _action_operation(entity, action, label)
        paths[f"{record}/actions/{action}"] = {"parameters": [_record_id()], "post": operation}
    return paths


def actions(entity: EntitySpec) -> Iterator[tuple[str, str]]:
    """The actions the records service runs on the entity's records, with their labels."""
    found = {"copy": "Copy"}
    if entity.delete == "never":
        found.update(activate="Activate", deactivate="Deactivate")
    for name, action in entity.statuses.actions.items() if entity.statuses else ():
        found.setdefault(name, action.label)
    yield from found.items()


def _operation(
    entity: EntitySpec,
    verb: str,
    summary: str,
    answer: str | None,
    status: int,
    errors: tuple[str, ...] = ("401", "404"),
) -> dict:
    responses: dict[str, dict] = {}
    if answer is None:
        responses[str(status)] = {"description": "Done; no body."}
    else:
        responses[str(status)] = {
            "description": summary,
            "content": {"application/json": {"schema": {"$ref": f"{_REF}{answer}"}}},
        }
    for code in errors:
        responses[code] = {"$ref": f"#/components/responses/{code}"}
    return {
        "tags": [entity.name],
        "operationId": f"{entity.name}.{verb}",
        "summary": summary,
        "responses": responses,
    }


def _record_id() -> dict:
    return {
        "name": "record_id",
        "in": "path",
        "required": True,
        "description": "The record's id.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    }


def _list_operation(entity: EntitySpec) -> dict:
    operation = _operation(
        entity,
        "list",
        f"List {entity.plural}",
        f"{entity.name}.Page",
        200,
        ("400", "401", "404", "422"),
    )
    operation["description"] = (
        "`q` searches the searchable fields; every other parameter keeps the records "
        "whose field equals it. A parameter that is not a field, or a value its field "
        "cannot hold, answers 422."
    )
    operation["parameters"] = list(_list_parameters(entity))
    return operation


def _list_parameters(entity: EntitySpec) -> Iterator[dict]:
    searchable = [f.label for f in entity.fields if f.searchable and f.stored]
    yield _query("q", {"type": "string"}, f"Search {', '.join(searchable) or 'nothing'}.")
    columns = [*entity.system_columns, *(f.name for f in entity.fields if f.stored)]
    yield _query(
        "sort",
        {"type": "string", "enum": [f"{sign}{c}" for c in columns for sign in ("", "-")]},
        "The column to sort by; a leading - sorts descending, ties by id alike.",
    )
    yield _query(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
        "",
    )
    yield _query("offset", {"type": "integer", "minimum": 0, "maximum": MAX_ID, "default": 0}, "")
    yield _query(
        "after",
        {"type": "string"},
        "The `next` cursor of the page before, sent with the same q, filters and sort: "
        "the records after its last one, found as fast as the first page.",
    )
    for name in entity.system_columns:
        if name not in RESERVED_QUERY:
            schema = SYSTEM_COLUMNS[name].filter_schema(entity)
            yield _query(name, schema, "Keep the records with this value.")
    for field in entity.fields:
        if field.stored and field.name not in RESERVED_QUERY:
            yield _query(field.name, filter_schema(field), f"Keep the records whose {field.label} "
                         "is this.")  # fmt: skip


def filter_schema(field: FieldSpec) -> dict:
    """What a list filter on the field accepts: a value of the field's type, as text."""
    return field.type.filter_schema(field)


def _query(name: str, schema: dict, description: str) -> dict:
    parameter = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        parameter["description"] = description
    return parameter


def _body(schema: str) -> dict:
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": f"{_REF}{schema}"}}},
    }


def _create_operation(entity: EntitySpec) -> dict:
    operation = _operation(
        entity,
        "create",
        f"Create a {entity.label}",
        entity.name,
        201,
        ("400", "401", "403", "404", "413", "422"),
    )
    operation["requestBody"] = _body(f"{entity.name}.New")
    return operation


def _update_operation(entity: EntitySpec) -> dict:
    operation = _operation(
        entity,
        "update",
        f"Change a {entity.label}",
        entity.name,
        200,
        ("400", "401", "403", "404", "409", "413", "422"),
    )
    operation["description"] = (
        "Changes the fields sent, nothing else. A changed line list replaces the lines: "
        "send a line's `id` to keep it. Needs the revision you read, as `rev_number` or "
        "If-Match; a stale one answers 409 naming who changed the record."
    )
    operation["parameters"] = [
        {
            "name": "If-Match",
            "in": "header",
            "required": False,
            "description": "The revision you read, when the body has no rev_number.",
            "schema": {"type": "string"},
        }
    ]
    operation["requestBody"] = _body(f"{entity.name}.Changes")
    return operation


def _delete_operation(entity: EntitySpec) -> dict:
    operation = _operation(
        entity, "delete", f"Delete a {entity.label}", None, 204, ("401", "403", "404", "409")
    )
    operation["description"] = {
        "never": f"{entity.plural} are never deleted: this answers 409; deactivate instead.",
        "soft": "The record is marked deleted and kept; it is never answered again.",
        "when_unreferenced": "Refused with 409, listing them, while other records refer to it.",
    }.get(entity.delete, "")
    return operation


def _action_operation(entity: EntitySpec, action: str, label: str) -> dict:
    if action == "copy":
        return _operation(
            entity,
            "action.copy",
            f"Copy a {entity.label} to a new one",
            entity.name,
            201,
            ("401", "403", "404", "422"),
        )
    return _operation(
        entity,
        f"action.{action}",
        f"{label} a {entity.label}",
        entity.name,
        200,
        ("401", "403", "404", "409"),
    )


def describe_operation(security: list[dict]) -> dict:
    """The operation that answers the document itself, signed in as `security` says."""
    return {
        "operationId": "openapi",
        "summary": "This document",
        "security": security,
        "responses": {
            "200": {
                "description": "The OpenAPI document of this tenant's API.",
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            "401": {"$ref": "#/components/responses/401"},
            "404": {"$ref": "#/components/responses/404"},
        },
    }
