"""Connections pooled per process, served through the app on both backends: many tenants
hold at most FORMWORK_DATABASE_POOL connections (PostgreSQL server connections, open
SQLite files); a connection one tenant used serves the next tenant that tenant's records
only; a request that finds every connection in use answers 503 and keeps nothing."""

import ctypes
import ctypes.util
import gc
import os
import threading
import time
from contextlib import contextmanager

import peewee
import psycopg2
import pytest
from records_metadata import FILES
from test_admin import GADGET, GADGET_FILE
from test_pages import Browser, make_app
from test_reconnect import terminate_every_backend

from engine import users
from engine.storage import pool, postgres

PASSWORD = "correct horse battery"
TENANTS = ["t", "u", *(f"n{index:02d}" for index in range(28))]  # thirty
POOL = 3
COUNTING = "counting connections"


def many_tenants(tree):
    files = dict(FILES)
    for index, name in enumerate(TENANTS[2:]):
        license = index + 100
        files[f"tenants/{name}/tenant.yaml"] = (
            f"tenant: {name}\nlabel: {name.upper()}\nsettings: {{license: '{license}'}}\n"
        )
    return tree(files)


def served(tree, storage, tenants=TENANTS, **config):
    """The app over `tenants`, with a clerk in each: (app, API headers by tenant)."""
    app = make_app(many_tenants(tree), storage, **{"FORMWORK_DATABASE_POOL": POOL, **config})
    registry = app.extensions["formwork"].registry
    headers = {}
    for name in tenants:
        users.add_user(registry.tenant(name), "clerk", "editor", PASSWORD)
        token = users.issue_token(registry.tenant(name), "clerk")
        headers[name] = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/t/login").status_code == 200  # its end gives them back
    return app, headers


def server_connections(url):
    """How many connections the PostgreSQL server has open to the test database, but
    those that count them."""
    admin = psycopg2.connect(url, application_name=COUNTING)
    try:
        cursor = admin.cursor()
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name <> %s",
            (COUNTING,),
        )
        return cursor.fetchone()[0]
    finally:
        admin.close()


def open_sqlite_files(data_dir):
    """The files of `data_dir` this process holds open: the tenants' .sqlite3 files and
    their -wal, -shm and -writer companions."""
    opened = []
    for descriptor in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{descriptor}")
        except OSError:  # the listing's own descriptor, closed meanwhile
            continue
        if target.startswith(str(data_dir)) and ".sqlite3" in target:
            opened.append(target)
    return opened


def held(storage, baseline=False):
    """What this process holds of the storage: server connections, or open tenant files.
    The `baseline` taken before a test's app starts first closes the connections of
    earlier tests' apps left to the collector (a collection per count would cost most of
    these tests' time in a process that has run many tests)."""
    if baseline:
        gc.collect()
    if storage.database_url:
        return server_connections(storage.database_url)
    # files, not descriptors: SQLite keeps the descriptor of a connection closed while
    # another of the same file holds a lock, for the file's next connection to reuse
    return len({f for f in open_sqlite_files(storage.data_dir) if f.endswith(".sqlite3")})


@contextmanager
def holding(app, tenant="u"):
    """A connection of `tenant` held by another thread, as a long request holds one, until
    the block ends."""
    taken, done = threading.Event(), threading.Event()

    def hold():
        database = app.extensions["formwork_storage"].database(tenant)
        database.execute_sql("SELECT 1")
        taken.set()
        done.wait(10)
        database.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(10)
    try:
        yield
    finally:
        done.set()
        holder.join()


def names(answer):
    assert answer.status_code == 200, answer.get_json()
    return [record["name"] for record in answer.json["items"]]


def test_thirty_tenants_served_by_one_app_hold_at_most_the_pool(tree, storage):
    before = held(storage, baseline=True)
    app, headers = served(tree, storage)
    client = app.test_client()
    for name in TENANTS:
        record = {"name": f"Of {name}"}
        created = client.post(f"/api/{name}/account", json=record, headers=headers[name])
        assert created.status_code == 201, created.json
        assert held(storage) - before <= POOL, name
    for name in TENANTS:  # a tenant whose connection was closed reads its records again
        listed = client.get(f"/api/{name}/account", headers=headers[name])
        assert names(listed) == [f"Of {name}"]
    assert 1 <= held(storage) - before <= POOL
    if not storage.database_url:  # each file with its -wal and -shm at most
        assert len(open_sqlite_files(storage.data_dir)) <= 3 * POOL


