"""The texts of values shown read-only, written once per compiled entity and value
(webui.display.REUSE_TEXTS), an amount's in the currency a lookup names included,
against the plain path, which writes each anew: every page of every shipped tenant ×
entity is the same either way, on SQLite and PostgreSQL."""

import pytest
from page_costs import ENTITIES, logged_in
from test_page_links import pages

from webui import display


def test_some_shipped_amounts_are_in_a_currency_a_lookup_names():
    from test_line_pieces import REGISTRY

    assert any(
        field.currency_field and entity.spec.field(field.currency_field).lookup
        for tenant in REGISTRY.tenants.values()
        for entity in tenant.entities.values()
        for field in entity.spec.fields
    )


@pytest.mark.parametrize(("tenant", "entity"), ENTITIES)
def test_pages_with_texts_kept_equal_pages_writing_each(
    demo_site,
    tenant,
    entity,
    monkeypatch,
):
    service = demo_site.extensions["formwork"]
    client = logged_in(demo_site, tenant)
    kept = [pages(client, service, tenant, entity) for _ in range(2)]  # written, then kept
    monkeypatch.setattr(display, "REUSE_TEXTS", False)
    written = pages(client, service, tenant, entity)
    assert kept[0].keys() == written.keys()
    for kind in written:
        assert kept[0][kind] == kept[1][kind] == written[kind], kind
