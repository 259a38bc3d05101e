import pytest

from engine.registry import build_registry
from engine.types import TYPES

ENTITY = """\
entity: sample
label: Sample
plural: Samples
numbering: {field: code, pattern: "S-{seq:04d}"}
lines:
  rows: {entity: sample_row, link: sample, label: Rows, sequence: 99, group: MORE, max_rows: 2}
fields:
  - {name: code, sequence: 1, label: Code, input_type: text, group: MAIN, max_length: 8,
     pattern: "[A-Z]-[0-9]+"}
  - {name: name, sequence: 2, label: Name, input_type: text, group: MAIN, required: true}
  - {name: notes, sequence: 3, label: Notes, input_type: textarea, group: MAIN, min_length: 2}
  - {name: email, sequence: 4, label: E-mail, input_type: email, group: MAIN}
  - {name: phone, sequence: 5, label: Phone, input_type: phone, group: MAIN}
  - {name: site, sequence: 6, label: Web site, input_type: url, group: MAIN}
  - {name: count, sequence: 7, label: Count, input_type: integer, group: MAIN, min: 0, max: 10}
  - {name: ratio, sequence: 8, label: Ratio, input_type: number, group: MAIN}
  - {name: price, sequence: 9, label: Price, input_type: currency, group: MAIN, min: 0}
  - {name: share, sequence: 10, label: Share, input_type: percent, group: MAIN, max: 100}
  - {name: born, sequence: 11, label: Born, input_type: date, group: MAIN}
  - {name: seen, sequence: 12, label: Seen, input_type: dateTime, group: MAIN}
  - {name: opens, sequence: 13, label: Opens, input_type: time, group: MAIN}
  - {name: vip, sequence: 14, label: VIP, input_type: switchField, group: MAIN}
  - {name: level, sequence: 15, label: Level, input_type: select, group: MAIN,
     options: [{value: A, label: Gold}, {value: B, label: Silver}]}
  - {name: tags, sequence: 16, label: Tags, input_type: multiselect, group: MAIN,
     options: [x, y]}
  - {name: partner, sequence: 17, label: Partner, input_type: deferredSelect, group: MAIN,
     lookup: {entity: sample}}
  - {name: photo, sequence: 18, label: Photo, input_type: image, group: MAIN}
  - {name: contract, sequence: 19, label: Contract, input_type: file, group: MAIN}
  - {name: tax_id, sequence: 20, label: Tax Id, input_type: text, group: MAIN,
     required_if: "vip and count > 5"}
  - {name: reason, sequence: 21, label: Reason, input_type: text, group: MAIN, required: true,
     visible_if: "level == 'B'"}
"""
ROW = """\
entity: sample_row
label: Row
plural: Rows
fields:
  - {name: sample, sequence: 1, label: Sample, input_type: lookup, group: MAIN,
     lookup: {entity: sample}}
  - {name: qty, sequence: 2, label: Quantity, input_type: integer, group: MAIN, required: true}
"""

VALID = {"name": "Acme"}
# input type -> (field, good values, (bad value, expected code) pairs)
CASES = {
    "text": (
        "code",
        ["A-1", None],
        [("a-1", "pattern"), ("A-123456789", "max_length"), (5, "type")],
    ),
    "textarea": ("notes", ["hello\nworld"], [("x", "min_length"), (["x"], "type")]),
    "email": ("email", ["ann@example.com"], [("ann@", "format"), ("a b@c.de", "format")]),
    "phone": ("phone", ["+44 (20) 7946-0958"], [("call me", "format"), (12345, "type")]),
    "url": ("site", ["https://example.com/x?y=1"], [("example.com", "format")]),
    "integer": ("count", [0, 10, 3.0], [(11, "max"), (-1, "min"), (2.5, "type"), ("3", "type")]),
    "decimal": ("ratio", [1.25, -3], [("1.25", "type"), (True, "type")]),
    "currency": ("price", [19.99], [(-0.01, "min"), ("ten", "type")]),
    "percent": ("share", [12.5], [(100.5, "max")]),
    "date": ("born", ["2024-02-29"], [("2023-02-29", "format"), ("29/02/2024", "format")]),
    "datetime": ("seen", ["2024-01-31T10:00:00+01:00"], [("2024-01-31 10:00", "format")]),
    "time": ("opens", ["09:30", "23:59:59"], [("24:00", "format"), ("9.30", "format")]),
    "switch": ("vip", [True, False], [("yes", "type"), (1, "type")]),
    "select": ("level", ["A"], [("C", "choice"), ("gold", "choice")]),
    "multiselect": ("tags", [["x", "y"], []], [(["z"], "choice"), (["x", "x"], "duplicate")]),
    "lookup": ("partner", [1], [(0, "min"), ("1", "type")]),
    "image": ("photo", ["files/p.png"], [(1, "type")]),
    "file": ("contract", ["files/c.pdf"], [("x" * 501, "max_length")]),
    "lines": ("rows", [[{"qty": 1}], []], [([{"qty": 1}] * 3, "max_rows"), ("x", "type")]),
}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    root = tmp_path_factory.mktemp("meta")
    (root / "entities").mkdir()
    (root / "tenants" / "t").mkdir(parents=True)
    (root / "groups.yaml").write_text(
        "groups:\n  MAIN: {label: Main, order: 1}\n  MORE: {label: More, order: 2}\n"
    )
    (root / "entities" / "sample.yaml").write_text(ENTITY)
    (root / "entities" / "sample_row.yaml").write_text(ROW)
    (root / "tenants" / "t" / "tenant.yaml").write_text("tenant: t\nlabel: T\n")
    return build_registry(str(root)).tenant("t").entity("sample").validator


