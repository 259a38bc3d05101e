"""Line rows drawn from pieces cut once per compiled entity (webui.row_rendering) draw what
the field_block and groups macros draw, on every shipped form with lines: a new form, a
demo record's edit form with its stored rows, and both shown again after a failed save
with hostile text typed into every row and a value that does not parse in one; on
SQLite and PostgreSQL."""

import re

import pytest
from conftest import SHIPPED
from markupsafe import Markup
from page_costs import fullest_record, logged_in
from test_lines_form import CASES, FormValues, row_fields, with_demo
from werkzeug.datastructures import MultiDict

from webui import create_app, prerender
from webui.forms import editable

HOSTILE = "\"><script>alert('x')</script>&amp;{{ 7*7 }} R"
ENTITIES = sorted({(tenant, entity) for tenant, entity, _ in CASES})


def make_app(storage):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "FORMWORK_METADATA": str(SHIPPED),
            "FORMWORK_DATA": str(storage.data_dir),
            "FORMWORK_DATABASE": storage.database_url,
            "FORMWORK_RELOAD": "off",
        }
    )


def requests(app) -> list[tuple[str, str, str, MultiDict | None]]:
    """(tenant, method, path, form) of each page the test compares."""
    service = app.extensions["formwork"]
    asked = []
    for tenant, entity in ENTITIES:
        client = logged_in(app, tenant)
        new = f"/{tenant}/{entity}/new"
        asked += [(tenant, "GET", new, None), (tenant, "POST", new, _refused(client, new))]
        record = fullest_record(service, tenant, entity)
        if record is not None:
            edit = f"/{tenant}/{entity}/{record['id']}/edit"
            asked += [(tenant, "GET", edit, None), (tenant, "POST", edit, _refused(client, edit))]
    return asked


def _refused(client, path: str) -> MultiDict:
    """The form as a browser sends it, with hostile text in every row's text inputs, a
    number that does not parse in one row's, and the top's required fields emptied (a
    save refused, the form shown again with every value and problem)."""
    tenant, entity = path.split("/")[1:3]
    service = client.application.extensions["formwork"]
    page = client.get(path).get_data(as_text=True)
    form = FormValues()
    form.feed(page)
    data = MultiDict(form.pairs)
    spec = service.target(tenant, entity).spec
    for field in editable(spec, creating=True):
        if field.required and not field.lines and field.name in data:
            data.setlist(field.name, [""])
    for line in (f for f in spec.fields if f.lines and not f.hidden):
        fields, texts = row_fields(service, tenant, entity, line.name)
        numbers = [f for f in fields if f.type.numeric]
        for name in [n for n in form.names if n.startswith(f"{line.name}-")]:
            field_name = name.split("-", 2)[2]
            if field_name in {f.name for f in texts}:
                data.setlist(name, [HOSTILE])
        if numbers:
            data.setlist(f"{line.name}-0-{numbers[0].name}", ["not a number"])
    return data


def pages(app, asked) -> list[tuple[int, str]]:
    """The answers to the requests, CSRF tokens masked."""
    clients = {}
    answers = []
    for tenant, method, path, form in asked:
        if tenant not in clients:
            clients[tenant] = logged_in(app, tenant)
        client = clients[tenant]
        if method == "POST":
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
            data = form.copy()
            data.setlist("csrf_token", [token.group(1)])
            response = client.post(path, data=data)
        else:
            response = client.get(path)
        text = re.sub(r'csrf_token" value="[^"]+"', "", response.get_data(as_text=True))
        answers.append((response.status_code, text))
    return answers


def test_rows_render_as_their_macros_do(storage, monkeypatch):
    app = with_demo(make_app(storage))
    asked = requests(app)
    rendered = pages(app, asked)
    for (_, method, path, _), (status, text) in zip(asked, rendered, strict=True):
        assert status == (200 if method == "GET" else 422), path
        assert "<script>alert" not in text, path
    refused = [text for (_, method, _, _), (_, text) in zip(asked, rendered, strict=True)
               if method == "POST"]  # fmt: skip
    assert any("&lt;script&gt;alert(&#39;x&#39;)" in text for text in refused)  # kept, escaped
    assert any("must be" in text for text in refused)  # the row's number that did not parse

    # the same pages from a second app that draws every field and group with its macro
    for name in ("prerendered", "cut", "repeated_slots"):
        monkeypatch.setattr(prerender, name, lambda *args, **kwargs: None)
    assert pages(make_app(storage), asked) == rendered


def test_a_macro_that_writes_nothing_as_a_dash_is_cut_without_empty_checks():
    def shown(index, number, text):
        return Markup('<output id="f-{}" data-n="{}">{}</output>').format(
            index, number, text or "—"
        )

    assert prerender.repeated_slots(shown, 3) is None  # "" is drawn as a dash
    slots = prerender.repeated_slots(shown, 3, empty=False)
    assert slots.fill(4, 5, "<b>") == shown(4, 5, "<b>")
    assert "&lt;b&gt;" in slots.fill(4, 5, "<b>")


@pytest.mark.parametrize("html", ["", "no marks", "m0 m1 m0", "m1m0m1"])
def test_cut_repeated_puts_each_mark_back_where_it_was(html):
    marks = ["m0", "m1"]
    pieces, order = prerender.cut_repeated(html, marks)
    assert len(pieces) == len(order) + 1
    rest = zip(order, pieces[1:], strict=True)
    joined = pieces[0] + "".join(marks[i] + piece for i, piece in rest)
    assert joined == html
