"""A metadata file saved on disk is served without a command: noticed as it is saved, or by
a stat poll where the system reports no changes, in every worker process."""

import http.client
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import watchdog.observers
from test_admin import GADGET, logged_in, make_app, text_of

from engine import lazy_registry, users
from engine.registry import build_registry
from engine.resolve import resolve_base
from engine.storage.databases import Storage
from engine.storage.sync import sync_registry
from webui import change_feed

ROOT = Path(__file__).resolve().parent.parent
WAIT = 10  # seconds: far more than a reload takes, so a slow machine passes too
COLOUR = GADGET + "  - {name: colour, sequence: 2, label: Colour, input_type: text, group: MAIN}\n"


@pytest.fixture
def metadata(tree):
    return tree({"entities/gadget.yaml": GADGET})


def save(metadata, relative, text):
    """Write a metadata file as an editor saves it: truncate, write, close."""
    path = metadata / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def served_within(seconds, shows):
    """Ask for the page until it shows the change; False if it never did in `seconds`."""
    deadline = time.monotonic() + seconds
    while not shows():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def colour_field_shown(browser):
    return lambda: 'id="field-colour"' in text_of(browser.get("/gadget/new"))


def test_a_saved_file_is_served_as_it_is_saved(metadata, storage):
    app = make_app(metadata, storage)
    ada = logged_in(app, "ada")
    assert "as it is saved" in text_of(ada.get("/admin/metadata"))  # the OS reports changes
    assert not colour_field_shown(ada)()
    save(metadata, "entities/gadget.yaml", COLOUR)
    assert served_within(WAIT, colour_field_shown(ada))
    saved = ada.post("/gadget/new", {"size": "3", "colour": "teal"})
    assert saved.status_code == 302
    assert "teal" in text_of(ada.get(saved.headers["Location"].removeprefix("/t")))


def test_a_new_tenant_folder_is_loaded_with_no_request_to_prompt_it(metadata, storage):
    app = make_app(metadata, storage)
    client = app.test_client()
    assert client.get("/v/login").status_code == 404
    overlay = "customize: gadget\nfields:\n  - {name: size, label: Shoe Size}\n"
    folder = metadata / "tenants" / "v"
    staged = metadata.parent / "v-staged"  # made elsewhere, then moved in whole
    save(staged, "tenant.yaml", "tenant: v\nlabel: V\n")
    save(staged, "entities/gadget.yaml", overlay)
    staged.rename(folder)
    registry = lambda: app.extensions["formwork"].registry  # noqa: E731
    # no request is made meanwhile: the process rebuilds when the files change, not when
    # a request comes
    assert served_within(WAIT, lambda: "v" in registry().tenants)
    assert registry().tenant("v").entity("gadget").spec.field("size").label == "Shoe Size"
    assert client.get("/v/login").status_code == 200


def test_a_metadata_directory_replaced_whole_is_served(metadata, storage):
    app = make_app(metadata, storage)
    ada = logged_in(app, "ada")
    replacement = metadata.parent / "next-release"
    shutil.copytree(metadata, replacement)
    save(replacement, "entities/gadget.yaml", COLOUR)
    metadata.rename(metadata.parent / "previous-release")
    replacement.rename(metadata)  # the watched folder is gone: the OS reports nothing more
    assert served_within(WAIT, colour_field_shown(ada))  # the watching thread's own look


def test_a_request_during_the_rebuild_of_a_saved_file_waits_for_it(metadata, storage, monkeypatch):
    app = make_app(metadata, storage)
    ada = logged_in(app, "ada")
    started, release = threading.Event(), threading.Event()

    def held_build(root):  # the real reading of the base files, held until the test lets it go
        started.set()
        release.wait(WAIT)
        return resolve_base(root)

    monkeypatch.setattr(lazy_registry, "resolve_base", held_build)
    save(metadata, "entities/gadget.yaml", COLOUR)
    assert started.wait(WAIT), "the saved file was not noticed"
    pages = []
    request = threading.Thread(target=lambda: pages.append(text_of(ada.get("/gadget/new"))))
    request.start()
    request.join(0.2)
    assert request.is_alive(), "the request was answered before the rebuild was done"
    release.set()
    request.join(WAIT)
    assert 'id="field-colour"' in pages[0]


