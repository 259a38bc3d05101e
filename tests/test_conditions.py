import jsonschema
import pytest

from engine.conditions import ConditionError, evaluate, fields_of, parse, to_schema

RECORDS = [
    {},
    {"kind": "company", "limit": 5000, "on_hold": False, "level": "A", "alias": ""},
    {"kind": "person", "limit": 10, "on_hold": True, "level": "C", "alias": "Bob"},
    {"kind": None, "limit": None, "on_hold": None, "level": None, "alias": None},
    {"kind": "company", "limit": "5000", "on_hold": 0, "level": "B", "alias": []},
    {"kind": 1, "limit": 1000, "on_hold": 1, "level": "a", "alias": "x"},
]
CONDITIONS = [
    "kind == 'company'",
    'kind != "company"',
    "limit > 1000",
    "limit >= 1000",
    "limit < 1000.5",
    "limit <= 10",
    "on_hold",
    "not on_hold",
    "level in ['A', 'B']",
    "level not in ['A', 'B']",
    "alias is empty",
    "alias is not empty",
    "kind == 'company' and limit > 1000 and not on_hold",
    "(kind == 'person' or level == 'B') and alias is not empty",
    "on_hold == true",
    "kind == null",
]


@pytest.mark.parametrize("text", CONDITIONS)
def test_python_and_json_schema_agree_on_every_record(text):
    tree = parse(text)
    schema = jsonschema.Draft202012Validator(to_schema(tree))
    for record in RECORDS:
        assert evaluate(tree, record) == schema.is_valid(record), record


def test_meaning_of_common_conditions():
    assert evaluate(parse("kind == 'company' and limit > 1000"), RECORDS[1])
    assert not evaluate(parse("kind == 'company' and limit > 1000"), RECORDS[4])  # text
    assert evaluate(parse("alias is empty"), {})
    assert not evaluate(parse("on_hold == true"), {"on_hold": 1})  # true is not 1


def test_fields_read_by_a_condition():
    assert fields_of(parse("a == 1 or (b and not c in [1])")) == {"a", "b", "c"}


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "a condition must be non-empty text"),
        ("kind ==", "expected a value"),
        ("kind = 'x'", "unexpected character '='"),
        ("__import__('os')", "unexpected '('"),
        ("limit > 'ten'", "'>' compares numbers"),
        ("(a == 1", "expected ')'"),
        ("a in 'x'", "expected '['"),
        ("and", "expected a field name"),
    ],
)
def test_bad_conditions_are_refused_with_a_reason(text, message):
    with pytest.raises(ConditionError, match=None) as raised:
        parse(text)
    assert message in str(raised.value)
