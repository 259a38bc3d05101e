"""A form's groups as people meet them: a collapsed group stays closed until it is opened
or holds an error, and a new record's form leaves out what has nothing to show yet."""

import re

import pytest
from conftest import SHIPPED
from test_pages import Browser, make_app

from engine import users

GROUPS = """\
groups:
  MAIN: {label: Main, order: 10, layout: section}
  MORE: {label: More, order: 20, layout: tab}
  REFERENCE: {label: Reference, order: 90, layout: tab, collapsed: true}
"""
TICKET = """\
entity: ticket
label: Ticket
plural: Tickets
title_field: title
statuses:
  initial: open
  states: {open: {label: Open}, done: {label: Done}}
  actions: {finish: {label: Finish, from: [open], to: done}}
fields:
  - {name: title, sequence: 1, label: Title, input_type: text, group: MAIN, required: true}
  - {name: queue, sequence: 2, label: Queue, input_type: lookup, group: MAIN,
     lookup: {entity: queue, show: name, fetch: {queue_owner: owner}}}
  - {name: queue_owner, sequence: 3, label: Queue Owner, input_type: text, group: MAIN,
     read_only: true}
  - {name: answer, sequence: 4, label: Answer, input_type: text, group: MAIN, read_only: true}
  - {name: note, sequence: 1, label: Note, input_type: text, group: MORE}
  - {name: status, system: status, sequence: 5, label: Status, group: MAIN}
  - {name: code, sequence: 1, label: Code, input_type: text, group: REFERENCE, max_length: 3}
  - {name: ticket_id, system: id, sequence: 2, label: Ticket Id, group: REFERENCE}
  - {name: rev_number, system: rev_number, sequence: 3, label: Revision, group: REFERENCE}
"""
QUEUE = """\
entity: queue
label: Queue
plural: Queues
title_field: name
fields:
  - {name: name, sequence: 1, label: Name, input_type: text, group: MAIN, required: true}
  - {name: owner, sequence: 2, label: Owner, input_type: text, group: MAIN}
"""
FILES = {
    "groups.yaml": GROUPS,
    "entities/ticket.yaml": TICKET,
    "entities/queue.yaml": QUEUE,
    "tenants/t/tenant.yaml": "tenant: t\nlabel: T\n",
}
# the disclosure of the Reference group, and whether it is drawn open
PASSWORD = "correct horse battery"
REFERENCE = re.compile(r'<details class="group-disclosure" id="group-REFERENCE"( open)?>')


@pytest.fixture
def ann(tree, storage):
    app = make_app(tree(FILES), storage)
    users.add_user(app.extensions["formwork"].registry.tenant("t"), "ann", "editor", PASSWORD)
    browser = Browser(app, "t")
    browser.login("ann", PASSWORD)
    return browser


def page_of(response) -> str:
    return response.get_data(as_text=True)


def test_a_collapsed_group_is_closed_under_its_heading_and_is_no_tab(ann):
    page = page_of(ann.get("/ticket/new"))
    assert [m.group(1) for m in REFERENCE.finditer(page)] == [None]  # one, closed
    disclosure = page[page.index('id="group-REFERENCE"') :]
    assert disclosure.index("<summary>Reference</summary>") < disclosure.index('id="field-code"')
    assert disclosure.index('id="field-code"') < disclosure.index("</details>")
    # the other tab keeps its tab set; the collapsed one joins none
    assert re.search(r'<fieldset class="group tab" id="group-MORE" data-tab-set="1">', page)
    assert not re.search(
        r"<details[^>]*>\s*<summary>Reference</summary>\s*<fieldset[^>]*data-tab-set", page
    )


def test_a_collapsed_group_holding_an_error_comes_back_open_with_what_was_typed(ann):
    response = ann.post("/ticket/new", {"title": "Printer", "code": "TOOLONG"})
    assert response.status_code == 422
    page = page_of(response)
    assert [m.group(1) for m in REFERENCE.finditer(page)] == [" open"]
    assert 'value="TOOLONG"' in page and '<a href="#field-code">' in page


def test_a_collapsed_group_without_an_error_stays_closed_on_a_failed_save(ann):
    page = page_of(ann.post("/ticket/new", {"title": "", "code": "OK"}))
    assert "Title is required." in page
    assert [m.group(1) for m in REFERENCE.finditer(page)] == [None]


def test_a_new_form_leaves_out_read_only_fields_and_system_columns_with_nothing_to_show(ann):
    page = page_of(ann.get("/ticket/new"))
    for name in ("status", "rev_number", "ticket_id", "answer"):
        assert f'id="field-{name}"' not in page  # no status, revision, id shown as "—"
    # a read-only field that a lookup fills in as it is chosen stays, to be filled
    assert re.findall(r'<output id="field-(\w+)"', page) == ["queue_owner"]
    # nothing of the Reference group but the field that may be typed
    assert 'id="field-code"' in page


def test_an_edit_form_still_shows_the_read_only_fields_and_system_columns(ann):
    response = ann.post("/ticket/new", {"title": "Printer"})
    assert response.status_code == 302
    record = re.search(r"/ticket/(\d+)", response.headers["Location"]).group(1)
    page = page_of(ann.get(f"/ticket/{record}/edit"))
    assert re.search(r'<output id="field-status">\s*Open\s*</output>', page)
    assert re.search(r'<output id="field-rev_number">\s*1\s*</output>', page)
    assert '<output id="field-answer">' in page


def shipped_editors(app):
    registry = app.extensions["formwork"].registry
    for name, tenant in registry.tenants.items():
        users.add_user(tenant, "clerk", "editor", PASSWORD)
        browser = Browser(app, name)
        browser.login("clerk", PASSWORD)
        yield name, tenant, browser


def test_no_new_form_of_a_shipped_entity_shows_an_empty_read_only_field(storage):
    app = make_app(SHIPPED, storage)
    seen = 0
    for tenant_name, tenant, clerk in shipped_editors(app):
        for entity in tenant.entities:
            response = clerk.get(f"/{entity}/new")
            assert response.status_code == 200, (tenant_name, entity)
            empty = set(
                re.findall(
                    r'<output id="field-(\w+)">\s*(?:&#8212;)?\s*</output>', page_of(response)
                )
            )
            # what a lookup fills in as it is chosen is there to be filled
            fetched = {
                mine
                for f in tenant.spec.entities[entity].fields
                if f.lookup
                for mine in f.lookup.fetch
            }
            assert empty <= fetched, (
                f"{tenant_name} {entity}: new form shows {empty - fetched} empty"
            )
            seen += 1
    assert seen >= 60


def test_the_shipped_reference_group_is_collapsed_in_every_form(shipped):
    for tenant_name, tenant in shipped.tenants.items():
        found = 0
        for entity_name, entity in tenant.entities.items():
            for group in entity.layout["groups"]:
                if group["code"] == "REFERENCE":
                    assert group["collapsed"], f"{tenant_name} {entity_name}"
                    found += 1
        assert found >= 5, tenant_name


def test_a_record_page_shows_a_collapsed_group_closed_under_its_heading(ann):
    response = ann.post("/ticket/new", {"title": "Printer", "code": "ABC"})
    page = page_of(ann.client.get(response.headers["Location"]))
    disclosure = re.search(
        r"<details class=\"group-disclosure\"><summary>Reference</summary>(.*?)</details>",
        page,
        re.S,
    )
    assert disclosure and "ABC" in disclosure.group(1)
    assert "<summary>Main</summary>" not in page
