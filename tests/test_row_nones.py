"""A line row's field holding nothing is drawn once per row place and field, then given
again, and a new row once per place (webui.row_rendering's REUSE_NONES): the edit form of
a record with rows, its stored rows' fields (loaded when a row opens), and the new form,
of every shipped tenant's entity with lines, are the forms each field drawn anew draws,
on SQLite and PostgreSQL, the second drawing too (from what the first kept)."""

from __future__ import annotations

import pytest
from shipped_pages import Person
from test_fresh_forms import page
from test_line_pieces import WITH_LINES, hostile_record

from webui import row_rendering
from webui.views import views


def rendered_uncached(monkeypatch, get) -> str:
    """The page with every empty field of its rows rendered from its texts."""
    with monkeypatch.context() as plain:
        plain.setattr(row_rendering, "REUSE_NONES", False)
        return page(get())


def row_paths(service, tenant: str, entity: str, record: dict) -> list[str]:
    """Where a browser loads the fields of each stored row of the record's form."""
    target = service.target(tenant, entity)
    return [
        f"/{entity}/{record['id']}/edit/{line.name}/{row['id']}?row={index}"
        for line in target.lines()
        if not line.hidden
        for index, row in enumerate(record[line.name])
    ]


@pytest.mark.parametrize("tenant,entity", WITH_LINES)
def test_empty_row_fields_render_as_they_do_uncached(shipped_site, monkeypatch, tenant, entity):
    service = shipped_site.extensions["formwork"]
    record = hostile_record(service, tenant, entity, rows=2)
    person = Person(shipped_site, tenant)
    for path in (
        f"/{entity}/{record['id']}/edit",
        f"/{entity}/new",
        *row_paths(service, tenant, entity, record),
    ):
        rendered = [page(person.get(path)) for _ in range(2)]  # kept, then given again
        assert 'name="' in rendered[0]
        assert (
            rendered[0]
            == rendered[1]
            == rendered_uncached(monkeypatch, lambda p=path: person.get(p))
        )


def test_empty_fields_and_new_rows_are_kept(shipped_site):
    """The shortcut is taken: a stored row's empty fields fill its place's texts, and a
    new row (the empty one an edit form offers) is kept whole."""
    tenant, entity = WITH_LINES[0]
    service = shipped_site.extensions["formwork"]
    record = hostile_record(service, tenant, entity, rows=2)
    person = Person(shipped_site, tenant)
    assert person.get(f"/{entity}/{record['id']}/edit").status_code == 200
    for path in row_paths(
        service, tenant, entity, record
    ):  # the stored rows' fields, as each opens
        assert person.get(path).status_code == 200
    renderers = views(service.target(tenant, entity)).form.row_renderers.values()
    kept: dict[bool, list[dict]] = {True: [], False: []}
    for renderer in renderers:
        for (_, _, stored), (_, _, nones) in renderer.places.items():
            kept[stored].append(nones)
    assert any(kept[True])
    assert kept[False] and all(None in nones for nones in kept[False])
