"""PostgreSQL connections the server ended: requests go on over new ones, and a write
cut off midway is neither half kept nor sent again."""

import psycopg2
import pytest
from records_metadata import FILES
from test_pages import Browser

from engine import users
from engine.storage.databases import Storage
from webui import create_app

PASSWORD = "correct horse battery"


def terminate_every_backend(url):
    """What a restart or failover of the server does to the app's connections; back once
    each of them has ended (pg_terminate_backend waits up to its timeout)."""
    name = url.rsplit("/", 1)[1]
    admin = psycopg2.connect(url)
    admin.autocommit = True
    cursor = admin.cursor()
    cursor.execute(
        "SELECT count(pg_terminate_backend(pid, 10000)) FROM pg_stat_activity"
        " WHERE datname = %s AND pid <> pg_backend_pid()",
        (name,),
    )
    ended = cursor.fetchone()[0]
    admin.close()
    return ended


@pytest.fixture
def served(tree, tmp_path, postgres_url):
    """The app on PostgreSQL with an editor `ann` in tenant t: (app, API headers)."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "FORMWORK_METADATA": str(tree(FILES)),
            "FORMWORK_DATA": str(tmp_path / "data"),
            "FORMWORK_DATABASE": postgres_url,
        }
    )
    tenant = app.extensions["formwork"].registry.tenant("t")
    users.add_user(tenant, "ann", "editor", PASSWORD)
    headers = {"Authorization": f"Bearer {users.issue_token(tenant, 'ann')}"}
    yield app, headers
    app.extensions["formwork_storage"].close()
    cleanup = Storage(database_url=postgres_url)
    for schema in ("t", "u"):
        cleanup.database(schema).execute_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    cleanup.close()


def test_reads_and_writes_go_on_after_the_server_ends_every_connection(served, postgres_url):
    app, headers = served
    client = app.test_client()
    created = client.post("/api/t/account", json={"name": "Before"}, headers=headers)
    assert created.status_code == 201

    assert terminate_every_backend(postgres_url) >= 1
    listed = client.get("/api/t/account", headers=headers)
    assert listed.status_code == 200 and listed.json["total"] == 1

    terminate_every_backend(postgres_url)
    record = client.post("/api/t/account", json={"name": "After"}, headers=headers)
    assert record.status_code == 201, record.json

    terminate_every_backend(postgres_url)
    change = {"note": "changed", "rev_number": record.json["rev_number"]}
    changed = client.patch(f"/api/t/account/{record.json['id']}", json=change, headers=headers)
    assert changed.status_code == 200 and changed.json["note"] == "changed"

    terminate_every_backend(postgres_url)
    browser = Browser(app, "t")
    assert browser.login("ann").status_code == 302  # the login writes nothing twice either
    assert "After" in browser.get("/account/").get_data(as_text=True)


CUT_OFF = """
CREATE FUNCTION t.cut_off() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_terminate_backend(pg_backend_pid());
  PERFORM pg_sleep(5);  -- the end comes here, in the middle of the write
  RETURN NEW;
END $$;
CREATE TRIGGER cut_off BEFORE INSERT ON t.formwork_audit
  FOR EACH ROW EXECUTE FUNCTION t.cut_off();
"""


def test_a_write_cut_off_midway_answers_503_keeps_nothing_and_is_not_sent_again(
    served, postgres_url
):
    app, headers = served
    client = app.test_client()
    admin = psycopg2.connect(postgres_url)
    admin.autocommit = True
    admin.cursor().execute(CUT_OFF)  # the record is written, then its audit entry ends it
    cut = client.post("/api/t/account", json={"name": "Half"}, headers=headers)
    assert cut.status_code == 503
    assert cut.json["code"] == "database_unavailable"
    assert cut.json["message"].startswith("The database cannot be reached now. Nothing was saved")
    assert cut.headers["Retry-After"]

    admin.cursor().execute("DROP TRIGGER cut_off ON t.formwork_audit")
    admin.close()
    listed = client.get("/api/t/account", headers=headers)
    assert listed.status_code == 200 and listed.json["total"] == 0  # rolled back whole
    again = client.post("/api/t/account", json={"name": "Whole"}, headers=headers)
    assert again.status_code == 201
    assert [r["name"] for r in client.get("/api/t/account", headers=headers).json["items"]] == [
        "Whole"
    ]


def test_a_form_cut_off_midway_is_shown_again_with_what_was_typed(served, postgres_url):
    app, _ = served
    browser = Browser(app, "t")
    assert browser.login("ann").status_code == 302
    admin = psycopg2.connect(postgres_url)
    admin.autocommit = True
    admin.cursor().execute(CUT_OFF)
    answer = browser.post("/account/new", {"name": "Typed by hand", "note": "kept"})
    admin.cursor().execute("DROP TRIGGER cut_off ON t.formwork_audit")
    admin.close()
    assert answer.status_code == 503
    page = answer.get_data(as_text=True)
    assert "Nothing was saved" in page and "What you typed is kept below." in page
    assert 'value="Typed by hand"' in page and ">kept</textarea>" in page
    saved = browser.post("/account/new", {"name": "Typed by hand"})
    assert saved.status_code == 302  # the same form, sent again, saves


def test_a_write_outside_a_transaction_runs_on_a_new_connection(tree, postgres_url):
    storage = Storage(database_url=postgres_url)
    database = storage.database("t")
    database.execute_sql('CREATE SCHEMA IF NOT EXISTS "t"')
    database.execute_sql("CREATE TABLE IF NOT EXISTS t.hits (n integer)")
    terminate_every_backend(postgres_url)
    # an UPDATE is never run twice; it runs once, on a connection known to be alive
    database.execute_sql("INSERT INTO t.hits VALUES (1)")
    assert database.execute_sql("SELECT count(*) FROM t.hits").fetchone() == (1,)
    database.execute_sql('DROP SCHEMA "t" CASCADE')
    storage.close()


def test_a_server_out_of_reach_at_start_answers_503_until_it_can_be_reached(tree, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "FORMWORK_METADATA": str(tree(FILES)),
            "FORMWORK_DATA": str(tmp_path / "data"),
            "FORMWORK_DATABASE": "postgresql://postgres@127.0.0.1:1/nowhere",  # nobody listens
        }
    )  # it starts all the same: a tenant's database is opened on its first request
    assert app.extensions["formwork_storage"].unavailable == {}
    client = app.test_client()
    page = client.get("/t/login")
    assert page.status_code == 503 and "The database cannot be reached" in page.get_data(True)
    api = client.get("/api/u/account", headers={"Authorization": "Bearer x"})
    assert api.status_code == 503 and api.json["code"] == "database_unavailable"
    assert set(app.extensions["formwork_storage"].unavailable) == {"t", "u"}  # and logged
