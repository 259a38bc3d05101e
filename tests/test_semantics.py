"""Checks of the merged view (engine.semantics), as `formwork check` reports them."""

from __future__ import annotations

import pytest

from engine.errors import MetadataError
from engine.resolve import load_and_resolve
from engine.types import TYPES

# the keys a field of each type needs besides its name, label, sequence and group
EXTRA_KEYS = {
    "select": ", options: [a, b]",
    "multiselect": ", options: [a, b]",
    "lookup": ", lookup: {entity: thing}",
}
NUMBERED = """\
entity: thing
label: Thing
plural: Things
numbering: {{field: ref, pattern: "T-{{seq:05d}}"}}
fields:
  - {{name: title, sequence: 1, label: Title, input_type: text, group: MAIN}}
  - {{name: ref, sequence: 2, label: Ref, input_type: {kind}, group: MAIN{extra}}}
"""
STORED_TYPES = [name for name, row in TYPES.items() if row.column is not None]


def _problems(tree, files: dict[str, str]) -> list[str]:
    root = tree(files)
    try:
        load_and_resolve(str(root))
    except MetadataError as error:
        return [str(p).replace(f"{root}/", "") for p in error.problems]
    return []


@pytest.mark.parametrize("kind", STORED_TYPES)
def test_numbering_fills_a_text_field_and_refuses_any_other_type(tree, kind: str):
    text = NUMBERED.format(kind=kind, extra=EXTRA_KEYS.get(kind, ""))
    problems = _problems(tree, {"entities/thing.yaml": text})
    if kind in ("text", "textarea"):
        assert problems == []
        return
    assert problems == [
        f"entities/thing.yaml:4: thing.numbering.field: 'ref' has input_type {kind} "
        "(written at entities/thing.yaml:7), but numbering fills it with text made from its "
        "pattern; make 'ref' a text field, or number a text field"
    ]


def test_a_tenant_that_makes_the_numbered_field_an_integer_is_told_where(tree):
    base = NUMBERED.format(kind="text", extra="")
    overlay = "customize: thing\nfields:\n  - {name: ref, input_type: integer}\n"
    problems = _problems(
        tree, {"entities/thing.yaml": base, "tenants/t/entities/thing.yaml": overlay}
    )
    assert problems == [
        "entities/thing.yaml:4: thing.numbering.field: 'ref' has input_type integer "
        "(written at tenants/t/entities/thing.yaml:3), but numbering fills it with text made "
        "from its pattern; make 'ref' a text field, or number a text field"
    ]


@pytest.mark.parametrize("column", ["id", "created_by"])
def test_numbering_refuses_a_system_column(tree, column: str):
    text = NUMBERED.format(kind="text", extra="").replace("{field: ref", f"{{field: {column}")
    assert _problems(tree, {"entities/thing.yaml": text}) == [
        f"entities/thing.yaml:4: thing.numbering.field: '{column}' is a system column, which "
        "the engine fills; numbering fills a text field: declare one in 'thing' and number it"
    ]


def test_numbering_refuses_a_field_that_shows_a_system_column(tree):
    text = NUMBERED.format(kind="text", extra="").replace("{field: ref", "{field: number")
    text += "  - {name: number, system: id, sequence: 3, label: Number, group: MAIN}\n"
    assert _problems(tree, {"entities/thing.yaml": text}) == [
        "entities/thing.yaml:4: thing.numbering.field: 'number' shows the system column 'id', "
        "which the engine fills; numbering fills a text field: declare one in 'thing' and "
        "number it"
    ]
