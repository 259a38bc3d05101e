"""Two servers over one metadata tree and one PostgreSQL database, as two hosts of one
deployment: a field added to a tenant's entity is served by every worker of both within
about a second, a record saved through one is read through the other, the column is added
once (the advisory lock: a worker that lost the race waits, plans again and finds nothing
to do), and no request fails meanwhile; and a host whose metadata is a checkout switched
by a symlink serves the new release."""

import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest
from conftest import PG_ADMIN_URL
from records_metadata import FILES
from test_admin import GADGET, GADGET_FILE, logged_in, make_app, text_of
from test_faults_served import call
from test_reload import colour_field_shown, from_both_workers, served_within

from engine import users
from engine.registry import build_registry
from engine.storage.databases import Storage
from engine.storage.sync import hold_tenant_lock, sync_registry, sync_tenant
from webui.change_feed import POLL_SECONDS, WATCHING_POLL_SECONDS

ROOT = Path(__file__).resolve().parent.parent
WAIT = 30  # seconds: the most a server may take to start or answer, on a slow machine too
# from saving a file to every worker serving it: about a second on an idle machine (the
# file watcher, or the 0.25 s stat poll of forked workers, then a compile and a sync); the
# rest is room for a test machine busy with other work
SERVED_WITHIN = 5
COLOUR = GADGET + "  - {name: colour, sequence: 2, label: Colour, input_type: text, group: MAIN}\n"
ADDED = "add column gadget.colour: text"  # the sync step, as `formwork migrate` shows it
# gunicorn's own handlers: the app's INFO lines to stderr, the access log to stdout
LOGGING = {"root": {"level": "INFO", "handlers": ["error_console"]}}
ACCESS_LINE = re.compile(r"<(\d+)> (\d{3}) /", re.M)  # the access log format below
DDL_LOG = """
CREATE TABLE public.ddl_log (tag text, object text);
CREATE FUNCTION public.log_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
DECLARE command record;
BEGIN
  FOR command IN SELECT * FROM pg_event_trigger_ddl_commands() LOOP
    INSERT INTO public.ddl_log VALUES (command.command_tag, command.object_identity);
  END LOOP;
END $$;
CREATE EVENT TRIGGER log_ddl ON ddl_command_end EXECUTE FUNCTION public.log_ddl();
"""


@pytest.fixture
def database():
    """A PostgreSQL database of this test's own, made and dropped here, that records every
    schema change in public.ddl_log (an event trigger), whichever connection made it."""
    name = f"formwork_two_servers_{os.getpid()}"
    admin = psycopg2.connect(PG_ADMIN_URL)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        with psycopg2.connect(url) as connection:
            connection.cursor().execute(DDL_LOG)
        connection.close()
        yield url
    finally:
        admin.cursor().execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.close()


def schema_changes(url, tag, table):
    """How many `tag` commands (ALTER TABLE, …) changed `table` ('t.gadget')."""
    with psycopg2.connect(url) as connection:
        cursor = connection.cursor()
        query = "SELECT count(*) FROM public.ddl_log WHERE tag = %s AND object = %s"
        cursor.execute(query, (tag, table))
        count = cursor.fetchone()[0]
    connection.close()
    return count


@pytest.fixture
def deployment(tree, tmp_path, database):
    """Tenants t (with its own entity gadget) and u, synced on the database, an editor in
    t: (metadata, API token of t)."""
    metadata = tree({**FILES, GADGET_FILE: GADGET})
    registry, storage = build_registry(str(metadata)), Storage(str(tmp_path / "data"), database)
    sync_registry(registry, storage)
    users.add_user(registry.tenant("t"), "ed", "editor", "correct horse battery")
    token = users.issue_token(registry.tenant("t"), "ed")
    storage.close()
    return metadata, token


@dataclass
class Server:
    """A gunicorn server of the test: where it listens, its access log and its stderr."""

    address: str
    access: Path
    log: Path

    def answers(self) -> list[tuple[str, str]]:
        """(worker pid, status) of every request it answered so far."""
        return ACCESS_LINE.findall(self.access.read_text())

    def statuses(self) -> list[str]:
        """The status of every request it answered so far."""
        return [status for _, status in self.answers()]

    def pids(self, since: int) -> set[str]:
        """The worker processes that answered requests after the first `since`."""
        return {pid for pid, _ in self.answers()[since:]}


@contextmanager
def gunicorn(name, metadata, database, tmp_path, preload):
    """Two sync workers over the metadata and the database, each noticing edits itself:
    by watching the files, or, forked from a master that made the app (`preload`), by
    the stat poll. INFO lines of the app go to its stderr."""
    folder = tmp_path / name
    folder.mkdir()
    (folder / "logging.json").write_text(json.dumps(LOGGING), encoding="utf-8")
    server = Server("", folder / "access.log", folder / "stderr.log")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "FORMWORK_METADATA": str(metadata),
        "FORMWORK_DATA": str(folder / "data"),  # each host's own: uploads, imports
        "FORMWORK_DATABASE": database,
        "FORMWORK_SECRET_KEY": "test",
    }
    command = [sys.executable, "-m", "gunicorn", "--workers", "2", "--timeout", str(WAIT)]
    command += ["--preload"] if preload else []
    command += ["--log-config-json", str(folder / "logging.json")]
    command += ["--access-logformat", "%(p)s %(s)s %(U)s"]
    command += ["--bind", "127.0.0.1:0", "webui:create_app()"]
    with open(server.log, "w") as errors, open(server.access, "w") as access:
        process = subprocess.Popen(command, env=env, cwd=folder, stdout=access, stderr=errors)
    try:
        deadline = time.monotonic() + WAIT
        while not server.address and time.monotonic() < deadline and process.poll() is None:
            found = re.search(r"Listening at: http://(127\.0\.0\.1:\d+)", server.log.read_text())
            server.address = found.group(1) if found else time.sleep(0.05) or ""
        assert server.address, f"gunicorn did not start:\n{server.log.read_text()}"
        yield server
    finally:
        process.terminate()
        process.wait(timeout=WAIT)