def codes(validator, record):
    fast = {(e.field, e.code) for e in validator.errors(record)}
    assert fast == {(e.field, e.code) for e in validator.reference_errors(record)}
    return fast


def test_every_input_type_has_a_case():
    assert set(CASES) == set(TYPES)


@pytest.mark.parametrize("type_name", sorted(CASES))
def test_each_type_accepts_good_values(sample, type_name):
    field, good, _ = CASES[type_name]
    for value in good:
        assert codes(sample, {**VALID, field: value}) == set(), value


@pytest.mark.parametrize("type_name", sorted(CASES))
def test_each_type_rejects_bad_values_with_its_code(sample, type_name):
    field, _, bad = CASES[type_name]
    for value, code in bad:
        assert codes(sample, {**VALID, field: value}) == {(field, code)}, value


def test_every_failing_field_is_reported_at_once_in_form_order(sample):
    record = {"count": 99, "email": "nope", "bogus": 1, "rows": [{"qty": "x"}, {}]}
    errors = sample.errors(record)
    assert [(e.field, e.code) for e in errors] == [
        ("name", "required"),
        ("email", "format"),
        ("count", "max"),
        ("rows[0].qty", "type"),
        ("rows[1].qty", "required"),
        ("bogus", "unknown_field"),
    ]
    assert [e.message for e in errors[:3]] == [
        "Name is required.",
        "E-mail must be an e-mail such as name@example.com.",
        "Count must be at most 10.",
    ]
    assert errors[3].label == "Quantity"


def test_empty_text_counts_as_missing_for_a_required_field(sample):
    assert codes(sample, {"name": ""}) == {("name", "required")}
    assert codes(sample, {"name": None}) == {("name", "required")}
    assert codes(sample, {**VALID, "level": None}) == set()


def test_required_if_applies_only_when_its_condition_holds(sample):
    assert codes(sample, {**VALID, "vip": True, "count": 6}) == {("tax_id", "required")}
    assert codes(sample, {**VALID, "vip": True, "count": 6, "tax_id": ""}) == {
        ("tax_id", "required")
    }
    assert codes(sample, {**VALID, "vip": True, "count": 5}) == set()
    assert codes(sample, {**VALID, "vip": True, "count": 6, "tax_id": "T1"}) == set()


def test_a_hidden_field_is_not_required(sample):
    assert codes(sample, {**VALID, "level": "A"}) == set()
    assert codes(sample, {**VALID, "level": "B"}) == {("reason", "required")}


def test_select_message_lists_option_labels(sample):
    (error,) = sample.errors({**VALID, "level": "Z"})
    assert error.message == "Level must be one of: Gold, Silver."


def test_a_record_that_is_not_an_object(sample):
    assert [(e.field, e.code) for e in sample.errors(["x"])] == [("", "type")]


def test_hostile_strings_are_data_not_code(sample):
    for value in ["'; DROP TABLE sample; --", "<script>alert(1)</script>", "é" * 200, "\x00"]:
        assert codes(sample, {"name": value}) == set()


def test_an_empty_required_value_gets_one_error_not_three(tmp_path):
    root = tmp_path / "meta"
    (root / "entities").mkdir(parents=True)
    (root / "tenants" / "t").mkdir(parents=True)
    (root / "groups.yaml").write_text("groups:\n  MAIN: {label: Main, order: 1}\n")
    (root / "tenants" / "t" / "tenant.yaml").write_text("tenant: t\nlabel: T\n")
    (root / "entities" / "code.yaml").write_text(
        "entity: code\nlabel: Code\nplural: Codes\nfields:\n"
        "  - {name: value, sequence: 1, label: Value, input_type: email, group: MAIN,\n"
        "     required: true, min_length: 5, pattern: '[a-z@.]+'}\n"
    )
    validator = build_registry(str(root)).tenant("t").entity("code").validator
    assert codes(validator, {"value": ""}) == {("value", "required")}
    assert codes(validator, {"value": "A@b"}) == {
        ("value", "format"),
        ("value", "min_length"),
        ("value", "pattern"),
    }
