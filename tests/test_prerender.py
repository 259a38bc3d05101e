"""Form fields drawn from pieces cut once from their macros draw what the macros draw."""

import re

import pytest
from records_metadata import FILES
from test_admin import edit
from test_admin import make_app as make_reloading_app
from test_pages import Browser, make_app

from engine import users
from webui import prerender

HOSTILE = "\"><script>alert('x')</script>&amp;{{ 7*7 }}"
QUOTED = HOSTILE.replace("'", "''")  # as YAML's single quotes write it
WIDGETS = f"""\
entity: widget
label: Widget
plural: Widgets
fields:
  - {{name: w_text, sequence: 1, label: '{QUOTED}', input_type: text, group: MAIN,
     required: true, max_length: 90, help: 'Help <b>bold</b> & "quoted"'}}
  - {{name: w_textarea, sequence: 2, label: Textarea, input_type: textarea, group: MAIN}}
  - {{name: w_email, sequence: 3, label: Email, input_type: email, group: MAIN}}
  - {{name: w_phone, sequence: 4, label: Phone, input_type: phone, group: MAIN}}
  - {{name: w_url, sequence: 5, label: Url, input_type: url, group: MAIN}}
  - {{name: w_integer, sequence: 6, label: Integer, input_type: integer, group: MAIN,
     min: 0, max: 9}}
  - {{name: w_decimal, sequence: 7, label: Decimal, input_type: decimal, group: MAIN,
     precision: 3}}
  - {{name: w_currency, sequence: 8, label: Currency, input_type: currency, group: MAIN}}
  - {{name: w_percent, sequence: 9, label: Percent, input_type: percent, group: MAIN}}
  - {{name: w_date, sequence: 10, label: Date, input_type: date, group: MAIN}}
  - {{name: w_datetime, sequence: 11, label: Datetime, input_type: datetime, group: MORE}}
  - {{name: w_time, sequence: 12, label: Time, input_type: time, group: MORE}}
  - {{name: w_switch, sequence: 13, label: Switch, input_type: switch, group: MORE}}
  - {{name: w_select, sequence: 14, label: Select, input_type: select, group: MORE,
     options: [{{value: a, label: '<i>A</i>'}}, {{value: 'b"', label: B}}],
     visible_if: "w_switch"}}
  - {{name: w_multiselect, sequence: 15, label: Multi, input_type: multiselect, group: MORE,
     options: [x, y]}}
  - {{name: w_lookup, sequence: 16, label: Lookup, input_type: lookup, group: MORE,
     lookup: {{entity: region, show: code}}}}
  - {{name: w_file, sequence: 17, label: File, input_type: file, group: MORE}}
  - {{name: w_image, sequence: 18, label: Image, input_type: image, group: MORE}}
"""
TYPED = {
    "w_text": HOSTILE,
    "w_textarea": "</textarea><script>x</script>",
    "w_email": "not an e-mail <b>",
    "w_phone": "+1 (555) 010",
    "w_url": "javascript:alert(1)",
    "w_integer": "12",
    "w_decimal": "1.23456",
    "w_currency": "ten",
    "w_percent": "5",
    "w_date": "2024-02-30",
    "w_datetime": "2024-01-02T03:04",
    "w_time": "25:00",
    "w_switch": "on",
    "w_select": 'b"',
    "w_multiselect": "y",
    "w_lookup": "1",
}


@pytest.fixture
def metadata(tree):
    return tree({**FILES, "entities/widget.yaml": WIDGETS})


def pages(app, requests):
    """The answers to (method, path, data) requests of an editor, CSRF tokens masked."""
    browser = Browser(app, "t")
    browser.login("ann")
    answers = []
    for method, path, data in requests:
        response = browser.post(path, data) if method == "POST" else browser.get(path)
        text = response.get_data(as_text=True)
        answers.append((response.status_code, re.sub(r'csrf_token" value="[^"]+"', "", text)))
    return answers


def test_every_widget_renders_as_its_macro_does(metadata, storage, monkeypatch):
    app = make_app(metadata, storage)
    service = app.extensions["formwork"]
    users.add_user(service.registry.tenant("t"), "ann", "editor", "correct horse battery")
    region = service.create("t", "region", {"code": "<NORTH>"}, "ann")["id"]
    stored = {
        "w_text": HOSTILE,
        "w_integer": 3,
        "w_datetime": "2024-01-02T03:04:05+00:00",
        "w_switch": True,
        "w_select": "a",
        "w_multiselect": ["x"],
        "w_lookup": region,
    }
    widget = service.create("t", "widget", stored, "ann")["id"]
    service.create("t", "account", {"name": "Acme", "currency": "EUR"}, "ann")
    service.act("t", "account", 1, "confirm", "ann")  # its name is locked: shown as text
    requests = [
        ("GET", "/widget/new", None),
        ("POST", "/widget/new", TYPED),  # refused: typed values and errors shown again
        ("POST", "/widget/new", {"w_text": "", "w_select": "not an option"}),
        ("GET", f"/widget/{widget}/edit", None),
        ("GET", "/account/new", None),
        ("GET", "/account/1/edit", None),
        ("POST", "/account/new", {"name": "", "branches-0-staff": "-1", "kind": "person"}),
    ]
    rendered = pages(app, requests)
    assert [status for status, _ in rendered] == [200, 422, 422, 200, 200, 200, 422]
    assert "<script>" not in rendered[0][1] and "&lt;script&gt;alert(&#39;x&#39;)" in rendered[0][1]

    # the same pages from a second app that draws every field and group with its macro
    monkeypatch.setattr(prerender, "prerendered", lambda *args: None)
    monkeypatch.setattr(prerender, "cut", lambda *args: None)
    macros_only = make_app(metadata, storage)
    assert pages(macros_only, requests) == rendered


