"""The shortcuts of a save's checks against the plain code they stand for: a field's
built-once `fits_check` answers as `InputType.fits` does, for every input type and every
stored field of the shipped metadata, whatever the value; `clean_payload`'s shortcuts for
plain text, numbers, switches and none clean a record as `clean_value` does, value by value;
`stored_values`, which calls no store that keeps a value as it is, answers as every store
called does."""

from __future__ import annotations

import decimal

import pytest
from conftest import SHIPPED
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import RecordInvalid
from engine.records.target import Target
from engine.records.values import clean_payload, clean_value, stored_values
from engine.registry import build_registry
from engine.types import INT64_MAX, INT64_MIN, TYPES

REGISTRY = build_registry(str(SHIPPED))
FIELDS = {
    (name, field.name): field
    for tenant in REGISTRY.tenants.values()
    for name, entity in tenant.entities.items()
    for field in entity.spec.fields
    if field.stored
}
EACH_FIELD = sorted(FIELDS)

VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=INT64_MIN - 2, max_value=INT64_MIN + 2),
    st.integers(min_value=INT64_MAX - 2, max_value=INT64_MAX + 2),
    st.sampled_from([10**13, 10**14, 10**15, -(10**15), 10**17, 10**18, 10**19]),
    st.floats(),
    st.floats(min_value=-1e20, max_value=1e20),
    st.decimals(),
    st.text(),
    st.sampled_from(["2024-02-29", "2023-02-29", "9999-12-31", "0001-01-01", "12:30", "x"]),
    st.sampled_from(["2024-05-01T10:00:00+00:00", "9999-12-31T23:30:00-05:00", "1e5", "5"]),
    st.lists(st.text(max_size=3), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def outcome(check, *args):
    """What a check answers, or the class of what it raises (as None does for a store
    that takes only text: callers never ask of None)."""
    try:
        return check(*args)
    except Exception as error:
        return type(error)


@pytest.mark.parametrize("key", EACH_FIELD, ids="-".join)
@settings(max_examples=60, deadline=None)
@given(value=VALUES)
def test_a_fields_fits_check_answers_as_fits(key, value):
    field = FIELDS[key]
    row = TYPES[field.input_type]
    assert outcome(row.fits_check(field), value) == outcome(row.fits, field, value)


@pytest.mark.parametrize("name", sorted(TYPES))
@settings(max_examples=60, deadline=None)
@given(value=VALUES)
def test_each_types_fits_check_answers_as_fits_for_a_system_column(name, value):
    row = TYPES[name]
    if row.column is None:
        return  # a type without a column of its own (lines)
    assert outcome(row.fits_check(None), value) == outcome(row.fits, None, value)


def test_a_type_with_its_own_fits_is_asked_itself():
    row = TYPES["integer"]
    import dataclasses

    class Picky(type(row)):
        def fits(self, field, value):
            return value == 7

    picky = Picky(**{f.name: getattr(row, f.name) for f in dataclasses.fields(row)})
    check = picky.fits_check(None)
    assert check(7) and not check(8)


TARGET = Target(REGISTRY.tenants["standard"], REGISTRY.tenants["standard"].entity("customer"))
NAMES = [*[f.name for f in TARGET.stored()][:8], "sites", "not_a_field"]
TEXTS = st.one_of(
    st.text(),
    st.text(alphabet=" \t\n\x00ab\u00e9\ud800"),
    st.sampled_from(["", "  ", " a ", "\x00", "é", "\ud800", "plain"]),
)


def plainly(target: Target, data: dict):
    """What clean_payload answered before its shortcut: clean_value of each value."""
    errors: list = []
    cleaned = {key: clean_value(target, key, value, errors, "") for key, value in data.items()}
    return ("errors", [e.message for e in errors]) if errors else cleaned


@settings(max_examples=300, deadline=None)
@given(data=st.dictionaries(st.sampled_from(NAMES), st.one_of(TEXTS, VALUES), max_size=6))
def test_clean_payload_cleans_as_clean_value_does(data):
    data = {k: v for k, v in data.items() if k != "sites"}  # lines: cleaned row by row
    try:
        answer = clean_payload(TARGET, data)
    except RecordInvalid as error:
        answer = ("errors", [e.message for e in error.errors])
    assert answer == plainly(TARGET, data)


def test_clean_payload_still_refuses_a_nul_and_keeps_the_rest():
    with pytest.raises(RecordInvalid) as refused:
        clean_payload(TARGET, {NAMES[0]: "a\x00b", NAMES[1]: " kept "})
    assert [e.code for e in refused.value.errors] == ["invalid_character"]
    assert clean_payload(TARGET, {NAMES[1]: " kept ", NAMES[2]: "   "}) == {
        NAMES[1]: "kept",
        NAMES[2]: None,
    }
    assert decimal.Decimal("1") == 1  # a decimal is cleaned by clean_value, as before


def test_clean_payload_keeps_none_switches_and_whole_numbers_as_clean_value_does():
    data = {NAMES[0]: None, NAMES[1]: True, NAMES[2]: 0, NAMES[3]: -(2**70), NAMES[4]: 1.5}
    assert clean_payload(TARGET, data) == plainly(TARGET, data)
    assert [type(v) for v in clean_payload(TARGET, data).values()] == [
        type(v) for v in plainly(TARGET, data).values()
    ]


TARGETS = [
    Target(tenant, tenant.entity(name))
    for tenant in REGISTRY.tenants.values()
    for name in sorted(tenant.entities)
]


def plainly_stored(target: Target, record: dict) -> dict:
    """What stored_values answers without its shortcut: each stored field's store called."""
    return {
        attribute: None if record[name] is None else store(record[name])
        for name, attribute, store in target.storers()
        if name in record
    }


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: f"{t.tenant.spec.name}-{t.spec.name}")
@settings(max_examples=40, deadline=None)
@given(value=VALUES)
def test_stored_values_answer_as_each_store_called(target, value):
    for name in [f.name for f in target.stored()]:
        record = {name: value, "not_a_field": value}
        answer, plain = (
            outcome(stored_values, target, record),
            outcome(plainly_stored, target, record),
        )
        assert repr(answer) == repr(plain)  # a NaN is equal to no NaN, its repr is
