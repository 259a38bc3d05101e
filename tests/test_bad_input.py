"""Bad input of every kind gets a 400 or a 422 naming its field, never a 500: through the
API, a form and an import, on both backends. And the rules for numbers and spaces
(engine.numbers) are the same in all three."""

from __future__ import annotations

import pytest
from records_metadata import FILES
from test_pages import Browser, make_app

from engine import users
from engine.bulk.importer import ImportOptions, import_records
from engine.bulk.tables import read_csv


@pytest.fixture
def app(tree, storage):
    application = make_app(tree(FILES), storage)
    tenant = application.extensions["formwork"].registry.tenant("t")
    users.add_user(tenant, "ann", "editor", "correct horse battery")
    application.token = users.issue_token(tenant, "ann")
    return application


def post(app, body: str):
    headers = {"Authorization": f"Bearer {app.token}", "Content-Type": "application/json"}
    answer = app.test_client().post("/api/t/account", data=body, headers=headers)
    return answer.status_code, answer.get_json()


def errors(answer):
    return [(e["field"], e["code"], e["message"]) for e in answer[1]["errors"]]


@pytest.mark.parametrize("depth", [65, 900, 1000, 5000])
def test_a_deeply_nested_body_is_malformed(app, depth):
    for body in ("[" * depth + "]" * depth, '{"name": ' + "[" * depth + "]" * depth + "}"):
        status, answer = post(app, body)
        assert status == 400 and answer["message"] == "The body nests deeper than 64 levels."
    assert post(app, '{"name": "Shallow", "note": null}')[0] == 201


@pytest.mark.parametrize("number", ["1e400", "-1e400", "1e-400", "-1e-400"])
def test_a_number_no_column_can_hold_is_named_by_its_field(app, number):
    answer = post(app, f'{{"name": "A", "credit_limit": {number}}}')
    assert answer[0] == 422
    assert errors(answer) == [
        ("credit_limit", "range", "Credit Limit is out of the range that can be stored.")
    ]
    made = post(app, '{"name": "B", "credit_limit": 1e2}')  # in range: stored as it is
    assert made[0] == 201 and made[1]["credit_limit"] == 100


def test_nan_and_infinity_are_not_json(app):
    for constant in ("NaN", "Infinity", "-Infinity"):
        status, answer = post(app, f'{{"name": "A", "credit_limit": {constant}}}')
        assert status == 400 and answer["code"] == "malformed"


def test_a_lone_surrogate_is_named_by_its_field_or_as_no_field(app):
    answer = post(app, '{"name": "Acme \\ud800"}')
    assert answer[0] == 422 and errors(answer) == [
        ("name", "invalid_character",
         "Name contains half of a character pair (a lone surrogate), which cannot be stored."),
    ]  # fmt: skip
    answer = post(app, '{"name": "Acme", "x\\udfff": 1}')
    assert answer[0] == 422 and [e[:2] for e in errors(answer)] == [("x\\udfff", "unknown_field")]
    paired = post(app, '{"name": "Acme \\ud83d\\ude00"}')  # a whole pair is a character
    assert paired[0] == 201 and paired[1]["name"] == "Acme \U0001f600"


def test_surrounding_spaces_are_trimmed_everywhere(app):
    made = post(app, '{"name": "  Acme  ", "tax_id": "   "}')
    assert made[0] == 201 and (made[1]["name"], made[1]["tax_id"]) == ("Acme", None)


FORM_NUMBERS = [
    ("1 000", 1000),  # spaces group digits
    ("\u0661\u0662\u0663", 123),  # Arabic-Indic digits are digits
    ("  12.5 ", 12.5),
    ("1_000", "must be an amount"),  # not how people write numbers
    ("NaN", "must be an amount"),
    ("Infinity", "must be an amount"),
    ("-Infinity", "must be an amount"),
    ("1e400", "is out of the range that can be stored"),
    ("1e-400", "is out of the range that can be stored"),  # not 0, as a float would have it
]


@pytest.mark.parametrize(("typed", "expected"), FORM_NUMBERS)
def test_a_form_reads_numbers_by_the_same_rules(app, typed, expected):
    ann = Browser(app, "t")
    ann.login("ann")
    answer = ann.post("/account/new", {"name": "Formed", "credit_limit": typed})
    if isinstance(expected, str):
        assert answer.status_code == 422
        page = answer.get_data(as_text=True)
        assert f"Credit Limit {expected}" in page
        assert f'value="{typed}"' in page or typed.strip() in page  # what was typed stays
    else:
        assert answer.status_code == 302
        (saved,) = app.extensions["formwork"].list("t", "account")["items"]
        assert saved["credit_limit"] == expected


@pytest.mark.parametrize(("typed", "expected"), FORM_NUMBERS)
def test_an_import_reads_numbers_by_the_same_rules(app, typed, expected):
    text = f'Name,Credit Limit\nFiled,"{typed}"\n'.encode()
    result = import_records(
        app.extensions["formwork"], "t", "account", read_csv(text, "a.csv"),
        options=ImportOptions(keep_valid=True),
    )  # fmt: skip
    if isinstance(expected, str):
        (row,) = result.rejected
        assert any(expected in error for error in row.errors), row.errors
    else:
        assert result.rejected == []
        (saved,) = app.extensions["formwork"].list("t", "account")["items"]
        assert saved["credit_limit"] == expected
