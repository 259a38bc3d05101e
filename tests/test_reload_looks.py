"""The watcher's looks at the files: the same answer as a plain walk of the tree, and,
while the OS reports changes, a periodic look that stats no tenant's file; a request
looks at its own tenant's files alone."""

import shutil
import threading
import time
from pathlib import Path

from conftest import SHIPPED
from test_admin import GADGET, logged_in, make_app

from webui import change_feed, reload
from webui.change_feed import ChangeFeed

WAIT = 10  # seconds


def plain_fingerprint(root):
    """The look as pathlib writes it: every YAML file's path, mtime and size."""
    found = set()
    for path in Path(root).rglob("*"):
        if path.suffix in (".yaml", ".yml") and path.is_file():
            stat = path.stat()
            found.add((str(path), stat.st_mtime_ns, stat.st_size))
    return frozenset(found)


def plain_changes(root, before, after):
    """The tenants whose files differ between two plain looks, and whether the base's do."""
    tenants, base = set(), False
    for path, _, _ in before ^ after:
        parts = Path(path).relative_to(root).parts
        if len(parts) > 2 and parts[0] == "tenants":
            tenants.add(parts[1])
        elif parts[0] in ("groups.yaml", "entities"):
            base = True
    return tenants, base


def edits(root):
    """Changes an admin makes to the files, one at a time."""
    retail = root / "tenants" / "retail"
    yield lambda: (retail / "tenant.yaml").write_text("tenant: retail\nlabel: Shop\n")
    yield lambda: (retail / "entities" / "customer.yaml").write_text("customize: customer\n")
    yield lambda: (retail / "notes.txt").write_text("not metadata")
    yield lambda: (root / "tenants" / "loose.yaml").write_text("tenant: loose\n")
    yield lambda: (root / "tenants" / "empty").mkdir()
    yield lambda: shutil.copytree(root / "tenants" / "trade", root / "tenants" / "trade_2")
    yield lambda: shutil.rmtree(root / "tenants" / "standard")
    yield lambda: (root / "tenants" / "production").rename(root.parent / "moved-out")
    yield lambda: (root / "entities" / "customer.yaml").write_text("entity: customer\n")
    yield lambda: (root / "groups.yaml").unlink()
    yield lambda: (root / "tenants" / "trade" / "entities" / "old.yml").write_text("x: 1\n")


def test_a_look_finds_the_changes_a_plain_walk_of_the_tree_finds(tmp_path):
    root = tmp_path / "metadata"
    shutil.copytree(SHIPPED, root)
    plain, looked = plain_fingerprint(root), reload.fingerprint(root)
    for edit in edits(root):
        time.sleep(0.01)  # a new mtime, however coarse the file system's clock
        edit()
        plain_after, looked_after = plain_fingerprint(root), reload.fingerprint(root)
        expected = plain_changes(root, plain, plain_after)
        assert reload.changed_tenants(root, looked ^ looked_after) == expected
        assert (looked != looked_after) == (plain != plain_after)
        assert_one_folder_looks_alike(root, looked_after)
        plain, looked = plain_after, looked_after
    assert reload.fingerprint(tmp_path / "nowhere") == frozenset()


def assert_one_folder_looks_alike(root, whole):
    """The look at one folder finds what the look at the whole tree finds for it."""
    tenants = [f"tenants/{p.name}" for p in (root / "tenants").iterdir()]
    for key in ["groups.yaml", "entities", "tenants/nowhere", *tenants]:
        assert reload.folder_fingerprint(root, [key]) == {e for e in whole if e[0] == key}


def test_the_first_request_stats_no_other_tenants_files(tree, storage, monkeypatch):
    app = make_app(tree({"entities/gadget.yaml": GADGET}), storage)
    walks, walk = [], reload.fingerprint
    monkeypatch.setattr(
        reload, "fingerprint", lambda root: walks.append(threading.current_thread()) or walk(root)
    )
    logged_in(app, "ada")  # the first request: it starts watching
    assert threading.current_thread() not in walks


