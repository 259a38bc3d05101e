"""Every input type answers every capability, through the paths the product serves.

The metadata is built from the type table itself: a field of each input type (a lines
field for a type written under lines:), and for the widgets a field of each type with
every constraint key the type takes. A type added to engine.types is tested here
without a line changed, and fails here while it lacks something: values to try
(VALUES), the YAML of a key it needs, a macro, a filter its schema describes, a display.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import re
from collections.abc import Callable
from decimal import Decimal
from html import unescape
from html.parser import HTMLParser
from typing import Any

import jsonschema
import pytest
from conftest import GROUPS, TENANT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_pages import Browser, make_app

from engine import users
from engine.bulk.cells import CONVERSION_ERRORS, cell_text, column_converter, converter
from engine.bulk.tables import Sheet, read_csv, read_xlsx, write_csv, xlsx_bytes
from engine.compile.layout import html_attributes
from engine.locales import Locality
from engine.records.search import filter_value
from engine.registry import build_registry
from engine.types import INT64_MAX, INT64_MIN, TYPES
from engine.types.numeric import load_decimal

OPTIONS = (
    "[{value: a, label: Alpha}, {value: b, label: Beta}, {value: c, label: 'Gamma & \"more\"'}]"
)
# the YAML of each key some type cannot do without (InputType.needs)
NEEDED = {"options": f"options: {OPTIONS}", "lookup": "lookup: {entity: target}"}
# the YAML of each constraint key some type takes (InputType.keys), for the widgets
CONSTRAINTS = {
    **NEEDED,
    "min_length": "min_length: 2",
    "max_length": "max_length: 40",
    "pattern": "pattern: '[A-Za-z0-9@.:/ +-]+'",
    "min": "min: 1",
    "max": "max: 99.5",
    "precision": "precision: 3",
    "currency_field": "currency_field: the_text",  # the gauge's text field holds the code
}
FILES = [f"/t/files/{'a' * 32}.pdf", f"/t/files/{'c' * 32}.txt"]
IMAGES = [f"/t/files/{'b' * 32}.png", f"/t/files/{'d' * 32}.gif"]
TARGETS = ["North <1>", "South & co", "West"]
FIELDS = [kind for kind in TYPES.values() if kind.written_as_field]
LINES = [kind for kind in TYPES.values() if not kind.written_as_field]


def _yaml_field(name: str, index: int, kind: Any, keys: list[str]) -> str:
    extra = "".join(f", {CONSTRAINTS[key]}" for key in keys)
    return (
        f"  - {{name: {name}, sequence: {index}, label: {kind.name.title()} Field, "
        f"input_type: {kind.name}, group: MAIN{extra}}}\n"
    )


SPECIMEN = (
    "entity: specimen\nlabel: Specimen\nplural: Specimens\nlines:\n"
    + "".join(
        f"  the_{kind.name}: {{entity: row, link: specimen, label: Rows, sequence: 99, "
        "group: MAIN}\n"
        for kind in LINES
    )
    + "fields:\n"
    + "".join(
        _yaml_field(f"the_{kind.name}", index, kind, sorted(kind.needs)).replace(
            "group: MAIN", "group: MAIN, in_list: true"
        )
        for index, kind in enumerate(FIELDS)
    )
)
GAUGE = "entity: gauge\nlabel: Gauge\nplural: Gauges\nfields:\n" + "".join(
    _yaml_field(f"the_{kind.name}", index, kind, sorted(kind.keys)).replace(
        "group: MAIN", "group: MAIN, required: true, placeholder: 'Say <it>'"
    )
    for index, kind in enumerate(FIELDS)
)
ROW = """\
entity: row
label: Row
plural: Rows
fields:
  - {name: specimen, sequence: 1, label: Specimen, input_type: lookup, group: MAIN,
     lookup: {entity: specimen}}
  - {name: amount, sequence: 2, label: Amount, input_type: currency, group: MAIN, in_list: true}
  - {name: note, sequence: 3, label: Note, input_type: text, group: MAIN, in_list: true}
