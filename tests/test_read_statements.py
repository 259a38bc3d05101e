"""Reads whose SQL is built once per compiled entity (engine.records.read_statements) read
what Peewee's own queries read: every record of every shipped tenant × entity of the demo
data, with its lines, one at a time and many at once, on SQLite and PostgreSQL."""

import pytest
import test_lines_form

from engine.errors import NotFound
from engine.records import read_statements, statements

# the app over the shipped metadata with its demo data, on each backend
demo_app = test_lines_form.demo_app


@pytest.fixture
def demo(demo_app):
    return demo_app.extensions["formwork"]


def all_ids(service, tenant: str, entity: str) -> list[int]:
    ids: list[int] = []
    while True:
        page = service.list(tenant, entity, limit=500, offset=len(ids), sort="id")
        ids += [item["id"] for item in page["items"]]
        if len(ids) >= page["total"] or not page["items"]:
            return ids


def everything(service) -> dict:
    """Every record of every tenant × entity, read one by one (with lines) and all at once
    (without), and what reading an id no record has answers."""
    found = {}
    for tenant, compiled in service.registry.tenants.items():
        for entity in compiled.entities:
            ids = all_ids(service, tenant, entity)
            one_by_one = [service.read(tenant, entity, i) for i in ids]
            many = service.read_many(tenant, entity, [*ids, 10**9])
            few = service.read_many(tenant, entity, ids[:3])
            with pytest.raises(NotFound):
                service.read(tenant, entity, 10**9)
            found[(tenant, entity)] = (one_by_one, many, few)
    return found


def test_reads_built_once_read_what_peewee_reads(demo, monkeypatch):
    kept = everything(demo)
    assert any(records for records, _, _ in kept.values())
    assert any(
        record.get(line.name)
        for (tenant, entity), (records, _, _) in kept.items()
        for line in demo.target(tenant, entity).lines()
        for record in records
    ), "no demo record has lines to compare"
    again = everything(demo)  # now from the statements kept by the first reads
    # each read was kept, none left to Peewee
    for tenant, compiled in demo.registry.tenants.items():
        for entity in compiled.entities:
            memo = demo.target(tenant, entity).entity.memo
            for key, table in memo.items():
                if key[0] == "read statements":
                    assert [k for k, plan in table.items() if plan is None] == []
    monkeypatch.setattr(statements, "REUSE_SQL", False)
    plain = everything(demo)
    assert kept == plain
    assert again == plain


def test_a_read_whose_ids_cannot_be_told_apart_is_left_to_peewee(demo):
    target = demo.target("standard", "customer")
    model, memo = target.model, target.entity.memo
    ids = [item["id"] for item in demo.list("standard", "customer", limit=2)["items"]]

    def query(chosen):
        return target.live().where(model.id.in_(chosen))

    twice = read_statements.rows(memo, model, ("twice",), query, [ids[0], ids[0]])
    assert [row.id for row in twice] == [ids[0]]
    # an id in a place of its own, and another parameter equal to it, each found once
    limited = read_statements.rows(
        memo, model, ("limited",), lambda chosen: query(chosen).limit(ids[0]), [ids[0]]
    )
    assert [row.id for row in limited] == [ids[0]]
    other = read_statements.rows(
        memo, model, ("limited",), lambda chosen: query(chosen).limit(ids[0]), [ids[1]]
    )
    assert [row.id for row in other] == [ids[1]]
