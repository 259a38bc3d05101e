import sys
import tracemalloc
from pathlib import Path

import pytest

from engine.loader import ALIAS_BUDGET, load_project, load_text


def test_values_keep_the_line_they_were_written_on():
    text = "entity: a\nfields:\n  - name: x\n    label: X\n  - {name: y, label: Y}\n"
    document, problems = load_text(text, "a.yaml")
    assert problems == []
    assert document.data["fields"][1] == {"name": "y", "label": "Y"}
    assert document.line_of(("fields", 0, "label")) == 4
    assert document.line_of(("fields", 1, "label")) == 5
    # a path that was never written falls back to its nearest written ancestor
    assert document.line_of(("fields", 1, "missing", "deeper")) == 5


def test_duplicate_key_is_an_error_naming_both_lines():
    _, problems = load_text("entity: a\nlabel: A\nlabel: B\n", "a.yaml")
    assert [str(p) for p in problems] == [
        "a.yaml:3: a.label: duplicate key 'label' (first written on line 2)"
    ]


def test_duplicate_key_inside_a_list_item_is_located():
    text = "entity: a\nfields:\n  - name: x\n    name: y\n"
    _, problems = load_text(text, "a.yaml")
    assert [str(p) for p in problems] == [
        "a.yaml:4: a.x.name: duplicate key 'name' (first written on line 3)"
    ]


def test_tab_is_an_error_on_its_line():
    _, problems = load_text("entity: a\nlabel:\tA\n", "a.yaml")
    assert [str(p) for p in problems] == [
        "a.yaml:2: tab character; indent and separate with spaces"
    ]


def test_syntax_error_names_the_line_and_keeps_going_without_a_traceback():
    document, problems = load_text("entity: a\nfields: [x, y\n", "a.yaml")
    assert document is None
    assert len(problems) == 1
    assert problems[0].message.startswith("YAML syntax error")


def test_empty_file_and_a_file_that_is_not_a_mapping():
    assert [p.message for p in load_text("", "a.yaml")[1]] == ["the file is empty"]
    assert [p.message for p in load_text("- a\n- b\n", "a.yaml")[1]] == [
        "the file must hold a mapping of keys"
    ]


def test_dates_stay_text_so_the_field_type_decides_their_meaning():
    document, _ = load_text("default: 2024-01-31\n", "a.yaml")
    assert document.data["default"] == "2024-01-31"


def test_non_utf8_file_is_reported(tmp_path: Path):
    (tmp_path / "entities").mkdir()
    (tmp_path / "entities" / "a.yaml").write_bytes(b"label: caf\xe9\n")
    _, problems = load_project(tmp_path)
    assert problems and "not UTF-8" in problems[0].message


def test_project_layout_is_found(tree):
    root = tree(
        {
            "entities/a.yaml": "entity: a\n",
            "tenants/t1/tenant.yaml": "tenant: t1\n",
            "tenants/t1/entities/b.yaml": "entity: b\n",
        }
    )
    project, problems = load_project(root)
    assert problems == []
    assert list(project.entities) == ["a"]
    assert list(project.tenants) == ["t", "t1"]
    assert list(project.tenants["t1"].entities) == ["b"]
    assert project.entities["a"].file == str(root / "entities" / "a.yaml")


def test_tenant_without_tenant_yaml_is_reported(tree):
    root = tree({"tenants/t1/entities/b.yaml": "entity: b\n"})
    _, problems = load_project(root)
    assert [p.message for p in problems] == ["missing: every tenant needs a tenant.yaml"]


def test_aliases_repeat_their_anchor_as_before():
    text = "a: &yes_no [yes, no]\nb: *yes_no\nc: [*yes_no, *yes_no]\nd: &word hello\ne: *word\n"
    document, problems = load_text(text, "a.yaml")
    assert problems == []
    assert document.data["b"] == document.data["a"] == [True, False]
    assert document.data["c"] == [[True, False], [True, False]]
    assert document.data["e"] == "hello"
    assert document.line_of(("b",)) == 2 and document.line_of(("c", 1)) == 3