def test_the_stat_poll_serves_a_saved_file(metadata, storage):
    app = make_app(metadata, storage, mode="poll")
    ada = logged_in(app, "ada")
    assert "the server looks at them every 0.25 s" in text_of(ada.get("/admin/metadata"))
    save(metadata, "entities/gadget.yaml", COLOUR)
    assert served_within(WAIT, colour_field_shown(ada))


class NoWatchesLeft(watchdog.observers.Observer):
    """An observer that fails to start as inotify does when its watch limit is reached,
    after adding watches for a while (as over many tenants' folders)."""

    def start(self):
        time.sleep(0.3)
        raise OSError(28, "inotify watch limit reached")


def test_when_watching_cannot_start_the_stat_poll_serves_a_saved_file(
    metadata, storage, monkeypatch, caplog
):
    monkeypatch.setattr(watchdog.observers, "Observer", NoWatchesLeft)
    app = make_app(metadata, storage)
    ada = logged_in(app, "ada")
    assert "the server looks at them every 0.25 s" in text_of(ada.get("/admin/metadata"))
    assert "found by looking every 0.25 s, not as they are saved" in caplog.text
    assert "inotify watch limit reached" in caplog.text
    save(metadata, "entities/gadget.yaml", COLOUR)
    assert served_within(WAIT, colour_field_shown(ada))


def test_a_broken_save_keeps_serving_and_the_fix_is_served(metadata, storage):
    app = make_app(metadata, storage)
    ada = logged_in(app, "ada")
    save(metadata, "entities/gadget.yaml", COLOUR.replace("input_type: text", "input_type: txt"))
    admin_page = lambda: text_of(ada.get("/admin/metadata"))  # noqa: E731
    assert served_within(WAIT, lambda: "The metadata on disk has 1 problem" in admin_page())
    assert "Unknown input type &#39;txt&#39;" in admin_page()
    assert 'id="field-size"' in text_of(ada.get("/gadget/new"))
    save(metadata, "entities/gadget.yaml", COLOUR)
    assert served_within(WAIT, colour_field_shown(ada))
    assert "The metadata on disk has" not in admin_page()


# gunicorn: the app is made in the master and forked into each worker


@pytest.fixture
def gunicorn(metadata, tmp_path):
    """Two gunicorn workers forked from a master that made the app (--preload), on
    SQLite; yields (address, API token, access log)."""
    data = tmp_path / "data"
    registry, storage = build_registry(str(metadata)), Storage(str(data))
    sync_registry(registry, storage)
    users.add_user(registry.tenant("t"), "ed", "editor", "correct horse battery")
    token = users.issue_token(registry.tenant("t"), "ed")
    storage.close()
    access = tmp_path / "access.log"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "FORMWORK_METADATA": str(metadata),
        "FORMWORK_DATA": str(data),
        "FORMWORK_SECRET_KEY": "test",
    }
    command = [sys.executable, "-m", "gunicorn", "--preload", "--workers", "2"]
    command += ["--bind", "127.0.0.1:0", "--access-logfile", str(access)]
    command += ["--access-logformat", "%(p)s %(U)s", "webui:create_app()"]
    server = subprocess.Popen(command, env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    try:
        address = None
        for line in server.stderr:
            found = re.search(r"Listening at: http://(127\.0\.0\.1:\d+)", line)
            if found:
                address = found.group(1)
                break
        assert address, "gunicorn did not start"
        threading.Thread(target=server.stderr.read, daemon=True).start()  # keep it drained
        yield address, token, access
    finally:
        server.terminate()
        server.wait(timeout=30)


def openapi(address, token):
    host, port = address.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=WAIT)
    connection.request("GET", "/api/t/openapi.json", headers={"Authorization": f"Bearer {token}"})
    return connection.getresponse().read().decode()


def from_both_workers(address, token):
    """The API document asked by two clients at once: while one worker is held reading
    the first request, the other answers the second. Returns both answers."""
    host, port = address.split(":")
    held = socket.create_connection((host, int(port)), timeout=WAIT)
    held.sendall(b"GET /api/t/openapi.json HTTP/1.1\r\nHost: t\r\n")  # not finished yet
    second = openapi(address, token)
    held.sendall(f"Authorization: Bearer {token}\r\nConnection: close\r\n\r\n".encode())
    first = b""
    while chunk := held.recv(65536):
        first += chunk
    held.close()
    return [first.decode(), second]


