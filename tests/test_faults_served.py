"""Faults met by a real gunicorn with 4 worker processes on SQLite, as an operator meets
them: a damaged tenant file at start, and a tenant whose writer lock another process
holds (a long import)."""

import concurrent.futures
import fcntl
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from records_metadata import FILES

from engine import users
from engine.registry import build_registry
from engine.storage.databases import Storage
from engine.storage.sync import sync_registry

ROOT = Path(__file__).resolve().parent.parent
WAIT = 30  # seconds: the most any answer may take here, on a slow machine too
WRITE_WAIT = 3  # FORMWORK_WRITE_WAIT_SECONDS of these servers


@pytest.fixture
def deployment(tree, tmp_path):
    """Tenants t and u on SQLite, an editor in each: (metadata, data, {tenant: token})."""
    metadata, data = tree(FILES), tmp_path / "data"
    registry, storage = build_registry(str(metadata)), Storage(str(data))
    sync_registry(registry, storage)
    tokens = {}
    for tenant in ("t", "u"):
        users.add_user(registry.tenant(tenant), "ed", "editor", "correct horse battery")
        tokens[tenant] = users.issue_token(registry.tenant(tenant), "ed")
    storage.close()
    return metadata, data, tokens


@contextmanager
def gunicorn(metadata, data, log, database=None, preload=False):
    """Four sync workers, each making the app itself unless `preload` (then they are
    forked from the master that made it): yields the address."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "FORMWORK_METADATA": str(metadata),
        "FORMWORK_DATA": str(data),
        "FORMWORK_DATABASE": database or "",
        "FORMWORK_SECRET_KEY": "test",
        "FORMWORK_RELOAD": "off",
        "FORMWORK_WRITE_WAIT_SECONDS": str(WRITE_WAIT),
    }
    command = [sys.executable, "-m", "gunicorn", "--workers", "4", "--timeout", "20"]
    command += ["--preload"] if preload else []
    command += ["--bind", "127.0.0.1:0", "webui:create_app()"]
    with open(log, "w") as errors:
        server = subprocess.Popen(command, env=env, cwd=data.parent, stderr=errors)
    try:
        deadline = time.monotonic() + WAIT
        address = None
        while address is None and time.monotonic() < deadline and server.poll() is None:
            found = re.search(r"Listening at: http://(127\.0\.0\.1:\d+)", log.read_text())
            address = found.group(1) if found else time.sleep(0.05)
        assert address, f"gunicorn did not start:\n{log.read_text()}"
        yield address
    finally:
        server.terminate()
        server.wait(timeout=WAIT)


def call(address, method, path, token, body=None):
    """(status, headers, JSON or text, seconds taken)."""
    host, port = address.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=WAIT)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    started = time.monotonic()
    connection.request(method, path, body=json.dumps(body) if body else None, headers=headers)
    response = connection.getresponse()
    text = response.read().decode()
    taken = time.monotonic() - started
    connection.close()
    is_json = response.getheader("Content-Type", "").startswith("application/json")
    return (
        response.status,
        dict(response.getheaders()),
        json.loads(text) if is_json else text,
        taken,
    )


def test_workers_boot_beside_a_damaged_tenant_file_which_alone_answers_503(deployment, tmp_path):
    metadata, data, tokens = deployment
    (data / "t.sqlite3").write_bytes(b"not a database" * 4096)
    for leftover in ("t.sqlite3-wal", "t.sqlite3-shm"):
        (data / leftover).unlink(missing_ok=True)
    log = tmp_path / "gunicorn.log"
    with gunicorn(metadata, data, log) as address:
        # every worker answers: more requests than workers, at once
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(
                pool.map(lambda _: call(address, "GET", "/api/u/account", tokens["u"]), range(8))
            )
        assert [status for status, *_ in answers] == [200] * 8
        created = call(address, "POST", "/api/u/account", tokens["u"], {"name": "Fine"})
        assert created[0] == 201
        status, headers, body, _ = call(address, "GET", "/api/t/account", tokens["t"])
        assert status == 503 and body["code"] == "tenant_damaged" and headers["Retry-After"]
    text = log.read_text()
    assert "Worker failed to boot" not in text and "Traceback" not in text
    assert "Tenant t cannot be served (tenant_damaged)" in text


@contextmanager
def writer_lock_held(data, tenant):
    """What a long import in another process does: hold the tenant's writer lock."""
    with open(data / f"{tenant}.sqlite3-writer", "ab") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def processes_waiting_for(path: Path) -> set[int]:
    """The processes blocked in flock on the file, as the kernel lists them (/proc/locks
    marks a request that waits with "->")."""
    inode = os.stat(path).st_ino
    waiting = set()
    with open("/proc/locks") as locks:
        for line in locks:
            fields = line.split()
            if "->" in fields and fields[-3].endswith(f":{inode}"):
                waiting.add(int(fields[-4]))
    return waiting


