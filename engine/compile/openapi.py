"""Compile a tenant into the OpenAPI 3.1 document of its JSON API.

The document is plain data built from the compiled tenant and from what the web app
says of how it serves the API (`Served`: the path prefix, how callers sign in), which
the engine does not decide: the record schemas come from the compiled validators, the
paths are the API's resources under that prefix, with the tenant written into them, and
the error answers are the shapes the API sends (the paths and the answers are built by
engine.compile.openapi_paths). A tenant's document therefore differs from another's
exactly where their metadata differs. `document()` builds it once per compiled tenant;
a reload compiles new tenants, so a cached document never outlives the metadata it
describes.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.compile.openapi_paths import (
    MAX_ID,
    SCHEMA_REF,
    describe_operation,
    entity_paths,
    error_responses,
)
from engine.compile.openapi_paths import actions as actions  # asked of this module too
from engine.spec import EntitySpec, FieldSpec
from engine.types import SYSTEM_COLUMNS

if TYPE_CHECKING:
    from engine.registry import CompiledEntity, CompiledTenant

OPENAPI_VERSION = "3.1.0"
_REF = SCHEMA_REF


@dataclass(frozen=True, eq=False)  # one per app, cached by identity
class Served:
    """How the web app serves the API, which the document tells callers: the prefix of
    every path (a tenant's API is at PREFIX/TENANT), the ways a caller signs in (OpenAPI
    security schemes), the ones every call takes, and the ones the document's own path
    takes."""

    prefix: str
    security_schemes: dict[str, dict]
    security: list[dict]
    document_security: list[dict]


def document(tenant: CompiledTenant, served: Served) -> dict[str, Any]:
    """The tenant's OpenAPI document, built on first use and cached with the compiled tenant.

    The result is shared: treat it as read-only."""
    memo = tenant.memo
    key = ("openapi", served)
    if key not in memo:
        memo[key] = build_document(tenant, served)
    return memo[key]


def build_document(tenant: CompiledTenant, served: Served) -> dict[str, Any]:
    """The OpenAPI 3.1 document of a tenant's JSON API: every path, schema and error."""
    name = tenant.spec.name
    schemas = dict(_shared_schemas())
    describe = describe_operation(copy.deepcopy(served.document_security))
    paths = {f"{served.prefix}/{name}/openapi.json": {"get": describe}}
    tags = []
    for entity in sorted(tenant.entities.values(), key=lambda e: e.spec.name):
        schemas.update(entity_schemas(tenant, entity))
        paths.update(entity_paths(f"{served.prefix}/{name}", entity.spec))
        tags.append({"name": entity.spec.name, "description": entity.spec.plural})
    body = {
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": error_responses(),
            "securitySchemes": copy.deepcopy(served.security_schemes),
        },
    }
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": f"{tenant.spec.label}: records API",
            "version": digest,  # changes whenever the described metadata changes
            "description": _INTRODUCTION,
        },
        "security": copy.deepcopy(served.security),
        "tags": tags,
        **body,
    }


_INTRODUCTION = (
    "Every call carries `Authorization: Bearer TOKEN` (`formwork token issue TENANT USER`); "
    "a token belongs to one tenant, and any URL of another tenant answers 404. Viewers "
    "read; editors and admins write. Errors are JSON objects with `status`, `code` and "
    "`message`; a 422 lists every problem of the request at once in `errors`."
)


# schemas


def entity_schemas(tenant: CompiledTenant, entity: CompiledEntity) -> dict[str, dict]:
    """The components of one entity: the record as read, in a list, created and changed,
    and each of its lines as sent and as read."""
    spec = entity.spec
    name = spec.name
    validator = copy.deepcopy(entity.schema)
    line_defs = validator.pop("$defs", {})
    for key in ("$schema", "$id"):
        validator.pop(key, None)
    schemas: dict[str, dict] = {}
    for line in _lines(spec):
        child = tenant.entities[line.lines.entity].spec
        line_input = copy.deepcopy(line_defs[child.name])
        _drop_required(line_input, _filled_by_server(child, inherited_from=line))
        line_input["properties"] = {
            **_as_read(child, skip=("id",)),
            "id": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_ID,
                "description": "An existing line's id, to change that line (the fields "
                "it leaves out keep their values); without it, a new line, whole. Lines "
                "left out of a change are removed.",
            },
            line.lines.link: {
                "type": ["integer", "null"],
                "readOnly": True,
                "description": "The record the line belongs to, as read: a line cannot be "
                "moved to another record.",
            },
            **line_input["properties"],
        }
        _annotate(child, line_input["properties"])
        # what a new line must hold; a stored line, sent by its id, keeps what it leaves out
        required = line_input.pop("required", None)
        if required:
            line_input["if"] = {"required": ["id"]}
            line_input["else"] = {"required": required}
        schemas[f"{name}.{line.name}.Line"] = line_input
        schemas[f"{name}.{line.name}.Row"] = _read_schema(child)
    new = _with_line_refs(validator, name)
    _drop_required(new, _filled_by_server(spec))
    _annotate(spec, new["properties"])
    schemas[f"{name}.New"] = new
    schemas[f"{name}.Changes"] = _changes_schema(spec, new)
    schemas[name] = _read_schema(spec, lines=True)
    schemas[f"{name}.Item"] = _read_schema(spec)
    schemas[f"{name}.Page"] = {
        "type": "object",
        "title": f"A page of {spec.plural}",
        "properties": {
            "items": {"type": "array", "items": {"$ref": f"{_REF}{name}.Item"}},
            "total": {"type": "integer", "minimum": 0, "description": "How many match."},
            "next": {
                "type": "string",
                "description": "The cursor of the following page, when more records "
                "follow (a page asked for without an offset): send it as `after`.",
            },
            "total_exact": {
                "const": False,
                "description": "Present when more records match than were counted: "
                "`total` is then how many were, 10,000.",
            },
            "unindexed_filters": {
                "type": "array",
                "items": {"type": "string"},
                "description": "The filters asked for that no index answers: each reads "
                "every record, slow on a large table. Left out when there are none.",
            },
        },
        "required": ["items", "total"],
        "additionalProperties": False,
    }
    return schemas


