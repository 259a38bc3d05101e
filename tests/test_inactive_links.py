"""Inactive and deleted records cannot be chosen for a new or changed link, by the API, a
form or an import; a link made before stays shown and valid; lists tell inactive records
apart. On both backends."""

from __future__ import annotations

import pytest
from test_pages import Browser, make_app

from engine import users
from engine.bulk.importer import ImportOptions, import_records
from engine.bulk.tables import read_csv
from engine.errors import RecordInvalid

OWNER = """\
entity: owner
label: Owner
plural: Owners
title_field: name
delete: never
fields:
  - {name: name, sequence: 1, label: Name, input_type: text, group: MAIN, required: true,
     unique: true, searchable: true, in_list: true}
"""
SHELF = """\
entity: shelf
label: Shelf
plural: Shelves
title_field: code
delete: soft
fields:
  - {name: code, sequence: 1, label: Code, input_type: text, group: MAIN, unique: true}
"""
ITEM = """\
entity: item
label: Item
plural: Items
title_field: name
fields:
  - {name: name, sequence: 1, label: Name, input_type: text, group: MAIN, required: true,
     unique: true, in_list: true}
  - {name: owner, sequence: 2, label: Owner, input_type: lookup, group: MAIN, in_list: true,
     lookup: {entity: owner, show: name}}
  - {name: shelf, sequence: 3, label: Shelf, input_type: lookup, group: MAIN,
     lookup: {entity: shelf, show: code}}
"""


@pytest.fixture
def app(tree, storage):
    files = {"entities/owner.yaml": OWNER, "entities/shelf.yaml": SHELF, "entities/item.yaml": ITEM}
    application = make_app(tree(files), storage)
    service = application.extensions["formwork"]
    users.add_user(service.registry.tenant("t"), "ann", "editor", "correct horse battery")
    return application


@pytest.fixture
def data(app):
    """Owners Active Al and Gone Gus, shelves A1 and B2, and an item linked to Gus and B2
    before Gus was deactivated and B2 deleted."""
    service = app.extensions["formwork"]
    al = service.create("t", "owner", {"name": "Active Al"}, "ann")
    gus = service.create("t", "owner", {"name": "Gone Gus"}, "ann")
    a1 = service.create("t", "shelf", {"code": "A1"}, "ann")
    b2 = service.create("t", "shelf", {"code": "B2"}, "ann")
    item = service.create(
        "t", "item", {"name": "Old", "owner": gus["id"], "shelf": b2["id"]}, "ann"
    )
    service.act("t", "owner", gus["id"], "deactivate", "ann")
    service.delete("t", "shelf", b2["id"], "ann")
    return {"al": al["id"], "gus": gus["id"], "a1": a1["id"], "b2": b2["id"], "item": item}


def problems(call):
    with pytest.raises(RecordInvalid) as raised:
        call()
    return [(e.field, e.message) for e in raised.value.errors]


def test_a_new_link_names_an_active_live_record(app, data):
    service = app.extensions["formwork"]
    made = service.create("t", "item", {"name": "New", "owner": data["al"]}, "ann")
    assert made["owner"] == data["al"]
    assert problems(
        lambda: service.create(
            "t", "item", {"name": "Bad", "owner": data["gus"], "shelf": data["b2"]}, "ann"
        )
    ) == [
        ("owner", "Owner: Owner 'Gone Gus' is inactive and cannot be chosen."),
        ("shelf", "Shelf: Shelf 'B2' does not exist."),
    ]


def test_a_link_made_before_stays_valid_until_it_is_changed(app, data):
    service = app.extensions["formwork"]
    item = data["item"]
    renamed = service.update("t", "item", item["id"], {"rev_number": 1, "name": "Kept"}, "ann")
    assert (renamed["owner"], renamed["shelf"]) == (data["gus"], data["b2"])
    changed = service.update("t", "item", item["id"], {"rev_number": 2, "owner": data["al"]}, "ann")
    assert changed["owner"] == data["al"]
    assert problems(
        lambda: service.update(
            "t", "item", item["id"], {"rev_number": 3, "owner": data["gus"]}, "ann"
        )
    ) == [("owner", "Owner: Owner 'Gone Gus' is inactive and cannot be chosen.")]


def test_an_import_refuses_a_new_link_to_an_inactive_record(app, data):
    service = app.extensions["formwork"]
    text = b"Name,Owner\nFresh,Gone Gus\nFine,Active Al\n"
    result = import_records(
        service, "t", "item", read_csv(text, "i.csv"), options=ImportOptions(keep_valid=True)
    )
    assert [(r.number, r.errors) for r in result.rejected] == [
        (2, ["Owner: Owner 'Gone Gus' is inactive and cannot be chosen."])
    ]
    assert result.created == 1
    # a row that keeps an existing record's link to it is no change to refuse
    kept = import_records(
        service, "t", "item", read_csv(b"Name,Owner\nOld,Gone Gus\n", "k.csv"),
        options=ImportOptions(key="name"),
    )  # fmt: skip
    assert kept.rejected == [] and kept.unchanged == 1


def test_the_form_offers_active_records_and_keeps_showing_a_link_made_before(app, data):
    ann = Browser(app, "t")
    ann.login("ann")
    new_form = ann.get("/item/new").get_data(as_text=True)
    # the choices are searched as the user types, none is in the page (">A1<": the page's
    # signed tokens may hold "A1")
    assert "Active Al" not in new_form and "Gone Gus" not in new_form and ">A1<" not in new_form
    assert 'data-lookup="/t/owner/lookup?show=name"' in new_form
    assert 'data-lookup="/t/shelf/lookup?show=code"' in new_form
    edit_form = ann.get(f"/item/{data['item']['id']}/edit").get_data(as_text=True)
    assert f'<input type="number" id="field-owner" name="owner" value="{data["gus"]}"' in edit_form
    assert '<span class="lookup-title" id="field-owner-title">Gone Gus (inactive)</span>' in (
        edit_form
    )
    # the search offers the records a new link may name: active ones, not deleted ones
    found = ann.get("/owner/lookup?q=g&show=name").get_json()["items"]
    assert found == []
    found = ann.get("/owner/lookup?q=a&show=name").get_json()["items"]
    assert [item["title"] for item in found] == ["Active Al"]
    found = ann.get("/shelf/lookup?show=code").get_json()["items"]
    assert [item["title"] for item in found] == ["A1"]
    # a form's save of a new link to the inactive owner names the problem
    response = ann.post("/item/new", {"name": "Form", "owner": str(data["gus"])})
    assert "is inactive and cannot be chosen" in response.get_data(as_text=True)


def test_lists_filter_and_show_inactive_records(app, data):
    ann = Browser(app, "t")
    ann.login("ann")
    listing = ann.get("/owner/").get_data(as_text=True)
    assert '<option value="false" >Inactive</option>' in listing
    assert "<td>Inactive</td>" in listing and "<td>Active</td>" in listing
    only = ann.get("/owner/?active=false").get_data(as_text=True)
    assert "Gone Gus" in only and "Active Al" not in only
