"""Urlencoded forms read as urllib reads them, escapes, blanks and broken bytes included."""

from urllib.parse import parse_qsl

import pytest
from flask import Flask, request

from webui.speedups.form_data import QuickFormRequest, parse_urlencoded

BODIES = [
    "",
    "a=1&b=2",
    "name=Fjord+Traders&email=ann%40example.com&note=",
    "tags=a&tags=b&tags=",
    "&&a=1&&",
    "flag&empty=&=nameless",
    "city=K%C3%B8benhavn&sign=%2B1&plus=1+1&pct=100%25",
    "bad=%ZZ&half=%C3&broken=%E2%82",  # not escapes, and bytes that are not UTF-8
    "k%3Dey=va%26lue&a=b=c",
]


@pytest.mark.parametrize("body", BODIES)
def test_pairs_are_those_urllib_reads(body):
    expected = parse_qsl(body, keep_blank_values=True, errors="werkzeug.url_quote")
    assert parse_urlencoded(body) == expected


def test_a_submitted_form_reaches_the_view_with_every_value():
    app = Flask(__name__)
    app.request_class = QuickFormRequest

    @app.post("/")
    def echo():
        return {key: request.form.getlist(key) for key in request.form}

    body = "name=Fjord+Traders&tags=a&tags=b&city=K%C3%B8benhavn&note="
    response = app.test_client().post(
        "/", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.json == {
        "name": ["Fjord Traders"],
        "tags": ["a", "b"],
        "city": ["København"],
        "note": [""],
    }
