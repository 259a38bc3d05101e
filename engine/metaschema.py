"""The metadata language's own JSON Schema, and the check of files against it.

`build()` is the one definition; `engine/schema/metadata.schema.json` is its
shipped copy, used by the checker and by editors (a test keeps the two equal).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from engine.types import SPELLINGS, SYSTEM_COLUMNS

SCHEMA_FILE = Path(__file__).parent / "schema" / "metadata.schema.json"

IDENTIFIER = r"^[a-z][a-z0-9_]*$"
GROUP_CODE = r"^[A-Z][A-Z0-9_]*$"
# Text people read (labels, headings, help) needs a character to see: spaces alone read
# as nothing, as an empty string does.
VISIBLE = r"\S"
# The keys a field declared with `system:` may carry: where and how it is shown.
PRESENTATION_KEYS = (
    "name",
    "system",
    "sequence",
    "label",
    "group",
    "help",
    "hidden",
    "in_list",
    "searchable",
)


def _text(description: str) -> dict:
    """Text shown to people: something to read, not empty nor only spaces."""
    return {"type": "string", "pattern": VISIBLE, "description": description}


def _code(description: str) -> dict:
    """Text the engine reads (a regular expression, a condition): not empty."""
    return {"type": "string", "minLength": 1, "description": description}


def _flag(description: str) -> dict:
    return {"type": "boolean", "description": description}


def _ref(name: str) -> dict:
    return {"$ref": f"#/$defs/{name}"}


def _object(properties: dict, required: tuple = (), **extra: object) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
        **extra,
    }


def _translations_file() -> dict:
    """A tenant's texts in one language (translations/<locale>.yaml)."""
    texts = {"type": "object", "additionalProperties": _text("the text in this language")}
    field_texts = _object(
        {
            "label": _text("the field's label"),
            "help": _text("the field's help"),
            "placeholder": _text("the field's placeholder"),
            "options": {**texts, "description": "option value: its label"},
        }
    )
    entity_texts = _object(
        {
            "label": _text("the entity's name"),
            "plural": _text("the entity's plural"),
            "fields": {"type": "object", "additionalProperties": field_texts},
            "states": {**texts, "description": "state name: its label"},
            "actions": {**texts, "description": "action name: its label"},
        }
    )
    return _object(
        {
            "translations": _code("the locale of the texts: the file's name"),
            "groups": {**texts, "description": "group code: its label"},
            "entities": {"type": "object", "additionalProperties": entity_texts},
        },
        ("translations",),
    )


def _field_properties() -> dict:
    number = {"type": "number"}
    count = {"type": "integer", "minimum": 0}
    option = {
        "anyOf": [
            {"type": ["string", "integer"]},
            _object(
                {"value": {"type": ["string", "integer"]}, "label": _text("shown")}, ("value",)
            ),
        ]
    }
    return {
        "name": {**_ref("identifier"), "description": "unique within the entity"},
        "sequence": {"type": "integer", "minimum": 0, "description": "position in its group"},
        "label": _text("shown beside the input and in messages"),
        "input_type": _ref("input_type"),
        "group": _ref("group_code"),
        "required": _flag("a value must be given"),
        "unique": _flag("no two records share a value"),
        "default": {"description": "the value of a new record"},
        "help": _text("a sentence shown under the input"),
        "placeholder": _text("shown inside an empty input"),
        "options": {"type": "array", "items": option, "minItems": 1},
        "lookup": _object(
            {
                "entity": _ref("identifier"),
                "show": _ref("identifier"),
                "fetch": {
                    "type": "object",
                    "additionalProperties": _ref("identifier"),
                    "propertyNames": _ref("identifier"),
                },
            },
            ("entity",),
        ),
        "min": number,
        "max": number,
        "min_length": count,
        "max_length": {"type": "integer", "minimum": 1},
        "pattern": _code("a regular expression the whole value must match"),
        "precision": {"type": "integer", "minimum": 0, "maximum": 10},
        "currency_field": {
            **_ref("identifier"),
            "description": "the field of the same record holding the currency code its "
            "amount is in (a text, a choice, or a lookup showing the code)",
        },
        "read_only": _flag("shown, never edited by people"),
        "view": _flag("a view value: shown read-only, filled by the lookup whose fetch names it"),
        "hidden": _flag("not shown on forms and lists"),
        "set_once": _flag("given on creation, never changed after"),
        "copy": _flag("copied when a record is duplicated"),
        "searchable": _flag("searched by the list's search box"),
        "in_list": _flag("a column of the list page"),
        "index": _flag("the column gets a database index"),
        "visible_if": _code("a condition: shown only when true"),
        "required_if": _code("a condition: required when true"),
        "renamed_from": _ref("identifier"),
        "system": {"enum": list(SYSTEM_COLUMNS), "description": "a system column shown here"},
    }


