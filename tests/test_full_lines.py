"""A lines field at its max_rows, on SQLite and PostgreSQL: the form serves no empty row
to fill (none may be added), but the empty row formwork.js adds after a removal is
served apart, in a <template>: empty and with no id, whether the rows are stored or typed
in a form shown again. A browser without scripts sends nothing of it, and the form saved
as served keeps every row."""

from __future__ import annotations

import re

import pytest
from records_metadata import CREW, MEMBER
from test_lines_form import FormValues
from werkzeug.datastructures import MultiDict

from engine import users
from webui import create_app

PASSWORD = "correct horse battery"


@pytest.fixture
def crew_site(tree, storage):
    """The app over a crew of at most three members, logged in as an editor; its service,
    and a crew of three."""
    root = tree({"entities/crew.yaml": CREW, "entities/member.yaml": MEMBER})
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "FORMWORK_METADATA": str(root),
            "FORMWORK_DATA": str(storage.data_dir),
            "FORMWORK_DATABASE": storage.database_url,
        }
    )
    service = app.extensions["formwork"]
    users.add_user(service.registry.tenant("t"), "clerk", "editor", PASSWORD)
    client = app.test_client()
    token = re.search(
        r'name="csrf_token" value="([^"]+)"', client.get("/t/login").get_data(as_text=True)
    ).group(1)
    login = {"username": "clerk", "password": PASSWORD, "csrf_token": token}
    assert client.post("/t/login", data=login).status_code == 302
    members = [{"person": name, "shift": "night"} for name in ("Ana", "<b>Ben</b>", "Cy")]
    crew = service.create("t", "crew", {"name": "Night", "members": members}, "clerk")
    return client, service, crew


def blank_rows(page: str) -> list[str]:
    """The rows served in a <template>: formwork.js's empty row to add."""
    return re.findall(r'<template class="blank-row">(.*?)</template>', page, re.S)


def visible_rows(page: str) -> int:
    outside = re.sub(r"<template.*?</template>", "", page, flags=re.S)
    return outside.count('<tbody class="line"')


def assert_empty_new_row(row: str) -> None:
    """One row, with no id and nothing in its inputs, and its select on no option."""
    assert row.count('<tbody class="line"') == 1
    assert re.search(r'name="members-\d+-id" value=""', row), row
    assert re.search(r'name="members-\d+-person"[^>]*value=""', row), row
    assert re.search(r'name="members-\d+-person"', row) and "Ana" not in row and "Cy" not in row
    assert "selected" not in row.replace('value="" selected', "")


def test_a_full_lines_field_serves_its_empty_row_in_a_template(crew_site):
    client, service, crew = crew_site
    page = client.get(f"/t/crew/{crew['id']}/edit").get_data(as_text=True)

    assert visible_rows(page) == 3  # none to fill: a fourth is past max_rows
    (blank,) = blank_rows(page)
    assert_empty_new_row(blank)
    assert 'data-row="3"' in blank  # after the rows served

    form = FormValues()
    form.feed(page)
    assert not [name for name in form.names if name.startswith("members-3-")]
    saved = client.post(f"/t/crew/{crew['id']}/edit", data=MultiDict(form.pairs))
    assert saved.status_code == 302
    after = service.read("t", "crew", crew["id"])["members"]
    assert [(m["id"], m["person"]) for m in after] == [
        (m["id"], m["person"]) for m in crew["members"]
    ]


def test_a_full_lines_field_shown_again_keeps_its_template_empty(crew_site):
    client, service, crew = crew_site
    form = FormValues()
    form.feed(client.get(f"/t/crew/{crew['id']}/edit").get_data(as_text=True))
    sent = MultiDict([(k, "" if k == "name" else v) for k, v in form.pairs])
    sent.add("members-0-person", "Typed Ana")  # a stored row's field, typed

    page = client.post(f"/t/crew/{crew['id']}/edit", data=sent)

    assert page.status_code == 422  # the crew's name is required
    html = page.get_data(as_text=True)
    assert "Typed Ana" in html and visible_rows(html) == 3
    (blank,) = blank_rows(html)
    assert_empty_new_row(blank)
    assert "Typed Ana" not in blank
    assert service.read("t", "crew", crew["id"])["members"] == crew["members"]  # none saved


def test_a_lines_field_with_room_serves_its_empty_row_to_fill(crew_site):
    client, service, crew = crew_site
    service.update(
        "t",
        "crew",
        crew["id"],
        {"members": [{"id": crew["members"][0]["id"]}], "rev_number": crew["rev_number"]},
        "clerk",
    )
    page = client.get(f"/t/crew/{crew['id']}/edit").get_data(as_text=True)

    assert blank_rows(page) == []
    assert visible_rows(page) == 2  # the stored row, and one to fill