def _lines(entity: EntitySpec) -> list[FieldSpec]:
    return [f for f in entity.fields if f.lines is not None]


def _with_line_refs(schema: dict, entity: str) -> dict:
    """The validator's schema with each line's items pointing at its component."""
    for name, fragment in schema["properties"].items():
        items = fragment.get("items", {})
        if isinstance(items, dict) and items.get("$ref", "").startswith("#/$defs/"):
            fragment["items"] = {"$ref": f"{_REF}{entity}.{name}.Line"}
    return schema


def _filled_by_server(entity: EntitySpec, inherited_from: FieldSpec | None = None) -> set[str]:
    """Fields a new record may leave out because the service fills them: the number,
    declared defaults, and what a line inherits from its parent."""
    filled = {f.name for f in entity.fields if f.default is not None}
    if entity.numbering:
        filled.add(entity.numbering.field)
    if inherited_from is not None:
        link = entity.field(inherited_from.lines.link)
        filled.update(link.lookup.fetch if link.lookup else ())
    return filled


def _drop_required(schema: dict, names: set[str]) -> None:
    required = [n for n in schema.get("required", []) if n not in names]
    if required:
        schema["required"] = required
    else:
        schema.pop("required", None)


def _annotate(entity: EntitySpec, properties: dict[str, dict]) -> None:
    """Say in the schema what JSON Schema cannot: hidden fields, rules as written."""
    for field in entity.fields:
        fragment = properties.get(field.name)
        if fragment is None:
            continue
        if field.hidden:
            fragment["x-formwork-hidden"] = True
        if field.lookup:
            fragment["x-formwork-lookup"] = field.lookup.entity
        if field.visible_if:
            fragment["x-formwork-visible-if"] = field.visible_if.text
        if field.required_if:
            fragment["x-formwork-required-if"] = field.required_if.text
        if field.precision is not None and field.type.numeric:
            fragment["x-formwork-precision"] = field.precision


def _as_read(entity: EntitySpec, skip: tuple[str, ...] = ()) -> dict[str, dict]:
    """The system columns a body may carry as the API answered them: ignored as read (or
    on a new record or line), refused (422 read_only) when changed."""
    return {
        name: {
            **SYSTEM_COLUMNS[name].schema,
            "readOnly": True,
            "description": "Filled in by the system; may be sent back as read, not changed.",
        }
        for name in entity.system_columns
        if name not in skip
    }


def _changes_schema(entity: EntitySpec, new: dict) -> dict:
    """A PATCH body: any of the fields, none required, and the revision that was read;
    the record as read is accepted back as it is."""
    properties = {
        **_as_read(entity),
        "rev_number": {
            "type": "integer",
            "description": "The revision you read; or send it as If-Match.",
        },
        **copy.deepcopy(new["properties"]),
    }
    return {
        "type": "object",
        "title": f"Changes to a {new.get('title', 'record')}",
        "properties": properties,
        "additionalProperties": False,
    }