def _entity_properties() -> dict:
    state = _object(
        {
            "label": _text("shown"),
            "locked": {"anyOf": [{"const": "all"}, {"type": "array", "items": _ref("identifier")}]},
        },
        ("label",),
    )
    action = _object(
        {
            "label": _text("the button's text"),
            "confirm": _text(
                "the action asks first, on a page that says this text (an action into a "
                "state locked whole always asks)"
            ),
            "from": {"type": "array", "items": _ref("identifier"), "minItems": 1},
            "to": _ref("identifier"),
        },
        ("from", "to"),
    )
    line = _object(
        {
            "entity": _ref("identifier"),
            "link": _ref("identifier"),
            "label": _text("shown"),
            "sequence": {"type": "integer", "minimum": 0},
            "group": _ref("group_code"),
            "min_rows": {"type": "integer", "minimum": 0},
            "max_rows": {"type": "integer", "minimum": 1},
            "hidden": _flag("not shown on the parent's form"),
            "columns": {
                "type": "array",
                "items": _ref("identifier"),
                "minItems": 1,
                "uniqueItems": True,
                "description": "the child's fields the grid of rows shows",
            },
            "order": {
                **_ref("identifier"),
                "description": "the child's integer field that keeps each line's place",
            },
        }
    )
    return {
        "label": _text("the entity's name for people"),
        "plural": _text("the plural name"),
        "title_field": _ref("identifier"),
        "groups": _ref("groups"),
        "numbering": _object(
            {"field": _ref("identifier"), "pattern": _code("e.g. CUST-{seq:05d}")},
            ("field", "pattern"),
        ),
        "statuses": _object(
            {
                "initial": _ref("identifier"),
                "states": {
                    "type": "object",
                    "additionalProperties": state,
                    "minProperties": 1,
                    "propertyNames": _ref("identifier"),
                },
                "actions": {
                    "type": "object",
                    "additionalProperties": action,
                    "propertyNames": _ref("identifier"),
                },
            },
            ("initial", "states"),
        ),
        "delete": {"enum": ["never", "when_unreferenced", "soft"]},
        "lines": {
            "type": "object",
            "additionalProperties": line,
            "propertyNames": _ref("identifier"),
        },
        "unique_together": {
            "type": "array",
            "items": {"type": "array", "items": _ref("identifier"), "minItems": 2},
        },
    }


def build() -> dict:
    """The metadata schema as a dict."""
    field = _object(_field_properties(), ("name",))
    group = _object(
        {
            "label": _text("the group's heading"),
            "order": {"type": "integer", "description": "groups show by ascending order"},
            "layout": {"enum": ["section", "tab"]},
            "collapsed": {
                "type": "boolean",
                "description": "shown closed, under a heading that opens it; never a tab",
            },
        }
    )
    entity = _entity_properties()
    defs = {
        "identifier": {"type": "string", "pattern": IDENTIFIER, "maxLength": 63},
        "group_code": {"type": "string", "pattern": GROUP_CODE, "maxLength": 63},
        "input_type": {"enum": list(SPELLINGS)},
        "group": group,
        "groups": {
            "type": "object",
            "additionalProperties": group,
            "propertyNames": _ref("group_code"),
        },
        "field": field,
        "entity_file": _object(
            {
                "entity": _ref("identifier"),
                **entity,
                "fields": {"type": "array", "items": _ref("field")},
            },
            ("entity", "label", "plural", "fields"),
        ),
        "customize_file": _object(
            {
                "customize": _ref("identifier"),
                **entity,
                "fields": {"type": "array", "items": _ref("field")},
                "add_fields": {"type": "array", "items": _ref("field")},
            },
            ("customize",),
        ),
        "tenant_file": _object(
            {
                "tenant": _ref("identifier"),
                "label": _text("the tenant's name for people"),
                "locale": _code("the CLDR locale values are shown in, such as de_DE; en"),
                "source_language": _code("the language the metadata's texts are written in"),
                "timezone": _code("the IANA time zone moments are shown in; UTC"),
                "currency": {
                    "type": "string",
                    "pattern": "^[A-Z]{3}$",
                    "description": "the ISO 4217 code of amounts whose record names none",
                },
                "settings": {
                    "type": "object",
                    "additionalProperties": {"type": ["string", "number", "boolean"]},
                },
                "groups": _ref("groups"),
            },
            ("tenant", "label"),
        ),
        "groups_file": _object({"groups": _ref("groups")}, ("groups",)),
        "translations_file": _translations_file(),
    }
    by_key = [
        ("entity", "entity_file"),
        ("customize", "customize_file"),
        ("tenant", "tenant_file"),
        ("translations", "translations_file"),
    ]
    root: dict = _ref("groups_file")
    for key, name in reversed(by_key):
        root = {"if": {"required": [key]}, "then": _ref(name), "else": root}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://formwork.invalid/metadata.schema.json",
        "title": "Formwork metadata",
        **root,
        "$defs": defs,
    }


@functools.cache
def shipped() -> dict:
    """The schema as shipped in the package, as the checker uses it."""
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def write() -> None:
    """Regenerate the shipped schema file from build()."""
    SCHEMA_FILE.write_text(json.dumps(build(), indent=2) + "\n", encoding="utf-8")
