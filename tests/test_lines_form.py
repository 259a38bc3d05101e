"""A lines field's form with JavaScript off, over every shipped tenant × entity with lines:
every field of every row is served (a stored row's once its button asks for the form with
that row open, what was typed kept), and posting the form back as a browser without
scripts would saves what was typed in each row, the rows left closed as they were; a row
missing a required field is refused, its problem shown on its grid row, and nothing is
lost."""

import re
from html.parser import HTMLParser

import pytest
from conftest import SHIPPED
from werkzeug.datastructures import MultiDict

from engine import users
from engine.demo import load_demo
from engine.registry import build_registry
from webui import create_app
from webui.forms import editable

PASSWORD = "correct horse battery"


def lines_cases() -> list[tuple[str, str, str]]:
    """(tenant, entity, lines field) of every lines field a shipped form shows."""
    registry = build_registry(str(SHIPPED))
    return [
        (tenant, entity.name, field.name)
        for tenant in registry.tenants
        for entity in registry.tenant(tenant).spec.entities.values()
        for field in entity.fields
        if field.lines and not field.hidden
    ]


CASES = lines_cases()


class FormValues(HTMLParser):
    """What a browser without scripts sends for a page's form: each input's value (a
    checkbox only when ticked), each textarea's text, each select's chosen options (a
    single select's first option when none is); nothing inside a <template>, which a
    browser does not send."""

    def __init__(self) -> None:
        super().__init__()
        self.pairs: list[tuple[str, str]] = []
        self.names: set[str] = set()
        self.options: dict[str, list[str]] = {}  # a select's option values
        self.buttons: list[tuple[str, str]] = []  # (name, value) of each named submit button
        self._select: tuple | None = None  # name, options, chosen, multiple
        self._textarea: tuple[str, list] | None = None
        self._templates = 0  # how deep in <template> elements the parser is

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "template":
            self._templates += 1
        elif self._templates:
            return
        elif tag == "button" and name and a.get("type") == "submit":
            self.buttons.append((name, a.get("value") or ""))
        elif tag == "input" and name and a.get("type") not in ("file", "submit"):
            self.names.add(name)
            if a.get("type") != "checkbox" or "checked" in a:
                self.pairs.append((name, a.get("value") or ""))
        elif tag == "select" and name:
            self.names.add(name)
            self._select = (name, [], [], "multiple" in a)
        elif tag == "option" and self._select:
            self._select[1].append(a.get("value", ""))
            if "selected" in a:
                self._select[2].append(a.get("value", ""))
        elif tag == "textarea" and name:
            self.names.add(name)
            self._textarea = (name, [])

    def handle_data(self, data):
        if self._textarea:
            self._textarea[1].append(data)

    def handle_endtag(self, tag):
        if tag == "template":
            self._templates -= 1
        elif tag == "select" and self._select:
            name, options, chosen, multiple = self._select
            self.options[name] = options
            self.pairs += [(name, value) for value in (chosen or options[: not multiple])]
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.pairs.append((self._textarea[0], "".join(self._textarea[1])))
            self._textarea = None


@pytest.fixture
def demo_app(storage):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "FORMWORK_METADATA": str(SHIPPED),
            "FORMWORK_DATA": str(storage.data_dir),
            "FORMWORK_DATABASE": storage.database_url,
        }
    )
    return with_demo(app)


def with_demo(app):
    """The app with the shipped demo data and an editor `clerk` in every tenant."""
    service = app.extensions["formwork"]
    load_demo(service, service.registry)
    for tenant in service.registry.tenants:
        users.add_user(service.registry.tenant(tenant), "clerk", "editor", PASSWORD)
    return app


