"""Check every loaded file against the metadata schema, in words an admin can act on."""

from __future__ import annotations

import functools
from collections.abc import Iterator

import jsonschema
import jsonschema_rs
from jsonschema.exceptions import ValidationError, best_match

from engine import metaschema
from engine.errors import Problem, did_you_mean
from engine.loader import Document, Path_, Project, TenantFiles, readable_path
from engine.types import SPELLINGS

_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping of keys",
    "array": "a list",
}


@functools.cache
def _validators(kind: str) -> tuple[jsonschema_rs.Validator, jsonschema.Draft202012Validator]:
    """A fast validator to pass good files quickly and a thorough one to word errors."""
    schema = {"$ref": f"#/$defs/{kind}", "$defs": metaschema.shipped()["$defs"]}
    return jsonschema_rs.validator_for(schema), jsonschema.Draft202012Validator(schema)


def check_project(project: Project) -> list[Problem]:
    """Schema problems of every file of the project."""
    problems = []
    if project.groups:
        problems += check_document(project.groups, "groups_file")
    for document in project.entities.values():
        problems += check_document(document, "entity_file")
    for tenant in project.tenants.values():
        problems += check_tenant(tenant)
    return problems


def check_tenant(tenant: TenantFiles) -> list[Problem]:
    """Schema problems of one tenant's files."""
    problems = []
    if tenant.document:
        problems += check_document(tenant.document, "tenant_file")
    for document in tenant.entities.values():
        kind = "customize_file" if "customize" in document.data else "entity_file"
        problems += check_document(document, kind)
    for document in tenant.translations.values():
        problems += check_document(document, "translations_file")
    return problems


def check_document(document: Document, kind: str) -> list[Problem]:
    """Problems of one file against the schema of its kind (`entity_file`, …)."""
    fast, thorough = _validators(kind)
    if fast.is_valid(document.data):
        return []
    return [
        problem
        for error in thorough.iter_errors(document.data)
        for problem in _explain(document, error)
    ]


def located(document: Document, path: Path_, message: str) -> Problem:
    """A problem at `path` of a document, named the way an admin reads it."""
    return Problem(document.file, document.line_of(path), readable_path(document, path), message)


def _explain(document: Document, error: ValidationError) -> Iterator[Problem]:
    path = tuple(error.absolute_path)
    value, expected = error.instance, error.validator_value
    if "propertyNames" in error.schema_path:
        path = (*path, value)
    keyword = error.validator
    if keyword == "additionalProperties":
        allowed = error.schema.get("properties", {})
        for key in value:
            if key not in allowed:
                hint = did_you_mean(key, allowed)
                yield located(document, (*path, key), f"unknown key '{key}'{hint}")
        return
    if keyword == "required":
        for key in expected:
            if key not in value:
                yield located(document, path, f"missing required key '{key}'")
        return
    if keyword == "anyOf":
        # the branch that got furthest into the value says what is wrong with it (an
        # option's empty label, not that an option is not a plain value)
        best = best_match([error])
        yield from _explain(document, best if best is not error else best_match(error.context))
        return
    yield located(document, path, _message(keyword, value, expected))


def _message(keyword: str, value: object, expected: object) -> str:
    if keyword == "type":
        wanted = expected if isinstance(expected, list) else [expected]
        words = " or ".join(_TYPE_WORDS.get(t, t) for t in wanted if t != "null")
        return f"expected {words}, got {value!r}"
    if keyword == "enum" and expected == list(SPELLINGS):
        return f"unknown input type {value!r}{did_you_mean(value, SPELLINGS)}"
    if keyword == "enum":
        choices = ", ".join(str(c) for c in expected)
        return f"{value!r} is not one of: {choices}{did_you_mean(value, map(str, expected))}"
    if keyword == "pattern" and expected == metaschema.IDENTIFIER:
        return (
            f"{value!r} is not an identifier: use lower-case letters, digits and _, "
            "starting with a letter"
        )
    if keyword == "pattern" and expected == metaschema.GROUP_CODE:
        return f"{value!r} is not a group code: use upper-case letters, digits and _"
    if keyword == "pattern" and expected == metaschema.VISIBLE:
        return (
            "must not be empty"
            if value == ""
            else "must not be only spaces; write the text to show"
        )
    return {
        "maxLength": f"{value!r} is longer than {expected} characters",
        "minLength": "must not be empty",
        "minimum": f"{value!r} is below the minimum, {expected}",
        "maximum": f"{value!r} is above the maximum, {expected}",
        "minItems": f"must list at least {expected} item(s)",
        "minProperties": "must not be empty",
        "const": f"{value!r} must be {expected!r}",
    }.get(keyword, f"{value!r} is not valid here ({keyword})")
