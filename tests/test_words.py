"""A record's search words, read in one pass over its searchable fields, are each field's
words in turn, as reading the fields one by one finds them: any text (accents, combining
marks alone, Greek final sigma, any script), lists, numbers, switches and no value."""

from __future__ import annotations

import decimal
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.records.words import record_words, words

TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from("aZ09 -_.,'\u0301\u0308éÉŒßΣσςΟΔİıﬁ①٣\u00a0\t\n🙂"), st.characters()
    ),
    max_size=20,
)
VALUE = st.one_of(
    st.none(), st.booleans(), TEXT, st.lists(TEXT, max_size=3), st.integers(),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
)  # fmt: skip


def field_by_field(fields, record) -> str | None:
    """The plain reading: each field's words, one field after another."""
    found = []
    for field in fields:
        value = record.get(field.name)
        if value is None or isinstance(value, bool):
            continue
        for item in value if isinstance(value, list) else [value]:
            found += words(str(item))
    return " " + " ".join(found) if found else None


@settings(max_examples=400, deadline=None)
@given(st.lists(VALUE, min_size=1, max_size=5))
def test_the_words_of_a_record_are_its_fields_words_in_turn(values):
    fields = [SimpleNamespace(name=f"f{n}") for n in range(len(values))]
    record = dict(zip((f.name for f in fields), values, strict=True))
    assert record_words(fields, record) == field_by_field(fields, record)


def test_a_sigma_ends_a_word_in_its_own_field_only():
    fields = [SimpleNamespace(name="a"), SimpleNamespace(name="b")]
    record = {"a": "ΟΔΟΣ", "b": "ΣΟΦΙΑ", "c": decimal.Decimal("1.50")}
    assert record_words(fields, record) == field_by_field(fields, record) == " οδος σοφια"
