"""Lookups within one file: a row may name a record that a row above it creates.

While the columns are converted, a cell of a lookup to the imported entity itself is
left pending. Once each new record has its id, the rows are read in file order: a
pending cell names a record of the database or of a row above, and each row becomes
known to the rows below it as it is passed. A row that names a rejected row is rejected
too, since the record it names is not written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.bulk.cells import CONVERSION_ERRORS, Converter, problem
from engine.bulk.lookups import LookupIndex, LookupMiss
from engine.bulk.rows import Entry, Row
from engine.spec import FieldSpec


@dataclass(frozen=True, slots=True)
class Pending:
    """A lookup cell to read once the records of the rows above it are known."""

    cell: Any


class FileLinks:
    """The lookups of one import that may name records created by the file itself."""

    def __init__(self, index: LookupIndex) -> None:
        """`index` knows the records of the imported entity in the database."""
        self.index = index
        self.fields: list[FieldSpec] = []
        self.converters: dict[str, Converter] = {}
        self.made: dict[int, Row] = {}  # id of a record the file creates → its row
        self._later: dict[int, Row] | None = None
        self._later_index: LookupIndex | None = None

    def add(self, field: FieldSpec, convert: Converter) -> None:
        """A lookup field of the file, and its converter reading a cell against `index`."""
        self.fields.append(field)
        self.converters[field.name] = convert

    def resolve(self, rows: Sequence[tuple[Row, int | None]]) -> None:
        """Every pending cell as the id it names, in file order; each row comes with the id
        of the record it creates (None when it updates one)."""
        for row, new_id in rows:
            for field in self.fields:
                value = row.values.get(field.name)
                if isinstance(value, Pending):
                    row.values[field.name] = self._id(row, field, value.cell, rows)
            if new_id is not None:
                self.index.add(new_id, self._keys(row))
                self.made[new_id] = row

    def source(self, record_id: Any) -> dict[str, Any] | None:
        """The values of the record a row of the file creates, for a lookup to fetch from."""
        row = self.made.get(record_id)
        return None if row is None else row.values

    def reject_dependents(self, entries: Sequence[Entry]) -> None:
        """A row naming a rejected row is rejected, saying which; in file order, so that a
        row naming that one follows."""
        rejected: set[int] = set()
        for entry in entries:
            row = entry.row
            if not entry.failed:
                for field in self.fields:
                    named = self.made.get(row.values.get(field.name))
                    if named is not None and id(named) in rejected:
                        row.errors.append(
                            f"{field.label}: row {named.number}, which it names, is rejected."
                        )
            if entry.failed:
                rejected.add(id(row))

    def _id(self, row: Row, field: FieldSpec, cell: Any, rows: Sequence[tuple]) -> int | None:
        try:
            return self.converters[field.name](cell)
        except CONVERSION_ERRORS as error:
            later = self._below(row, cell, rows) if isinstance(error, LookupMiss) else None
            row.errors.append(problem(field, cell, later or error))
            row.unreadable.add(field.name)
            return None

    def _below(self, row: Row, cell: Any, rows: Sequence[tuple]) -> LookupMiss | None:
        """Why a name the rows above do not know is refused when a row below makes it."""
        if self._later_index is None:
            made = [(new_id, r) for r, new_id in rows if new_id is not None]
            self._later = dict(made)
            self._later_index = LookupIndex(
                self.index.entity, [(new_id, *self._keys(r)) for new_id, r in made]
            )
        try:
            below = self._later[self._later_index.resolve(cell)]
        except LookupMiss:
            return None
        if below.number <= row.number:
            return None
        return LookupMiss(
            f"the {self.index.entity.label} {str(cell).strip()!r} is created by row "
            f"{below.number}, below this one; a row can name only those above it"
        )

    def _keys(self, row: Row) -> tuple:
        return tuple(row.values.get(f.name) for f in self.index.fields)
