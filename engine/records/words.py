"""The words a list's search finds: each record's searchable fields as words, kept in a
column of the record's own row, and a search as the words typed.

A search finds the records where each word typed begins a word of a searchable field,
whatever the case and the accents ("mull gm" finds "Müller GmbH"). A word is a run of
letters and digits; everything else (spaces, punctuation, the operators of any search
syntax, a NUL) only separates words, so no search text is ever read as syntax.

Every writer (one INSERT, executemany, COPY, an UPDATE) writes the words in the same
statement as the values they come from: a rolled-back write leaves none behind, and a
deleted record or line takes its words with it. The database indexes that column
(engine.storage.search_index): SQLite by an FTS5 table its triggers keep, PostgreSQL by a
trigram index.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from engine.spec import EntitySpec, FieldSpec

_ASCII_WORD = re.compile("[a-z0-9]+")
VERSION = 1  # of how text becomes words: a change names a new column, which sync fills
# The switch of `records_words`' shortcut: False, each record's words are read by
# record_words (the plain path, which tests/test_words.py compares it with)
BY_COLUMN = True
_NONE = type(None)


def words(text: str) -> list[str]:
    """The words of `text`, lower case and without accents, in order."""
    if text.isascii():  # most text, read by C code: ASCII letters and digits are the words
        return _ASCII_WORD.findall(text.lower())
    folded = unicodedata.normalize("NFKD", text.lower())
    kept = "".join(
        " " if not char.isalnum() else char
        for char in folded
        if not unicodedata.category(char).startswith("M")  # an accent, once decomposed
    )
    return kept.split()


def searchable(spec: EntitySpec) -> list[FieldSpec]:
    """The fields whose words a search finds, in order."""
    return [f for f in spec.fields if f.stored and f.searchable]


def search_column(spec: EntitySpec) -> str | None:
    """The column holding the entity's words (None: nothing is searchable). Its name
    follows the searchable fields, so a change of them is a new column, which the schema
    sync fills from every record; no field can be so named (fields begin with a letter)."""
    names = [f.name for f in searchable(spec)]
    if not names:
        return None
    digest = hashlib.sha256(f"{VERSION}:{','.join(names)}".encode()).hexdigest()[:10]
    return f"_search_{digest}"


def record_words(fields: Iterable[FieldSpec], record: Mapping[str, Any]) -> str | None:
    """The column's value for a record (its values by field name): its words, each after a
    space, so that a word begins where a space ends; None when it has none."""
    texts = []
    for field in fields:
        value = record.get(field.name)
        if value is None or isinstance(value, bool):
            continue
        if isinstance(value, list):
            texts += map(str, value)
        else:
            texts.append(str(value))
    # the words of texts joined by a space are each text's words in turn (a space ends a
    # word, and changes no letter's case beside it): one pass over them all
    found = words(" ".join(texts))
    return " " + " ".join(found) if found else None


def records_words(fields: Sequence[FieldSpec], records: Sequence[Mapping[str, Any]]) -> list:
    """record_words of each record. Where every value of the fields is text (or none) and
    ASCII, as in most imports, read by C code a step at a time over all the records: the
    values, their texts, lower case, words, the column's value; else record by record."""
    texts = _ascii_texts(fields, records) if BY_COLUMN and fields else None
    if texts is None:
        return [record_words(fields, record) for record in records]
    found = map(" ".join, map(_ASCII_WORD.findall, map(str.lower, texts)))
    return [" " + text if text else None for text in found]


def _ascii_texts(
    fields: Sequence[FieldSpec], records: Sequence[Mapping[str, Any]]
) -> list[str] | None:
    """Each record's values of the fields joined by spaces (no value as an empty text),
    or None unless every value is text or none, and ASCII."""
    columns = []
    for field in fields:
        column = [record.get(field.name) for record in records]
        kinds = set(map(type, column))
        if not kinds <= {str, _NONE}:
            return None
        if _NONE in kinds:
            column = ["" if value is None else value for value in column]
        columns.append(column)
    texts = columns[0] if len(columns) == 1 else list(map(" ".join, zip(*columns, strict=True)))
    return texts if "".join(texts).isascii() else None
