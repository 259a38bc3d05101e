"""Lookups in files: a linked record named by its number, another unique key, or its title.

A file names a linked record the way people know it ("CUST-00042", "Net 30"), not by
its id. An index per linked entity, read once per import, turns those names into ids;
`#17` names a record by its id.
"""

from __future__ import annotations

from typing import Any

from engine.bulk.tables import normalized
from engine.spec import EntitySpec, FieldSpec


class LookupMiss(ValueError):
    """A cell that names no record, or several."""


def key_fields(entity: EntitySpec) -> list[FieldSpec]:
    """The fields that name a record of `entity`: its number, its other unique fields, its
    title, in that order of preference."""
    names = []
    if entity.numbering:
        names.append(entity.numbering.field)
    names += [f.name for f in entity.fields if f.unique and f.stored]
    if entity.title_field:
        names.append(entity.title_field)
    return [entity.field(name) for name in dict.fromkeys(names)]


class LookupIndex:
    """The records of one entity by every key that names them."""

    def __init__(self, entity: EntitySpec, rows: list[tuple]) -> None:
        """`rows` are (id, *values of key_fields(entity)) of every live record."""
        self.entity = entity
        self.fields = key_fields(entity)
        self.ids = {row[0] for row in rows}
        self._by_key: list[dict[str, set[int]]] = [{} for _ in self.fields]
        for row in rows:
            self.add(row[0], row[1:])

    def add(self, record_id: int, values: tuple) -> None:
        """Know one more record (one created by the import itself)."""
        self.ids.add(record_id)
        for index, value in zip(self._by_key, values, strict=True):
            if value not in (None, ""):
                index.setdefault(_key(value), set()).add(record_id)

    def resolve(self, cell: Any) -> int:
        """The id the cell names; LookupMiss says why none or which several."""
        text = str(cell).strip()
        if text.startswith("#") and text[1:].isdigit():
            if int(text[1:]) in self.ids:
                return int(text[1:])
            raise LookupMiss(f"{self.entity.label} {text} does not exist")
        wanted = _key(text)
        for field, index in zip(self.fields, self._by_key, strict=True):
            found = index.get(wanted)
            if found and len(found) == 1:
                return next(iter(found))
            if found:
                raise LookupMiss(
                    f"{len(found)} {self.entity.plural} have the {field.label} {text!r}; "
                    "name one by a unique key or as #id"
                )
        keys = " or ".join(f.label for f in self.fields) or "id (#17)"
        raise LookupMiss(f"no {self.entity.label} has the {keys} {text!r}")


def _key(value: Any) -> str:
    return normalized(str(value)) if isinstance(value, str) else str(value)
