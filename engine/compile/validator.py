"""Compile an entity into a JSON Schema (draft 2020-12) and a validator for its records.

The validator answers with every failing field at once, each as
`{field, label, code, message}` in words for the person who typed the value.
jsonschema-rs does the checking (fast); python-jsonschema, the reference, runs the
same schema when asked (`reference_errors`), and tests hold the two to agreement.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import jsonschema
import jsonschema_rs

from engine import conditions
from engine.spec import EntitySpec, FieldSpec, TenantSpec
from engine.types import TYPES

if TYPE_CHECKING:
    from engine.shared import Checker

_EMPTY = [None, "", []]
DRAFT = "https://json-schema.org/draft/2020-12/schema"


@dataclass(frozen=True)
class RecordError:
    """One problem of a submitted record, named by the field's label."""

    field: str
    label: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """The problem as the API answers it: field, label, code and message."""
        return asdict(self)


def field_schema(field: FieldSpec, children: dict[str, EntitySpec] | None = None) -> dict:
    """The JSON Schema of one field's value."""
    row = TYPES[field.input_type]
    fragment = {"title": field.label, **row.schema(field)}
    if field.lines is not None:
        fragment["items"] = {"$ref": f"#/$defs/{field.lines.entity}"}
        if field.lines.min_rows is not None:
            fragment["minItems"] = field.lines.min_rows
        if field.lines.max_rows is not None:
            fragment["maxItems"] = field.lines.max_rows
    if field.help:
        fragment["description"] = field.help
    if field.default is not None:
        fragment["default"] = field.default
    if field.read_only:
        fragment["readOnly"] = True
    if not field.required or field.visible_if:
        _allow_null(fragment)
    elif fragment.get("type") == "string":
        fragment.setdefault("minLength", 1)
    return fragment


def _allow_null(fragment: dict) -> None:
    if "enum" in fragment:
        fragment["enum"] = [*fragment["enum"], None]
    elif "type" in fragment:
        fragment["type"] = [fragment["type"], "null"]


def _input_fields(entity: EntitySpec, link: str | None = None) -> list[FieldSpec]:
    """Fields a record carries: stored fields and lines (a line's link is the parent's)."""
    return [f for f in entity.fields if f.system is None and f.name != link]


def _required(field: FieldSpec) -> Any:
    """None, True, or the condition tree under which the field is required."""
    visible = field.visible_if.tree if field.visible_if else None
    when = field.required_if.tree if field.required_if else None
    if field.required and visible is None:
        return True
    if field.required:
        when = visible
    elif when is None:
        return None
    elif visible is not None:
        when = ["and", visible, when]
    return when


def entity_schema(entity: EntitySpec, link: str | None = None) -> dict:
    """An entity's record schema, without $defs for its lines."""
    fields = _input_fields(entity, link)
    schema: dict = {
        "type": "object",
        "title": entity.label,
        "properties": {f.name: field_schema(f) for f in fields},
        "additionalProperties": False,
    }
    required = [f.name for f in fields if _required(f) is True]
    if required:
        schema["required"] = required
    rules = [_conditional(f) for f in fields if _required(f) not in (None, True)]
    if rules:
        schema["allOf"] = rules
    return schema


def _conditional(field: FieldSpec) -> dict:
    return {
        "if": conditions.to_schema(_required(field)),
        "then": {"required": [field.name], "properties": {field.name: {"not": {"enum": _EMPTY}}}},
    }


def record_schema(tenant: TenantSpec, entity: EntitySpec) -> dict:
    """The complete JSON Schema of an entity's records, lines included."""
    return _named(tenant, entity, schema_body(tenant, entity))


def schema_body(tenant: TenantSpec, entity: EntitySpec) -> dict:
    """The JSON Schema of an entity's records without its `$id`: what tenants that see
    the entity alike have in common."""
    schema = {"$schema": DRAFT, **entity_schema(entity)}
    defs = {}
    for line in _lines_of(entity, tenant):
        child = tenant.entities[line.lines.entity]
        defs[child.name] = entity_schema(child, link=line.lines.link)
    if defs:
        schema["$defs"] = defs
    return schema


