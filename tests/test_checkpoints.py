"""A form's save never copies SQLite's log into the database file (a checkpoint, two syncs
of the disk): the process's checkpoint thread does, after the saves, and the file it
leaves holds every record saved; with the switch off, SQLite checkpoints inside the save
that fills the log, as by default (the plain path, this module's oracle)."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import peewee
import pytest
from test_pages import Browser, make_app

from engine import users
from engine.storage import checkpoints
from engine.storage.databases import Storage

NOTE = """\
entity: note
label: Note
plural: Notes
title_field: title
fields:
  - {name: title, sequence: 1, label: Title, input_type: text, group: MAIN, in_list: true}
  - {name: body, sequence: 2, label: Body, input_type: text, group: MAIN, max_length: 20000}
"""
SAVES = 120  # of five pages of text each: past the 1,000 pages of log SQLite checkpoints at


@pytest.fixture
def held_checkpoints(monkeypatch):
    """The process's checkpoint thread, made to wait an hour before each look: only
    `wait_idle` checkpoints during the test."""
    held = checkpoints.Checkpoints(every=3600)
    monkeypatch.setattr(checkpoints, "CHECKPOINTS", held)
    return held


def signed_in(tree, tmp_path) -> tuple[Browser, Path]:
    storage = Storage(data_dir=str(tmp_path / "data"))
    app = make_app(tree({"entities/note.yaml": NOTE}), storage)
    users.add_user(app.extensions["formwork"].registry.tenant("t"), "ann", "editor",
                   "correct horse battery")  # fmt: skip
    browser = Browser(app, "t")
    assert browser.login("ann").status_code == 302
    return browser, Path(storage.data_dir) / "t.sqlite3"


def save_notes(browser: Browser) -> None:
    for number in range(SAVES):
        body = f"Note {number}: " + "words of a long note " * 900
        saved = browser.post("/note/new", {"title": f"Note {number}", "body": body})
        assert saved.status_code == 302, saved.get_data(as_text=True)[:500]


def read_apart(path: Path) -> bytes:
    """The file's bytes, read by a process of its own: a descriptor of a database's file
    closed in this one would drop the POSIX locks its SQLite connections hold on it."""
    code = "import sys; sys.stdout.buffer.write(open(sys.argv[1], 'rb').read())"
    return subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          check=True).stdout  # fmt: skip


def digest(path: Path) -> str:
    return hashlib.sha256(read_apart(path)).hexdigest()


def notes_in_the_file_alone(path: Path, tmp_path: Path) -> int:
    """The notes the database file holds without its log (a copy of the file alone)."""
    alone = tmp_path / "alone.sqlite3"
    alone.write_bytes(read_apart(path))
    with closing(sqlite3.connect(alone)) as database:
        return database.execute("SELECT count(*) FROM note").fetchone()[0]


def index_held_open(path: Path) -> bool:
    """Whether another process finds the log's shared index (`-shm`) in use: SQLite's unix
    VFS has each process with the database open hold a read lock on its byte 128 (the
    DMS lock); a process that finds none takes the index for abandoned and rebuilds it."""
    code = (
        "import fcntl, os, sys\n"
        "index = os.open(sys.argv[1], os.O_RDWR)\n"
        "try:\n"
        "    fcntl.lockf(index, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 128)\n"
        "except OSError:\n"
        "    sys.exit(3)\n"
    )
    return subprocess.run([sys.executable, "-c", code, f"{path}-shm"]).returncode == 3


def test_saves_leave_the_checkpoint_to_the_thread(tree, tmp_path, held_checkpoints):
    browser, path = signed_in(tree, tmp_path)
    before = digest(path)
    save_notes(browser)
    assert digest(path) == before  # no save copied the log into the file
    held_checkpoints.wait_idle()
    assert notes_in_the_file_alone(path, tmp_path) == SAVES
    assert browser.get("/note/").status_code == 200


def test_the_thread_checkpoints_a_long_log_by_itself(tree, tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoints, "CHECKPOINTS", checkpoints.Checkpoints(every=0.01))
    browser, path = signed_in(tree, tmp_path)
    save_notes(browser)
    deadline = time.monotonic() + 60  # a bound for a loaded machine, not a measurement
    done = SAVES - SAVES % checkpoints.COMMITS  # the saves of the checkpoints it was due
    while notes_in_the_file_alone(path, tmp_path) < done and time.monotonic() < deadline:
        time.sleep(0.05)
    assert notes_in_the_file_alone(path, tmp_path) >= done


def test_the_thread_leaves_sqlites_locks_on_the_shared_index(tree, tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoints, "CHECKPOINTS", checkpoints.Checkpoints(every=0.01))
    browser, path = signed_in(tree, tmp_path)
    assert index_held_open(path)
    save_notes(browser)  # the thread is due twice meanwhile
    checkpoints.CHECKPOINTS.wait_idle()
    assert index_held_open(path)  # this process's connections still hold it
    assert browser.get("/note/").status_code == 200


def test_with_the_switch_off_a_save_checkpoints_as_sqlite_does(
    tree, tmp_path, held_checkpoints, monkeypatch
):
    monkeypatch.setattr(checkpoints, "IN_BACKGROUND", False)
    browser, path = signed_in(tree, tmp_path)
    before = digest(path)
    save_notes(browser)
    assert digest(path) != before  # a save past 1,000 pages of log checkpointed
    assert 0 < notes_in_the_file_alone(path, tmp_path) <= SAVES


def test_the_counts_of_databases_gone_are_dropped():
    """A process serving thousands of tenants in turn drops a tenant's database from its
    cache before its log is due: its count goes with it, past PRUNE_AT entries."""
    counts = checkpoints.Checkpoints(every=3600)
    kept = [peewee.SqliteDatabase(None) for _ in range(10)]
    for database in kept:
        counts.written(database)
    for _ in range(5 * checkpoints.PRUNE_AT):
        counts.written(peewee.SqliteDatabase(None))  # gone once written
    assert len(counts._written) <= checkpoints.PRUNE_AT + 1
    assert all(id(database) in counts._written for database in kept)
