"""Lookups as people read them, on the shipped metadata with the demo data, on SQLite and
PostgreSQL: every page of every tenant × entity shows a linked record's title, never a
bare id, before and after a failed save; view values are read-only and filled from their
link; the demo has enough targets that a customer lookup is searched as you type."""

import re
import threading
from html.parser import HTMLParser

import pytest
from conftest import SHIPPED, _drop_tenant_schemas, stop_metadata_watching
from sample_records import sample_payload, sample_value

from engine import users
from engine.bulk.exporter import Selection, export_sheets
from engine.demo import load_demo
from engine.errors import RecordInvalid
from webui import create_app
from webui.display import LOOKUP_CHOICES

PASSWORD = "correct horse battery"
TENANTS = ["distribution", "production", "retail", "standard", "trade"]


class Page(HTMLParser):
    """A page's parts a person reads, and a form's values, by element id or name."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.texts: dict[str, str] = {}  # element id → its text
        self.rows: list[tuple[str, str]] = []  # (dt, dd) of a record page, outside its lines
        self.tables: list[list[list[str]]] = []  # each table's rows of cell texts
        self.history: list[str] = []
        self.selected: dict[str, str] = {}  # select id → the chosen option's text
        self.values: dict[str, str] = {}  # what the form would send
        self._text: list[list[str]] = []
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("input", "br", "meta", "link", "img"):
            self._input(tag, attrs)
            return
        self.stack.append((tag, attrs))
        self._text.append([])
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag == "select":
            self._select = attrs.get("name")
        elif tag == "option" and "selected" in attrs and self._select:
            self.values[self._select] = attrs.get("value", "")

    def _input(self, tag, attrs):
        name = attrs.get("name")
        if tag != "input" or not name or attrs.get("type") in ("file", "submit"):
            return
        if attrs.get("type") == "checkbox" and "checked" not in attrs:
            return
        self.values.setdefault(name, attrs.get("value", ""))

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1][0] != tag:
            return
        _, attrs = self.stack.pop()
        text = " ".join("".join(self._text.pop()).split())
        if self._text:
            self._text[-1].append(text + " ")
        if attrs.get("id"):
            self.texts[attrs["id"]] = text
        if tag in ("td", "th") and self.tables and self.tables[-1]:
            self.tables[-1][-1].append(text)
        elif tag == "dd" and not any(t == "table" for t, _ in self.stack):
            self.rows.append((self._last_dt, text))  # the record's own, not a line's
        elif tag == "dt":
            self._last_dt = text
        elif tag == "li" and any(a.get("class") == "history" for _, a in self.stack):
            self.history.append(text)
        elif tag == "option" and self._select:
            if attrs.get("value") == self.values.get(self._select) and "selected" in attrs:
                self.selected[self._select] = text
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._text:
            self._text[-1].append(data)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request, tmp_path_factory):
    """The app over the shipped metadata with the demo data, and an editor per tenant."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    watching = set(threading.enumerate())
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "FORMWORK_METADATA": str(SHIPPED),
            "FORMWORK_DATA": str(tmp_path_factory.mktemp("demo")),
            "FORMWORK_DATABASE": url,
            "FORMWORK_RELOAD": "off",
        }
    )
    service = app.extensions["formwork"]
    load_demo(service, service.registry)
    for tenant in TENANTS:
        users.add_user(service.registry.tenant(tenant), "eve", "editor", PASSWORD)
    yield app
    stop_metadata_watching(watching)
    app.extensions["formwork_storage"].close()
    if url:
        _drop_tenant_schemas(url)


