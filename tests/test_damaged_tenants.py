"""One tenant's damaged or unreadable SQLite file: that tenant answers 503, every other
tenant is served, in the app, in `formwork serve`, and in the commands."""

import json
import logging
import os
import shutil

import pytest
from click.testing import CliRunner
from records_metadata import FILES
from test_pages import Browser

from engine import users
from engine.cli import main
from engine.registry import build_registry
from engine.storage.databases import Storage
from engine.storage.sync import sync_registry
from webui import create_app, faults

PASSWORD = "correct horse battery"


def garbage(path):
    path.write_bytes(os.urandom(64 * 1024))


def truncated(path):
    with open(path, "r+b") as file:
        file.truncate(path.stat().st_size // 2)


def unreadable(path):
    # tests run as root, whom chmod 000 does not stop: a directory where the file should be
    path.unlink()
    path.mkdir()


DAMAGE = [garbage, truncated, unreadable]


@pytest.fixture
def deployment(tree, tmp_path):
    """Tenants t and u synced on SQLite with users and a record each, closed: (metadata,
    data directory, u's API token)."""
    metadata, data = tree(FILES), tmp_path / "data"
    registry, storage = build_registry(str(metadata)), Storage(str(data))
    sync_registry(registry, storage)
    for tenant in ("t", "u"):
        compiled = registry.tenant(tenant)
        users.add_user(compiled, "ann", "admin", PASSWORD)
        entry = {"entity": "x", "action": "a", "username": "ann", "at": "2024-01-01"}
        rows = [{**entry, "record_id": i, "changes": "{}" * 200} for i in range(200)]
        compiled.system.audit.insert_many(rows).execute()  # pages enough for a real cut
    token = users.issue_token(registry.tenant("u"), "ann")
    storage.close()  # the last connection folds the WAL into the file
    return metadata, data, token


def damage(data, how, tenant="t"):
    path = data / f"{tenant}.sqlite3"
    for leftover in (f"{tenant}.sqlite3-wal", f"{tenant}.sqlite3-shm"):
        (data / leftover).unlink(missing_ok=True)
    good = data / f"{tenant}.good"
    shutil.copyfile(path, good)
    how(path)
    return good


def start(metadata, data):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "FORMWORK_METADATA": str(metadata),
            "FORMWORK_DATA": str(data),
        }
    )