def until(condition, what: str) -> None:
    """Wait until `condition()` holds, as long as any answer here may take."""
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.02)


def test_writes_to_a_locked_tenant_give_up_with_503_while_everything_else_answers(
    deployment, tmp_path
):
    metadata, data, tokens = deployment
    log = tmp_path / "gunicorn.log"
    with gunicorn(metadata, data, log) as address:
        with writer_lock_held(data, "t"):
            waiting = concurrent.futures.ThreadPoolExecutor(2)
            creates = [
                waiting.submit(call, address, "POST", "/api/t/account", tokens["t"], {"name": "x"})
                for _ in range(2)
            ]  # two of the four workers wait for the lock: the kernel shows them waiting
            lock = data / "t.sqlite3-writer"
            until(lambda: len(processes_waiting_for(lock)) == 2, "two workers wait for the lock")
            read = call(address, "GET", "/api/t/account", tokens["t"])
            other = call(address, "POST", "/api/u/account", tokens["u"], {"name": "Elsewhere"})
            other_read = call(address, "GET", "/api/u/account", tokens["u"])
            # answered while the lock is held and writers wait for it: neither a read of
            # the locked tenant nor another tenant waits for the lock (one that did would
            # give up with 503, or never answer while the lock is held)
            assert read[0] == 200
            assert other[0] == 201
            assert other_read[0] == 200
            for create in creates:
                status, headers, body, taken = create.result(timeout=WAIT)
                assert status == 503 and body["code"] == "tenant_busy"
                assert headers["Retry-After"] == str(WRITE_WAIT)
                assert "try again in a moment" in body["message"]
                assert WRITE_WAIT <= taken < WAIT  # it waited its bound, and no longer
            waiting.shutdown()
        created = call(address, "POST", "/api/t/account", tokens["t"], {"name": "Free again"})
        assert created[0] == 201
    assert "WORKER TIMEOUT" not in log.read_text()


def test_a_write_queued_behind_a_short_hold_goes_through(deployment, tmp_path):
    metadata, data, tokens = deployment
    with gunicorn(metadata, data, tmp_path / "gunicorn.log") as address:
        held = threading.Event()
        released = threading.Event()

        def hold():
            with writer_lock_held(data, "t"):
                held.set()
                released.wait(WAIT)

        holder = threading.Thread(target=hold)
        holder.start()
        held.wait(WAIT)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            create = pool.submit(
                call, address, "POST", "/api/t/account", tokens["t"], {"name": "y"}
            )
            released.set()  # let go well within the bound
            assert create.result(timeout=WAIT)[0] == 201
        holder.join()


@pytest.fixture
def on_postgresql(tree, tmp_path, postgres_url):
    """Tenants t and u on PostgreSQL, an editor in t: (metadata, data, token of t)."""
    metadata, data = tree(FILES), tmp_path / "data"
    registry, storage = build_registry(str(metadata)), Storage(str(data), postgres_url)
    sync_registry(registry, storage)
    users.add_user(registry.tenant("t"), "ed", "editor", "correct horse battery")
    token = users.issue_token(registry.tenant("t"), "ed")
    storage.close()
    yield metadata, data, token
    cleanup = Storage(database_url=postgres_url)
    cleanup.database("t").execute_sql('DROP SCHEMA "t" CASCADE; DROP SCHEMA "u" CASCADE')
    cleanup.close()


def many_at_once(address, token, count=40):
    """Half reads, half creates, 8 at a time: their statuses."""

    def one(index):
        if index % 2:
            return call(address, "POST", "/api/t/account", token, {"name": f"n{index}"})[0]
        return call(address, "GET", "/api/t/account", token)[0]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        return sorted(pool.map(one, range(count)))


def test_workers_forked_from_a_preloaded_app_do_not_share_its_connections(
    on_postgresql, postgres_url, tmp_path
):
    metadata, data, token = on_postgresql
    log = tmp_path / "gunicorn.log"
    with gunicorn(metadata, data, log, postgres_url, preload=True) as address:
        assert many_at_once(address, token) == [200] * 20 + [201] * 20
    assert "Traceback" not in log.read_text()


def test_after_the_server_ends_every_connection_the_workers_answer_as_before(
    on_postgresql, postgres_url, tmp_path
):
    from test_reconnect import terminate_every_backend

    metadata, data, token = on_postgresql
    log = tmp_path / "gunicorn.log"
    with gunicorn(metadata, data, log, postgres_url) as address:
        assert many_at_once(address, token) == [200] * 20 + [201] * 20
        assert terminate_every_backend(postgres_url) >= 1  # a restart, a failover
        assert many_at_once(address, token) == [200] * 20 + [201] * 20
    assert "Traceback" not in log.read_text()
