"""A page's linked records of several entities read in one statement
(engine.records.joint_reads, switched by webui.page_links.ONE_STATEMENT) against the
plain path, one statement per entity: every page of every shipped tenant × entity (its
list, new form, record page, edit form and a failed save) is the same either way, on
SQLite and PostgreSQL; read_linked answers what read_many answers for each entity; and
an edit page with links to several entities reads them with one statement."""

import pytest
from page_costs import ENTITIES, counting, logged_in
from test_page_links import assert_switch_changes_no_page

from engine.records import joint_reads, statements
from webui import page_links


@pytest.mark.parametrize(("tenant", "entity"), ENTITIES)
def test_pages_reading_links_in_one_statement_equal_pages_reading_each_entity(
    demo_site, tenant, entity, monkeypatch
):
    assert_switch_changes_no_page(
        demo_site, tenant, entity, monkeypatch, page_links, "ONE_STATEMENT"
    )


def _wanted(service, tenant: str, extra: list[int]) -> dict:
    """Every entity of the tenant with its first records' ids and `extra` ones, and the
    columns a page reads of its records, plus a system column or two."""
    wanted = {}
    for entity, compiled in service.registry.tenant(tenant).entities.items():
        target = service.target(tenant, entity)
        ids = [item["id"] for item in service.list(tenant, entity, limit=7)["items"]]
        stored = [field.name for field in compiled.spec.fields if field.stored]
        columns = (*page_links.title_columns(target, entity), *stored[-2:], "creation_date")
        wanted[entity] = (ids + extra, columns)
    return wanted


def test_reading_entities_in_one_statement_answers_what_reading_each_does(demo_site):
    """Ids that name no record, ids several entities share, columns of every kind: each
    entity's records as read_many reads them, by one statement."""
    service = demo_site.extensions["formwork"]
    for tenant in service.registry.tenants:
        for extra in ([], [2**40], [1, 2**40, 2**40 + 1]):
            wanted = _wanted(service, tenant, extra)
            with counting() as counted:
                joint = service.read_linked(tenant, wanted)
            assert len(counted) == 1, str(counted)
            apart = {
                entity: service.read_many(tenant, entity, ids, columns)
                for entity, (ids, columns) in wanted.items()
            }
            assert joint == apart, (tenant, extra)
            assert any(joint.values()), tenant


def test_the_plain_reads_answer_where_one_statement_cannot(demo_site, monkeypatch):
    """More entities or ids than one statement takes, or the built statements switched
    off: read entity by entity, with the same answer."""
    service = demo_site.extensions["formwork"]
    tenant = "standard"
    wanted = _wanted(service, tenant, [2**40])
    joint = service.read_linked(tenant, wanted)
    for name, value in (("MOST_ENTITIES", 1), ("MOST_IDS", 2)):
        with monkeypatch.context() as patch:
            patch.setattr(joint_reads, name, value)
            with counting() as counted:
                assert service.read_linked(tenant, wanted) == joint, name
            assert len(counted) > 1, name
    monkeypatch.setattr(statements, "REUSE_SQL", False)
    assert service.read_linked(tenant, wanted) == joint


def test_an_edit_page_reads_the_records_it_links_to_in_one_statement(demo_site):
    """The standard customer links to records of several entities (its sites' and
    business units' addresses, terms, currencies): one statement reads their titles."""
    service = demo_site.extensions["formwork"]
    client = logged_in(demo_site, "standard")
    record = max(
        (service.read("standard", "customer", item["id"]) for item in service.list(
            "standard", "customer")["items"]),
        key=lambda r: len(r.get("sites") or []) + len(r.get("business_units") or []),
    )  # fmt: skip
    path = f"/standard/customer/{record['id']}/edit"
    client.get(path)  # statements built
    with counting() as counted:
        assert client.get(path).status_code == 200
    by_ids = [sql for sql in counted.statements if " IN (" in sql]  # the linked records'
    assert len(by_ids) == 1 and " UNION ALL " in by_ids[0], str(counted)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(page_links, "ONE_STATEMENT", False)
        with counting() as apart:
            client.get(path)
    assert len(apart) > len(counted)


def _with_lines(service) -> list[tuple[str, str, int]]:
    """(tenant, entity, id) of every record whose entity has several lines fields."""
    found = []
    for tenant, compiled in service.registry.tenants.items():
        for entity in compiled.entities:
            if len(service.target(tenant, entity).lines()) > 1:
                items = service.list(tenant, entity, limit=500)["items"]
                found += [(tenant, entity, item["id"]) for item in items]
    return found


def test_a_record_s_lines_of_several_fields_are_read_in_one_statement(demo_site, monkeypatch):
    """The record, then every lines field's rows: two statements, answering what one read
    per lines field answers, rows in the order of their order field (NULL as 0), then of
    their ids, as line_rows sorts them."""
    service = demo_site.extensions["formwork"]
    records = _with_lines(service)
    assert records
    tenant, entity, record_id = records[0]
    target = service.target(tenant, entity)
    shuffled = []  # each lines field's rows sorted otherwise than by id: reversed, a NULL
    for line in target.lines():
        child = target.child(line)
        if line.lines.order is None:
            continue
        column = child.column(line.lines.order)
        rows = child.model.select(child.model.id).where(child.column(line.lines.link) == record_id)
        ids = [row.id for row in rows]
        for place, line_id in enumerate(ids):
            value = None if place == 1 else len(ids) - place
            child.model.update({column: value}).where(child.model.id == line_id).execute()
        shuffled += ids
    assert len(shuffled) > 2
    joint = {}
    for tenant, entity, record_id in records:
        with counting() as counted:
            joint[tenant, entity, record_id] = service.read(tenant, entity, record_id)
        assert len(counted) == 2, str(counted)
    monkeypatch.setattr(statements, "REUSE_SQL", False)
    for (tenant, entity, record_id), record in joint.items():
        assert service.read(tenant, entity, record_id) == record, (tenant, entity, record_id)
    first = joint[records[0]]
    assert any(
        [row["id"] for row in first[line.name]] != sorted(row["id"] for row in first[line.name])
        for line in target.lines()
    ), "no lines field's rows came out of id order"
