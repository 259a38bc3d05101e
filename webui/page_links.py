"""The records a page links to, read once per request: the titles of every link of the
page (its record's lookups, its lines' rows', its history's) in one query for all the
entities they name (engine.records.joint_reads), and a list filter's choices once,
however many filters show them.

What is read lives in `flask.g`, so it ends with the request: a page never shows a title
older than the request that renders it. Outside a request nothing is kept, and each
title is read on its own, the plain path these shortcuts are tested against.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from flask import g, has_request_context

from engine.errors import NotFound
from engine.records.target import Target
from webui.services import record_service
from webui.views import views

# The switch of this shortcut: False, every title and choice list is read where it is
# shown, as without this module (the plain path, which the tests compare it with).
READ_ONCE = True
# The switch of the narrow reads: False, a linked record is read whole, every column,
# though a page shows only its title (the plain path, which tests/test_title_reads.py
# compares them with).
TITLES_ONLY = True
# The switch of the joint read: False, the linked records of each entity are read by a
# statement of their own (the plain path, which tests/test_joint_reads.py compares it
# with); True, those of all entities by one (engine.records.joint_reads).
ONE_STATEMENT = True


@dataclass
class PageLinks:
    """What one request read of the records its page links to."""

    # (tenant, entity) → id → the record, or None where no live record has that id
    records: dict[tuple[str, str], dict[int, dict | None]] = field(default_factory=dict)
    choices: dict[Hashable, Any] = field(default_factory=dict)
    # the titles written of them, by how a link shows its record and the record's id: a
    # record linked from several fields and rows is titled once
    titles: dict[Hashable, str] = field(default_factory=dict)


def page_links() -> PageLinks | None:
    """This request's links, made on first use; None outside a request or when switched off."""
    if not READ_ONCE:
        return None
    try:  # set in this request already: asked for hundreds of times a page, so through
        # the proxy's own accessor (Flask's documented way), not its slower attribute look-up
        return g._get_current_object().formwork_page_links
    except (AttributeError, RuntimeError):  # not yet, or no app context
        pass
    if not has_request_context():
        return None
    found = g.formwork_page_links = PageLinks()
    return found


def read_links(target: Target, records: Iterable[dict]) -> None:
    """Read, in one query for every linked entity (where it cannot be, one per entity),
    the records that `records` of the target (stored values or typed text, with their
    lines' rows) link to, for `linked_record`."""
    links = page_links()
    if links is None:
        return
    fields = _link_fields(target)
    tenant = target.tenant.spec.name
    reading: dict[str, tuple[set[int], tuple[str, ...] | None]] = {}
    for entity, ids in _linked_ids(fields, list(records)).items():
        known = links.records.setdefault((tenant, entity), {})
        missing = ids - known.keys()
        if missing:
            reading[entity] = (missing, _titles(fields, target, entity) if TITLES_ONLY else None)
    if ONE_STATEMENT and TITLES_ONLY and len(reading) > 1:
        found = _read_linked(target, reading)
    else:
        found = {
            entity: record_service().read_many(tenant, entity, missing, columns)
            for entity, (missing, columns) in reading.items()
        }
    for entity, (missing, _) in reading.items():
        known = links.records[tenant, entity]
        known.update(dict.fromkeys(missing))  # None: no live record has the id
        known.update(found[entity])  # which holds those of `missing` that have one


def _read_linked(target: Target, reading: dict[str, tuple[set[int], Any]]) -> dict[str, dict]:
    """RecordReader.read_linked's answer for the entities of `reading`, given as the
    targets the target's links name (looked up once per compiled entity)."""
    fields = _link_fields(target)
    parts = [
        (_linked_target(fields, target, entity), columns, missing)
        for entity, (missing, columns) in reading.items()
    ]
    return dict(zip(reading, record_service().read_linked_targets(parts), strict=True))


def title_columns(target: Target, entity: str) -> tuple[str, ...]:
    """What a page shows of a record of `entity` that a link names (webui.display's
    title_of, widget_entries' shown_title): the field any lookup of the tenant to it
    shows, its number, and whether it is active; found once per compiled entity."""
    linked = views(_linked_target(_link_fields(target), target, entity))
    if linked.title_columns is None:
        spec = target.tenant.entity(entity).spec
        shown = {
            field.lookup.show
            for compiled in target.tenant.entities.values()
            for field in compiled.spec.fields
            if field.lookup and field.lookup.entity == entity
        }
        if spec.numbering:
            shown.add(spec.numbering.field)
        if "active" in spec.system_columns:
            shown.add("active")
        linked.title_columns = tuple(sorted(shown))
    return linked.title_columns


