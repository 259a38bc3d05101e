"""The templates' URLs, remembered per request origin, follow where a request came in."""

import re

from records_metadata import FILES
from test_pages import make_app


def style_sheet(page):
    return re.search(r'<link rel="stylesheet" href="([^"]+)"', page).group(1)


def test_a_page_under_a_script_root_links_under_it(tree, storage):
    client = make_app(tree(FILES), storage).test_client()
    plain = client.get("/t/login").get_data(as_text=True)
    mounted = client.get("/t/login", base_url="http://localhost/forms").get_data(as_text=True)
    again = client.get("/t/login").get_data(as_text=True)
    assert style_sheet(plain) == style_sheet(again) == "/static/formwork.css"
    assert style_sheet(mounted) == "/forms/static/formwork.css"


def test_an_external_url_names_the_host_it_was_asked_from(tree, storage):
    app = make_app(tree(FILES), storage)
    with app.test_request_context("/", base_url="https://one.example"):
        first = app.jinja_env.globals["url_for"]("static", filename="x.css", _external=True)
    with app.test_request_context("/", base_url="http://two.example"):
        second = app.jinja_env.globals["url_for"]("static", filename="x.css", _external=True)
    assert (first, second) == (
        "https://one.example/static/x.css",
        "http://two.example/static/x.css",
    )