"""
TARGET = """\
entity: target
label: Target
plural: Targets
title_field: title
fields:
  - {name: title, sequence: 1, label: Title, input_type: text, group: MAIN}
"""
METADATA = {
    "entities/specimen.yaml": SPECIMEN,
    "entities/gauge.yaml": GAUGE,
    "entities/row.yaml": ROW,
    "entities/target.yaml": TARGET,
}


def _text(size: int | None) -> st.SearchStrategy[str]:
    """Text as a person types it: trimmed (forms and files trim), without control
    characters or line breaks, and not starting with an apostrophe, which an import
    reads as a spreadsheet's formula guard."""
    characters = st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"))
    return (
        st.text(characters, min_size=1, max_size=min(size or 30, 30))
        .map(str.strip)
        .filter(lambda text: text and text[0] != "'")
    )


def _number(places: int | None) -> st.SearchStrategy[Any]:
    """A number of the field's decimal places, as JSON carries it back (15 digits at
    most, so that a float holds it exactly)."""
    places = places or 0
    return st.integers(-(10**15) + 1, 10**15 - 1).map(
        lambda n: load_decimal(Decimal(n).scaleb(-places))
    )


def _in_order(values: list) -> st.SearchStrategy[list]:
    """Some of the values, in their order (a form sends a multiple select's choices so)."""
    return st.lists(st.sampled_from(values), min_size=1, unique=True).map(
        lambda chosen: [value for value in values if value in chosen]
    )


def _moments() -> st.SearchStrategy[str]:
    """Instants to the minute, in UTC: a form's datetime-local input holds minutes."""
    return st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(9000, 1, 1)).map(
        lambda moment: moment.replace(second=0, microsecond=0, tzinfo=dt.UTC).isoformat()
    )


EMAIL = r"[a-z0-9._%+-]{1,12}@[a-z0-9-]{1,12}\.[a-z]{2,6}"
PHONE = r"\+?[0-9][0-9 ().-]{1,14}[0-9]"
URL = r"https?://[a-z0-9.-]{1,16}(/[A-Za-z0-9_~.%-]{0,8}){0,3}(\?[a-z]=[a-z0-9&=]{1,6})?"
# the values to try of each type, for a field of it
VALUES: dict[str, Callable[[Any], st.SearchStrategy[Any]]] = {
    "text": lambda f: _text(f.max_length),
    "textarea": lambda f: _text(f.max_length),
    "email": lambda f: st.from_regex(EMAIL, fullmatch=True),
    "phone": lambda f: st.from_regex(PHONE, fullmatch=True),
    "url": lambda f: st.from_regex(URL, fullmatch=True),
    "integer": lambda f: st.integers(INT64_MIN, INT64_MAX),
    "decimal": lambda f: _number(f.precision),
    "currency": lambda f: _number(f.precision),
    "percent": lambda f: _number(f.precision),
    "date": lambda f: st.dates(dt.date(1900, 1, 1), dt.date(9000, 12, 31)).map(str),
    "datetime": lambda f: _moments(),
    "time": lambda f: st.times().map(lambda t: t.replace(microsecond=0).isoformat()),
    "switch": lambda f: st.booleans(),
    "select": lambda f: st.sampled_from([o.value for o in f.options]),
    "multiselect": lambda f: _in_order([o.value for o in f.options]),
    "lookup": lambda f: st.integers(1, len(TARGETS)),
    "file": lambda f: st.sampled_from(FILES),
    "image": lambda f: st.sampled_from(IMAGES),
    "lines": lambda f: st.lists(
        st.fixed_dictionaries({"amount": _number(2), "note": _text(20)}), max_size=3
    ),
}  # fmt: skip
EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def compiled_tenant(tmp_path_factory) -> Any:
    """The tenant `t` of this module's metadata (a field of every input type), compiled."""
    root = tmp_path_factory.mktemp("types") / "metadata"
    for relative, text in {
        "groups.yaml": GROUPS,
        "tenants/t/tenant.yaml": TENANT,
        **METADATA,
    }.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    return build_registry(str(root)).tenant("t")


