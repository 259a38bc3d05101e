"""A file's rows on their way in: read into values a column at a time, and the errors of
each row kept beside it, as a person reading the file finds them."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.bulk.cells import CONVERSION_ERRORS, problem
from engine.bulk.tables import Table, normalized, unsafe_cell
from engine.compile.validator import RecordError
from engine.spec import FieldSpec


@dataclass(slots=True)
class Row:
    """One row of a file on its way in."""

    table: Table
    number: int  # in its file, counting the header as 1
    cells: Sequence[Any]
    values: dict[str, Any] = dataclasses.field(default_factory=dict)
    errors: list[str] = dataclasses.field(default_factory=list)
    revision: int | None = None  # the revision the row was exported at, if the file says
    unreadable: set[str] = dataclasses.field(default_factory=set)  # fields whose cell is wrong


@dataclass(slots=True)
class Entry:
    """A record to write: its row, and its lines' rows by line field."""

    row: Row
    lines: dict[str, list[Row]] = dataclasses.field(default_factory=dict)
    record_id: int | None = None  # set when the key names an existing record
    new_id: int | None = None  # reserved before the checks when rows may name rows above

    @property
    def rows(self) -> list[Row]:
        """The record's row followed by the rows of its lines."""
        return [self.row, *(r for rows in self.lines.values() for r in rows)]

    def document(self, lines: list[FieldSpec]) -> dict[str, Any]:
        """The record as the validator takes it: its values, and its lines without their link."""
        if not lines:
            return self.row.values  # read, not changed, by the validator
        document = dict(self.row.values)
        for line in lines:
            link = line.lines.link
            document[line.name] = [
                {k: v for k, v in r.values.items() if k != link}
                for r in self.lines.get(line.name, [])
            ]
        return document

    @property
    def failed(self) -> bool:
        """Whether the record's row or any of its lines' rows has an error."""
        if self.row.errors or not self.lines:
            return bool(self.row.errors)
        return any(r.errors for rows in self.lines.values() for r in rows)


def read_rows(table: Table, plain: list, typed: list) -> list[Row]:
    """The table's rows with their values, converted a column at a time (one pass of a
    converter over a column costs far less than a pass over each row's cells): `plain`
    (index, name) of text columns taken as they are, `typed` (index, field, converter,
    whole-column converter) of the others."""
    width = len(table.headers)
    rows = []
    for number, cells in table.rows:
        row = Row(table, number, cells)
        if len(cells) != width:
            if any(c not in (None, "") for c in cells[width:]):
                row.errors.append(f"the row has {len(cells)} cells but the headers only {width}")
            row.cells = _fit(cells, width)
        rows.append(row)
    if not rows:
        return rows
    columns = list(zip(*(row.cells for row in rows), strict=True))
    names = [name for _, name in plain] + [field.name for _, field, *_ in typed]
    converted = [
        _texts(columns[index], rows, table.headers[index], table.guarded) for index, _ in plain
    ]
    converted += [
        _typed(columns[index], rows, field, convert, whole)
        for index, field, convert, whole in typed
    ]
    for row, values in zip(rows, zip(*converted, strict=True), strict=True):
        row.values = dict(zip(names, values, strict=True))
    return rows


def _texts(cells: Sequence[Any], rows: list[Row], header: str, guarded: bool) -> list[str | None]:
    """A text column of a CSV: each cell trimmed, empty as None; a cell with an export's
    formula guard or a NUL takes the long way."""
    try:
        texts = [cell.strip() or None for cell in cells]
    except AttributeError:  # a short row's padding
        texts = [cell.strip() or None if cell else None for cell in cells]
    if not guarded:
        return texts
    joined = "\x1f".join(filter(None, texts))
    if "'" not in joined and "\x00" not in joined:
        return texts
    for index, text in enumerate(texts):
        if text and "\x00" in text:
            rows[index].errors.append(f"{header} holds a NUL character, which cannot be stored")
        elif text and text[0] == "'":
            texts[index] = unsafe_cell(text)
    return texts


def _typed(
    cells: Sequence[Any], rows: list[Row], field: FieldSpec, convert: Any, whole: Any
) -> list[Any]:
    """A column converted by its field's converter; a cell that does not convert is an
    error of its row, and a blank cell is no value. The column's `whole` converter, if
    any, goes first: it takes a column of plain cells in one pass."""
    if whole is not None:
        try:
            return whole(cells)
        except (ValueError, TypeError, KeyError):
            pass  # some cell is not plain: cell by cell
    try:
        return [None if cell is None or cell == "" else convert(cell) for cell in cells]
    except CONVERSION_ERRORS:
        pass
    values = []
    for cell, row in zip(cells, rows, strict=True):
        value = None
        if cell is not None and cell != "":
            try:
                value = convert(cell)
            except CONVERSION_ERRORS as error:
                if cell.__class__ is not str or cell.strip():
                    row.errors.append(problem(field, cell, error))
                    row.unreadable.add(field.name)
        values.append(value)
    return values


def place_error(entry: Entry, error: RecordError) -> None:
    """A validator error on the row it belongs to (`sites[2].x` is the third sites row),
    unless the row's cell for that field was already reported as unreadable."""
    row, name = entry.row, error.field
    line, _, rest = error.field.partition("[")
    if rest and line in entry.lines:
        index = int(rest.split("]")[0])
        if index < len(entry.lines[line]):
            row, name = entry.lines[line][index], rest.partition("].")[2]
    if name not in row.unreadable:
        row.errors.append(error.message)


def refuse_repeated_keys(entries: list[Entry], key: FieldSpec) -> None:
    """Mark every row whose upsert key repeats an earlier row's key of the file."""
    seen: dict[str, Row] = {}
    for entry in entries:
        value = entry.row.values.get(key.name)
        if value is None:
            continue
        text = key_text(value)
        if text in seen:
            entry.row.errors.append(
                f"{key.label} {value!r} is also on row {seen[text].number}; a key names one record"
            )
        else:
            seen[text] = entry.row


def revision_of(row: Row, index: int) -> Any:
    """The revision a row's cell at `index` names; None when the cell is empty or holds no
    whole number, which is noted as the row's error."""
    cell = row.cells[index]
    if cell in (None, ""):
        return None
    try:
        return int(float(cell)) if isinstance(cell, float) else int(str(cell).strip())
    except ValueError:
        row.errors.append(f"rev_number must be a whole number; the file has {cell!r}")
        return None


def _fit(cells: Sequence[Any], width: int) -> Sequence[Any]:
    """A row cut or padded to the header's width."""
    if len(cells) < width:
        return (*cells, *([None] * (width - len(cells))))
    return cells[:width]


def key_text(value: Any) -> str:
    """A key value as the text rows are matched by (a whole float as an integer)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else normalized(str(value))
