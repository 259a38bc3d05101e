"""The compile pipeline's shortcuts answer as their plain versions do: the system columns
of a kind of entity worked out once, the filter indexes found from the first candidates
alone, and what engine.shared keeps by an object's identity."""

from __future__ import annotations

import gc

import pytest
from conftest import SHIPPED

from engine.errors import Source
from engine.loader import load_project
from engine.records import list_filters
from engine.records.list_filters import LIST_FILTERS, filter_candidates, filter_indexed_fields
from engine.registry import build_registry
from engine.semantics.context import present_columns
from engine.shared import _ById
from engine.spec import FieldSpec

REGISTRY = build_registry(str(SHIPPED))
ENTITIES = [e.spec for t in REGISTRY.tenants.values() for e in t.entities.values()]


@pytest.mark.parametrize("has_statuses", [False, True])
@pytest.mark.parametrize("delete", [None, "never", "soft", "hard", "sometimes", ""])
def test_the_system_columns_of_a_kind_of_entity_are_those_worked_out_each_time(
    has_statuses, delete
):
    assert present_columns(has_statuses, delete) == present_columns.__wrapped__(
        has_statuses, delete
    )
    assert present_columns(has_statuses, delete) == present_columns(has_statuses, delete)


def plain_filter_indexed_fields(entity):
    """filter_indexed_fields as it read every candidate before taking the first ones."""
    chosen = [c for c in filter_candidates(entity) if not isinstance(c, FieldSpec) or not c.lookup]
    return frozenset(
        c.name
        for c in chosen[: list_filters.LIST_FILTERS]
        if isinstance(c, FieldSpec) and c.type.filter_indexed(c)
    )


@pytest.mark.parametrize("entity", ENTITIES, ids=lambda e: e.name)
def test_the_filter_indexes_are_those_of_every_candidate(entity):
    assert filter_indexed_fields(entity) == plain_filter_indexed_fields(entity)
    # fewer filters than candidates: the first ones still decide
    for limit in range(LIST_FILTERS + 1):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("engine.records.list_filters.LIST_FILTERS", limit)
            assert filter_indexed_fields(entity) == plain_filter_indexed_fields(entity)


class Owner:
    """An object that can die, as a spec can."""


def test_what_is_kept_by_identity_is_answered_only_for_its_own_living_object():
    table = _ById()
    owners = [Owner() for _ in range(10)]
    for number in range(10):
        table.keep(owners[number], number)
    assert [table.get(owner) for owner in owners] == list(range(10))
    assert table.get(Owner()) is None and len(table) == 10
    owners[3:] = []
    gc.collect()
    assert len(table) == 3
    # an object made now may get a dead one's id(): it is not taken for it
    newcomers = [Owner() for _ in range(50)]
    assert all(table.get(newcomer) is None for newcomer in newcomers)


def test_the_dead_are_swept_so_the_table_stays_within_twice_what_lives():
    table, alive = _ById(), []
    for number in range(5001):
        owner = Owner()
        table.keep(owner, number)
        if number % 10 == 0:
            alive.append(owner)  # one in ten lives on
    del owner
    assert len(table) == len(alive)
    assert len(table._entries) <= max(64, 2 * len(alive)) + 1
    assert [table.get(owner) for owner in alive] == list(range(0, 5001, 10))


def plain_line_of(document, path):
    """Document.line_of as it looked every ancestor up, the path itself first."""
    for end in range(len(path), -1, -1):
        line = document.lines.get(tuple(path[:end]))
        if line is not None:
            return line
    return 1


def test_every_place_in_the_shipped_files_is_located_as_before():
    project, problems = load_project(str(SHIPPED))
    assert not problems
    documents = [project.groups, *project.entities.values()]
    for tenant in project.tenants.values():
        documents += [tenant.document, *tenant.entities.values(), *tenant.translations.values()]
    documents = [document for document in documents if document is not None]
    assert len(documents) > 10
    for document in documents:
        for path in document.lines:
            # the path, a key under it never written, and its list form
            for asked in (path, (*path, "nothing-here"), (*path, 99, "x"), list(path)):
                line = plain_line_of(document, tuple(asked))
                assert document.line_of(asked) == line
                assert document.source_of(asked) == Source(document.file, line)
