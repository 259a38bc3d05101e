"""One exporter serves every download, and what it writes imports back unchanged, for a
record holding a value of every input type: the list page's CSV and XLSX, through the web
pages as a person uses them, on both backends."""

from __future__ import annotations

import io
import re

import pytest
from test_pages import Browser, make_app
from test_transfer import preview_url, result_page, upload

from engine import users
from engine.types import TYPES

EVERY_TYPE = """\
entity: sample
label: Sample
plural: Samples
title_field: the_text
numbering: {field: number, pattern: "S-{seq:03d}"}
lines:
  parts: {entity: part, link: sample, label: Parts, sequence: 99, group: MAIN}
fields:
  - {name: number, sequence: 1, label: Number, input_type: text, group: MAIN, unique: true}
""" + "".join(
    f"  - {{name: the_{name}, sequence: {index + 2}, label: {name.title()} Field, "
    f"input_type: {name}, group: MAIN{extra}}}\n"
    for index, (name, extra) in enumerate(
        (
            name,
            {
                "select": ", options: [{value: v1, label: First}, {value: v2, label: Second}]",
                "multiselect": ", options: [{value: a, label: Alpha}, {value: b, label: Beta}]",
                "lookup": ", lookup: {entity: target}",
                "decimal": ", precision: 3",
            }.get(name, ""),
        )
        for name in sorted(TYPES)
        if name != "lines"
    )
)
TARGET = """\
entity: target
label: Target
plural: Targets
title_field: code
fields:
  - {name: code, sequence: 1, label: Code, input_type: text, group: MAIN, unique: true}
"""
PART = """\
entity: part
label: Part
plural: Parts
fields:
  - {name: sample, sequence: 1, label: Sample, input_type: lookup, group: MAIN,
     lookup: {entity: sample}}
  - {name: amount, sequence: 2, label: Amount, input_type: currency, group: MAIN}
"""
# values a spreadsheet or a CSV reader could take for something else
VALUES = [
    {
        "text": "=1+2", "textarea": "line one\nline two, \"quoted\"", "email": "a@b.co",
        "phone": "+1 555 0100", "url": "https://example.com/?a=1&b=2", "integer": -5,
        "decimal": -1234.567, "currency": -0.5, "percent": 12.5, "date": "2024-02-29",
        "datetime": "2024-03-01T12:30:00+00:00", "time": "09:05:00", "switch": False,
        "select": "v2", "multiselect": ["a", "b"], "file": f"/t/files/{'a' * 32}.pdf",
        "image": f"/t/files/{'b' * 32}.png",
    },
    {
        "text": "-5", "textarea": "@mention", "integer": 0, "decimal": 0.001, "currency": 100,
        "switch": True, "select": "v1", "multiselect": ["b"], "percent": -3,
    },
    {"text": "+plus"},
]  # fmt: skip


def named(values):
    """Values by field name: the field of each type is named the_TYPE."""
    return {f"the_{kind}": value for kind, value in values.items()}


@pytest.fixture
def app(tree, storage):
    files = {
        "entities/sample.yaml": EVERY_TYPE,
        "entities/target.yaml": TARGET,
        "entities/part.yaml": PART,
    }
    application = make_app(tree(files), storage)
    kept = storage.data_dir / "uploads" / "t"  # the files the values name, as uploaded
    kept.mkdir(parents=True)
    (kept / f"{'a' * 32}.pdf").write_bytes(b"%PDF-1.4")
    (kept / f"{'b' * 32}.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    service = application.extensions["formwork"]
    users.add_user(service.registry.tenant("t"), "ann", "editor", "correct horse battery")
    target = service.create("t", "target", {"code": "T-1"}, "ann")["id"]
    for values in VALUES:
        parts = [{"amount": -2.5}, {"amount": 7}]
        record = {**named(values), "the_lookup": target, "parts": parts}
        service.create("t", "sample", record, "ann")
    return application


def test_the_shipped_samples_cover_every_input_type():
    assert set(VALUES[0]) | {"lookup", "lines"} == set(TYPES)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_list_pages_download_imports_back_unchanged(app, fmt):
    ann = Browser(app, "t")
    ann.login("ann")
    listing = ann.get("/sample/").get_data(as_text=True)
    link = re.search(rf'href="(/t/sample/export\.{fmt}[^"]*)"', listing).group(1)
    data = ann.client.get(link).data
    if fmt == "csv":  # option labels and numbers as people read them, not as stored
        text = data.decode("utf-8-sig")
        assert "Second" in text and "Alpha, Beta" in text and "v2" not in text
        assert ",-5," in text and "'-5" not in text.replace("'=1+2", "")
    response = upload(ann, (io.BytesIO(data), f"samples.{fmt}"), entity="sample", key="number")
    page = result_page(ann, preview_url(response))
    assert "Imported: 0 created, 0 updated, 3 unchanged." in page, page
    records = app.extensions["formwork"].list("t", "sample", sort="id")["items"]
    for record, values in zip(records, VALUES, strict=True):
        assert {k: record[k] for k in named(values)} == named(values)
