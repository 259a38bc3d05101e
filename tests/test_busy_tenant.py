"""A tenant whose writes are held by another process (an import): saves give up after
FORMWORK_WRITE_WAIT_SECONDS with a 503 that keeps what was typed; reads go on."""

import fcntl
import re
from contextlib import contextmanager

import pytest
from records_metadata import FILES
from test_pages import Browser

from engine import users
from webui import create_app

PASSWORD = "correct horse battery"


@pytest.fixture
def app(tree, tmp_path):
    application = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "FORMWORK_METADATA": str(tree(FILES)),
            "FORMWORK_DATA": str(tmp_path / "data"),
            "FORMWORK_WRITE_WAIT_SECONDS": 0.2,
        }
    )
    tenant = application.extensions["formwork"].registry.tenant("t")
    users.add_user(tenant, "ann", "editor", PASSWORD)
    return application


@pytest.fixture
def ann(app):
    browser = Browser(app, "t")
    assert browser.login("ann").status_code == 302
    return browser


@contextmanager
def held(app, tenant="t"):
    """The tenant's writer lock, held as an import in another process holds it."""
    path = app.extensions["formwork_storage"].data_dir / f"{tenant}.sqlite3-writer"
    with open(path, "ab") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def test_a_new_form_saved_while_busy_is_shown_again_with_what_was_typed(ann, app):
    typed = {"name": "Typed by hand", "credit_limit": "250", "note": "a long note"}
    with held(app):
        busy = ann.post("/account/new", typed)
        assert ann.get("/account/").status_code == 200  # reads go on meanwhile
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
    page = busy.get_data(as_text=True)
    assert "This tenant is busy with another change" in page
    assert "What you typed is kept below." in page
    assert 'value="Typed by hand"' in page and 'value="250"' in page
    assert ">a long note</textarea>" in page
    assert "Typed by hand" not in ann.get("/account/").get_data(as_text=True)
    saved = ann.post("/account/new", typed)  # the same form, sent again once free
    assert saved.status_code == 302
    assert "Typed by hand" in ann.get("/account/").get_data(as_text=True)


def test_an_edit_saved_while_busy_keeps_the_version_being_edited(ann, app):
    service = app.extensions["formwork"]
    record = service.create("t", "account", {"name": "First"}, "ann")
    meanwhile = {"name": "Changed meanwhile", "rev_number": 1}
    service.update("t", "account", record["id"], meanwhile, "bob")
    mine = {"name": "Mine", "rev_number": "1"}
    with held(app):
        busy = ann.post(f"/account/{record['id']}/edit", mine)
    assert busy.status_code == 503
    page = busy.get_data(as_text=True)
    assert 'value="Mine"' in page
    assert re.search(r'name="rev_number" value="1"', page)  # not the newer 2
    again = ann.post(f"/account/{record['id']}/edit", mine)
    assert again.status_code == 409  # the change made meanwhile is not overwritten


def test_an_action_while_busy_answers_a_page_saying_so(ann, app):
    record = app.extensions["formwork"].create("t", "account", {"name": "Act"}, "ann")
    with held(app):
        busy = ann.post(f"/account/{record['id']}/actions/confirm")
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
    page = busy.get_data(as_text=True)
    assert "<h1>Busy: try again in a moment</h1>" in page
    assert ann.post(f"/account/{record['id']}/actions/confirm").status_code == 302


def test_another_tenant_saves_while_one_is_busy(app):
    users.add_user(app.extensions["formwork"].registry.tenant("u"), "uma", "editor", PASSWORD)
    other = Browser(app, "u")
    other.login("uma")
    with held(app, "t"):
        assert other.post("/account/new", {"name": "Elsewhere"}).status_code == 302
