import re

import jsonschema
import pytest
from conftest import SHIPPED

from engine import metaschema
from engine.check import check_document
from engine.loader import load_file, load_text
from engine.types import SPELLINGS

YAML_FILES = sorted(SHIPPED.rglob("*.yaml"))


def test_shipped_schema_file_is_the_built_one():
    assert metaschema.shipped() == metaschema.build(), "run engine.metaschema.write()"


def test_metaschema_is_a_valid_2020_12_schema_listing_every_type_spelling():
    jsonschema.Draft202012Validator.check_schema(metaschema.shipped())
    assert metaschema.shipped()["$defs"]["input_type"]["enum"] == list(SPELLINGS)
    assert {"textField", "InputType.textField", "deferredSelect", "switchField"} <= set(SPELLINGS)


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(SHIPPED)))
def test_shipped_files_name_the_schema_for_editors_and_pass_it(path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert match, first
    assert (path.parent / match.group(1)).resolve() == metaschema.SCHEMA_FILE.resolve()
    document, problems = load_file(path, str(path))
    assert problems == []
    # the root schema, as an editor applies it, picks the right kind by its first key
    errors = list(jsonschema.Draft202012Validator(metaschema.shipped()).iter_errors(document.data))
    assert errors == []


def test_editor_root_schema_rejects_an_unknown_key():
    validator = jsonschema.Draft202012Validator(metaschema.shipped())
    assert not validator.is_valid({"entity": "a", "label": "A", "plural": "As", "fields": [],
                                   "lable": "x"})  # fmt: skip


ENTITY_WITH_LABELS = """\
entity: thing
label: LABEL
plural: LABEL
groups:
  MAIN: {label: LABEL, order: 10}
statuses:
  initial: draft
  states:
    draft: {label: LABEL}
  actions:
    redo: {label: LABEL, from: [draft], to: draft}
lines:
  parts: {entity: part, link: thing_id, label: LABEL, sequence: 9, group: MAIN}
fields:
  - {name: kind, sequence: 1, label: LABEL, input_type: select, group: MAIN,
     options: [{value: a, label: LABEL}], help: LABEL, placeholder: LABEL}
"""
# where each label of ENTITY_WITH_LABELS is written
LABEL_LINES = {
    "thing.label": 2,
    "thing.plural": 3,
    "thing.groups.MAIN.label": 5,
    "thing.statuses.states.draft.label": 9,
    "thing.statuses.actions.redo.label": 11,
    "thing.lines.parts.label": 13,
    "thing.kind.label": 15,
    "thing.kind.options[0].label": 16,
    "thing.kind.help": 16,
    "thing.kind.placeholder": 16,
}


def _problems_of(text: str, kind: str) -> list[str]:
    document, problems = load_text(text, "thing.yaml")
    assert problems == []
    return [str(p) for p in check_document(document, kind)]


def test_labels_with_text_pass():
    assert _problems_of(ENTITY_WITH_LABELS.replace("LABEL", "Thing"), "entity_file") == []


@pytest.mark.parametrize(
    ("blank", "message"),
    [('""', "must not be empty"), ('"   "', "must not be only spaces; write the text to show")],
    ids=["empty", "spaces"],
)
def test_every_label_that_is_empty_or_only_spaces_is_refused(blank: str, message: str):
    problems = _problems_of(ENTITY_WITH_LABELS.replace("LABEL", blank), "entity_file")
    assert sorted(problems) == sorted(
        f"thing.yaml:{line}: {path}: {message}" for path, line in LABEL_LINES.items()
    )


@pytest.mark.parametrize("kind", ["tenant_file", "groups_file"])
def test_tenant_and_group_labels_of_only_spaces_are_refused(kind: str):
    text = {
        "tenant_file": 'tenant: t\nlabel: "  "\n',
        "groups_file": 'groups:\n  MAIN: {label: " ", order: 1}\n',
    }[kind]
    path = {"tenant_file": "t.label", "groups_file": "groups.MAIN.label"}[kind]
    assert _problems_of(text, kind) == [
        f"thing.yaml:2: {path}: must not be only spaces; write the text to show"
    ]