@pytest.fixture(scope="module")
def specs(tmp_path_factory):
    """The compiled metadata, once: the cells need the fields, not a database."""
    return compiled_tenant(tmp_path_factory).spec.entities


@pytest.fixture
def app(tree, storage):
    """The app on each backend, with an editor, the lookups' targets and the files the
    file and image values name, as uploaded."""
    application = make_app(tree(METADATA), storage)
    kept = storage.data_dir / "uploads" / "t"
    kept.mkdir(parents=True)
    for reference in FILES:
        (kept / reference.rsplit("/", 1)[1]).write_bytes(b"%PDF-1.4 or any bytes")
    (kept / IMAGES[0].rsplit("/", 1)[1]).write_bytes(b"\x89PNG\r\n\x1a\n")
    (kept / IMAGES[1].rsplit("/", 1)[1]).write_bytes(b"GIF89a")
    service = application.extensions["formwork"]
    compiled = service.registry.tenant("t")
    users.add_user(compiled, "ann", "editor", "correct horse battery")
    ids = [service.create("t", "target", {"title": title}, "ann")["id"] for title in TARGETS]
    assert ids == list(range(1, len(TARGETS) + 1))
    application.token = users.issue_token(compiled, "ann")
    return application


def _specimen(specs: dict) -> Any:
    return specs["specimen"]


def _values(spec: Any) -> st.SearchStrategy[dict]:
    """A value of each field of the specimen, lines included."""
    return st.fixed_dictionaries({f.name: VALUES[f.input_type](f) for f in spec.fields})


def test_every_type_has_values_to_try_and_the_yaml_of_what_it_needs():
    assert set(VALUES) == set(TYPES)
    for kind in TYPES.values():
        assert set(kind.needs) <= set(NEEDED) and set(kind.keys) <= set(CONSTRAINTS)


# cells: what an export writes, an import reads back


def _through_csv(text: Any) -> Any:
    """A cell as the exporter's CSV writes it and the importer's reader reads it back."""
    written = io.StringIO()
    write_csv(written, ["Value", "Other"], [[text, "x"]])
    table = read_csv(written.getvalue().encode("utf-8-sig"), "cells.csv", delimiter=",")
    return table.rows[0][1][0]


def _through_xlsx(text: Any, tmp_path: Any) -> Any:
    """A cell as the exporter's workbook holds it, read back as the importer reads it."""
    path = tmp_path / "cells.xlsx"
    path.write_bytes(xlsx_bytes([Sheet("Cells", ["Value", "Other"], [[text, "x"]])]))
    return read_xlsx(path).rows[0][1][0]


@pytest.mark.parametrize("name", sorted(TYPES))
def test_an_exported_cell_imports_back_to_its_value(specs, name, tmp_path_factory):
    spec = _specimen(specs)
    field = next(f for f in spec.fields if f.input_type == name)
    if not field.stored:  # lines are rows of a sheet of their own, each cell its field's
        assert field.type.column is None
        return
    folder = tmp_path_factory.mktemp("cells")

    @settings(max_examples=40, deadline=None)
    @given(st.data())
    def round_trip(data):
        value = data.draw(VALUES[name](field))
        text = cell_text(field, value)
        read = converter(field)
        for cell in (text, _through_csv(text), _through_xlsx(text, folder)):
            assert read(cell) == value, (cell, value)
        whole = column_converter(field)
        if whole is not None:
            # a cell it cannot take at once raises: the per-cell converter reads it then
            with contextlib.suppress(ValueError, TypeError, KeyError):
                assert whole([_through_csv(text)]) == [value]
        choices = field.type.template_choices(field)
        if choices is not None:  # a template's drop-down offers the cell an export writes
            assert text in choices

    round_trip()