def test_requests_of_many_threads_hold_at_most_the_pool(tree, storage):
    before = held(storage, baseline=True)
    # eight threads share three connections: each waits its turn, however slow the machine
    app, headers = served(tree, storage, tenants=TENANTS[:8], FORMWORK_WRITE_WAIT_SECONDS=60)
    failures, most = [], []

    def serve(name):
        client = app.test_client()
        for round_ in range(3):
            record = {"name": f"{name} {round_}"}
            answer = client.post(f"/api/{name}/account", json=record, headers=headers[name])
            if answer.status_code != 201:
                failures.append((name, answer.status_code, answer.get_json()))
            most.append(held(storage) - before)

    threads = [threading.Thread(target=serve, args=(name,)) for name in TENANTS[:8]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert max(most) <= POOL
    client = app.test_client()
    for name in TENANTS[:8]:
        listed = client.get(f"/api/{name}/account?sort=name", headers=headers[name])
        assert names(listed) == [f"{name} {round_}" for round_ in range(3)]


def test_a_connection_one_tenant_used_shows_the_next_tenant_its_own_records(
    tree, storage, monkeypatch
):
    app, headers = served(tree, storage, tenants=["t", "u"], FORMWORK_DATABASE_POOL=1)
    client = app.test_client()
    for name, record in (("t", "Alpha"), ("u", "Beta")):
        answer = client.post(f"/api/{name}/account", json={"name": record}, headers=headers[name])
        assert answer.status_code == 201
    switches = []
    if storage.database_url:
        switch = postgres.ReconnectingPostgresqlDatabase.switch_connection
        monkeypatch.setattr(
            postgres.ReconnectingPostgresqlDatabase,
            "switch_connection",
            lambda database, connection: (
                switches.append(database.tenant) or switch(database, connection)
            ),
        )
    before = held(storage, baseline=True)
    seen = {}

    def read(name):
        answer = client.get(f"/api/{name}/account", headers=headers[name])
        seen.setdefault(name, []).append(names(answer))

    for name in ("t", "t", "u", "u", "t", "u"):  # one thread
        read(name)
    for name in ("t", "u", "t", "u"):  # a thread each
        thread = threading.Thread(target=read, args=(name,))
        thread.start()
        thread.join()
    assert seen == {"t": [["Alpha"]] * 5, "u": [["Beta"]] * 5}
    assert held(storage) - before <= 0  # one connection served both, in turn
    if storage.database_url:  # search_path set once per change of tenant, not per request
        assert switches == ["t", "u"] * 4


def test_a_request_that_finds_every_connection_in_use_answers_503_and_keeps_nothing(tree, storage):
    app, headers = served(
        tree, storage, tenants=["t"], FORMWORK_DATABASE_POOL=1, FORMWORK_WRITE_WAIT_SECONDS=0.3
    )
    client = app.test_client()
    with holding(app):  # a long request of another thread holds the only connection
        refused = client.post("/api/t/account", json={"name": "Waited"}, headers=headers["t"])
        assert refused.status_code == 503, refused.json
        assert refused.json["code"] == "database_busy"
        assert refused.json["message"].startswith("The server is busy")
        assert "Nothing was saved" in refused.json["message"]
        assert refused.headers["Retry-After"]
        read = client.get("/api/t/account", headers=headers["t"])
        assert read.status_code == 503 and read.json["code"] == "database_busy"
    again = client.post("/api/t/account", json={"name": "Saved"}, headers=headers["t"])
    assert again.status_code == 201
    assert names(client.get("/api/t/account", headers=headers["t"])) == ["Saved"]


def signed_in_with_one_connection(tree, storage):
    """An app with a pool of one connection, and a browser signed in to tenant t."""
    app, _ = served(
        tree, storage, tenants=["t"], FORMWORK_DATABASE_POOL=1, FORMWORK_WRITE_WAIT_SECONDS=0.3
    )
    registry = app.extensions["formwork"].registry
    users.add_user(registry.tenant("t"), "ann", "editor", PASSWORD)
    browser = Browser(app, "t")
    assert browser.login("ann").status_code == 302
    return app, browser


def test_a_form_that_finds_every_connection_in_use_answers_503_and_saves_later(tree, storage):
    app, browser = signed_in_with_one_connection(tree, storage)
    form = {"name": "Typed by hand", "csrf_token": browser.token()}
    with holding(app):
        refused = browser.client.post("/t/account/new", data=form)
        assert refused.status_code == 503
        assert "Nothing was saved" in refused.get_data(as_text=True)
        assert 'value="Typed by hand"' in refused.get_data(as_text=True)
    assert browser.post("/account/new", {"name": "Typed by hand"}).status_code == 302
    page = browser.get("/account/").get_data(as_text=True)
    assert page.count("Typed by hand") == 1


@pytest.mark.parametrize("storage", ["postgresql"], indirect=True)  # a server to end them
def test_connections_the_server_ended_are_replaced_for_every_tenant(tree, postgres_url, storage):
    app, headers = served(tree, storage, tenants=TENANTS[:6])
    client = app.test_client()
    for name in TENANTS[:6]:
        answer = client.post(f"/api/{name}/account", json={"name": name}, headers=headers[name])
        assert answer.status_code == 201
    assert terminate_every_backend(postgres_url) >= 1  # the pool's idle ones among them
    for name in TENANTS[:6]:
        assert names(client.get(f"/api/{name}/account", headers=headers[name])) == [name]
        answer = client.post(f"/api/{name}/account", json={"name": "z"}, headers=headers[name])
        assert answer.status_code == 201


def test_a_connection_in_a_transaction_is_never_closed_for_another_tenant(tree, storage):
    app, headers = served(tree, storage, tenants=TENANTS[:8])
    store = app.extensions["formwork_storage"]
    database = store.database("t")
    started, go_on = threading.Event(), threading.Event()
    outcome = []

    def write():  # a long save of tenant t, under way while other tenants are served
        with database.atomic():
            database.execute_sql("UPDATE formwork_user SET role = role")
            started.set()
            go_on.wait(10)
            outcome.append(database.execute_sql("SELECT count(*) FROM formwork_user").fetchone())
        database.close()

    writer = threading.Thread(target=write)
    writer.start()
    assert started.wait(10)
    client = app.test_client()
    for name in TENANTS[1:8]:
        answer = client.post(f"/api/{name}/account", json={"name": name}, headers=headers[name])
        assert answer.status_code == 201
    go_on.set()
    writer.join()
    assert outcome == [(1,)]


def test_a_connection_a_thread_never_gave_back_is_taken_back_when_the_thread_ends(tree, storage):
    app, headers = served(
        tree, storage, tenants=["t"], FORMWORK_DATABASE_POOL=1, FORMWORK_WRITE_WAIT_SECONDS=0.5
    )

    def forgetful():  # work of a thread of its own that ends without giving back
        app.extensions["formwork_storage"].database("u").execute_sql("SELECT 1")

    thread = threading.Thread(target=forgetful)
    thread.start()
    thread.join()
    client = app.test_client()
    created = client.post("/api/t/account", json={"name": "After"}, headers=headers["t"])
    assert created.status_code == 201, created.json
    assert names(client.get("/api/t/account", headers=headers["t"])) == ["After"]


def test_connections_idle_for_long_are_closed_as_others_come_back(tree, storage, monkeypatch):
    monkeypatch.setattr(pool, "IDLE_SECONDS", 1.0)
    before = held(storage, baseline=True)
    app, headers = served(tree, storage, tenants=["t", "u"])
    client = app.test_client()
    with holding(app):  # a second connection, open while the first serves a request
        assert names(client.get("/api/t/account", headers=headers["t"])) == []
    assert held(storage) - before == 2  # both idle, kept for the next requests
    time.sleep(1.2)
    assert names(client.get("/api/t/account", headers=headers["t"])) == []
    assert held(storage) - before == 1  # the one it used, and no other


def test_a_tenant_cannot_name_a_table_of_the_tenant_its_connection_served_before(tree, storage):
    metadata = tree({**FILES, GADGET_FILE: GADGET})  # a table of t's own, which u lacks
    app = make_app(metadata, storage, FORMWORK_DATABASE_POOL=1)
    registry, store = app.extensions["formwork"].registry, app.extensions["formwork_storage"]
    registry.tenant("t"), registry.tenant("u")  # compiled and synced
    store.release()
    t, u = store.database("t"), store.database("u")
    failures = []

    def in_turn():
        assert t.execute_sql("SELECT count(*) FROM gadget").fetchone() == (0,)
        t.close()  # given back: the same connection serves u next
        try:
            u.execute_sql("SELECT count(*) FROM gadget")
        except peewee.DatabaseError as error:  # no such table, relation does not exist
            failures.append(type(error))
        u.close()

    in_turn()
    thread = threading.Thread(target=in_turn)
    thread.start()
    thread.join()
    assert len(failures) == 2


def sqlite_memory_used():
    """The bytes SQLite holds in this process, by its own count."""
    library = ctypes.CDLL(ctypes.util.find_library("sqlite3"))  # the one sqlite3 loaded
    library.sqlite3_memory_used.restype = ctypes.c_int64
    return library.sqlite3_memory_used()


@pytest.mark.parametrize("storage", ["sqlite"], indirect=True)
def test_idle_sqlite_connections_give_back_the_pages_they_read(tree, storage, monkeypatch):
    app, headers = served(tree, storage, FORMWORK_DATABASE_POOL=len(TENANTS))
    client, connections = app.test_client(), app.extensions["formwork_storage"].pool
    for name in TENANTS:
        created = client.post(f"/api/{name}/account", json={"name": "A"}, headers=headers[name])
        assert created.status_code == 201
    held_while_idle, warm_as_shipped = {}, pool.WARM_IDLE
    # off: every cache kept; warm 0: every idle connection's freed; then as shipped, the
    # caches of all but the most recently used freed
    for shrink, warm in ((False, 0), (True, 0), (True, warm_as_shipped)):
        connections.shrink_idle = shrink
        monkeypatch.setattr(pool, "WARM_IDLE", warm)
        connections.close_idle()
        before = sqlite_memory_used()
        for name in TENANTS:  # each tenant's connection left idle in the pool
            assert names(client.get(f"/api/{name}/account", headers=headers[name])) == ["A"]
        held_while_idle[shrink, warm] = sqlite_memory_used() - before
    kept, every, shipped = held_while_idle.values()
    assert every < kept / 2, held_while_idle
    cooled = (len(TENANTS) - warm_as_shipped) / len(TENANTS)
    assert kept - shipped >= 0.9 * cooled * (kept - every), held_while_idle


@pytest.mark.parametrize("storage", ["sqlite"], indirect=True)
def test_a_tenant_served_again_and_again_keeps_its_pages_between_requests(tree, storage):
    app, headers = served(tree, storage, FORMWORK_DATABASE_POOL=len(TENANTS))
    client, connections = app.test_client(), app.extensions["formwork_storage"].pool
    name = TENANTS[0]
    created = client.post(f"/api/{name}/account", json={"name": "A"}, headers=headers[name])
    assert created.status_code == 201
    held_after_a_request = {}
    for shrink in (False, True):  # the most recently used keep their cache either way
        connections.shrink_idle = shrink
        connections.close_idle()
        before = sqlite_memory_used()
        assert names(client.get(f"/api/{name}/account", headers=headers[name])) == ["A"]
        held_after_a_request[shrink] = sqlite_memory_used() - before
    assert held_after_a_request[True] >= 0.9 * held_after_a_request[False], held_after_a_request


def test_an_edit_that_finds_every_connection_in_use_keeps_what_was_typed(tree, storage):
    """The record cannot be read either: the form comes back with what was typed alone,
    at the version being edited, and sent again it saves."""
    app, browser = signed_in_with_one_connection(tree, storage)
    created = browser.post("/account/new", {"name": "First name"})
    record = created.headers["Location"].split("?")[0].removeprefix("/t")
    form = {"name": "Typed by hand", "rev_number": "1", "csrf_token": browser.token()}
    with holding(app):
        refused = browser.client.post(f"/t{record}/edit", data=form)
        page = refused.get_data(as_text=True)
    assert refused.status_code == 503
    assert "Nothing was saved; try again in a moment. What you typed is kept below." in page
    assert 'name="name" value="Typed by hand"' in page
    assert '<input type="hidden" name="rev_number" value="1">' in page
    assert (
        browser.post(f"{record}/edit", {"name": "Typed by hand", "rev_number": "1"}).status_code
        == 302
    )
    assert "Typed by hand" in browser.get(record).get_data(as_text=True)
