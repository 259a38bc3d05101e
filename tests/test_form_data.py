"""Urlencoded forms read as urllib and Werkzeug read them, escapes, blanks and broken
bytes included (webui.speedups.form_data)."""

import io
from urllib.parse import parse_qsl, quote_plus

import pytest
from flask import Flask, Request, request
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.formparser import FormDataParser
from werkzeug.test import EnvironBuilder

from webui.speedups.form_data import (
    URLENCODED,
    QuickFormDataParser,
    QuickFormRequest,
    parse_urlencoded,
)

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


# property tests: Werkzeug's own parser is the oracle

# text rich in what the reader treats apart: separators, escapes (good, broken, not
# UTF-8), plus signs, and characters of every kind
PIECES = st.sampled_from(["&", "=", "+", "%", "%2", "%20", "%2B", "%3D", "%26", "%C3%B8", "%C3",
                          "%E2%82", "%ZZ", "%%", "a", "b", "é", "\u00a0", " ", ";"])  # fmt: skip
BODY_TEXT = st.lists(st.one_of(PIECES, st.text(max_size=4)), max_size=30).map("".join)


def pairs_text(pairs):
    """A body as a browser writes one, some names and values quoted, some as they are."""
    return "&".join(
        (quote_plus(name) if quoted else name) + "=" + (quote_plus(value) if quoted else value)
        for name, value, quoted in pairs
    )


FORM_TEXT = st.lists(st.tuples(st.text(), st.text(), st.booleans()), max_size=12).map(pairs_text)


@settings(max_examples=500)
@given(st.one_of(BODY_TEXT, FORM_TEXT))
def test_any_text_reads_as_urllib_reads_it(text):
    expected = parse_qsl(text, keep_blank_values=True, errors="werkzeug.url_quote")
    assert parse_urlencoded(text) == expected


def parsed(parser_class, body, mimetype, silent=True):
    """What a parser makes of a body: the form's pairs and the files', or the error."""
    parser = parser_class(silent=silent)
    try:
        _, form, files = parser.parse(io.BytesIO(body), mimetype, len(body), {})
    except Exception as error:
        return type(error)
    return list(form.items(multi=True)), list(files.items(multi=True))


BODY = st.one_of(
    BODY_TEXT.map(lambda text: text.encode("utf-8", "surrogatepass")),
    FORM_TEXT.map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.binary(max_size=60),  # bytes that may not be UTF-8: an empty form, or the error
)
MIMETYPES = st.sampled_from([URLENCODED, "multipart/form-data", "text/plain", ""])


@settings(max_examples=500)
@given(BODY, MIMETYPES, st.booleans())
def test_any_body_parses_as_werkzeugs_parser_parses_it(body, mimetype, silent):
    expected = parsed(FormDataParser, body, mimetype, silent)
    assert parsed(QuickFormDataParser, body, mimetype, silent) == expected


@settings(max_examples=200)
@given(BODY)
def test_a_request_reads_its_form_as_flasks_request_does(body):
    def form(request_class):
        environ = EnvironBuilder(method="POST", data=body, content_type=URLENCODED)
        request = request_class(environ.get_environ())
        return list(request.form.items(multi=True)), list(request.files.items(multi=True))

    assert form(QuickFormRequest) == form(Request)
