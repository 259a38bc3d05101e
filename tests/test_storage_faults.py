"""A driver's error, raw or as Peewee wraps it, named for the people it reaches."""

import os
import sqlite3

import peewee
import psycopg2
import pytest

from engine.errors import DatabaseUnreachable, OutOfSpace, TenantBusy, TenantDamaged
from engine.storage.faults import classify


def sqlite_error(tmp_path, how):
    path = tmp_path / "t.sqlite3"
    try:
        how(path)
    except sqlite3.Error as error:
        return error
    raise AssertionError("SQLite raised nothing")


def not_a_database(path):
    path.write_bytes(os.urandom(8192))
    sqlite3.connect(path).execute("PRAGMA journal_mode = wal")


def a_directory(path):
    path.mkdir()
    sqlite3.connect(path).execute("SELECT 1")


def full(path):
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("CREATE TABLE t (v TEXT)")
    pages = connection.execute("PRAGMA page_count").fetchone()[0]
    connection.execute(f"PRAGMA max_page_count = {pages}")
    connection.execute("INSERT INTO t VALUES (?)", ("x" * 20000,))


def locked(path):
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    sqlite3.connect(path, timeout=0, isolation_level=None).execute("BEGIN IMMEDIATE")


@pytest.mark.parametrize(
    ("how", "kind", "code"),
    [
        (not_a_database, TenantDamaged, "tenant_damaged"),
        (a_directory, TenantDamaged, "tenant_damaged"),
        (full, OutOfSpace, "out_of_space"),
        (locked, TenantBusy, "tenant_busy"),
    ],
)
def test_sqlite_errors_raw_and_wrapped_are_named(tmp_path, how, kind, code):
    error = sqlite_error(tmp_path, how)
    wrapped = peewee.OperationalError(error, *error.args)  # as Peewee raises it
    for seen in (error, wrapped):
        found = classify(seen, "t")
        assert isinstance(found, kind) and found.code == code and found.tenant == "t"
        assert "tenant 't'" in str(found) and str(error) in str(found)


def test_errors_of_the_code_are_not_storage_faults(tmp_path):
    error = sqlite_error(tmp_path, lambda path: sqlite3.connect(path).execute("SELEC 1"))
    assert classify(error) is None  # a syntax error: a 500, logged
    assert classify(ValueError("no")) is None
    assert isinstance(classify(OSError(28, "No space left on device")), OutOfSpace)


def test_postgresql_disk_full_and_a_server_out_of_reach_are_named(postgres_url):
    connection = psycopg2.connect(postgres_url)
    try:
        connection.cursor().execute(
            "DO $$ BEGIN RAISE EXCEPTION 'no space' USING ERRCODE = 'disk_full'; END $$"
        )
    except psycopg2.Error as error:
        assert isinstance(classify(error), OutOfSpace)
    connection.close()
    with pytest.raises(psycopg2.OperationalError) as refused:
        psycopg2.connect("postgresql://postgres@127.0.0.1:1/nowhere")
    assert isinstance(classify(refused.value), DatabaseUnreachable)
