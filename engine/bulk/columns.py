"""Which column of a file fills which field: by the field's name or its label.

Case, spaces and underscores do not count ("Customer Name", "customer_name" and
"CUSTOMER NAME" all name one field). A column that names no field is a problem
that stops the import unless the user asks to skip such columns; a column the
system fills in (its id, audit columns, a read-only field) is skipped with a notice.
Nothing is dropped without being said.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from engine.bulk.tables import normalized
from engine.errors import did_you_mean
from engine.spec import EntitySpec, FieldSpec

ERRORS_HEADER = "Import errors"  # the column a file of rejected rows adds
REVISION = "rev_number"


@dataclass(frozen=True)
class Column:
    """A column of a file that holds a field: its place, its header and the field."""

    index: int
    header: str
    field: FieldSpec


@dataclass
class ColumnMap:
    """A file's headers read against an entity."""

    columns: list[Column] = field(default_factory=list)
    revision: int | None = None  # the column of the revision each row was read at
    parent: int | None = None  # in a file of lines: the column naming each row's parent
    skipped: list[str] = field(default_factory=list)  # notices
    problems: list[str] = field(default_factory=list)  # each stops the import

    def column_of(self, name: str) -> Column | None:
        """The column of the field called `name`, or None when the file has none."""
        return next((c for c in self.columns if c.field.name == name), None)


def map_columns(
    headers: Sequence[str],
    entity: EntitySpec,
    *,
    ignore_unknown: bool = False,
    parent_names: Sequence[str] = (),
    where: str = "",
) -> ColumnMap:
    """Map every header to a field of `entity`. `parent_names` are the headers that may
    name a line's parent (the link field's, the parent key's name and label)."""
    by_name = {normalized(f.name): f for f in entity.fields}
    by_label: dict[str, list[FieldSpec]] = {}
    for f in entity.fields:
        by_label.setdefault(normalized(f.label), []).append(f)
    parents = {normalized(n) for n in parent_names}
    system = {normalized(n) for n in entity.system_columns}
    mapping = ColumnMap()
    seen: dict[str, str] = {}
    for index, header in enumerate(headers):
        key = normalized(header)
        if not key:
            if _blank_column_is_problem(index, headers):
                mapping.problems.append(f"{where}column {index + 1} has no header")
            continue
        if key in parents and mapping.parent is None:
            mapping.parent = index
            continue
        if key == normalized(ERRORS_HEADER):
            continue  # the errors of a file of rejected rows, fixed and sent again
        if key in (normalized(REVISION), "revision"):
            mapping.revision = index
            continue
        if key in system and key not in by_name:
            mapping.skipped.append(f"{where}column {header!r} is filled in by the system: skipped")
            continue
        target = _field_for(key, by_name, by_label, header, where, mapping, ignore_unknown)
        if target is None:
            continue
        if target.name in seen:
            mapping.problems.append(
                f"{where}columns {seen[target.name]!r} and {header!r} both fill "
                f"{target.label} ({target.name})"
            )
            continue
        seen[target.name] = header
        _place(mapping, index, header, target, where, entity)
    return mapping


def _blank_column_is_problem(index: int, headers: Sequence[str]) -> bool:
    """A blank header before named ones is a missing header; trailing blanks are padding."""
    return any(normalized(h) for h in headers[index + 1 :])


def _field_for(
    key: str,
    by_name: dict[str, FieldSpec],
    by_label: dict[str, list[FieldSpec]],
    header: str,
    where: str,
    mapping: ColumnMap,
    ignore_unknown: bool,
) -> FieldSpec | None:
    if key in by_name:
        return by_name[key]
    labelled = by_label.get(key, [])
    if len(labelled) == 1:
        return labelled[0]
    if labelled:
        names = ", ".join(f.name for f in labelled)
        mapping.problems.append(
            f"{where}column {header!r} is the label of several fields ({names}); "
            "name the field instead"
        )
        return None
    if ignore_unknown:
        mapping.skipped.append(f"{where}column {header!r} is not a field: skipped")
        return None
    choices = [*(f.name for f in by_name.values()), *(f.label for f in by_name.values())]
    mapping.problems.append(
        f"{where}column {header!r} is not a field{did_you_mean(header, choices)}; "
        "remove it or pass --skip-unknown-columns"
    )
    return None


def _place(
    mapping: ColumnMap,
    index: int,
    header: str,
    target: FieldSpec,
    where: str,
    entity: EntitySpec,
) -> None:
    """Keep a column that fills a field a person may fill; skip the others, saying so."""
    if target.system or target.read_only:
        mapping.skipped.append(f"{where}column {header!r} is filled in by the system: skipped")
    elif target.lines:
        mapping.problems.append(
            f"{where}column {header!r} holds {target.label}, which is imported from a file "
            "or sheet of its own"
        )
    elif target.hidden:
        mapping.skipped.append(
            f"{where}column {header!r}: {entity.label} does not use {target.label}: skipped"
        )
    else:
        mapping.columns.append(Column(index, header, target))