def test_every_worker_process_serves_a_saved_file(metadata, gunicorn):
    address, token, access = gunicorn
    assert all("colour" not in page for page in from_both_workers(address, token))
    save(metadata, "entities/gadget.yaml", COLOUR)
    assert served_within(WAIT, lambda: '"colour"' in openapi(address, token))
    pids = len(access.read_text().splitlines())
    assert all('"colour"' in page for page in from_both_workers(address, token))
    answered_by = {line.split()[0] for line in access.read_text().splitlines()[pids:]}
    assert len(answered_by) == 2  # two worker processes, each with the change


def test_no_request_waits_for_the_watches_to_be_added(metadata, storage, monkeypatch):
    """Watching adds a watch per folder (half a second over a thousand tenants): the
    feed's own thread does it, and a file saved meanwhile is served all the same."""
    from webui.change_feed import ChangeFeed

    start_observer, starters, release = ChangeFeed._start_observer, [], threading.Event()

    def held(feed):
        starters.append(threading.current_thread())
        release.wait(WAIT)
        return start_observer(feed)

    monkeypatch.setattr(ChangeFeed, "_start_observer", held)
    app = make_app(metadata, storage)
    ada = logged_in(app, "ada")  # answered while the watches are still being added
    assert served_within(WAIT, lambda: starters)
    assert threading.current_thread() not in starters
    save(metadata, "entities/gadget.yaml", COLOUR)  # no watch reports this save
    release.set()
    assert served_within(WAIT, colour_field_shown(ada))
    assert "as it is saved" in text_of(ada.get("/admin/metadata"))


@pytest.fixture
def released(tree, tmp_path):
    """`metadata` a symbolic link to the release folder `release-1`, as deployments keep it."""
    release = tree({"entities/gadget.yaml": GADGET}).rename(tmp_path / "release-1")
    (tmp_path / "metadata").symlink_to(release.name)
    return tmp_path / "metadata"


def switch_release(link, release):
    """Point the link at another release as deployments do: a new link renamed over it."""
    staged = link.parent / "metadata-next"
    staged.symlink_to(release.name)
    os.replace(staged, link)


def test_a_release_switched_by_its_symlink_is_served_as_it_is_switched(
    released, storage, monkeypatch
):
    # the periodic look comes too late to serve it: the switch must be reported by the OS
    monkeypatch.setattr(change_feed, "WATCHING_POLL_SECONDS", 3600)
    app = make_app(released, storage)
    ada = logged_in(app, "ada")
    assert app.extensions["formwork_watcher"].noticing == "watch"
    next_release = released.parent / "release-2"
    shutil.copytree(released, next_release)
    save(next_release, "entities/gadget.yaml", COLOUR)
    switch_release(released, next_release)
    assert served_within(WAIT, colour_field_shown(ada))
    # and the new release's files are watched: a save to them is served as it is saved
    save(next_release, "entities/gadget.yaml", COLOUR.replace("Colour", "Tint"))
    assert served_within(WAIT, lambda: "Tint" in text_of(ada.get("/gadget/new")))


@pytest.mark.parametrize("mode", ["watch", "poll"])
def test_a_metadata_folder_removed_and_copied_back_is_served_throughout(
    metadata, storage, monkeypatch, caplog, mode
):
    """A deployment that deletes the folder and copies the new one in its place: while
    it is gone the metadata last read is served, its return is served at once and
    watched again, and its absence is a warning, not an error with a traceback."""
    monkeypatch.setattr(change_feed, "WATCHING_POLL_SECONDS", 3600)  # the OS must tell
    app = make_app(metadata, storage, mode=mode)
    ada = logged_in(app, "ada")
    assert app.extensions["formwork_watcher"].noticing == mode
    saved = metadata.parent / "saved"
    shutil.copytree(metadata, saved)
    save(saved, "entities/gadget.yaml", COLOUR)
    shutil.rmtree(metadata)
    time.sleep(0.5)  # gone for a while, as a slow copy leaves it: looked at meanwhile
    gone = ada.get("/gadget/new")
    assert gone.status_code == 200 and 'id="field-colour"' not in text_of(gone)
    shutil.copytree(saved, metadata)
    assert served_within(WAIT, colour_field_shown(ada))
    save(metadata, "entities/gadget.yaml", COLOUR.replace("Colour", "Tint"))
    assert served_within(WAIT, lambda: "Tint" in text_of(ada.get("/gadget/new")))
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert any("is missing" in r.getMessage() for r in caplog.records)
