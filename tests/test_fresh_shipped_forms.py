"""Every shipped_site tenant × entity's new form, kept or not (webui.form_fields.REUSE_FRESH),
is the page drawn field by field, its oracle, on SQLite and PostgreSQL (the forms kept
themselves: tests/test_fresh_forms.py)."""

from __future__ import annotations

import pytest
from conftest import SHIPPED
from shipped_pages import Person
from test_fresh_forms import page, rendered_plainly

from engine.registry import build_registry

REGISTRY = build_registry(str(SHIPPED))
PAIRS = [(t, e) for t, tenant in REGISTRY.tenants.items() for e in sorted(tenant.entities)]


@pytest.mark.parametrize("tenant,entity", PAIRS)
def test_each_shipped_new_form_is_the_one_rendered_plainly(
    shipped_site, monkeypatch, tenant, entity
):
    person = Person(shipped_site, tenant)
    kept = [page(person.get(f"/{entity}/new")) for _ in range(2)]  # drawn, then given again
    assert kept[0] == kept[1] == rendered_plainly(monkeypatch, lambda: person.get(f"/{entity}/new"))
