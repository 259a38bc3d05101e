import re

import jsonschema
import pytest
from conftest import SHIPPED

from engine import metaschema
from engine.loader import load_file
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