@pytest.mark.parametrize("how", DAMAGE)
def test_a_damaged_tenant_answers_503_and_the_others_are_served(deployment, how, caplog):
    metadata, data, token = deployment
    damage(data, how)
    app = start(metadata, data)  # starts all the same: no tenant's database is opened
    client = app.test_client()
    with caplog.at_level(logging.ERROR, logger="formwork.storage"):
        assert client.get("/t/login").status_code == 503  # its first request syncs it
    assert "Tenant t cannot be served (tenant_damaged)" in caplog.text

    other = Browser(app, "u")
    assert other.login("ann").status_code == 302
    assert other.get("/account/").status_code == 200
    listed = client.get("/api/u/account", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200 and listed.json["total"] == 0

    page = client.get("/t/login")
    assert page.status_code == 503
    text = page.get_data(as_text=True)
    assert "This tenant&#39;s data cannot be read" in text and "restore the database" in text
    assert str(data) not in text  # paths are for the log, not for the page
    api = client.get("/api/t/account", headers={"Authorization": "Bearer whatever"})
    assert api.status_code == 503 and api.headers["Retry-After"]
    assert api.json["code"] == "tenant_damaged"
    assert "database is damaged or cannot be opened" in api.json["message"]


def test_a_tenant_restored_from_a_backup_is_served_again_without_a_restart(deployment, monkeypatch):
    metadata, data, _ = deployment
    good = damage(data, garbage)
    app = start(metadata, data)
    browser = Browser(app, "t")
    assert browser.client.get("/t/login").status_code == 503
    (data / "t.sqlite3").unlink()
    shutil.copyfile(good, data / "t.sqlite3")
    monkeypatch.setattr(faults, "RETRY_SECONDS", 0)  # tried again on the next request
    assert browser.login("ann").status_code == 302
    assert browser.get("/account/").status_code == 200


def admin_page(metadata, data):
    app = start(metadata, data)
    app.test_client().get("/t/login")  # a tenant's database is opened on its first request
    admin = Browser(app, "u")
    assert admin.login("ann").status_code == 302
    return admin.get("/admin/metadata").get_data(as_text=True)


def test_the_admin_page_of_another_tenant_says_a_tenant_is_not_served(deployment):
    metadata, data, _ = deployment
    assert "cannot be served now" not in admin_page(metadata, data)
    damage(data, garbage)
    page = admin_page(metadata, data)
    assert "1 other tenant of this server cannot be served now" in page
    assert "t.sqlite3" not in page  # its name and reason are in the log


def formwork(metadata, data, *args, input=None):
    arguments = [*args, "--metadata", str(metadata), "--data", str(data)]
    return CliRunner().invoke(main, arguments, input=input, catch_exceptions=False)


@pytest.mark.parametrize("how", DAMAGE)
def test_migrate_syncs_the_other_tenants_names_the_damaged_one_and_fails(deployment, how):
    metadata, data, _ = deployment
    damage(data, how)
    result = formwork(metadata, data, "migrate")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == ["u: nothing to do"]
    assert result.stderr.startswith("error: t: not synced: cannot open the SQLite file ")
    assert "Traceback" not in result.output


def test_commands_for_another_tenant_work_and_for_the_damaged_one_say_why(deployment):
    metadata, data, _ = deployment
    damage(data, truncated)
    added = formwork(metadata, data, "user", "add", "u", "bob", "--role", "viewer", input="x" * 9)
    assert added.exit_code == 0, added.output
    refused = formwork(metadata, data, "user", "add", "t", "bob", "--role", "viewer", input="x" * 9)
    assert refused.exit_code == 1
    assert refused.stderr.startswith("error: cannot open the SQLite file ")
    assert "malformed" in refused.stderr and "Traceback" not in refused.output


def test_serve_lists_the_tenants_it_serves_and_names_the_one_it_cannot(deployment, monkeypatch):
    import flask

    metadata, data, _ = deployment
    damage(data, garbage)
    monkeypatch.setattr(flask.Flask, "run", lambda self, **options: None)
    result = formwork(metadata, data, "serve")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["u: http://127.0.0.1:8000/u/login   API: /api/u/ENTITY"]
    assert result.stderr.startswith("t: cannot be served now: cannot open the SQLite file ")
    assert "file is not a database" in result.stderr


def test_openapi_of_a_healthy_tenant_is_served_beside_a_damaged_one(deployment):
    metadata, data, token = deployment
    damage(data, unreadable)
    client = start(metadata, data).test_client()
    answer = client.get("/api/u/openapi.json", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and json.loads(answer.data)["openapi"].startswith("3.1")


def test_a_metadata_reload_goes_on_for_the_tenants_that_are_served(deployment):
    metadata, data, _ = deployment
    damage(data, garbage)
    app = start(metadata, data)
    assert app.test_client().get("/t/login").status_code == 503
    admin = Browser(app, "u")
    assert admin.login("ann").status_code == 302
    reloaded = admin.post("/admin/reload")
    assert reloaded.status_code == 302
    page = admin.get("/admin/metadata").get_data(as_text=True)
    assert "The metadata was reloaded from disk." in page
    assert "1 other tenant of this server cannot be served now" in page


def test_an_import_into_another_tenant_works_from_the_command_line(deployment, tmp_path):
    metadata, data, _ = deployment
    damage(data, unreadable)
    file = tmp_path / "accounts.csv"
    file.write_text("Name\nAcme\nBolt\n", encoding="utf-8")
    result = formwork(metadata, data, "import", "u", "account", str(file))
    assert result.exit_code == 0, result.output
    assert "Created 2, updated 0, unchanged 0." in result.stdout


def test_demo_loads_the_other_tenants_names_the_damaged_one_and_fails(deployment, tmp_path):
    metadata, data, _ = deployment
    damage(data, garbage)
    result = formwork(metadata, data, "demo")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "u (U):" and "t (T):" not in lines  # u's users were added, t's not
    assert "error: t: not synced: cannot open" in result.stderr
