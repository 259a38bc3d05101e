"""Which stored line a line of a re-imported file is.

A file names lines without their ids. When a file updates a record, each of its lines is
matched to the record's stored line with the same key (the line's number, another unique
field, or the fields unique together with the link); lines of an entity that has no key
are matched by their place. A line matched to no stored line is a new line; a stored line
no row matches is removed, as when a form leaves it out.
"""

from __future__ import annotations

from typing import Any

from engine.spec import EntitySpec


def line_keys(child: EntitySpec, link: str) -> list[tuple[str, ...]]:
    """The sets of fields that tell one line of a record from another, best first."""
    keys = []
    if child.numbering:
        keys.append((child.numbering.field,))
    keys += [(f.name,) for f in child.fields if f.unique and f.stored]
    keys += [
        tuple(n for n in names if n != link) for names in child.unique_together if link in names
    ]
    return list(dict.fromkeys(key for key in keys if key))


def match_lines(
    child: EntitySpec, link: str, rows: list[dict[str, Any]], stored: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The rows, each with the `id` of the stored line it is (none for a new line)."""
    keys = line_keys(child, link)
    free = {line["id"]: line for line in stored}
    matched: list[int | None] = [None] * len(rows)
    for key in keys:
        by_key = {_values(line, key): line_id for line_id, line in free.items()}
        for index, row in enumerate(rows):
            wanted = _values(row, key)
            if matched[index] is None and None not in wanted and wanted in by_key:
                matched[index] = by_key.pop(wanted)
                del free[matched[index]]
    if not keys:  # nothing tells the lines apart but their order
        for index, line_id in zip(range(len(rows)), list(free), strict=False):
            matched[index] = line_id
    return [
        {**row, "id": line_id} if line_id else row
        for row, line_id in zip(rows, matched, strict=True)
    ]


def _values(values: dict[str, Any], key: tuple[str, ...]) -> tuple:
    return tuple(values.get(name) for name in key)


def holds(record: dict[str, Any], payload: dict[str, Any]) -> bool:
    """Whether the record already holds every value (and every line) of the payload; its
    lines are matched to the stored ones (see engine.bulk.matching) and hold their values."""
    for name, value in payload.items():
        old = record.get(name)
        if (
            isinstance(value, list)
            and isinstance(old, list)
            and value
            and isinstance(value[0], dict)
        ):
            stored = {line["id"]: line for line in old}
            if len(value) != len(old) or any(
                "id" not in new or any(stored[new["id"]].get(k) != v for k, v in new.items())
                for new in value
            ):
                return False
        elif old != value:
            return False
    return True
