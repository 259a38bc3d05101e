"""A line row's field whose value is a list of options (a multiselect), drawn by its
macro once per row place and list and kept (webui.row_rendering), is the field its macro
draws for every row: for every shipped tenant's entity whose lines hold one, rows
choosing none, one, several and all of its options, on SQLite and PostgreSQL."""

import pytest
from shipped_pages import Person
from test_fresh_forms import page
from test_line_pieces import REGISTRY, hostile_payload, rendered_plainly

WITH_LISTS = [
    (name, entity, line.name, field.name)
    for name, tenant in REGISTRY.tenants.items()
    for entity, compiled in sorted(tenant.entities.items())
    for line in compiled.spec.fields
    if line.lines and not line.hidden
    for field in tenant.entity(line.lines.entity).spec.fields
    if field.input_type == "multiselect" and field.stored and not field.hidden
    and not field.read_only and not field.visible_if
]  # fmt: skip


def test_some_shipped_lines_hold_lists():
    assert WITH_LISTS


def listed_record(service, tenant, entity, line, field, chosen):
    """A hostile record whose rows of `line` choose the lists `chosen` in `field`."""
    target = service.target(tenant, entity)
    spec = target.spec.field(line)
    payload = hostile_payload(service, tenant, entity)
    rows = [hostile_payload(service, tenant, spec.lines.entity, (spec.lines.link,)) for _ in chosen]
    for row, values in zip(rows, chosen, strict=True):
        row[field] = values or None
    payload[line] = rows
    return service.create(tenant, entity, payload, "sampler")


@pytest.mark.parametrize("tenant,entity,line,field", WITH_LISTS)
def test_rows_choosing_lists_render_as_their_macro_does(
    shipped_site, monkeypatch, tenant, entity, line, field
):
    service = shipped_site.extensions["formwork"]
    target = service.target(tenant, entity)
    child = target.child(target.spec.field(line)).spec
    options = [o.value for o in child.field(field).options]
    chosen = [[], options[:1], options[1:3], options, options[:1]]
    person = Person(shipped_site, tenant)
    # the same row places choosing other lists on another record's form, drawn after
    for lists in (chosen, chosen[::-1]):
        record = listed_record(service, tenant, entity, line, field, lists)
        path = f"/{entity}/{record['id']}/edit"
        rendered = [page(person.get(path)) for _ in range(2)]  # drawn, then kept
        assert " selected>" in rendered[0]
        assert (
            rendered[0]
            == rendered[1]
            == rendered_plainly(monkeypatch, lambda p=path: person.get(p))
        )