LOCALITIES = (
    Locality(),
    Locality("de_DE", "Europe/Berlin", "EUR"),
    Locality("fr_CH", "Asia/Tokyo"),
)


@pytest.mark.parametrize("name", sorted(TYPES))
def test_the_form_text_of_a_locality_is_its_local_form_text(specs, name):
    """The callable a form takes once per field writes what local_form_text writes."""
    field = next(f for f in _specimen(specs).fields if f.input_type == name)

    @settings(max_examples=40, deadline=None)
    @given(st.one_of(st.none(), VALUES[name](field)), st.sampled_from(LOCALITIES))
    def alike(value, locality):
        shown = field.type.form_text_for(locality)(value)
        assert shown == field.type.local_form_text(value, locality)

    alike()


@pytest.mark.parametrize("name", sorted(TYPES))
def test_a_cell_that_is_no_value_is_a_conversion_error(specs, name):
    field = next(f for f in _specimen(specs).fields if f.input_type == name)

    @settings(max_examples=40, deadline=None)
    @given(st.one_of(st.text(max_size=12), st.floats(), st.booleans(), st.integers()))
    def any_cell(cell):
        with contextlib.suppress(*CONVERSION_ERRORS):  # `problem` words these; others: 500
            converter(field)(cell)

    any_cell()


# forms: the value a widget shows is the value its form sends back


class _Form(HTMLParser):
    """What a browser sends for the record form of a page (the one marked novalidate):
    inputs, ticked checkboxes, chosen options, text areas; no file is chosen."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sent: list[tuple[str, str]] = []
        self.names: set[str] = set()
        self.openers: list[str] = []  # the values of the buttons that open a stored row
        self._inside = False
        self._select: dict | None = None
        self._option: dict | None = None
        self._textarea: list | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        at = dict(attrs)
        if tag == "form":
            self._inside = "novalidate" in at
        if not self._inside:
            return
        if tag == "button" and at.get("name") == "open_row":
            self.openers.append(at.get("value") or "")
        if tag == "input" and at.get("name"):
            self.names.add(at["name"])
            kind = at.get("type", "text")
            if kind == "checkbox" and "checked" in at:
                self.sent.append((at["name"], at.get("value") or "on"))
            elif kind not in ("checkbox", "file"):
                self.sent.append((at["name"], at.get("value") or ""))
        elif tag == "select":
            self._select = {"name": at["name"], "multiple": "multiple" in at, "options": []}
            self.names.add(at["name"])
        elif tag == "option" and self._select is not None:
            self._option = {"value": at.get("value"), "selected": "selected" in at, "text": ""}
            self._select["options"].append(self._option)
        elif tag == "textarea":
            self._textarea = [at["name"]]
            self.names.add(at["name"])

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option["text"] += data
        if self._textarea is not None:
            self._textarea.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False
        elif tag == "option":
            self._option = None
        elif tag == "textarea" and self._textarea is not None:
            self.sent.append((self._textarea[0], "".join(self._textarea[1:])))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            self._send_select(self._select)
            self._select = None

    def _send_select(self, select: dict) -> None:
        options = select["options"]
        chosen = [o for o in options if o["selected"]]
        if not select["multiple"] and not chosen and options:
            chosen = options[:1]  # a single select sends its first option when none is
        for option in chosen:
            value = option["value"] if option["value"] is not None else option["text"]
            self.sent.append((select["name"], value))


def _sent(page: str) -> _Form:
    form = _Form()
    form.feed(page)
    return form


def _page_values(record: dict, spec: Any) -> dict:
    """A record's values of the specimen's fields, lines without their ids and links."""
    values = {f.name: record[f.name] for f in spec.fields if f.stored}
    for line in (f for f in spec.fields if f.lines):
        values[line.name] = [
            {k: v for k, v in row.items() if k in ("amount", "note")} for row in record[line.name]
        ]
    return values


def test_a_value_of_every_type_comes_back_from_its_form(app, specs):
    """The edit page shows each value in its type's widget (a stored row's once its
    button opens it); the form a browser sends from it makes a new record with the same
    values."""
    ann = Browser(app, "t")
    ann.login("ann")
    service = app.extensions["formwork"]
    spec = _specimen(specs)

    @EXAMPLES
    @given(_values(spec))
    def through_the_form(values):
        record = service.create("t", "specimen", values, "ann")
        edit = f"/specimen/{record['id']}/edit"
        form = _sent(ann.get(edit).get_data(as_text=True))
        for opener in form.openers:  # each stored row opened by its button, no script
            opened = ann.post(edit, _multi([*form.sent, ("open_row", opener)]))
            assert opened.status_code == 200
            form = _sent(opened.get_data(as_text=True))
        for field in spec.fields:  # each field is on the form, by its widget's input
            name = field.name if field.stored else f"{field.name}-0-note"
            assert name in form.names or not values[field.name], name
        # a new record from the same form: nothing of the first one but what it sent
        sent = [(k, v) for k, v in form.sent if k != "rev_number" and not k.endswith("-id")]
        response = ann.post("/specimen/new", _multi(sent))
        assert response.status_code == 302, response.get_data(as_text=True)
        created = int(re.search(r"/specimen/(\d+)", response.headers["Location"]).group(1))
        again = service.read("t", "specimen", created)
        assert _page_values(again, spec) == _page_values(
            service.read("t", "specimen", record["id"]), spec
        )
        assert _page_values(again, spec) == _expected(values, spec)
        for field in (f for f in spec.fields if f.stored):  # and on to a file, and back
            value = again[field.name]
            assert converter(field)(cell_text(field, value)) == value, field.name

    through_the_form()


def _multi(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    data: dict[str, list[str]] = {}
    for key, value in pairs:
        data.setdefault(key, []).append(value)
    return data


def _expected(values: dict, spec: Any) -> dict:
    return _page_values({**values, "id": 0}, spec)


# filters: the text of a stored value finds it, on both backends, as the API's
# OpenAPI document describes the filter


def _filter_text(value: Any) -> str:
    """A value as a filter's text: true/false, a list comma-separated, else as text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)


