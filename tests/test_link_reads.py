"""The ids a page's links name, found by webui.page_links from each compiled entity's
lookups and lines fields taken once, against the plain walk over every record and row,
field by field: every shipped tenant × entity, with links stored (ids, None) or typed
(digits, other text, booleans, numbers of other kinds), rows that are not records, and
lines in lines."""

from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from conftest import SHIPPED
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from page_costs import ENTITIES

from engine.records.target import Target
from engine.registry import build_registry
from webui import page_links

TENANTS = build_registry(str(SHIPPED)).tenants

# what a link's value may be: stored, typed, or anything a form or a caller sends
VALUES = st.one_of(
    st.none(),
    st.integers(-3, 2**63),
    st.sampled_from([0, 1, 2, 3]),
    st.booleans(),
    st.sampled_from(["1", "2", "0", "07", "", " 3", "3 ", "abc", "\u0663", "-1", "1.0"]),
    st.floats(allow_nan=False),
    st.sampled_from([1.0, Decimal("2"), b"3"]),
)


def plain_ids(target: Target, records: list, into: dict[str, set[int]]) -> None:
    """The plain walk: each record's lookups one by one, then its lines' rows, each row a
    record of the lines' entity."""
    for record in records:
        for field in target.spec.fields:
            if field.lookup:
                value = record.get(field.name)
                if value is not None and (found := page_links._as_id(value)) is not None:
                    into[field.lookup.entity].add(found)
        for line in target.lines():
            rows = record.get(line.name)
            if isinstance(rows, list):
                plain_ids(target.child(line), [r for r in rows if isinstance(r, dict)], into)


def _records(target: Target, depth: int = 0) -> st.SearchStrategy[dict]:
    """A record of the target: values of its lookups, other fields, and its lines' rows
    (records of the lines' entity, and things that are not records)."""
    fields = {field.name: VALUES for field in target.spec.fields if field.lookup} | {
        "unknown": VALUES
    }
    lines = {}
    if depth < 2:
        for line in target.lines():
            row = _records(target.child(line), depth + 1)
            lines[line.name] = st.one_of(
                st.lists(st.one_of(row, st.just("not a row"), st.just(None)), max_size=4),
                st.just("not rows"),
                st.none(),
            )
    return st.fixed_dictionaries({}, optional={**fields, **lines})


@pytest.mark.parametrize(("tenant", "entity"), ENTITIES)
def test_the_ids_a_page_links_to_are_those_the_plain_walk_finds(tenant, entity):
    compiled = TENANTS[tenant]
    target = Target(compiled, compiled.entity(entity))

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(_records(target), max_size=3))
    def check(records: list[dict[str, Any]]) -> None:
        plain: dict[str, set[int]] = defaultdict(set)
        plain_ids(target, records, plain)
        found = page_links._linked_ids(page_links._link_fields(target), records)
        assert dict(found) == dict(plain)
        for entity, ids in found.items():
            assert all(i.__class__ is int for i in ids), (entity, ids)

    check()


def test_the_link_fields_are_found_once_per_compiled_entity():
    compiled = TENANTS["standard"]
    target = Target(compiled, compiled.entity("customer"))
    again = Target(compiled, compiled.entity("customer"))
    fields = page_links._link_fields(target)
    assert page_links._link_fields(again) is fields
    assert fields.lookups and fields.lines
    for name, child in fields.lines:
        line = next(field for field in target.spec.fields if field.name == name)
        assert child == target.child(line)
    entity = fields.lookups[0][1]
    assert page_links._titles(fields, target, entity) == page_links.title_columns(target, entity)
    linked = page_links._linked_target(fields, target, entity)
    assert linked == Target(compiled, compiled.entity(entity))
    assert page_links._linked_target(fields, target, entity) is linked