def client_of(app, tenant):
    client = app.test_client()
    login = client.get(f"/{tenant}/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
    data = {"username": "eve", "password": PASSWORD, "csrf_token": token}
    assert client.post(f"/{tenant}/login", data=data).status_code == 302
    return client


def title_of(service, tenant, field, value):
    """The linked record's shown field, read here without the pages' code (None: empty)."""
    linked = service.read(tenant, field.lookup.entity, value)
    shown = linked[field.lookup.show]
    return None if shown in (None, "") else str(shown)


def lookups(target):
    return [f for f in target.spec.fields if f.lookup and not f.hidden]


def entities_with_lookups():
    from engine.registry import build_registry

    registry = build_registry(str(SHIPPED))
    cases = []
    for tenant in TENANTS:
        compiled = registry.tenant(tenant)
        for name, entity in compiled.spec.entities.items():
            children = [compiled.spec.entities[f.lines.entity] for f in entity.fields if f.lines]
            if any(f.lookup and not f.hidden for e in (entity, *children) for f in e.fields):
                cases.append((tenant, name))
    return cases


CASES = entities_with_lookups()


def linked_payload(service, tenant, target, fresh=False):
    """The entity's required fields, and every lookup a person fills linked to a record:
    the demo's first one, or with `fresh` (or where the demo has none) a new sample."""
    payload = sample_payload(service, tenant, target.spec.name)
    for field in lookups(target):
        if field.read_only:
            continue
        first = service.list(tenant, field.lookup.entity, limit=1, sort="id")["items"]
        use_first = first and not fresh
        payload[field.name] = first[0]["id"] if use_first else sample_value(service, tenant, field)
    return payload


def linked_record(service, tenant, target):
    """A record with every lookup filled, lines too, whose history changes a lookup."""
    try:
        record = _create_linked(service, tenant, target, fresh=False)
    except RecordInvalid:  # a unique key over its links: new targets make it unique
        record = _create_linked(service, tenant, target, fresh=True)
    changed = next((f for f in lookups(target) if not (f.read_only or f.set_once)), None)
    if changed is not None:
        other = sample_value(service, tenant, changed)
        record = service.update(
            tenant,
            target.spec.name,
            record["id"],
            {changed.name: other, "rev_number": record["rev_number"]},
            "tester",
        )
    return record


def _create_linked(service, tenant, target, fresh):
    payload = linked_payload(service, tenant, target, fresh)
    for line in target.lines():
        row = linked_payload(service, tenant, target.child(line), fresh)
        row.pop(line.lines.link, None)
        payload[line.name] = [row]
    return service.create(tenant, target.spec.name, payload, "tester")


def assert_titles_on_form(service, tenant, target, page, record, prefix="", link=None):
    """Each lookup of the form shows its linked record's title: the option chosen, the
    title beside the search box, or the text of a field not edited here."""
    for field in lookups(target):
        value = record.get(field.name)
        name = f"{prefix}{field.name}"
        if value is None or field.read_only or field.name == link:
            continue  # a line's link is its place in the form, not a field of the row
        expected = title_of(service, tenant, field, value)
        shown = (
            page.selected.get(name)
            or page.texts.get(f"field-{name}-title")
            or page.texts.get(f"field-{name}")  # shown, not edited here
        )
        assert expected is not None and shown == expected, (name, shown)


@pytest.mark.parametrize(("tenant", "entity"), CASES)
def test_no_page_shows_a_bare_id_for_a_lookup(site, tenant, entity):
    service = site.extensions["formwork"]
    target = service.target(tenant, entity)
    client = client_of(site, tenant)
    record = linked_record(service, tenant, target)
    labels: dict[str, set[str]] = {}  # a label two fields share shows either's title
    for field in lookups(target):
        if record.get(field.name) is not None:
            title = title_of(service, tenant, field, record[field.name])
            labels.setdefault(field.label, set()).add(title or "")
    # the record page: each lookup's row, the lines' cells, the history
    page = Page(client.get(f"/{tenant}/{entity}/{record['id']}").get_data(as_text=True))
    for label, text in page.rows:
        if label in labels:
            assert text in labels[label], (label, text)
    ids = linked_ids(service, tenant, targets(target))
    assert_no_bare_ids(page.tables, ids)
    for change in page.history:
        label, _, values = change.partition(": ")
        shown = {v.strip() for v in values.split("→")}
        assert not shown & ids.get(label, set()), change
    # the edit form, and its lines' rows, each as it opens
    edit = f"/{tenant}/{entity}/{record['id']}/edit"
    form = Page(client.get(edit).get_data(as_text=True))
    assert_titles_on_form(service, tenant, target, form, record)
    for line in (line for line in target.lines() if not line.hidden):
        for index, row in enumerate(record.get(line.name) or []):
            child = target.child(line)
            prefix = f"{line.name}-{index}-"
            opened = client.get(f"{edit}/{line.name}/{row['id']}?row={index}")
            fields = Page(opened.get_data(as_text=True))
            assert_titles_on_form(service, tenant, child, fields, row, prefix, line.lines.link)
    # the list: a lookup column shows titles
    listed = Page(client.get(f"/{tenant}/{entity}/").get_data(as_text=True))
    assert_no_bare_ids(listed.tables, ids)


def targets(target):
    """The entity and the children of its lines."""
    return [target, *(target.child(line) for line in target.lines())]


def linked_ids(service, tenant, targets):
    """By a lookup's label, every id any record of the entities links to, as an id is
    written bare ("18", "#18"): what a cell under that label must never be."""
    ids: dict[str, set[str]] = {}
    for target in targets:
        for record in service.list(tenant, target.spec.name, limit=500)["items"]:
            for field in lookups(target):
                value = record.get(field.name)
                if value is not None and title_of(service, tenant, field, value) != str(value):
                    ids.setdefault(field.label, set()).update({str(value), f"#{value}"})
    return ids


def assert_no_bare_ids(tables, ids):
    """No cell under a lookup's column header is the id of a record it links to."""
    for table in tables:
        for row in table[1:] if table else []:
            bare = [(h, c) for h, c in zip(table[0], row, strict=False) if c in ids.get(h, ())]
            assert not bare, bare


@pytest.mark.parametrize("tenant", [t for t in TENANTS if (t, "customer") in CASES])
def test_a_failed_save_keeps_each_lookup_title(site, tenant):
    service = site.extensions["formwork"]
    target = service.target(tenant, "customer")
    client = client_of(site, tenant)
    record = linked_record(service, tenant, target)
    url = f"/{tenant}/customer/{record['id']}/edit"
    form = Page(client.get(url).get_data(as_text=True))
    title = target.spec.title_field
    answer = client.post(url, data={**form.values, title: ""})  # required: the save fails
    assert answer.status_code == 422
    again = Page(answer.get_data(as_text=True))
    assert again.values.get(title) == ""
    assert_titles_on_form(service, tenant, target, again, record)


def test_a_link_to_a_deleted_or_untitled_record_says_so_in_words(site):
    service = site.extensions["formwork"]
    tenant = "standard"
    client = client_of(site, tenant)
    address = service.create(
        tenant, "address", {"address_name": "Gone soon", "address_line_1": "1 Way"}, "t"
    )
    customer = service.create(
        tenant, "customer", {"customer_name": "Linked Ltd", "ship_to_id": address["id"]}, "t"
    )
    linked = service.target(tenant, "address")
    linked.model.delete().where(linked.model.id == address["id"]).execute()
    page = Page(client.get(f"/{tenant}/customer/{customer['id']}").get_data(as_text=True))
    assert ("Ship To Id", "Address no longer exists") in page.rows
    form = Page(client.get(f"/{tenant}/customer/{customer['id']}/edit").get_data(as_text=True))
    assert form.texts["field-ship_to_id-title"] == "Address no longer exists"


def test_view_values_are_read_only_filled_from_their_link_on_save(site):
    service = site.extensions["formwork"]
    tenant = "standard"
    addresses = service.list(tenant, "address", limit=2, sort="id")["items"]
    first, second = addresses
    client = client_of(site, tenant)
    compiled = service.registry.tenant(tenant)
    token = users.issue_token(compiled, "eve")
    headers = {"Authorization": f"Bearer {token}"}
    sent = {"customer_name": "View Co", "vv_ship_to_address_name": first["id"]}
    refused = client.post(f"/api/{tenant}/customer", json=sent, headers=headers)
    assert refused.status_code == 422
    assert [(e["field"], e["code"]) for e in refused.json["errors"]] == [
        ("vv_ship_to_address_name", "read_only")
    ]
    made = client.post(
        f"/api/{tenant}/customer",
        json={"customer_name": "View Co", "ship_to_id": first["id"]},
        headers=headers,
    )
    assert made.status_code == 201, made.json
    assert made.json["vv_ship_to_address_name"] == first["id"]
    # a body as GET answered it is taken back; a new link fetches its view values again
    changed = client.patch(
        f"/api/{tenant}/customer/{made.json['id']}",
        json={**made.json, "ship_to_id": second["id"]},
        headers=headers,
    )
    assert changed.status_code == 200, changed.json
    assert changed.json["vv_ship_to_address_name"] == second["id"]
    page = Page(client.get(f"/{tenant}/customer/{made.json['id']}").get_data(as_text=True))
    assert ("Ship To Address Name", second["address_name"]) in page.rows
    # the form shows it, never as an input of its own
    form = client.get(f"/{tenant}/customer/{made.json['id']}/edit").get_data(as_text=True)
    assert 'name="vv_ship_to_address_name"' not in form
    assert Page(form).texts["field-vv_ship_to_address_name"] == second["address_name"]


def test_the_fetched_endpoint_gives_view_values_as_people_read_them(site):
    service = site.extensions["formwork"]
    address = service.list("standard", "address", limit=1, sort="id")["items"][0]
    client = client_of(site, "standard")
    answer = client.get(f"/standard/customer/fetched/ship_to_id?id={address['id']}").json
    assert answer["values"]["vv_ship_to_address_name"] == address["id"]
    assert answer["texts"]["vv_ship_to_address_name"] == address["address_name"]
    assert client.get("/standard/customer/fetched/customer_name?id=1").status_code == 404
    assert client.get("/standard/customer/fetched/ship_to_id?id=999999").status_code == 404


@pytest.mark.parametrize("tenant", [t for t in TENANTS if t != "production"])
def test_the_demo_has_a_customer_lookup_searched_as_you_type(site, tenant):
    """Production's customer form has no lookup at all, so it has none to search."""
    service = site.extensions["formwork"]
    target = service.target(tenant, "customer")
    searched = [
        f
        for f in lookups(target)
        if not f.read_only
        and service.list(tenant, f.lookup.entity, limit=1)["total"] > LOOKUP_CHOICES
    ]
    assert searched, f"no lookup of {tenant}'s customer has over {LOOKUP_CHOICES} targets"
    page = client_of(site, tenant).get(f"/{tenant}/customer/new").get_data(as_text=True)
    for field in searched:
        assert re.search(rf'<input type="number" id="field-{field.name}"[^>]*data-lookup=', page)


def test_an_export_names_links_by_title_and_view_values_by_their_own_column(site):
    service = site.extensions["formwork"]
    address = service.list("standard", "address", limit=1, sort="id")["items"][0]
    made = service.create(
        "standard", "customer", {"customer_name": "Export Co", "ship_to_id": address["id"]}, "t"
    )
    chosen = Selection(filters={"id": str(made["id"])})
    sheet = export_sheets(service, "standard", "customer", chosen)[0]
    row = dict(zip(sheet.headers, sheet.rows[0], strict=True))
    assert row["Ship To Id"] == address["address_name"]  # what an import names it by
    assert row["Ship To Address Name"] == address["address_name"]
    assert row["Ship To Postal Code"] == address["postal_code"]
    assert row["Ship To Email"] == (address.get("email") or "")


UNTITLED = {
    "entities/place.yaml": """\
        entity: place
        label: Place
        plural: Places
        title_field: name
        fields:
          - {name: name, sequence: 1, label: Name, input_type: text, group: MAIN}
          - {name: zone, sequence: 2, label: Zone, input_type: text, group: MAIN}
        """,
    "entities/visit.yaml": """\
        entity: visit
        label: Visit
        plural: Visits
        title_field: subject
        fields:
          - {name: subject, sequence: 1, label: Subject, input_type: text, group: MAIN}
          - {name: place, sequence: 2, label: Place, input_type: lookup, group: MAIN,
             lookup: {entity: place, fetch: {zone: zone}}}
          - {name: zone, sequence: 3, label: Zone, input_type: text, group: MAIN, view: true}
        """,
}


def test_a_link_to_a_record_without_a_title_says_so_in_words(tree, storage):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "FORMWORK_METADATA": str(tree(UNTITLED)),
            "FORMWORK_DATA": str(storage.data_dir),
            "FORMWORK_DATABASE": storage.database_url,
        }
    )
    service = app.extensions["formwork"]
    users.add_user(service.registry.tenant("t"), "eve", "editor", PASSWORD)
    place = service.create("t", "place", {"zone": "North"}, "t")
    visit = service.create("t", "visit", {"subject": "Check", "place": place["id"]}, "t")
    assert visit["zone"] == "North"  # the view value, fetched on save
    client = client_of(app, "t")
    page = Page(client.get(f"/t/visit/{visit['id']}").get_data(as_text=True))
    assert ("Place", "Place without Name") in page.rows
    assert ("Zone", "North") in page.rows
    form = Page(client.get(f"/t/visit/{visit['id']}/edit").get_data(as_text=True))
    assert form.texts["field-place-title"] == "Place without Name"
    assert form.texts["field-zone"] == "North"
    found = client.get("/t/place/lookup?q=").json["items"]
    assert found == [{"id": place["id"], "title": "Place without Name"}]