def test_a_probe_that_disagrees_leaves_the_field_to_its_macro():
    def trimmed(value):  # a macro that changes its value: no cut can be trusted
        return f"<input value='{str(value).strip()}'>"

    assert prerender.prerendered("text", [], trimmed) is None

    def only_when_set(value):  # a macro whose HTML depends on the value beyond its text
        return f"<a>{value}</a>" if value else "<span></span>"

    assert prerender.prerendered("text", [], only_when_set) is None


def test_the_prerendered_form_follows_a_metadata_reload(tree, storage):
    metadata = tree({**FILES})
    app = make_reloading_app(metadata, storage)
    ann = Browser(app, "t")
    ann.login("ann")
    assert "Credit Limit" in ann.get("/account/new").get_data(as_text=True)
    relabelled = FILES["entities/account.yaml"].replace(
        "label: Credit Limit", "label: \"Credit <Line> & 'more'\""
    )
    edit(app, "entities/account.yaml", relabelled)
    page = ann.get("/account/new").get_data(as_text=True)
    assert "Credit Limit" not in page
    assert "Credit &lt;Line&gt; &amp; &#39;more&#39;" in page
    edit(app, "entities/account.yaml", relabelled.replace("min: 0", "min: 5"))
    credit = re.search(r'<input [^>]*id="field-credit_limit"[^>]*>', ann.get("/account/new").text)
    assert 'min="5"' in credit.group(0)


def test_escaped_text_is_what_autoescape_writes():
    from markupsafe import Markup, escape

    samples = ["", "plain", HOSTILE, "&amp;&<>\"'", "ünïcødé ✓ <", Markup("<b>kept</b>"), 42, None]
    samples += [chr(code) for code in range(128)] + [-7, 0, 10**30, True, 1.5]
    for value in samples:
        assert prerender.escaped(value) == str(escape(value))


def test_texts_escaped_in_one_pass_are_each_escaped():
    from markupsafe import escape

    texts = ["", "a", HOSTILE, "x\x00y", "\x00", "ünï <&>"]
    assert prerender.escaped_all(texts) == [str(escape(t)) for t in texts]
    assert prerender.escaped_all(texts[:3]) == [str(escape(t)) for t in texts[:3]]
    assert prerender.escaped_all([]) == []


def test_slots_fill_many_rows_in_their_own_order():
    from markupsafe import Markup

    slots = prerender.text_slots(lambda a, b: Markup("<i>{}</i><b>{{{}}}</b>").format(b, a), 2)
    assert slots is not None and slots.order == (1, 0)
    assert slots.fill("1", "<2>") == "<i>&lt;2&gt;</i><b>{1}</b>"
    rows = [("a", "b"), ("{0}", "}")]
    assert slots.fill_many(rows, "[", "]") == "[<i>b</i><b>{a}</b>][<i>}</i><b>{{0}}</b>]"
    assert slots.fill_many([], "[", "]") == ""
    assert (
        slots.joined_many(rows, "[", "]", "<t>", "</t>")
        == f"<t>{slots.fill_many(rows, '[', ']')}</t>"
    )
    assert slots.joined_many([], "[", "]", "<t>", "</t>") == "<t></t>"


def test_changed_widget_macros_render_anew(tree, storage):
    from jinja2 import ChoiceLoader, DictLoader

    app = make_app(tree(FILES), storage)
    users.add_user(app.extensions["formwork"].registry.tenant("t"), "ann", "editor", "c h b 12")
    ann = Browser(app, "t")
    ann.login("ann", "c h b 12")
    assert 'type="date" id="field-opened"' in ann.get("/account/new").get_data(as_text=True)
    source = app.jinja_loader.get_source(app.jinja_env, "widgets.html")[0]
    changed = source.replace('<input type="date"', '<input type="date" data-changed')
    app.jinja_env.loader = ChoiceLoader([DictLoader({"widgets.html": changed}), app.jinja_loader])
    app.jinja_env.cache.clear()  # as a template reload does
    assert 'type="date" data-changed id="field-opened"' in ann.get("/account/new").text
