"""A stored line row is served closed (webui.closed_rows), for every shipped tenant's
entity with lines, on SQLite and PostgreSQL: the edit form holds each stored row's grid
row, its id and its button, none of its fields; the form saved as served keeps every row
as it was; the button (without script) serves the form again with that row open, what was
typed and the revision read kept, nothing saved; a row's fields load from its own URL,
which refuses what names no row of the record, a bad index, and a person who may not
edit."""

from __future__ import annotations

import re

import pytest
from shipped_pages import PASSWORD, Person
from test_line_pieces import WITH_LINES, hostile_record
from test_lines_form import FormValues
from werkzeug.datastructures import MultiDict

from engine import users

AUDIT = ("rev_number", "last_update_date", "last_updated_by")


def served_form(person: Person, path: str) -> FormValues:
    form = FormValues()
    form.feed(person.get(path).get_data(as_text=True))
    return form


def shown_lines(service, tenant: str, entity: str) -> list:
    return [line for line in service.target(tenant, entity).lines() if not line.hidden]


def edited(shipped_site, tenant: str, entity: str) -> tuple:
    """A new hostile record with two rows in each lines field; the service, the record, a
    clerk, the record's edit path and its form as served."""
    service = shipped_site.extensions["formwork"]
    record = hostile_record(service, tenant, entity, rows=2)
    person = Person(shipped_site, tenant)
    edit = f"/{entity}/{record['id']}/edit"
    return service, record, person, edit, served_form(person, edit)


def without_audit(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in AUDIT} for row in rows]


@pytest.mark.parametrize("tenant,entity", WITH_LINES)
def test_stored_rows_are_served_closed_and_saved_as_they_were(shipped_site, tenant, entity):
    service = shipped_site.extensions["formwork"]
    record = hostile_record(service, tenant, entity, rows=2)
    person = Person(shipped_site, tenant)
    edit = f"/{entity}/{record['id']}/edit"
    page = person.get(edit).get_data(as_text=True)
    form = served_form(person, edit)
    for line in shown_lines(service, tenant, entity):
        for index, row in enumerate(record[line.name]):
            assert (f"{line.name}-{index}-id", str(row["id"])) in form.pairs
            assert ("open_row", f"{line.name}:{row['id']}") in form.buttons
            url = f"/{tenant}{edit}/{line.name}/{row['id']}"
            assert f'data-row-fields="{url}"' in page
            fields = {n for n in form.names if n.startswith(f"{line.name}-{index}-")}
            assert fields == {f"{line.name}-{index}-id"}  # none of the row's fields

    saved = person.client.post(f"/{tenant}{edit}", data=MultiDict(form.pairs))

    assert saved.status_code == 302, re.findall(r"<li><a [^>]*>[^<]*", saved.get_data(True))
    after = service.read(tenant, entity, record["id"])
    for line in shown_lines(service, tenant, entity):
        assert without_audit(after[line.name]) == without_audit(record[line.name])


@pytest.mark.parametrize("tenant,entity", WITH_LINES)
def test_a_rows_button_serves_the_form_with_it_open_and_keeps_what_was_typed(
    shipped_site, tenant, entity
):
    service, record, person, edit, form = edited(shipped_site, tenant, entity)
    line = shown_lines(service, tenant, entity)[0]
    row = record[line.name][1]
    spec = service.target(tenant, entity).spec
    plain = {f.name for f in spec.fields if f.type.widget == "text" and not f.pattern}
    text = next(name for name, _ in form.pairs if name in plain and not spec.field(name).unique)
    typed = [(n, "typed before opening" if n == text else v) for n, v in form.pairs]

    shown = person.client.post(
        f"/{tenant}{edit}", data=MultiDict([*typed, ("open_row", f"{line.name}:{row['id']}")])
    )

    assert shown.status_code == 200
    page = shown.get_data(as_text=True)
    assert f'<details id="row-{line.name}-1" open>' in page
    opened = FormValues()
    opened.feed(page)
    assert (
        f"{line.name}-1-id" in opened.names
        and len({n for n in opened.names if n.startswith(f"{line.name}-1-")}) > 1
    )  # the row's fields
    assert {n for n in opened.names if n.startswith(f"{line.name}-0-")} == {f"{line.name}-0-id"}
    assert (text, "typed before opening") in opened.pairs
    assert ("rev_number", str(record["rev_number"])) in opened.pairs
    assert service.read(tenant, entity, record["id"]) == record  # nothing saved


def test_a_row_opened_over_a_newer_version_is_still_a_conflict(shipped_site):
    tenant, entity = WITH_LINES[0]
    service, record, person, edit, form = edited(shipped_site, tenant, entity)
    line = shown_lines(service, tenant, entity)[0]
    newer = {"rev_number": record["rev_number"]}
    service.update(tenant, entity, record["id"], newer, "someone else")
    asked = ("open_row", f"{line.name}:{record[line.name][0]['id']}")
    shown = person.client.post(f"/{tenant}{edit}", data=MultiDict([*form.pairs, asked]))
    assert shown.status_code == 200
    opened = FormValues()
    opened.feed(shown.get_data(as_text=True))
    assert ("rev_number", str(record["rev_number"])) in opened.pairs  # the one read

    saved = person.client.post(f"/{tenant}{edit}", data=MultiDict(opened.pairs))

    assert saved.status_code == 409


@pytest.mark.parametrize("tenant,entity", WITH_LINES)
def test_a_rows_fields_load_from_its_url_and_nothing_else_does(shipped_site, tenant, entity):
    service = shipped_site.extensions["formwork"]
    record = hostile_record(service, tenant, entity, rows=2)
    other = hostile_record(service, tenant, entity, rows=1)
    person = Person(shipped_site, tenant)
    line = shown_lines(service, tenant, entity)[0]
    row = record[line.name][0]
    base = f"/{entity}/{record['id']}/edit/{line.name}"
    loaded = person.get(f"{base}/{row['id']}?row=4")
    assert loaded.status_code == 200
    assert loaded.headers["Cache-Control"] == "no-store"
    assert f'name="{line.name}-4-' in loaded.get_data(as_text=True)
    assert person.get(f"{base}/{other[line.name][0]['id']}?row=0").status_code == 404
    assert person.get(f"{base}/{row['id']}").status_code == 400  # no index
    for index in ("-1", "x", "100001", "1e3"):
        assert person.get(f"{base}/{row['id']}?row={index}").status_code == 400, index
    assert person.get(f"/{entity}/{record['id']}/edit/nothing/{row['id']}?row=0").status_code == 404
    assert person.get(f"/{entity}/999999/edit/{line.name}/{row['id']}?row=0").status_code == 404

    viewer = f"viewer_{entity}"
    users.add_user(service.registry.tenant(tenant), viewer, "viewer", PASSWORD)
    client = shipped_site.test_client()
    token = re.search(
        r'name="csrf_token" value="([^"]+)"', client.get(f"/{tenant}/login").get_data(True)
    ).group(1)
    data = {"username": viewer, "password": PASSWORD, "csrf_token": token}
    assert client.post(f"/{tenant}/login", data=data).status_code == 302
    assert client.get(f"/{tenant}{base}/{row['id']}?row=0").status_code == 403
    anonymous = shipped_site.test_client()
    assert anonymous.get(f"/{tenant}{base}/{row['id']}?row=0").status_code == 302  # to log in
