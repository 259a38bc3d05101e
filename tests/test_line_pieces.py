"""An edit form's lines drawn from pieces (the grid: webui.line_grid; its rows' editors:
webui.row_rendering) is the form drawn by the lines, groups and field_block macros, its
oracle: for every shipped tenant's entity with lines, a record whose every text, its
rows' and its linked records' included, is hostile (markup, quotes, ampersands, unicode),
on SQLite and PostgreSQL. And such a form reads its record once, though its lines link
back to it."""

from __future__ import annotations

import itertools

import pytest
from conftest import SHIPPED
from markupsafe import Markup
from page_costs import counting
from sample_records import sample_value
from shipped_pages import Person
from test_fresh_forms import page
from test_lines_form import FormValues
from werkzeug.datastructures import MultiDict

from engine.registry import build_registry
from webui import closed_rows, display, line_editor, line_grid, prerender, row_rendering
from webui.views import views

HOSTILE = "<script>alert('x')</script> \"q\" & &amp; Ünïcødé ✓ 日本"
REGISTRY = build_registry(str(SHIPPED))
WITH_LINES = [
    (name, entity)
    for name, tenant in REGISTRY.tenants.items()
    for entity, compiled in sorted(tenant.entities.items())
    if any(field.lines and not field.hidden for field in compiled.spec.fields)
]
_numbers = itertools.count(1)


def hostile_value(service, tenant, field):
    """A valid value for the field: hostile text where free text is allowed, a hostile
    record for a lookup, else a sample."""
    if field.lookup:
        return hostile_record(service, tenant, field.lookup.entity)["id"]
    free = field.input_type in ("text", "textarea") and not (field.pattern or field.options)
    if free and not field.unique and (field.max_length or 255) > len(HOSTILE) + 6:
        return f"{HOSTILE} {next(_numbers)}"
    return sample_value(service, tenant, field)


def hostile_payload(service, tenant, entity, skip=()):
    """Every required field and every free text field of the entity, hostile where it can
    be, lines left out."""
    spec = service.target(tenant, entity).spec
    numbering = spec.numbering.field if spec.numbering else None
    return {
        field.name: hostile_value(service, tenant, field)
        for field in spec.fields
        if field.stored and not field.lines and field.name not in (numbering, *skip)
        and not field.visible_if and not field.read_only and not field.hidden
        and (field.required or field.input_type in ("text", "textarea"))
    }  # fmt: skip


def hostile_record(service, tenant, entity, rows=0):
    """A hostile record of the entity, with `rows` hostile rows in each lines field."""
    target = service.target(tenant, entity)
    payload = hostile_payload(service, tenant, entity)
    for line in target.lines():
        skip = (line.lines.link,)
        payload[line.name] = [
            hostile_payload(service, tenant, line.lines.entity, skip) for _ in range(rows)
        ]
    return service.create(tenant, entity, payload, "sampler")


def rendered_plainly(monkeypatch, get):
    """The page with its lines drawn by their macros alone, every value's text written
    anew."""
    with monkeypatch.context() as plain:
        plain.setattr(line_grid, "REUSE_GRID", False)
        plain.setattr(row_rendering, "REUSE_ROWS", False)
        plain.setattr(display, "REUSE_TEXTS", False)
        plain.setattr(closed_rows, "REUSE_CLOSED", False)
        plain.setattr(line_editor, "FIRST_VIEW", False)
        return page(get())


@pytest.mark.parametrize("tenant,entity", WITH_LINES)
def test_hostile_lines_render_as_their_macros_do(shipped_site, monkeypatch, tenant, entity):
    service = shipped_site.extensions["formwork"]
    record = hostile_record(service, tenant, entity, rows=2)
    person = Person(shipped_site, tenant)
    path = f"/{entity}/{record['id']}/edit"
    rendered = [page(person.get(path)) for _ in range(2)]  # pieces cut, then reused
    assert "&lt;script&gt;alert(&#39;x&#39;)" in rendered[0]
    assert "<script>alert" not in rendered[0]
    assert 'data-row="1"' in rendered[0]  # a stored row's grid row, drawn
    assert rendered[0] == rendered[1] == rendered_plainly(monkeypatch, lambda: person.get(path))
    with monkeypatch.context() as first_view:  # shown first, its grids need no row items
        first_view.setattr(line_editor, "lines_item", _no_row_items)
        assert page(person.get(path)) == rendered[0]
    form = views(service.target(tenant, entity)).form  # the pieces were cut: compared
    assert form.grid_renderers and None not in form.grid_renderers.values()
    assert form.row_renderers and None not in form.row_renderers.values()


