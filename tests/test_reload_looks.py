"""The watcher's looks at the files: the same answer as a plain walk of the tree, and,
while the OS reports changes, a periodic look that stats no tenant's file."""

import shutil
import time
from pathlib import Path

from conftest import SHIPPED
from test_admin import GADGET, logged_in, make_app

from webui import reload

WAIT = 10  # seconds


def plain_fingerprint(root):
    """The look as pathlib writes it: every YAML file's path, mtime and size."""
    found = set()
    for path in Path(root).rglob("*"):
        if path.suffix in (".yaml", ".yml") and path.is_file():
            stat = path.stat()
            found.add((str(path), stat.st_mtime_ns, stat.st_size))
    return frozenset(found)


def test_a_look_finds_what_a_plain_walk_of_the_tree_finds(tmp_path):
    root = tmp_path / "metadata"
    shutil.copytree(SHIPPED, root)
    (root / "tenants" / "retail" / "notes.txt").write_text("not metadata")
    (root / "tenants" / "retail" / "entities" / "old.yml").write_text("entity: old\n")
    (root / "tenants" / "empty").mkdir()
    assert reload.fingerprint(root) == plain_fingerprint(root)
    assert reload.fingerprint(tmp_path / "nowhere") == frozenset()


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