def _aliases_of(count: int) -> str:
    """An anchor of ALIAS_BUDGET // 100 values in all (the list and its 99 items), then
    `count` aliases to it."""
    items = ", ".join(str(n) for n in range(ALIAS_BUDGET // 100 - 1))
    return f"a: &a [{items}]\nb: [{', '.join(['*a'] * count)}]\n"


def test_aliases_may_repeat_as_many_values_as_the_budget():
    document, problems = load_text(_aliases_of(100), "a.yaml")
    assert problems == []
    assert len(document.data["b"]) == 100


def test_aliases_repeating_one_value_more_than_the_budget_are_refused():
    document, problems = load_text(_aliases_of(101), "a.yaml")
    assert document is None
    assert [str(p) for p in problems] == [
        "a.yaml:2: the aliases of this file would copy more than 10,000 values "
        "(aliases of aliases multiply); write the values out instead"
    ]


def test_alias_bomb_is_refused_at_its_alias_quickly_in_little_memory():
    # "billion laughs": each line repeats the one before nine times, 9**10 values in all
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    calls = 0

    def count(frame, event, arg):
        nonlocal calls
        calls += event in ("call", "c_call")

    tracemalloc.start()
    sys.setprofile(count)
    try:
        document, problems = load_text("\n".join(lines) + "\n", "bomb.yaml")
    finally:
        sys.setprofile(None)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert document is None
    # lines 2 to 4 copy 90, 819 and 7,380 values: the first alias of line 5 passes 10,000
    assert [str(p) for p in problems] == [
        "bomb.yaml:5: the aliases of this file would copy more than 10,000 values "
        "(aliases of aliases multiply); write the values out instead"
    ]
    # quickly, as function calls count it (no busy machine skews them): about 126,000,
    # where copying the values would take billions
    assert calls < 1_000_000
    assert peak < 20 * 2**20


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {x: 1, y: *a}\n"])
def test_alias_inside_its_own_anchor_is_refused(text: str):
    document, problems = load_text(text, "a.yaml")
    assert document is None
    assert [str(p) for p in problems] == [
        "a.yaml:1: an alias refers to the anchor that contains it"
    ]


def test_a_file_beside_a_tenant_yaml_is_reported_not_read(tree):
    root = tree({"tenants/t/thing.yaml": "entity: thing\n"})
    project, problems = load_project(root)
    assert [str(p).replace(f"{root}/", "") for p in problems] == [
        "tenants/t/thing.yaml:1: tenant 't' reads only its tenant.yaml here; move an entity "
        "file into tenants/t/entities"
    ]
    assert project.tenants["t"].entities == {}


SHIPPED_FILES = sorted((Path(__file__).resolve().parents[1] / "metadata").rglob("*.yaml"))
CORPUS_FILES = sorted((Path(__file__).resolve().parent / "corpus").rglob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED_FILES + CORPUS_FILES, ids=str)
def test_a_file_without_anchors_loads_as_the_alias_guard_loads_it(path: Path):
    """Files without '&' skip the alias guard: the plain builder must give what the guard
    gives, data, lines and problems alike, for every shipped and corpus file."""
    text = path.read_text(encoding="utf-8", errors="replace")
    plain = load_text(text, "f.yaml")
    guarded = load_text(text + "\n# & forces the guard\n", "f.yaml")
    assert _loaded(plain) == _loaded(guarded)


def test_an_ampersand_in_a_value_is_text_not_an_anchor():
    document, problems = load_text("label: R&D\nhelp: 'Terms & conditions'\n", "f.yaml")
    assert problems == []
    assert document.data == {"label": "R&D", "help": "Terms & conditions"}


def _loaded(result):
    document, problems = result
    data = (document.data, document.lines) if document else None
    return data, [(p.line, p.path, p.message) for p in problems]