def _no_row_items(*args, **kwargs):
    raise AssertionError("a form first shown built its grid's row items")


@pytest.mark.parametrize("tenant,entity", WITH_LINES)
def test_new_forms_lines_render_as_their_macros_do(shipped_site, monkeypatch, tenant, entity):
    """A new record's form: each grid holds only its empty row to fill, whose editor is
    kept whole once drawn; drawn so, with no row items, it is its macros' own."""
    person = Person(shipped_site, tenant)
    path = f"/{entity}/new"
    rendered = [page(person.get(path)) for _ in range(2)]  # pieces cut, then reused
    with monkeypatch.context() as first_view:
        first_view.setattr(line_editor, "lines_item", _no_row_items)
        served = page(person.get(path))
    target = shipped_site.extensions["formwork"].target(tenant, entity)
    for line in target.lines():
        if not line.hidden:  # each grid's empty row, served to fill
            assert f'name="{line.name}-0-id" value=""' in served
    assert rendered[0] == rendered[1] == served
    assert served == rendered_plainly(monkeypatch, lambda: person.get(path))


@pytest.mark.parametrize("tenant,entity", WITH_LINES)
def test_hostile_rows_opened_render_as_their_macros_do(shipped_site, monkeypatch, tenant, entity):
    """A stored row's fields, loaded when it opens and shown by the form asked to open it
    (without script), are its macros' own, hostile texts escaped."""
    service = shipped_site.extensions["formwork"]
    record = hostile_record(service, tenant, entity, rows=2)
    person = Person(shipped_site, tenant)
    edit = f"/{entity}/{record['id']}/edit"
    served = FormValues()  # what the browser sends back: every row's id included
    served.feed(person.get(edit).get_data(as_text=True))
    for line in service.target(tenant, entity).lines():
        if line.hidden:
            continue
        for index, row in enumerate(record[line.name]):
            path = f"{edit}/{line.name}/{row['id']}?row={index + 3}"  # a row moved down
            loaded = [page(person.get(path)) for _ in range(2)]  # pieces cut, then reused
            assert "&lt;script&gt;alert(&#39;x&#39;)" in loaded[0]
            assert "<script>alert" not in loaded[0]
            assert f'name="{line.name}-{index + 3}-' in loaded[0]
            assert (
                loaded[0]
                == loaded[1]
                == rendered_plainly(monkeypatch, lambda p=path: person.get(p))
            )

            def opened(line=line, row=row):
                asked = ("open_row", f"{line.name}:{row['id']}")
                return person.client.post(
                    f"/{tenant}{edit}", data=MultiDict([*served.pairs, asked])
                )

            shown = page(opened())
            assert f'<details id="row-{line.name}-{index}" open>' in shown
            assert f'name="{line.name}-{index}-' in shown.split(f'id="row-{line.name}-{index}"')[1]
            assert shown == rendered_plainly(monkeypatch, opened)


def test_slots_bound_to_their_first_texts_render_the_same():
    def macro(index, number, value, title):
        return Markup('<i id="a-{0}">{2}</i><b>{1}{3}{0}</b>').format(index, number, value, title)

    slots = prerender.repeated_slots(macro, 4)
    assert slots is not None
    bound = slots.bound("3", "4")
    for value, title in (("<v>", "t&"), ("", ""), ("x", "")):
        texts = prerender.escaped(value), prerender.escaped(title)
        assert bound.joined(*texts) == str(macro("3", "4", value, title))


@pytest.mark.parametrize("tenant,entity", WITH_LINES)
def test_an_edit_form_reads_its_record_once(shipped_site, tenant, entity):
    """Its lines' links to their parent (a site's customer name) show the record read
    for the form, not the record read again."""
    service = shipped_site.extensions["formwork"]
    record = hostile_record(service, tenant, entity, rows=2)
    person = Person(shipped_site, tenant)
    table = service.target(tenant, entity).model._meta.table_name
    with counting() as counted:
        assert person.get(f"/{entity}/{record['id']}/edit").status_code == 200
    reads = [sql for sql in counted.statements if f'FROM "{table}"' in sql.replace("'", '"')]
    assert len(reads) == 1, counted
