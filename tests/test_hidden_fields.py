"""A field its condition hides is neither validated nor required, and holds no value once
saved: through the service, a form's save, an import and a record's lines, on both
backends."""

from __future__ import annotations

import pytest
from test_pages import Browser, make_app

from engine import users
from engine.bulk.importer import import_records
from engine.bulk.tables import read_csv
from engine.errors import RecordInvalid

PARTNER = """\
entity: partner
label: Partner
plural: Partners
title_field: name
lines:
  contacts: {entity: contact, link: partner, label: Contacts, sequence: 9, group: MAIN}
fields:
  - {name: name, sequence: 1, label: Name, input_type: text, group: MAIN, required: true}
  - {name: kind, sequence: 2, label: Kind, input_type: select, group: MAIN, default: company,
     options: [company, person]}
  - {name: credit_limit, sequence: 3, label: Credit Limit, input_type: currency, group: MAIN,
     min: 0, visible_if: "kind == 'company'"}
  - {name: birthday, sequence: 4, label: Birthday, input_type: date, group: MAIN,
     required: true, visible_if: "kind == 'person'"}
"""
CONTACT = """\
entity: contact
label: Contact
plural: Contacts
fields:
  - {name: partner, sequence: 1, label: Partner, input_type: lookup, group: MAIN,
     lookup: {entity: partner}}
  - {name: channel, sequence: 2, label: Channel, input_type: select, group: MAIN,
     options: [phone, email]}
  - {name: email, sequence: 3, label: Email, input_type: email, group: MAIN,
     visible_if: "channel == 'email'"}
"""


@pytest.fixture
def app(tree, storage):
    files = {"entities/partner.yaml": PARTNER, "entities/contact.yaml": CONTACT}
    application = make_app(tree(files), storage)
    service = application.extensions["formwork"]
    users.add_user(service.registry.tenant("t"), "ann", "editor", "correct horse battery")
    return application


def test_a_hidden_field_is_not_checked_and_is_stored_empty(app):
    service = app.extensions["formwork"]
    made = service.create(
        "t", "partner", {"name": "Ann", "kind": "person", "birthday": "1990-01-02",
                         "credit_limit": -5}, "ann",
    )  # fmt: skip
    assert made["credit_limit"] is None
    assert "credit_limit" not in service.history("t", "partner", made["id"])[0]["changes"]
    # shown, the same value is refused, by its label
    with pytest.raises(RecordInvalid) as refused:
        service.create("t", "partner", {"name": "Co", "credit_limit": -5}, "ann")
    assert [e.message for e in refused.value.errors] == ["Credit Limit must be at least 0."]


def test_a_field_a_change_hides_is_cleared_on_save(app):
    service = app.extensions["formwork"]
    made = service.create("t", "partner", {"name": "Co", "credit_limit": 100}, "ann")
    changed = service.update(
        "t", "partner", made["id"],
        {"rev_number": 1, "kind": "person", "birthday": "1990-01-02"}, "ann",
    )  # fmt: skip
    assert changed["credit_limit"] is None
    entry = service.history("t", "partner", made["id"])[-1]
    assert entry["changes"]["credit_limit"] == [100, None]


def test_a_lines_hidden_field_is_cleared_too(app):
    service = app.extensions["formwork"]
    contacts = [
        {"channel": "phone", "email": "not an e-mail"},
        {"channel": "email", "email": "a@b.co"},
    ]
    made = service.create("t", "partner", {"name": "Co", "contacts": contacts}, "ann")
    assert [c["email"] for c in made["contacts"]] == [None, "a@b.co"]


def test_an_imported_rows_hidden_field_is_cleared(app):
    service = app.extensions["formwork"]
    text = b"Name,Kind,Credit Limit,Birthday\nAnn,person,-5,1990-01-02\nCo,company,7,\n"
    result = import_records(service, "t", "partner", read_csv(text, "p.csv"))
    assert result.rejected == [] and result.created == 2
    items = service.list("t", "partner", sort="name")["items"]
    assert [(p["name"], p["credit_limit"], p["birthday"]) for p in items] == [
        ("Ann", None, "1990-01-02"),
        ("Co", 7, None),
    ]


def test_a_form_that_posts_a_hidden_fields_value_saves(app):
    ann = Browser(app, "t")
    ann.login("ann")
    form = {"name": "Ann", "kind": "person", "birthday": "1990-01-02", "credit_limit": "-5"}
    response = ann.post("/partner/new", form)
    assert response.status_code == 302, response.get_data(as_text=True)
    (saved,) = app.extensions["formwork"].list("t", "partner")["items"]
    assert saved["credit_limit"] is None
