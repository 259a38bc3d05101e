"""The search index after writes through every path, on every shipped tenant's searchable
entities, on SQLite and PostgreSQL: records created (with lines), changed, deleted, imported
(many rows per statement) and lines edited, a search finds exactly the records a plain scan
of their words finds, and each record's words are those of its searchable fields."""

from __future__ import annotations

import itertools

import pytest
from conftest import SHIPPED
from sample_records import create_sample, sample_payload, with_lines
from test_shipped_transfer import fresh_values, service, tables_of  # noqa: F401

from engine.bulk.exporter import export_sheets
from engine.bulk.importer import ImportOptions, import_records
from engine.records.service import RecordService
from engine.records.words import record_words, search_column, searchable, words
from engine.registry import build_registry

REGISTRY = build_registry(str(SHIPPED))
_names = itertools.count(1)


def searched(tenant: str) -> list[str]:
    """The tenant's entities with searchable fields, those with lines first."""
    entities = REGISTRY.tenant(tenant).entities
    found = [e for e in sorted(entities) if searchable(entities[e].spec)]
    return sorted(found, key=lambda e: not any(f.lines for f in entities[e].spec.fields))


def renamed(target, values: dict) -> dict:
    """A change of every searchable text field the values hold, to words with accents."""
    return {
        f.name: f"Zürich Nord-Straße {next(_names)}"[: f.max_length or 255]
        for f in searchable(target.spec)
        if f.input_type == "text" and values.get(f.name) is not None and not f.unique
    }


def write_every_way(records: RecordService, tenant: str, entity: str) -> None:
    """Records created with lines, changed, deleted, imported, and lines edited."""
    target = records.target(tenant, entity)
    made = [with_lines(records, tenant, entity, 3) for _ in range(2)]
    change = renamed(target, made[0])
    if change:
        records.update(tenant, entity, made[0]["id"], {**change, "rev_number": 1}, "ann")
    if target.spec.delete != "never":
        records.delete(tenant, entity, create_sample(records, tenant, entity)["id"], "ann")
    has_lines = bool(target.lines())
    sheets = fresh_values(records, tenant, export_sheets(records, tenant, entity, lines=has_lines),
                          target.spec)  # fmt: skip
    main, *line_tables = tables_of(sheets, "csv")
    lines = {line.name: t for line, t in zip(target.lines(), line_tables, strict=True)}
    result = import_records(records, tenant, entity, main, lines, ImportOptions())
    assert [r.errors for r in result.rejected] == [] and result.created >= 2
    if has_lines:  # a line removed (where lines may be), a line changed, one added, at once
        record = records.read(tenant, entity, made[1]["id"])
        payload = {"rev_number": record["rev_number"]}
        for line in target.lines():
            removable = target.child(line).spec.delete != "never"
            kept = [dict(row) for row in record[line.name][1 if removable else 0 :]]
            if kept:
                kept[0].update(renamed(target.child(line), kept[0]))
            added = sample_payload(records, tenant, line.lines.entity)
            added.pop(line.lines.link, None)
            payload[line.name] = [*kept, added]
        records.update(tenant, entity, record["id"], payload, "ann")


def assert_search_is_a_scan(records: RecordService, tenant: str, entity: str) -> None:
    """Searches by the stored words (each word, its first letters, two words of a record,
    a word no record has) find what a scan of the words finds; each record's words are
    its searchable fields'."""
    target = records.target(tenant, entity)
    column = search_column(target.spec)
    fields = searchable(target.spec)
    live = [item["id"] for item in records.list(tenant, entity, sort="id", limit=500)["items"]]
    stored = dict(
        target.model.select(target.model.id, target.column(column))
        .where(target.model.id.in_(live))
        .tuples()
    )
    for record_id in live:
        values = records.read(tenant, entity, record_id)
        assert stored[record_id] == record_words(fields, values), (entity, record_id)
    held = {record_id: (text or "").split() for record_id, text in stored.items()}
    queries = {"zzqx"}
    for record_words_ in held.values():
        queries |= {w for w in record_words_} | {w[:1] for w in record_words_}
        queries.add(" ".join(record_words_[:2]))
    for q in sorted(queries):
        typed = words(q)
        scan = [
            record_id
            for record_id in live
            if all(any(word.startswith(t) for word in held[record_id]) for t in typed)
        ]
        page = records.list(tenant, entity, q=q, sort="id", limit=500)
        assert [item["id"] for item in page["items"]] == scan, (tenant, entity, q)


@pytest.mark.parametrize("tenant", sorted(REGISTRY.tenants))
def test_a_search_after_any_write_finds_what_a_scan_finds(service, tenant):  # noqa: F811
    for entity in searched(tenant):
        write_every_way(service, tenant, entity)
    for entity in searched(tenant):
        assert_search_is_a_scan(service, tenant, entity)