def _as_the_schema_reads(text: str, schema: dict) -> Any:
    """A query parameter's text as an OpenAPI client reads it for the schema: numbers and
    booleans as JSON literals, anything else as text."""
    if schema.get("type") in ("integer", "number", "boolean"):
        return json.loads(text, parse_constant=lambda word: pytest.fail(f"{word} is no JSON"))
    return text


def test_the_filter_of_every_type_finds_its_value_as_openapi_says(app, specs):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {app.token}"}
    document = client.get("/api/t/openapi.json", headers=headers).json
    parameters = {
        p["name"]: p["schema"] for p in document["paths"]["/api/t/specimen"]["get"]["parameters"]
    }
    service = app.extensions["formwork"]
    spec = _specimen(specs)
    stored = [f for f in spec.fields if f.stored]

    @EXAMPLES
    @given(_values(spec))
    def filtered(values):
        record = service.create("t", "specimen", values, "ann")
        for field in stored:
            text = _filter_text(values[field.name])
            schema = parameters[field.name]
            assert schema == field.type.filter_schema(field)
            checker = jsonschema.Draft202012Validator(
                schema, format_checker=jsonschema.FormatChecker()
            )
            assert checker.is_valid(_as_the_schema_reads(text, schema)), (field.name, text, schema)
            parsed = filter_value(field, field.name, text)  # what the filter compares
            assert parsed == field.type.store(values[field.name]), (field.name, text)
            query = {field.name: text, "id": str(record["id"])}
            answer = client.get("/api/t/specimen", query_string=query, headers=headers)
            assert answer.status_code == 200, answer.json
            assert [item["id"] for item in answer.json["items"]] == [record["id"]], (
                field.name,
                text,
            )

    filtered()