def _named(tenant: TenantSpec, entity: EntitySpec, body: dict) -> dict:
    """The schema `body` with the `$id` naming the tenant's entity, second as ever."""
    rest = {key: value for key, value in body.items() if key != "$schema"}
    return {"$schema": body["$schema"], "$id": f"urn:formwork:{tenant.name}:{entity.name}", **rest}


def _lines_of(entity: EntitySpec, tenant: TenantSpec) -> Iterator[FieldSpec]:
    return (f for f in entity.fields if f.lines is not None)


class RecordValidator:
    """Validates records of one tenant × entity; built once, used for every record.
    `checker` gives the jsonschema-rs validator of a schema body, where tenants share
    them (engine.shared); by default each validator builds its own."""

    def __init__(
        self,
        tenant: TenantSpec,
        entity: EntitySpec,
        checker: Callable[[dict], Checker] | None = None,
    ) -> None:
        self.entity = entity
        body = schema_body(tenant, entity)
        if checker is None:
            self._fast = jsonschema_rs.validator_for(body, validate_formats=True)
        else:
            self._shared = checker(body)  # held: the shared table keeps it only weakly
            body, self._fast = self._shared.body, self._shared.fast
        self.schema = _named(tenant, entity, body)
        self._reference: jsonschema.Draft202012Validator | None = None
        self._owners = {
            line.name: tenant.entities[line.lines.entity] for line in _lines_of(entity, tenant)
        }

        self._positions = {f.name: i for i, f in enumerate(entity.fields)}

    def is_valid(self, record: Any) -> bool:
        """Whether the record has no problem at all (quicker than asking for them)."""
        return self._fast.is_valid(record)

    def errors(self, record: Any) -> list[RecordError]:
        """Every problem of the record, one per field and kind, in field order."""
        if self._fast.is_valid(record):
            return []
        found = (_from_rs(error) for error in self._fast.iter_errors(record))
        return self._word(record, found)

    def reference_errors(self, record: Any) -> list[RecordError]:
        """The same answer computed by python-jsonschema, the reference implementation."""
        if self._reference is None:
            self._reference = jsonschema.Draft202012Validator(
                self.schema, format_checker=jsonschema.FormatChecker()
            )
        found = (_from_python(error) for error in self._reference.iter_errors(record))
        return self._word(record, found)

    def _word(self, record: Any, found: Iterable[tuple]) -> list[RecordError]:
        errors: dict[tuple[str, str], RecordError] = {}
        for raw in found:
            for error in self._explain(record, *raw):
                errors.setdefault((error.field, error.code), error)
        # a missing value is the one thing to say: "" also fails pattern and min_length
        missing = {field for field, code in errors if code == "required"}
        kept = [e for e in errors.values() if e.code == "required" or e.field not in missing]
        return sorted(kept, key=self.form_order)

    def form_order(self, error: RecordError) -> tuple:
        """Errors in the order of the fields on the form, lines by row."""
        root, _, rest = error.field.partition("[")
        row, _, child = rest.partition("].")
        owner = self._owners.get(root)
        return (
            self._positions.get(root, len(self._positions)),
            int(row) if row.isdigit() else -1,
            _position(owner, child) if owner else 0,
        )

    def _explain(
        self, record: Any, path: tuple, schema_path: tuple, keyword: str, names: tuple
    ) -> Iterator[RecordError]:
        entity, prefix = self._owner(path)
        if keyword == "required" or (keyword == "not" and "then" in schema_path):
            for name in names or (schema_path[schema_path.index("then") + 2],):
                yield self._error(entity, prefix, name, "required")
            return
        if keyword == "additionalProperties":
            for name in names:
                yield RecordError(
                    f"{prefix}{name}",
                    name,
                    "unknown_field",
                    f"'{name}' is not a field of {entity.label}.",
                )
            return
        if not path:
            yield RecordError("", entity.label, "type", f"{entity.label} must be a JSON object.")
            return
        name = path[-1] if isinstance(path[-1], str) else path[-2]
        code = _code(keyword, schema_path, _value_at(record, path))
        yield self._error(entity, prefix, name, code)

    def _owner(self, path: tuple) -> tuple[EntitySpec, str]:
        """The entity whose field `path` reaches, and the prefix naming its line."""
        if len(path) >= 2 and path[0] in self._owners and isinstance(path[1], int):
            return self._owners[path[0]], f"{path[0]}[{path[1]}]."
        return self.entity, ""

    def _error(self, entity: EntitySpec, prefix: str, name: str, code: str) -> RecordError:
        field = next((f for f in entity.fields if f.name == name), None)
        label = field.label if field else name
        return RecordError(f"{prefix}{name}", label, code, _message(code, label, field))


