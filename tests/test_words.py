"""A record's search words, read in one pass over its searchable fields, are each field's
words in turn, as reading the fields one by one finds them: any text (accents, combining
marks alone, Greek final sigma, any script), lists, numbers, switches and no value; a
batch's words, read a field at a time where its values are ASCII text, are each record's."""

from __future__ import annotations

import decimal
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.records import words as words_module
from engine.records.words import record_words, records_words, words

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


ASCII_TEXT = st.text(alphabet=st.sampled_from("aZ09 -_.,'\t\n\x00~"), max_size=12)
TEXT_OR_NONE = st.one_of(st.none(), ASCII_TEXT, TEXT)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=1, max_value=3).flatmap(
        lambda width: st.lists(
            st.lists(st.one_of(TEXT_OR_NONE, VALUE), min_size=width, max_size=width)
            | st.lists(st.one_of(st.none(), ASCII_TEXT), min_size=width, max_size=width),
            max_size=6,
        )
    )
)
def test_a_batchs_words_read_a_field_at_a_time_are_each_records_words(rows):
    width = len(rows[0]) if rows else 1
    fields = [SimpleNamespace(name=f"f{n}") for n in range(width)]
    records = [dict(zip((f.name for f in fields), row, strict=True)) for row in rows]
    assert records_words(fields, records) == [record_words(fields, r) for r in records]


def test_a_batch_of_ascii_text_is_read_a_field_at_a_time(monkeypatch):
    fields = [SimpleNamespace(name="a"), SimpleNamespace(name="b")]
    records = [{"a": "Acme-Corp", "b": None}, {"a": None, "b": ""}, {"b": "X 1"}]
    seen = []
    monkeypatch.setattr(words_module, "record_words", lambda *args: seen.append(args))
    assert records_words(fields, records) == [" acme corp", None, " x 1"]
    assert seen == []  # not one record by record
    records.append({"a": "Müller"})  # one non-ASCII text: every record by record_words
    records_words(fields, records)
    assert len(seen) == len(records)