def _read_schema(entity: EntitySpec, lines: bool = False) -> dict:
    """A record as the API answers it: system columns, then every stored field (values
    kept from older metadata included, so only their JSON type is promised), then lines."""
    properties = {name: dict(SYSTEM_COLUMNS[name].schema) for name in entity.system_columns}
    if entity.statuses:
        states = ", ".join(entity.statuses.states)
        properties["status"]["description"] = f"The record's status: {states}."
    for field in entity.fields:
        if field.stored:
            properties[field.name] = read_fragment(field)
    if lines:
        for line in _lines(entity):
            properties[line.name] = {
                "type": "array",
                "title": line.label,
                "items": {"$ref": f"{_REF}{entity.name}.{line.name}.Row"},
            }
    _annotate(entity, properties)
    return {
        "type": "object",
        "title": entity.label,
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def read_fragment(field: FieldSpec) -> dict:
    """The JSON Schema of a stored field's value as read back: its type, or null."""
    written = field.type.schema(field)
    fragment: dict[str, Any] = {"title": field.label}
    if "enum" in written:
        fragment["type"] = _json_types(written["enum"])
    else:
        fragment["type"] = written["type"]
    if "format" in written:
        fragment["format"] = written["format"]
    if "items" in written:
        fragment["items"] = {"type": _json_types(written["items"].get("enum", []))}
    if field.help:
        fragment["description"] = field.help
    fragment["type"] = _nullable(fragment["type"])
    return fragment


def _json_types(values: list) -> list[str] | str:
    kinds = sorted({"integer" if isinstance(v, int) else "string" for v in values}) or ["string"]
    return kinds[0] if len(kinds) == 1 else kinds


def _nullable(kind: str | list[str]) -> list[str]:
    kinds = [kind] if isinstance(kind, str) else list(kind)
    return [*kinds, "null"] if "null" not in kinds else kinds


def _shared_schemas() -> dict[str, dict]:
    """The answers every entity shares: errors and history."""
    text = {"type": "string"}
    field_error = {
        "type": "object",
        "title": "A problem of one field",
        "properties": {
            "field": {**text, "description": "The field, as `name` or `line[row].name`."},
            "label": {**text, "description": "The field's label."},
            "code": {**text, "description": "What is wrong: required, type, max_length, …"},
            "message": {**text, "description": "A sentence for the person who typed it."},
        },
        "required": ["field", "label", "code", "message"],
        "additionalProperties": False,
    }
    reference = {
        "type": "object",
        "properties": {
            "entity": text,
            "label": text,
            "field": text,
            "count": {"type": "integer", "minimum": 1},
            "ids": {"type": "array", "items": {"type": "integer"}, "maxItems": 10},
        },
        "required": ["entity", "label", "field", "count", "ids"],
        "additionalProperties": False,
    }
    return {
        "Error": _error_schema("An error", {}),
        "ValidationError": _error_schema(
            "Every problem of a request",
            {"errors": {"type": "array", "items": {"$ref": f"{_REF}FieldError"}}},
            required=("errors",),
        ),
        "FieldError": field_error,
        "ConflictError": _error_schema(
            "A conflict with the record as stored",
            {
                "changed_by": {"type": ["string", "null"], "description": "Who changed it."},
                "changed_at": {"type": ["string", "null"], "format": "date-time"},
                "rev_number": {"type": "integer", "description": "The stored revision."},
                "references": {
                    "type": "array",
                    "items": reference,
                    "description": "The records that refer to it.",
                },
            },
        ),
        "History": {
            "type": "object",
            "title": "A record's history, oldest first",
            "properties": {"items": {"type": "array", "items": _history_entry()}},
            "required": ["items"],
            "additionalProperties": False,
        },
    }


def _error_schema(title: str, extra: dict, required: tuple[str, ...] = ()) -> dict:
    return {
        "type": "object",
        "title": title,
        "properties": {
            "status": {"type": "integer", "description": "The HTTP status, again."},
            "code": {"type": "string", "description": "A word a program can test."},
            "message": {"type": "string", "description": "A sentence for a person."},
            **extra,
        },
        "required": ["status", "code", "message", *required],
        "additionalProperties": False,
    }


def _history_entry() -> dict:
    return {
        "type": "object",
        "properties": {
            "action": {"type": "string", "description": "create, update, copy, an action, …"},
            "user": {"type": "string"},
            "at": {"type": "string", "format": "date-time"},
            "changes": {
                "type": "object",
                "description": "Per field, [old value, new value].",
                "additionalProperties": {"type": "array", "minItems": 2, "maxItems": 2},
            },
            "lines": {
                "type": "object",
                "description": "Per lines field, each line the write added, changed or removed.",
                "additionalProperties": {"type": "array", "items": _line_change()},
            },
        },
        "required": ["action", "user", "at", "changes", "lines"],
        "additionalProperties": False,
    }


def _line_change() -> dict:
    return {
        "type": "object",
        "properties": {
            "id": {"type": "integer", "description": "The line's id."},
            "action": {"enum": ["create", "update", "delete"]},
            "title": {"description": "The line's title, when its entity has one."},
            "changes": {
                "type": "object",
                "description": "Per field of the line, [old value, new value].",
                "additionalProperties": {"type": "array", "minItems": 2, "maxItems": 2},
            },
        },
        "required": ["id", "action", "changes"],
        "additionalProperties": False,
    }