def logged_in(app, tenant):
    client = app.test_client()
    page = client.get(f"/{tenant}/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = {"username": "clerk", "password": PASSWORD, "csrf_token": token}
    assert client.post(f"/{tenant}/login", data=data).status_code == 302
    return client


def editable_record(service, tenant, entity, line) -> dict:
    """The first demo record whose form edits its lines, one with some if there is one."""
    spec = service.target(tenant, entity).spec
    records = [
        service.read(tenant, entity, item["id"]) for item in service.list(tenant, entity)["items"]
    ]
    editable_ones = [
        r for r in records if not spec.statuses or spec.statuses.states[r["status"]].locked != "all"
    ]
    return next((r for r in editable_ones if r.get(line)), editable_ones[0])


SAMPLES = {
    **{"email": "row@example.com", "phone": "+1 555 0100", "url": "https://example.com/"},
    **{"integer": "1", "decimal": "1.5", "currency": "2.5", "percent": "3", "date": "2026-01-02"},
}


def typed_value(field, row: int, options: list[str] | None, taken=()) -> str | None:
    """A value the field takes, different for each row where it is text (an option not
    `taken` for a select); None when there is none to give."""
    if options is not None:
        return next((o for o in options if o and o not in taken), None)
    if field.type.widget == "text":
        text = f"R{row} {field.name}"
        return text[: field.max_length] if field.max_length else text
    return SAMPLES.get(field.type.widget)


def row_fields(service, tenant, entity, line):
    """The child's fields a row's editor has inputs for, and those a test may type text
    into (plain text with no pattern nor uniqueness to trip over)."""
    target = service.target(tenant, entity)
    spec = target.spec.field(line)
    child = target.child(spec).spec
    fields = [f for f in editable(child, creating=True) if f.name != spec.lines.link]
    texts = [f for f in fields if f.type.widget == "text" and not f.pattern and not f.unique]
    return fields, texts


@pytest.mark.parametrize(("tenant", "entity", "line"), CASES)
def test_every_row_field_is_served_and_saved_without_scripts(demo_site, tenant, entity, line):
    service = demo_site.extensions["formwork"]
    record = editable_record(service, tenant, entity, line)
    fields, texts = row_fields(service, tenant, entity, line)
    assert texts, f"{tenant}.{entity}.{line}: no text field to type into"
    client = logged_in(demo_site, tenant)
    path = f"/{tenant}/{entity}/{record['id']}/edit"
    form = FormValues()
    form.feed(client.get(path).get_data(as_text=True))
    for row in record[line]:  # each stored row opened by its button, as a person would
        opening = ("open_row", f"{line}:{row['id']}")
        assert opening in form.buttons, opening
        response = client.post(path, data=MultiDict([*form.pairs, opening]))
        assert response.status_code == 200
        form = FormValues()
        form.feed(response.get_data(as_text=True))
    stored = len(record[line])
    for row in range(stored + 1):  # the stored rows and the empty one
        for field in fields:
            assert f"{line}-{row}-{field.name}" in form.names, (row, field.name)
    typed = {
        f"{line}-{row}-{f.name}": typed_value(f, row, None) for row in range(stored) for f in texts
    }
    new_row = {f"{line}-{stored}-{f.name}": typed_value(f, stored, None) for f in texts}
    for field in fields:  # what a new row needs; a select's value unlike the stored rows'
        key = f"{line}-{stored}-{field.name}"
        if field.required and key not in new_row:
            taken = {str(r.get(field.name)) for r in record[line]}
            new_row[key] = typed_value(field, stored, form.options.get(key), taken)
    adding = None not in new_row.values()  # else no record a new row could link to
    typed.update(new_row if adding else {})
    pairs = [(name, typed.get(name, value)) for name, value in form.pairs]

    response = client.post(f"/{tenant}/{entity}/{record['id']}/edit", data=MultiDict(pairs))

    assert response.status_code == 302, re.findall(
        r"<li><a [^>]*>[^<]*", response.get_data(as_text=True)
    )
    saved = service.read(tenant, entity, record["id"])[line]
    assert [row["id"] for row in saved[:stored]] == [row["id"] for row in record[line]]
    assert len(saved) == stored + adding
    for row, values in enumerate(saved):
        for field in texts:
            assert values[field.name] == typed_value(field, row, None)


def grid_cells(page: str, line: str, row: int) -> list[str]:
    """The texts of a row's grid cells."""
    lines = page[page.index(f'data-lines="{line}"') :]
    grid_row = re.search(rf'<tbody class="line" data-row="{row}".*?</tr>', lines, re.S).group(0)
    return re.findall(r'<span class="cell-value">([^<]*)</span>', grid_row)


@pytest.mark.parametrize(("tenant", "entity", "line"), CASES)
def test_a_row_missing_a_required_field_is_shown_on_its_grid_row(demo_site, tenant, entity, line):
    service = demo_site.extensions["formwork"]
    record = editable_record(service, tenant, entity, line)
    fields, texts = row_fields(service, tenant, entity, line)
    numbered = service.target(tenant, entity).child(service.target(tenant, entity).spec.field(line))
    numbering = numbered.spec.numbering.field if numbered.spec.numbering else None
    required = next(f for f in fields if f.required and f.name != numbering)
    client = logged_in(demo_site, tenant)
    page = client.get(f"/{tenant}/{entity}/{record['id']}/edit").get_data(as_text=True)
    form = FormValues()
    form.feed(page)
    # the empty row gets a value, but not the required one
    other = next(f for f in texts if f.name != required.name)
    row = len(record[line])
    filled = {f"{line}-{row}-{other.name}": typed_value(other, row, None)}
    missing = f"{line}-{row}-{required.name}"
    pairs = [
        (name, "" if name == missing else filled.get(name, value)) for name, value in form.pairs
    ]

    response = client.post(f"/{tenant}/{entity}/{record['id']}/edit", data=MultiDict(pairs))

    assert response.status_code == 422
    served, page = page, response.get_data(as_text=True)
    if row:  # a stored row's grid cells, read-only ones too, as they were served
        assert grid_cells(page, line, 0) == grid_cells(served, line, 0)
    lines = page[page.index(f'data-lines="{line}"') :]
    grid_row = re.search(rf'<tbody class="line" data-row="{row}".*?</tr>', lines, re.S).group(0)
    assert 'class="line-cells has-error"' in grid_row
    assert f"{required.label} is required." in grid_row
    assert f'href="#field-{missing}"' in page  # the summary's link
    assert f'id="field-{missing}"' in page
    assert f'value="{filled[f"{line}-{row}-{other.name}"]}"' in page  # kept
    assert service.read(tenant, entity, record["id"]) == record  # nothing saved
