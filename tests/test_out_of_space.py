"""A full disk: saves answer 507 saying so (the form keeps what was typed), reads go
on, and saves work again once there is space, on SQLite and on PostgreSQL."""

import errno
import io

import psycopg2
import pytest
from records_metadata import FILES
from test_pages import Browser
from werkzeug.datastructures import FileStorage

from engine import users
from webui import create_app

PASSWORD = "correct horse battery"
BIG = "x" * 9000  # a note that needs pages of its own


class Disk:
    """Fills and frees the disk of the tenant t's database, as each backend allows."""

    def __init__(self, app, url):
        self.app, self.url = app, url

    def fill(self):
        if self.url:  # the server answers SQLSTATE 53100 disk_full to any new row
            self._sql(
                "CREATE FUNCTION t.no_space() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                " RAISE EXCEPTION 'could not extend file: No space left on device'"
                " USING ERRCODE = 'disk_full'; END $$;"
                "CREATE TRIGGER no_space BEFORE INSERT OR UPDATE ON t.account"
                " FOR EACH ROW EXECUTE FUNCTION t.no_space()"
            )
        else:  # SQLite may not grow the file past its pages: SQLITE_FULL
            database = self._sqlite()
            pages = database.execute_sql("PRAGMA page_count").fetchone()[0]
            database.execute_sql(f"PRAGMA max_page_count = {pages}")

    def free(self):
        if self.url:
            self._sql("DROP TRIGGER no_space ON t.account; DROP FUNCTION t.no_space()")
        else:
            self._sqlite().execute_sql("PRAGMA max_page_count = 1073741823")

    def _sqlite(self):
        # the pragma holds for a connection: this thread's, which the test client uses
        return self.app.extensions["formwork_storage"].database("t")

    def _sql(self, sql):
        connection = psycopg2.connect(self.url)
        connection.autocommit = True
        connection.cursor().execute(sql)
        connection.close()


@pytest.fixture
def app(tree, storage):
    application = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "FORMWORK_METADATA": str(tree(FILES)),
            "FORMWORK_DATA": str(storage.data_dir),
            "FORMWORK_DATABASE": storage.database_url,
        }
    )
    tenant = application.extensions["formwork"].registry.tenant("t")
    users.add_user(tenant, "ann", "editor", PASSWORD)
    application.token = users.issue_token(tenant, "ann")
    application.disk = Disk(application, storage.database_url)
    yield application
    application.extensions["formwork_storage"].close()


def test_the_api_says_the_server_is_out_of_space_reads_go_on_and_saves_resume(app):
    client, headers = app.test_client(), {"Authorization": f"Bearer {app.token}"}
    kept = client.post("/api/t/account", json={"name": "Kept"}, headers=headers)
    assert kept.status_code == 201
    app.disk.fill()
    refused = client.post("/api/t/account", json={"name": "Big", "note": BIG}, headers=headers)
    assert refused.status_code == 507
    assert refused.json["code"] == "out_of_space"
    assert refused.json["message"].startswith("The server is out of disk space")
    assert refused.headers["Retry-After"]
    listed = client.get("/api/t/account", headers=headers)
    assert listed.status_code == 200 and [r["name"] for r in listed.json["items"]] == ["Kept"]
    assert client.get(f"/api/t/account/{kept.json['id']}", headers=headers).status_code == 200
    app.disk.free()
    again = client.post("/api/t/account", json={"name": "Big", "note": BIG}, headers=headers)
    assert again.status_code == 201


def test_a_form_saved_on_a_full_disk_is_shown_again_with_what_was_typed(app):
    browser = Browser(app, "t")
    assert browser.login("ann").status_code == 302
    app.disk.fill()
    refused = browser.post("/account/new", {"name": "Typed", "note": BIG})
    assert refused.status_code == 507
    page = refused.get_data(as_text=True)
    assert "The server is out of disk space" in page and "What you typed is kept below." in page
    assert 'value="Typed"' in page and BIG in page
    assert browser.get("/account/").status_code == 200  # reading still works
    app.disk.free()
    assert browser.post("/account/new", {"name": "Typed", "note": BIG}).status_code == 302


def test_a_file_that_cannot_be_written_for_want_of_space_says_so(app, monkeypatch):
    browser = Browser(app, "t")
    browser.login("ann")

    def no_space(self, destination, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(FileStorage, "save", no_space)
    upload = (io.BytesIO(b"Name\nA\n"), "accounts.csv")
    answer = browser.client.post(
        "/t/account/import", data={"file": upload, "csrf_token": browser.token()}
    )
    assert answer.status_code == 507
    assert "The server is out of disk space" in answer.get_data(as_text=True)
