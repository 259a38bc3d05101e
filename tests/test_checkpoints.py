"""A form's save never copies SQLite's log into the database file (a checkpoint, two syncs
of the disk): the process's checkpoint thread does, after the saves, and the file it
leaves holds every record saved; with the switch off, SQLite checkpoints inside the save
that fills the log, as by default (the plain path, this module's oracle)."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from contextlib import closing
from pathlib import Path

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


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def notes_in_the_file_alone(path: Path, tmp_path: Path) -> int:
    """The notes the database file holds without its log (a copy of the file alone)."""
    alone = tmp_path / "alone.sqlite3"
    alone.write_bytes(path.read_bytes())
    with closing(sqlite3.connect(alone)) as database:
        return database.execute("SELECT count(*) FROM note").fetchone()[0]


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
    while checkpoints.backlog(str(path)) >= checkpoints.PAGES and time.monotonic() < deadline:
        time.sleep(0.05)
    assert checkpoints.backlog(str(path)) < checkpoints.PAGES
    assert notes_in_the_file_alone(path, tmp_path) > 0


def test_with_the_switch_off_a_save_checkpoints_as_sqlite_does(
    tree, tmp_path, held_checkpoints, monkeypatch
):
    monkeypatch.setattr(checkpoints, "IN_BACKGROUND", False)
    browser, path = signed_in(tree, tmp_path)
    before = digest(path)
    save_notes(browser)
    assert digest(path) != before  # a save past 1,000 pages of log checkpointed
    assert 0 < notes_in_the_file_alone(path, tmp_path) <= SAVES
