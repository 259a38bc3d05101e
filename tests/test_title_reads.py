"""Linked records read for their titles alone (webui.page_links.TITLES_ONLY) against the
plain path, which reads them whole: every page of every shipped tenant × entity (its
list, new form, record page, edit form and a failed save) is the same either way, on
SQLite and PostgreSQL; and read_many with columns answers what it answers without,
but for the columns left out."""

import pytest
from page_costs import ENTITIES
from test_page_links import assert_switch_changes_no_page

from webui import page_links


@pytest.mark.parametrize(("tenant", "entity"), ENTITIES)
def test_pages_reading_titles_only_equal_pages_reading_whole_records(
    demo_site, tenant, entity, monkeypatch
):
    assert_switch_changes_no_page(demo_site, tenant, entity, monkeypatch, page_links, "TITLES_ONLY")


def test_reading_some_columns_answers_what_reading_all_does(demo_site):
    """Each record holds its id and the columns asked for that the entity stores (a
    field, a system column), with the values a whole read gives them."""
    service = demo_site.extensions["formwork"]
    for tenant in service.registry.tenants:
        for entity, compiled in service.registry.tenant(tenant).entities.items():
            ids = [item["id"] for item in service.list(tenant, entity, limit=50)["items"]]
            stored = [field.name for field in compiled.spec.fields if field.stored]
            for columns in (stored[:1], stored[-2:], ["active", "no_such_field", *stored[:2]]):
                whole = service.read_many(tenant, entity, [*ids, 2**40])
                some = service.read_many(tenant, entity, [*ids, 2**40], columns)
                kept = {"id", *columns}
                assert some == {
                    i: {k: v for k, v in record.items() if k in kept} for i, record in whole.items()
                }, (tenant, entity, columns)


def test_a_page_reads_a_linked_record_s_title_columns_only(demo_site):
    """What a link shows of its record: the field the lookups show, its number, whether
    it is active, and nothing more."""
    service = demo_site.extensions["formwork"]
    for tenant, compiled in service.registry.tenants.items():
        for entity in compiled.entities.values():
            for field in entity.spec.fields:
                if not field.lookup:
                    continue
                target = service.target(tenant, entity.spec.name)
                linked = compiled.entity(field.lookup.entity).spec
                columns = page_links.title_columns(target, field.lookup.entity)
                assert field.lookup.show in columns
                assert ("active" in columns) == ("active" in linked.system_columns)
                if linked.numbering:
                    assert linked.numbering.field in columns