def _position(entity: EntitySpec, name: str) -> int:
    return next((i for i, f in enumerate(entity.fields) if f.name == name), len(entity.fields))


def _value_at(record: Any, path: tuple) -> Any:
    for part in path:
        record = record[part]
    return record


def _code(keyword: str, schema_path: tuple, value: Any) -> str:
    if value is None or (keyword == "minLength" and value == ""):
        return "required"  # null or empty where a value is required
    if keyword == "pattern":
        return "pattern" if "allOf" in schema_path else "format"
    return {
        "type": "type",
        "enum": "choice",
        "format": "format",
        "maxLength": "max_length",
        "minLength": "min_length",
        "minimum": "min",
        "exclusiveMinimum": "min",
        "maximum": "max",
        "exclusiveMaximum": "max",
        "uniqueItems": "duplicate",
        "minItems": "min_rows",
        "maxItems": "max_rows",
    }.get(keyword, keyword)


def _message(code: str, label: str, field: FieldSpec | None) -> str:
    row = TYPES[field.input_type] if field else None
    if code in ("type", "format") and row:
        return f"{label} must be {row.expects}."
    if code == "choice" and field:
        choices = ", ".join(o.label for o in field.options)
        return f"{label} must be one of: {choices}."
    if field is None:
        return f"{label} is not valid."
    return {
        "required": f"{label} is required.",
        "max_length": f"{label} must be at most {field.max_length} characters.",
        "min_length": f"{label} must be at least {field.min_length} characters.",
        "min": f"{label} must be at least {_number(_bound(field, 'minimum'))}.",
        "max": f"{label} must be at most {_number(_bound(field, 'maximum'))}.",
        "pattern": f"{label} does not have the expected form.",
        "duplicate": f"{label} lists the same option twice.",
        "min_rows": f"{label} needs at least {_lines(field.lines.min_rows if field.lines else 0)}.",
        "max_rows": f"{label} allows at most {_lines(field.lines.max_rows if field.lines else 0)}.",
    }.get(code, f"{label} is not valid.")


def _lines(count: int) -> str:
    return f"{count} line{'' if count == 1 else 's'}"


def _bound(field: FieldSpec, keyword: str) -> float | None:
    """The limit the schema holds: the field's own, or else what its column can hold."""
    return TYPES[field.input_type].schema(field).get(keyword)


def _number(value: float | None) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _from_rs(error: jsonschema_rs.ValidationError) -> tuple:
    kind = error.kind
    names: tuple = ()
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Required):
        names = (kind.property,)
    elif isinstance(kind, jsonschema_rs.ValidationErrorKind.AdditionalProperties):
        names = tuple(kind.unexpected)
    keyword = str(error.schema_path[-1]) if error.schema_path else "type"
    return tuple(error.instance_path), tuple(error.schema_path), keyword, names


def _from_python(error: jsonschema.ValidationError) -> tuple:
    names: tuple = ()
    if error.validator == "required":
        names = tuple(n for n in error.validator_value if n not in error.instance)
    elif error.validator == "additionalProperties":
        known = error.schema.get("properties", {})
        names = tuple(n for n in error.instance if n not in known)
    path = tuple(error.absolute_schema_path)
    return tuple(error.absolute_path), path, str(error.validator), names