# widgets: a macro per type, drawing the HTML attributes of the field's constraints


class _Elements(HTMLParser):
    """The attributes of each element by its id."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.by_id: dict[str, dict[str, str | None]] = {}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        at = dict(attrs)
        if "id" in at:
            self.by_id[at["id"]] = at


CONSTRAINT_ATTRIBUTES = {"required", "maxlength", "minlength", "min", "max", "pattern", "step",
                         "placeholder", "readonly"}  # fmt: skip


def test_every_type_has_its_macro_rendering_its_constraints(app, specs):
    with app.app_context():
        macros = app.jinja_env.get_template("widgets.html").module
        for kind in TYPES.values():
            assert callable(getattr(macros, kind.widget, None)), kind.widget
    ann = Browser(app, "t")
    ann.login("ann")
    page = ann.get("/gauge/new").get_data(as_text=True)
    elements = _Elements()
    elements.feed(page)
    for field in specs["gauge"].fields:
        rendered = elements.by_id[f"field-{field.name}"]
        wanted = {k: None if v is True else str(v) for k, v in html_attributes(field).items()}
        shown = {k: v for k, v in rendered.items() if k in CONSTRAINT_ATTRIBUTES}
        assert shown == wanted, field.name
    for kind in LINES:  # a lines field is drawn as a table by the macro its type names
        page = ann.get("/specimen/new").get_data(as_text=True)
        assert f'data-lines="the_{kind.name}"' in page


# display: a record's page shows each value as its type displays it


def test_a_record_page_shows_each_value_as_its_type_displays_it(app, specs):
    ann = Browser(app, "t")
    ann.login("ann")
    service = app.extensions["formwork"]
    spec = _specimen(specs)
    place = service.target("t", "specimen").tenant.spec.locality  # values as its people read

    @EXAMPLES
    @given(_values(spec))
    def shown(values):
        record = service.create("t", "specimen", values, "ann")
        page = ann.get(f"/specimen/{record['id']}").get_data(as_text=True)
        texts = dict(re.findall(r"<div><dt>(.*?)</dt><dd>(.*?)</dd></div>", page, re.S))
        texts = {label: re.sub(r"</?time[^>]*>", "", text) for label, text in texts.items()}
        for field in spec.fields:
            if field.lines:  # a table of the lines, each cell as its own field shows it
                table = re.search(r'<div class="lines-view">(.*?)</table>', page, re.S).group(1)
                grid_rows = (
                    r'<tr class="line-cells"><th scope="row">\d+</th>((?:<td>.*?</td>)+)</tr>'
                )
                rows = re.findall(grid_rows, re.sub(r"</?time[^>]*>", "", table), re.S)
                cells = [[unescape(c) for c in re.findall(r"<td>(.*?)</td>", r)] for r in rows]
                child = specs[field.lines.entity]
                shown_by = [child.field(name) for name in ("amount", "note")]
                wanted_rows = [
                    [f.type.display(f, line[f.name], place) for f in shown_by]
                    for line in values[field.name]
                ]
                assert cells == wanted_rows, field.name
                assert ("No lines." in table) == (not wanted_rows)
                continue
            wanted = (
                TARGETS[values[field.name] - 1]
                if field.lookup
                else field.type.display(field, values[field.name], place)
            )
            assert unescape(texts[field.label]) == wanted, field.name
        # the list, newest first: a column of each field, as its type lists it
        listing = ann.get("/specimen/?sort=-id").get_data(as_text=True)
        first = re.search(r"<tbody>\s*<tr>(.*?)</tr>", listing, re.S).group(1)
        cells = [unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td>(.*?)</td>", first)]
        assert cells == [
            _listed(field, values[field.name], place) for field in spec.fields if field.stored
        ]

    shown()


def _listed(field: Any, value: Any, place: Any) -> str:
    if field.lookup:
        return TARGETS[value - 1]
    return field.type.list_texts(field, place)([value])[0]
