"""Every answer carries the security headers, pages, files and errors alike."""

import pytest
from records_metadata import FILES
from test_pages import make_app

from webui.headers import SECURITY_HEADERS


@pytest.mark.parametrize("path", ["/t/login", "/static/formwork.css", "/nowhere/", "/t/account/"])
def test_every_answer_carries_the_security_headers(tree, storage, path):
    response = make_app(tree(FILES), storage).test_client().get(path)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get_all(name) == [value]
