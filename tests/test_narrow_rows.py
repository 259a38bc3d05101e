"""An edit form first shown reads of its stored lines only what their closed rows show
(webui.line_editor.NARROW_ROWS): for every shipped tenant's entity with lines, on SQLite
and PostgreSQL, the page is the one drawn from the record read whole, with hostile rows
and with the demo data's, and the narrow read holds each line's id and the columns
asked, with the values the whole read gives them."""

from __future__ import annotations

import pytest
from shipped_pages import Person
from test_fresh_forms import page
from test_line_pieces import WITH_LINES, hostile_record

from webui import line_editor


def drawn_from_whole_record(monkeypatch, get) -> str:
    with monkeypatch.context() as plain:
        plain.setattr(line_editor, "NARROW_ROWS", False)
        return page(get())


@pytest.mark.parametrize("tenant,entity", WITH_LINES)
def test_an_edit_form_reading_its_rows_narrowly_is_the_one_read_whole(
    demo_site, monkeypatch, tenant, entity
):
    service = demo_site.extensions["formwork"]
    person = Person(demo_site, tenant)
    hostile = hostile_record(service, tenant, entity, rows=2)
    demo = [item["id"] for item in service.list(tenant, entity)["items"]][:3]
    for record_id in [hostile["id"], *demo]:
        path = f"/{entity}/{record_id}/edit"
        narrow = page(person.get(path))
        assert 'data-row="1"' in narrow or record_id != hostile["id"]  # rows were drawn
        assert narrow == drawn_from_whole_record(monkeypatch, lambda p=path: person.get(p))


@pytest.mark.parametrize("tenant,entity", WITH_LINES)
def test_a_narrow_read_holds_the_ids_and_columns_asked_as_read_whole(shipped_site, tenant, entity):
    service = shipped_site.extensions["formwork"]
    record = hostile_record(service, tenant, entity, rows=3)
    target = service.target(tenant, entity)
    lines = target.lines()
    for columns_of in (
        line_editor.closed_row_columns(target),
        {lines[0].name: ()},  # ids alone, in one field; the others whole
    ):
        narrow = service.read(tenant, entity, record["id"], columns_of)
        for line in lines:
            kept = columns_of.get(line.name)
            expected = [
                row if kept is None else {k: v for k, v in row.items() if k in {"id", *kept}}
                for row in record[line.name]
            ]
            assert narrow[line.name] == expected, line.name
        assert {k: v for k, v in narrow.items() if k not in {f.name for f in lines}} == {
            k: v for k, v in record.items() if k not in {f.name for f in lines}
        }
