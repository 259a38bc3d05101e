"""An amount shown read-only in the currency a lookup names, its text kept per compiled
entity, amount and currency (webui.display.REUSE_TEXTS): records holding one amount in
different currencies, shown one after the other, each show it as the plain path writes
it, on SQLite and PostgreSQL."""

import pytest
from shipped_pages import Person
from test_fresh_forms import page
from test_line_pieces import REGISTRY, hostile_payload

from webui import display

READ_ONLY_AMOUNTS = [
    (name, entity, field.name)
    for name, tenant in REGISTRY.tenants.items()
    for entity, compiled in sorted(tenant.entities.items())
    for field in compiled.spec.fields
    if field.currency_field and field.read_only and field.stored
    and compiled.spec.field(field.currency_field).lookup
]  # fmt: skip


def test_some_shipped_amounts_shown_read_only_are_in_a_looked_up_currency():
    assert READ_ONLY_AMOUNTS


@pytest.mark.parametrize("tenant,entity,field", READ_ONLY_AMOUNTS)
def test_one_amount_in_other_currencies_shows_as_written_anew(
    demo_site,
    monkeypatch,
    tenant,
    entity,
    field,
):
    service = demo_site.extensions["formwork"]
    target = service.target(tenant, entity)
    currency = target.spec.field(target.spec.field(field).currency_field)
    codes = [item["id"] for item in service.list(tenant, currency.lookup.entity)["items"]]
    assert len(codes) >= 2
    person = Person(demo_site, tenant)
    paths = []
    for code in codes[:3]:
        payload = {**hostile_payload(service, tenant, entity), currency.name: code}
        record = service.create(tenant, entity, payload, "sampler")
        column = target.model._meta.columns[field]
        target.model.update({column: "1234.5"}).where(target.model.id == record["id"]).execute()
        paths.append(f"/{entity}/{record['id']}/edit")
    kept = [page(person.get(path)) for path in paths * 2]  # written, then kept
    assert "1,234.5" in kept[0] or "1.234,5" in kept[0] or "1 234,5" in kept[0]
    monkeypatch.setattr(display, "REUSE_TEXTS", False)
    written = [page(person.get(path)) for path in paths]
    assert kept == written * 2