def test_no_look_at_every_file_shares_the_time_of_the_first_request(tree, storage, monkeypatch):
    monkeypatch.setattr(change_feed, "WAIT_SECONDS", 60)  # the longest it waits for the answer
    app = make_app(tree({"entities/gadget.yaml": GADGET}), storage)
    walks, walk, during = [], reload.fingerprint, []
    monkeypatch.setattr(reload, "fingerprint", lambda root: walks.append(root) or walk(root))

    def answering():  # the first request, answering slowly: the watching thread has started
        if not during:
            time.sleep(0.3)  # time the thread would take to begin its look
            during.append(len(walks))

    app.before_request(answering)
    watcher = app.extensions[reload.EXTENSION]
    assert not watcher.wait_started(0)  # no request yet: nothing watches
    logged_in(app, "ada")
    assert during == [0]
    assert watcher.wait_started(WAIT)
    assert walks  # once answered


def test_a_tenant_file_saved_before_its_first_request_is_served_by_it(tree, storage, monkeypatch):
    """Saved between create_app and the first request, while the watching thread has not
    yet looked at every file: the request's own look finds it."""
    catch_up, release = ChangeFeed._catch_up, threading.Event()
    monkeypatch.setattr(ChangeFeed, "_catch_up", lambda feed: release.wait(WAIT) and catch_up(feed))
    metadata = tree({"entities/gadget.yaml": GADGET})
    app = make_app(metadata, storage)
    overlay = "customize: gadget\nfields:\n  - {name: size, label: Shoe Size}\n"
    (metadata / "tenants" / "t" / "entities").mkdir()
    (metadata / "tenants" / "t" / "entities" / "gadget.yaml").write_text(overlay)
    try:
        ada = logged_in(app, "ada")
        assert "Shoe Size" in ada.get("/gadget/new").get_data(as_text=True)
    finally:
        release.set()


def test_while_the_os_reports_the_periodic_look_stats_no_tenant_file(tree, storage, monkeypatch):
    metadata = tree({"entities/gadget.yaml": GADGET})
    app = make_app(metadata, storage)
    logged_in(app, "ada")  # the first request starts watching
    watcher = app.extensions[reload.EXTENSION]
    assert watcher.noticing == "watch"
    deadline = time.monotonic() + WAIT
    while watcher._watched is None:  # the look that catches up once the watches are in
        assert time.monotonic() < deadline
        time.sleep(0.01)
    looks = []
    walk = reload.fingerprint
    monkeypatch.setattr(reload, "fingerprint", lambda root: looks.append(root) or walk(root))
    assert not any(watcher.polled_changes() for _ in range(5))
    assert looks == []  # four stats each, not one per file
    replacement = metadata.parent / "next-release"
    shutil.copytree(metadata, replacement)
    metadata.rename(metadata.parent / "previous-release")
    replacement.rename(metadata)  # the OS reports nothing of the new directory...
    watcher.polled_changes()
    assert looks  # ...so every look at it stats its files


def test_writes_to_files_beside_the_metadata_directory_wake_no_thread(tmp_path, monkeypatch):
    """A database or a log beside the metadata directory is written all day long: the
    watch of the directory's parent is told of entries that come, go or move there, not of
    those writes, each of which would wake the server's observer thread."""
    root = tmp_path / "metadata"
    root.mkdir()
    (root / "groups.yaml").write_text("groups: {}\n")
    told = []
    dispatch = change_feed._RootReporter.dispatch
    monkeypatch.setattr(
        change_feed._RootReporter,
        "dispatch",
        lambda reporter, event: told.append(event.event_type) or dispatch(reporter, event),
    )
    feed = ChangeFeed(str(root), changed=lambda: False, rebuild=lambda: None)
    feed.start()
    feed.answered()
    try:
        assert feed.known_mode(WAIT) == "watch"
        with (tmp_path / "busy.sqlite3-wal").open("wb") as busy:
            for _ in range(100):
                busy.write(b"x" * 4096)
                busy.flush()
        (tmp_path / "next.log").write_text("an entry that comes: reported, after the writes")
        deadline = time.monotonic() + WAIT
        while told.count("created") < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        feed.stop()
    assert told == ["created", "created"]  # busy.sqlite3-wal, then next.log
