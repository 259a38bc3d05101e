"""Opening each tenant's database."""

import sqlite3
from types import SimpleNamespace

import pytest

from engine.storage import databases
from engine.storage.databases import Storage, StorageError


def journal_mode(path):
    with sqlite3.connect(path) as connection:
        return connection.execute("PRAGMA journal_mode").fetchone()[0]


def test_a_new_sqlite_file_is_in_wal_mode(tmp_path):
    storage = Storage(str(tmp_path))
    storage.database("t").execute_sql("SELECT 1")
    storage.close()
    assert journal_mode(tmp_path / "t.sqlite3") == "wal"


def failing_first(times, message):
    """sqlite3 whose connections fail their first `times` statements as SQLite would."""
    calls = []

    def connect(path, **options):
        connection = sqlite3.connect(path, **options)
        calls.append(path)
        if len(calls) > times:
            return connection
        connection.close()
        return SimpleNamespace(execute=_raise(message), close=lambda: None)

    return SimpleNamespace(connect=connect, OperationalError=sqlite3.OperationalError)


def _raise(message):
    def execute(*args):
        raise sqlite3.OperationalError(message)

    return execute


def test_a_file_another_process_is_switching_to_wal_is_opened_once_it_has(tmp_path, monkeypatch):
    # SQLite fails one of two processes switching a new file at once, without waiting
    monkeypatch.setattr(databases, "sqlite3", failing_first(2, "database is locked"))
    storage = Storage(str(tmp_path))
    storage.database("t").execute_sql("SELECT 1")
    storage.close()
    assert journal_mode(tmp_path / "t.sqlite3") == "wal"


def test_a_file_that_cannot_be_opened_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(databases, "sqlite3", failing_first(1, "disk I/O error"))
    with pytest.raises(StorageError, match=r"cannot open the SQLite file .*t\.sqlite3"):
        Storage(str(tmp_path)).database("t")
