"""A new record's form with nothing typed yet is kept per compiled entity and given again
(webui.form_fields.REUSE_FRESH): the page is the one drawn field by field, its oracle,
for a form of every input type drawn from pieces (kept) and one with a multiple select
(drawn by its macro every time: not kept), on SQLite and PostgreSQL (every shipped
form: tests/test_fresh_shipped_forms.py). A form shown again with what was typed and its
errors, or a record's form, is never the kept one."""

from __future__ import annotations

import re

import pytest
from test_pages import Browser, make_app

from engine import users
from webui import form_fields
from webui.views import views

TOKEN = re.compile(r'(name="csrf_token" value=")[^"]+"')

EVERY_TYPE = """\
entity: item
label: Item
plural: Items
title_field: name
fields:
  - {name: name, sequence: 1, label: Name, input_type: text, group: MAIN, required: true}
  - {name: note, sequence: 2, label: Note, input_type: textarea, group: MAIN, default: "a <b>"}
  - {name: mail, sequence: 3, label: Mail, input_type: email, group: MAIN}
  - {name: phone, sequence: 4, label: Phone, input_type: phone, group: MAIN}
  - {name: site, sequence: 5, label: Site, input_type: url, group: MAIN}
  - {name: qty, sequence: 6, label: Qty, input_type: integer, group: MAIN, default: 3}
  - {name: rate, sequence: 7, label: Rate, input_type: decimal, group: MAIN}
  - {name: price, sequence: 8, label: Price, input_type: currency, group: MAIN}
  - {name: share, sequence: 9, label: Share, input_type: percent, group: MORE}
  - {name: day, sequence: 10, label: Day, input_type: date, group: MORE, default: "2024-05-01"}
  - {name: at, sequence: 11, label: At, input_type: datetime, group: MORE}
  - {name: time, sequence: 12, label: Time, input_type: time, group: MORE}
  - {name: vip, sequence: 13, label: VIP, input_type: switch, group: MORE, default: true}
  - {name: kind, sequence: 14, label: Kind, input_type: select, group: MORE,
     options: [a, b, c], default: b}
"""
# a multiple select is drawn by its macro on every request: a form holding one is not kept
TAGS = (
    "  - {name: tags, sequence: 15, label: Tags, input_type: multiselect, group: MORE,\n"
    "     options: [x, y]}\n"
)


def page(response) -> str:
    """A page less its CSRF token, which differs from one drawing to the next."""
    return TOKEN.sub(r'\1"', response.get_data(as_text=True))


def rendered_plainly(monkeypatch, get) -> str:
    with monkeypatch.context() as plain:
        plain.setattr(form_fields, "REUSE_FRESH", False)
        return page(get())


@pytest.fixture(params=["pieces", "with a multiselect"])
def every_type(request, tree, storage):
    entity = EVERY_TYPE + (TAGS if request.param != "pieces" else "")
    app = make_app(tree({"entities/item.yaml": entity}), storage)
    users.add_user(app.extensions["formwork"].registry.tenant("t"), "ann", "editor",
                   "correct horse battery")  # fmt: skip
    browser = Browser(app, "t")
    browser.login("ann")
    return app, browser


def test_a_form_of_every_type_is_kept_and_is_the_one_rendered_plainly(every_type, monkeypatch):
    app, browser = every_type
    first = page(browser.get("/item/new"))
    service = app.extensions["formwork"]
    target = service.target("t", "item")
    with app.test_request_context():
        kept = len(views(target).form.fresh)
    assert kept == (0 if any(f.name == "tags" for f in target.spec.fields) else 1)
    assert page(browser.get("/item/new")) == first
    assert first == rendered_plainly(monkeypatch, lambda: browser.get("/item/new"))
    assert 'value="a &lt;b&gt;"' in first or "a &lt;b&gt;</textarea>" in first


def test_a_form_shown_again_or_of_a_record_is_never_the_kept_one(every_type, monkeypatch):
    _, browser = every_type
    fresh = page(browser.get("/item/new"))
    refused = browser.post("/item/new", {"name": "", "qty": "many", "_shown": "tags"})
    assert refused.status_code == 422
    again = page(refused)
    assert 'value="many"' in again and again != fresh
    assert page(browser.get("/item/new")) == fresh  # the next new form: fresh again
    saved = browser.post("/item/new", {"name": "Kept", "qty": "4", "_shown": "tags"})
    assert saved.status_code == 302
    record_id = saved.headers["Location"].split("/")[-1].split("?")[0]
    edit = page(browser.get(f"/item/{record_id}/edit"))
    assert 'value="Kept"' in edit
    assert edit == rendered_plainly(monkeypatch, lambda: browser.get(f"/item/{record_id}/edit"))