def linked_record(tenant: str, entity: str, record_id: int) -> dict | None:
    """The linked record, as read for the page if it was, else read now; None when gone."""
    return page_record(page_links(), tenant, entity, record_id)


def page_record(links: PageLinks | None, tenant: str, entity: str, record_id: int) -> dict | None:
    """linked_record's answer, `links` being this request's (page_links's answer)."""
    known = links.records.get((tenant, entity), {}) if links else {}
    if record_id in known:
        return known[record_id]
    try:
        return record_service().read(tenant, entity, record_id)
    except NotFound:
        return None


def remember_records(tenant: str, entity: str, records: list[dict]) -> None:
    """Records of the entity this request has read anyway (a lookup's choices), whose
    titles `linked_record` then answers without a query."""
    links = page_links()
    if links is not None:
        known = links.records.setdefault((tenant, entity), {})
        known.update({record["id"]: record for record in records})


def once_per_page(key: Hashable, read: Callable[[], Any]) -> Any:
    """What `read` answers, read once per request for `key` (a lookup's choices)."""
    links = page_links()
    if links is None:
        return read()
    if key not in links.choices:
        links.choices[key] = read()
    return links.choices[key]


def typed_records(typed: dict[str, Any]) -> dict[str, Any]:
    """What a form shown again holds, as a record: its fields' text, and its lines' rows
    from the inputs named `<lines>-<row>-<field>`."""
    record: dict[str, Any] = {}
    rows: dict[str, dict[int, dict]] = defaultdict(dict)
    for key, value in typed.items():
        parts = key.split("-")
        if len(parts) == 3 and parts[1].isdigit():
            rows[parts[0]].setdefault(int(parts[1]), {})[parts[2]] = value
        elif len(parts) == 1:
            record[key] = value
    record.update({name: list(by_row.values()) for name, by_row in rows.items()})
    return record


class _LinkFields(NamedTuple):
    """What a record of an entity links to, found once per compiled entity."""

    lookups: tuple[tuple[str, str], ...]  # (lookup field, the entity it names)
    lines: tuple[tuple[str, Target], ...]  # (lines field, the entity of its rows)
    targets: dict[str, Target]  # the tenant's entities its pages link to, by name
    titles: dict[str, tuple[str, ...]]  # title_columns of each of them


def _linked_ids(fields: _LinkFields, records: list[dict]) -> dict[str, set[int]]:
    """The ids that `records` (of the entity of `fields`) and their lines' rows link to,
    by the entity each names."""
    batches: list[tuple[_LinkFields, list[dict]]] = []
    _with_rows(fields, records, batches)
    wanted: dict[str, set[int]] = defaultdict(set)
    for linking, batch in batches:
        lookups = linking.lookups
        for record in batch:
            get = record.get
            for name, entity in lookups:
                value = get(name)
                if value is None:
                    continue
                if value.__class__ is int:  # a stored link, the most common: no call to tell
                    wanted[entity].add(value)
                elif (record_id := _as_id(value)) is not None:
                    wanted[entity].add(record_id)
    return wanted


def _with_rows(fields: _LinkFields, records: list[dict], into: list) -> None:
    """Add `records` (of the entity of `fields`) to `into`, then their lines' rows, each
    lines field's of all of them at once."""
    into.append((fields, records))
    for name, child in fields.lines:
        rows = []
        for record in records:
            found = record.get(name)
            if isinstance(found, list):
                rows += [row for row in found if isinstance(row, dict)]
        if rows:
            _with_rows(_link_fields(child), rows, into)


def _link_fields(target: Target) -> _LinkFields:
    """The entity's lookups, each with the entity it names, and its lines fields, each
    with its rows' entity: found once per compiled entity rather than among all of its
    fields for each record."""
    found = views(target).link_fields
    if found is None:
        fields = target.spec.fields
        lookups = tuple((field.name, field.lookup.entity) for field in fields if field.lookup)
        lines = tuple((line.name, target.child(line)) for line in target.lines())
        found = views(target).link_fields = _LinkFields(lookups, lines, {}, {})
    return found


def _linked_target(fields: _LinkFields, target: Target, entity: str) -> Target:
    """The target of the tenant's `entity`, which a page of `target` links to."""
    found = fields.targets.get(entity)
    if found is None:
        found = fields.targets[entity] = Target(target.tenant, target.tenant.entity(entity))
    return found


def _titles(fields: _LinkFields, target: Target, entity: str) -> tuple[str, ...]:
    """title_columns(target, entity), kept with the target's link fields."""
    found = fields.titles.get(entity)
    if found is None:
        found = fields.titles[entity] = title_columns(target, entity)
    return found


def _as_id(value: Any) -> int | None:
    """A link's id, stored (an int) or typed (digits); None for anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
