"""Which filters a list page offers, and so which columns their filters need indexed.

A list page offers at most LIST_FILTERS filters, taken in this order from the
candidates: the status, whether a record is active, then each shown field with a filter
select (a select, a switch) or a lookup shown in the list. A lookup's choices come with
the data: the page skips one whose table is too large to list and takes the next
candidate instead. A lookup's column is always indexed, so the columns a page may need
indexed are those of the first LIST_FILTERS candidates that are no lookup; every other
column is filtered through the API only, which says when no index answers it
(`engine.records.search.unindexed_filters`), unless its field asks for one (`index:`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from engine.spec import EntitySpec, FieldSpec

LIST_FILTERS = 7  # the most filters a list page offers


def filter_candidates(entity: EntitySpec) -> list[str | FieldSpec]:
    """The list page's filter candidates in its order: "status" and "active" by name (a
    system column, when the entity has it), then the fields."""
    return list(_candidates(entity))


def _candidates(entity: EntitySpec) -> Iterator[str | FieldSpec]:
    if entity.statuses:
        yield "status"
    if "active" in entity.system_columns:  # deactivated, not deleted
        yield "active"
    for field in entity.fields:
        if field.stored and not field.hidden and _has_filter(field):
            yield field


def _has_filter(field: FieldSpec) -> bool:
    return field.type.filter_choices(field) is not None or bool(field.lookup and field.in_list)


def filter_indexed_fields(entity: EntitySpec) -> frozenset[str]:
    """The fields whose column a list page's filter may read, and which so get an index:
    those of the first LIST_FILTERS candidates that are no lookup, whose filter an index
    can answer (`InputType.filter_indexed`)."""
    # the candidates are asked for only until the first LIST_FILTERS are found
    chosen = (c for c in _candidates(entity) if not isinstance(c, FieldSpec) or not c.lookup)
    return frozenset(
        c.name
        for c in itertools.islice(chosen, LIST_FILTERS)
        if isinstance(c, FieldSpec) and c.type.filter_indexed(c)
    )
