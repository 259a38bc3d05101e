"""What an import will read, before it runs: each file's encoding, delimiter and first
rows, and what each of its columns fills, in words a person acts on."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from engine.bulk.columns import ERRORS_HEADER, ColumnMap, map_columns
from engine.bulk.tables import Table, normalized, rows_of
from engine.errors import did_you_mean
from engine.spec import EntitySpec, FieldSpec

SHOWN_ROWS = 10
_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
# the importer words its refusals for the command line; the page has controls instead
_CLI_WORDS = (
    (
        "remove it or pass --skip-unknown-columns",
        'remove it, or tick "Skip columns that name no field"',
    ),
    ("pass --key FIELD", 'choose a field under "Update existing records by"'),
)


@dataclass(frozen=True)
class ColumnView:
    """One header of a file and what the import does with its column."""

    position: int  # counted from 1, as a spreadsheet's user counts
    header: str
    meaning: str
    kind: str  # "field" (it fills something), "skipped" or "problem"


@dataclass
class TableView:
    """One file (or sheet) as the preview shows it."""

    anchor: str
    name: str
    entity: EntitySpec
    headers: list[str]
    row_count: int
    first_rows: list[tuple[int, list[str]]]
    columns: list[ColumnView]
    reading: list[tuple[str, str]]  # (what, how): format, encoding, delimiter


def table_view(
    table: Table,
    entity: EntitySpec,
    anchor: str,
    *,
    skip_unknown: bool,
    parent: FieldSpec | None = None,
    parent_names: list[str] | None = None,
) -> TableView:
    """The preview of a table read for `entity`; for a table of lines, `parent` is the
    field that names each line's record and `parent_names` the headers that may hold it."""
    mapping = map_columns(
        table.headers, entity, ignore_unknown=skip_unknown, parent_names=parent_names or []
    )
    return TableView(
        anchor=anchor,
        name=table.name,
        entity=entity,
        headers=table.headers,
        row_count=len(table.rows),
        first_rows=[
            (number, [cell_text(c) for c in cells])
            for number, cells in itertools.islice(rows_of(table), SHOWN_ROWS)
        ],
        columns=column_views(table.headers, entity, mapping, skip_unknown, parent),
        reading=_reading(table),
    )


def _reading(table: Table) -> list[tuple[str, str]]:
    if table.encoding is None:
        return [("Format", "XLSX workbook"), ("Sheet", table.name.rpartition(":")[2])]
    delimiter = table.delimiter or ","
    return [
        ("Format", "CSV"),
        ("Encoding", table.encoding),
        ("Delimiter", f"{_DELIMITERS.get(delimiter, 'the character')} ({delimiter!r})"),
    ]


def cell_text(value: Any) -> str:
    """A cell as the preview shows it: an XLSX number as the spreadsheet showed it."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def column_views(
    headers: list[str],
    entity: EntitySpec,
    mapping: ColumnMap,
    skip_unknown: bool,
    parent: FieldSpec | None = None,
) -> list[ColumnView]:
    """Each header and its column's fate: the field it fills, why it is skipped, or the
    problem that stops the import."""
    filled = {column.index: column.field for column in mapping.columns}
    views = []
    for index, header in enumerate(headers):
        if index in filled:
            kind, meaning = "field", filled[index].label
        elif index == mapping.parent and parent is not None:
            kind, meaning = "field", f"the {parent.label} each line belongs to"
        elif index == mapping.revision:
            kind, meaning = "field", "the revision: a row whose record changed since is refused"
        elif not normalized(header):
            kind, meaning = _headerless(index, headers)
        else:
            kind, meaning = _unused(header, entity, skip_unknown)
        views.append(ColumnView(index + 1, header, meaning, kind))
    return views


def _headerless(index: int, headers: list[str]) -> tuple[str, str]:
    """A column without a header before named ones is a header missing; after the last
    named one, it is padding."""
    if any(normalized(h) for h in headers[index + 1 :]):
        return "problem", "the column has no header: name the field it fills"
    return "skipped", "skipped: the column has no header"


def _unused(header: str, entity: EntitySpec, skip_unknown: bool) -> tuple[str, str]:
    """Why a column fills no field, in the order the importer decides it."""
    key = normalized(header)
    if key == normalized(ERRORS_HEADER):
        return "skipped", "skipped: the errors of an earlier import"
    named = [f for f in entity.fields if normalized(f.name) == key]
    named = named or [f for f in entity.fields if normalized(f.label) == key]
    if key in map(normalized, entity.system_columns) and not named:
        return "skipped", "skipped: filled by the system"
    if len(named) > 1:
        names = ", ".join(f.name for f in named)
        return "problem", f"the label of several fields ({names}): head it with a field's name"
    if named:
        return _not_filled(named[0], entity)
    if skip_unknown:
        return "skipped", "skipped: not a field"
    labels = [f.label for f in entity.fields if f.stored and not f.hidden]
    return "problem", f"not a field{did_you_mean(header, labels)}"


def _not_filled(field: FieldSpec, entity: EntitySpec) -> tuple[str, str]:
    if field.system or field.read_only:
        return "skipped", "skipped: filled by the system"
    if field.lines:
        return "problem", f"{field.label} are imported from a file or sheet of their own"
    if field.hidden:
        return "skipped", f"skipped: {entity.label} does not use {field.label}"
    return "problem", f"another column fills {field.label} too"


def web_words(problem: str) -> str:
    """An importer's problem as the page says it."""
    for cli, web in _CLI_WORDS:
        problem = problem.replace(cli, web)
    return problem
