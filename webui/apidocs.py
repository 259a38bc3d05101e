"""The API reference page: the tenant's OpenAPI document, rendered for people.

The page is built from the very document `GET /api/TENANT/openapi.json` answers, so it
cannot say anything the document does not. It fetches nothing and runs no script.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from markupsafe import Markup, escape

from engine.registry import CompiledTenant
from webui import api
from webui.auth import login_required
from webui.services import record_service

blueprint = Blueprint("apidocs", __name__)

# enum values listed in full up to this many; a longer list (sort's) is cut with a count
_SHOWN_VALUES = 12
_NOT_SENT = "—"


# a dash cannot appear in an entity's name, so no list page can take this path
@blueprint.get("/<tenant>/api-docs")
@login_required()
def reference(tenant: str) -> Any:
    """Every operation of the tenant's API, its parameters, fields and errors."""
    compiled = record_service().registry.tenant(tenant)
    return render_template(
        "pages/api.html",
        tenant=tenant,
        title=f"{compiled.spec.label}: API",
        label=compiled.spec.label,
        api=_view(compiled),
    )


def _view(tenant: CompiledTenant) -> dict:
    """The page's content, built once per compiled tenant: it depends on nothing else."""
    memo = tenant.memo
    if "api-docs" not in memo:
        memo["api-docs"] = reference_view(api.document(tenant))
    return memo["api-docs"]


def reference_view(document: dict) -> dict:
    """The OpenAPI document as plain data for the page: errors, then each entity."""
    schemas = document["components"]["schemas"]
    operations = _operations_by_tag(document)
    return {
        "title": document["info"]["title"],
        "version": document["info"]["version"],
        "introduction": document["info"].get("description", ""),
        "security": [
            {"name": name, **scheme}
            for name, scheme in document["components"]["securitySchemes"].items()
        ],
        "errors": _errors(document),
        "shared": [
            _schema_table(name, schemas[name])
            for name in ("Error", "ValidationError", "FieldError", "ConflictError", "History")
        ],
        "describe": operations.pop("", []),
        "entities": [
            _entity(tag, schemas, operations.get(tag["name"], [])) for tag in document["tags"]
        ],
    }