def every_worker_serves(server, token, saved):
    """Ask both workers of the server until both serve the field: the seconds from
    `saved` until they did, or None if they did not within SERVED_WITHIN."""
    while time.monotonic() < saved + SERVED_WITHIN:
        if all('"colour"' in page for page in from_both_workers(server.address, token)):
            return time.monotonic() - saved
    return None


def test_a_field_added_is_served_by_every_worker_of_two_servers_and_added_once(
    deployment, database, tmp_path
):
    metadata, token = deployment
    with (
        gunicorn("a", metadata, database, tmp_path, preload=False) as a,
        gunicorn("b", metadata, database, tmp_path, preload=True) as b,
    ):
        for server in (a, b):
            assert all('"colour"' not in page for page in from_both_workers(server.address, token))
        (metadata / GADGET_FILE).write_text(COLOUR, encoding="utf-8")
        saved = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            served = list(pool.map(lambda s: every_worker_serves(s, token, saved), (a, b)))
        assert None not in served, f"not served within {SERVED_WITHIN} s: {served}"
        for server in (a, b):  # two processes of each server answer with the field
            since = len(server.statuses())
            assert all('"colour"' in page for page in from_both_workers(server.address, token))
            assert len(server.pids(since)) == 2
        status, _, created, _ = call(
            a.address, "POST", "/api/t/gadget", token, {"size": 3, "colour": "teal"}
        )
        assert status == 201, created
        status, _, read, _ = call(b.address, "GET", f"/api/t/gadget/{created['id']}", token)
        assert (status, read["colour"], read["size"]) == (200, "teal", 3)
    for server in (a, b):
        assert server.statuses() and not [s for s in server.statuses() if s.startswith("5")]
        assert "Traceback" not in server.log.read_text()
    assert schema_changes(database, "ALTER TABLE", "t.gadget") == 1
    logs = a.log.read_text() + b.log.read_text()
    assert logs.count(f"Tenant t: {ADDED}") == 1


# the race itself, one step at a time: the loser waits for the lock, plans again, and
# finds nothing left to do


def waiting_for_advisory_lock(url):
    with psycopg2.connect(url) as connection:
        cursor = connection.cursor()
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        count = cursor.fetchone()[0]
    connection.close()
    return count


def test_the_process_that_loses_the_race_waits_and_finds_the_column_added(
    deployment, database, caplog
):
    metadata, _ = deployment
    (metadata / GADGET_FILE).write_text(COLOUR, encoding="utf-8")
    hosts = [Storage(database_url=database), Storage(database_url=database)]
    tenants = [build_registry(str(metadata)).tenant("t") for _ in hosts]
    databases = [host.database("t") for host in hosts]
    for tenant, db in zip(tenants, databases, strict=True):
        tenant.database.initialize(db)
    caplog.set_level("INFO", logger="formwork.storage")
    try:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            with databases[0].atomic():
                hold_tenant_lock(databases[0], "t")  # the winner got there first
                loser = pool.submit(sync_tenant, tenants[1], databases[1], "t")
                deadline = time.monotonic() + WAIT
                while not waiting_for_advisory_lock(database) and time.monotonic() < deadline:
                    assert not loser.done(), loser.result()
                    time.sleep(0.02)
                assert waiting_for_advisory_lock(database) == 1
                won = sync_tenant(tenants[0], databases[0], "t")
            lost = loser.result(timeout=WAIT)
    finally:
        for host in hosts:
            host.close()
    assert [str(step) for step in won.steps] == [ADDED]
    assert lost.steps == () and lost.refusals == ()
    assert schema_changes(database, "ALTER TABLE", "t.gadget") == 1
    assert [r.getMessage() for r in caplog.records if r.name == "formwork.storage"] == [
        f"Tenant t: {ADDED}"
    ]


# a deployment switching its metadata by a symlink, as one checkout per release


@pytest.mark.parametrize("mode", ["watch", "poll"])
def test_a_release_switched_by_a_symlink_is_served(tree, storage, tmp_path, mode):
    first = tree({"entities/gadget.yaml": GADGET})
    second = tmp_path / "release-2"
    shutil.copytree(first, second)
    (second / "entities/gadget.yaml").write_text(COLOUR, encoding="utf-8")
    current = tmp_path / "current"
    current.symlink_to(first, target_is_directory=True)
    ada = logged_in(make_app(current, storage, mode), "ada")
    assert 'id="field-colour"' not in text_of(ada.get("/gadget/new"))
    (tmp_path / "next").symlink_to(second, target_is_directory=True)
    os.replace(tmp_path / "next", current)  # atomic: a request sees one release or the other
    # watching, the OS reports nothing of a switch: the feed's own look finds it
    within = WATCHING_POLL_SECONDS if mode == "watch" else POLL_SECONDS
    assert served_within(within + SERVED_WITHIN, colour_field_shown(ada))