def _operations_by_tag(document: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for path, item in document["paths"].items():
        shared = item.get("parameters", [])
        for method, operation in item.items():
            if method == "parameters":
                continue
            tag = (operation.get("tags") or [""])[0]
            found.setdefault(tag, []).append(_operation(path, method, operation, shared))
    return found


def _operation(path: str, method: str, operation: dict, shared: list[dict]) -> dict:
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    return {
        "id": operation["operationId"],
        "method": method.upper(),
        "path": path,
        "summary": operation.get("summary", ""),
        "description": operation.get("description", ""),
        "parameters": [_parameter(p) for p in [*shared, *operation.get("parameters", [])]],
        "body": _link(body.get("schema", {})) if body else None,
        "responses": [_response(status, r) for status, r in operation["responses"].items()],
    }


def _parameter(parameter: dict) -> dict:
    return {
        "name": parameter["name"],
        "where": parameter["in"],
        "type": type_text(parameter.get("schema", {})),
        "required": parameter.get("required", False),
        "description": parameter.get("description", ""),
    }


def _response(status: str, response: dict) -> dict:
    if "$ref" in response:
        return {"status": status, "meaning": "", "body": _link(response), "error": True}
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    return {
        "status": status,
        "meaning": response.get("description", ""),
        "body": _link(schema) if schema else None,
        "error": False,
    }


def _link(schema: dict) -> dict | None:
    """Where a schema reference points on this page, and its name."""
    ref = schema.get("$ref", "")
    name = ref.rsplit("/", 1)[-1]
    if not ref:
        return {"name": "a JSON object", "anchor": None}
    if "/responses/" in ref:
        return {"name": f"error {name}", "anchor": f"error-{name}"}
    return {"name": name, "anchor": f"schema-{name}"}


def _errors(document: dict) -> list[dict]:
    rows = []
    for status, response in document["components"]["responses"].items():
        reference, narrowed = response["content"]["application/json"]["schema"]["allOf"]
        rows.append(
            {
                "status": status,
                "meaning": response["description"],
                "codes": narrowed["properties"]["code"]["enum"],
                "body": _link(reference),
            }
        )
    return rows


# schemas as field tables


def _schema_table(name: str, schema: dict) -> dict:
    required = set(schema.get("required", []))
    return {
        "name": name,
        "anchor": f"schema-{name}",
        "title": schema.get("title", ""),
        "rows": [
            {
                "name": key,
                "label": fragment.get("title", ""),
                "type": type_text(fragment),
                "required": key in required,
                "notes": _notes(fragment),
            }
            for key, fragment in schema.get("properties", {}).items()
        ],
    }


def _entity(tag: dict, schemas: dict, operations: list[dict]) -> dict:
    """An entity's operations and one table of its fields: as read, created and changed;
    then a table for each of its lines."""
    name = tag["name"]
    read, new = schemas[name], schemas[f"{name}.New"]
    lines = [
        {
            "name": key,
            "label": fragment.get("title", key),
            "fields": _field_table(
                f"{name}.{key}", schemas[f"{name}.{key}.Row"], schemas[f"{name}.{key}.Line"]
            ),
        }
        for key, fragment in new["properties"].items()
        if f"{name}.{key}.Line" in schemas
    ]
    return {
        "name": name,
        "label": tag.get("description", name),
        "operations": operations,
        "fields": _field_table(name, read, new, schemas[f"{name}.Changes"]),
        "page": _schema_table(f"{name}.Page", schemas[f"{name}.Page"]),
        "lines": lines,
    }


def _field_table(name: str, read: dict, new: dict, changes: dict | None = None) -> dict:
    """One row per field: its type, and what a new record, a change and an answer hold."""
    sent = new["properties"]
    required = set(new.get("required", []))
    conditional = _conditionally_required(new)
    rows = []
    for key in dict.fromkeys([*read["properties"], *sent]):
        fragment = sent.get(key) or read["properties"][key]
        rows.append(
            {
                "name": key,
                "label": fragment.get("title", ""),
                "type": type_text(fragment),
                "create": _on_create(key, sent, required, conditional),
                "change": _on_change(key, changes, sent),
                "answered": "yes" if key in read["properties"] else "no",
                "notes": _notes(fragment),
            }
        )
    # one table stands for several schemas: each keeps an anchor, so operations link here
    if changes is None:
        anchor, aliases = f"schema-{name}.Line", [f"schema-{name}.Row"]
    else:
        anchor = f"schema-{name}"
        aliases = [f"schema-{name}.{kind}" for kind in ("New", "Changes", "Item")]
    return {"name": name, "anchor": anchor, "aliases": aliases, "rows": rows}


def _conditionally_required(new: dict) -> set[str]:
    return {n for rule in new.get("allOf", []) for n in rule.get("then", {}).get("required", [])}


def _on_create(key: str, sent: dict, required: set[str], conditional: set[str]) -> str:
    fragment = sent.get(key)
    if fragment is None or fragment.get("readOnly"):
        return "filled by the system"
    if key in required:
        return "required"
    if key in conditional:
        rules = [fragment.get(f"x-formwork-{k}") for k in ("visible-if", "required-if")]
        return "required when " + " and ".join(r for r in rules if r)
    return "optional"


def _on_change(key: str, changes: dict | None, sent: dict) -> str:
    if changes is None:  # a line: sent within its record's change
        return "optional" if key in sent and not sent[key].get("readOnly") else _NOT_SENT
    if key == "rev_number":
        return "required, or If-Match"
    fragment = changes["properties"].get(key)
    return "optional" if fragment and not fragment.get("readOnly") else _NOT_SENT


def _notes(fragment: dict) -> list[str]:
    notes = [fragment["description"]] if fragment.get("description") else []
    if "default" in fragment:
        notes.append(f"Default: {_value(fragment['default'])}.")
    if fragment.get("x-formwork-visible-if"):
        notes.append(f"Shown on the form when {fragment['x-formwork-visible-if']}.")
    if "x-formwork-precision" in fragment:
        notes.append(f"At most {fragment['x-formwork-precision']} decimal places.")
    if fragment.get("x-formwork-lookup"):
        notes.append(f"The id of a `{fragment['x-formwork-lookup']}` record.")
    if fragment.get("x-formwork-hidden"):
        notes.append("Hidden on the forms; its value is kept.")
    return notes


def inline_code(text: str) -> Markup:
    """Text with its `quoted` parts as code, everything else escaped."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: nothing is quoted
        return escape(text)
    return Markup("").join(
        Markup("<code>{}</code>").format(part) if index % 2 else escape(part)
        for index, part in enumerate(parts)
    )


@blueprint.app_template_filter("code_spans")
def _code_spans(text: str) -> Markup:
    return inline_code(text)


# types in words


def type_text(fragment: dict) -> dict:
    """A schema fragment in words, with the schema it refers to, if any."""
    items = fragment.get("items", {}) if isinstance(fragment.get("items"), dict) else {}
    reference = fragment.get("$ref") or items.get("$ref")
    kinds = fragment.get("type", [])
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    values = fragment.get("enum")
    nullable = "null" in kinds or (values is not None and None in values)
    words = []
    if values is not None:
        words.append(_choices([v for v in values if v is not None]))
    elif "const" in fragment:
        words.append(_value(fragment["const"]))
    elif reference:
        words.append("list of" if "array" in kinds else "")
    else:
        words.append(" or ".join(k for k in kinds if k != "null") or "any JSON value")
        if items.get("enum") is not None or items.get("type"):
            words.append("of " + type_text(items)["text"])
    words += _constraints(fragment)
    if nullable:
        words.append("or null")
    link = _link({"$ref": reference}) if reference else None
    return {"text": " ".join(w for w in words if w), "link": link}


def _constraints(fragment: dict) -> list[str]:
    words = []
    if "format" in fragment:
        words.append(f"({fragment['format']})")
    low, high = fragment.get("minimum"), fragment.get("maximum")
    if low is not None and high is not None:
        words.append(f"from {_value(low)} to {_value(high)}")
    elif low is not None:
        words.append(f"at least {_value(low)}")
    elif high is not None:
        words.append(f"at most {_value(high)}")
    if "minLength" in fragment:
        words.append(f"at least {fragment['minLength']} characters")
    if "maxLength" in fragment:
        words.append(f"at most {fragment['maxLength']} characters")
    patterns = [fragment.get("pattern")] + [r.get("pattern") for r in fragment.get("allOf", [])]
    words += [f"matching {p}" for p in patterns if p]
    if "minItems" in fragment:
        words.append(f"at least {fragment['minItems']} items")
    if "maxItems" in fragment:
        words.append(f"at most {fragment['maxItems']} items")
    return words


def _choices(values: list) -> str:
    shown = ", ".join(_value(v) for v in values[:_SHOWN_VALUES])
    if len(values) > _SHOWN_VALUES:
        return f"one of {len(values)} values: {shown}, …"
    return f"one of: {shown}"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)
