"""Large imports: 100,000 rows land exactly, and an import killed halfway leaves nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg2

from engine.bulk.importer import import_records
from engine.bulk.tables import read_csv

ROWS = 100_000
KINDS = ("company", "person")


def accounts_csv(rows: int) -> bytes:
    lines = ["Name,Credit Limit,Opened,Kind,Nickname,Note"]
    for i in range(rows):
        kind = KINDS[i % 2]
        nickname = f"nick {i}" if kind == "person" else ""
        opened = f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}"
        lines.append(f"Account {i},{i % 1000}.5,{opened},{kind},{nickname},n{i}")
    return ("\n".join(lines) + "\n").encode()


def test_a_hundred_thousand_rows_land_exactly(service):
    result = import_records(service, "t", "account", read_csv(accounts_csv(ROWS), "big.csv"))
    assert (result.created, result.committed, result.rejected) == (ROWS, True, [])
    target = service.target("t", "account")
    model = target.model
    assert model.select().count() == ROWS
    assert model.select().where(model.kind == "person").count() == ROWS // 2
    last = service.list("t", "account", sort="-id", limit=1)["items"][0]
    assert (last["number"], last["name"], last["credit_limit"]) == (
        f"3897-{ROWS:04d}",
        f"Account {ROWS - 1}",
        999.5,
    )
    assert last["nickname"] == f"nick {ROWS - 1}" and last["opened"] == "2024-04-12"
    audit = target.tenant.system.audit
    assert audit.select().where(audit.entity == "account").count() == ROWS
    assert (
        service.create("t", "account", {"name": "After"}, "me")["number"] == f"3897-{ROWS + 1:04d}"
    )


def _formwork() -> str:
    return str(Path(sys.executable).parent / "formwork")


def _writing_started(storage, pid: int) -> bool:
    """Whether the import has begun to write rows (it holds its transaction open)."""
    if storage.database_url:
        connection = psycopg2.connect(storage.database_url)
        try:
            cursor = connection.cursor()
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database()"
                " AND (query LIKE 'COPY %%' OR query LIKE 'INSERT INTO %%')",
            )
            return cursor.fetchone()[0] > 0
        finally:
            connection.close()
    # the import keeps its pages in memory until it commits, then writes some 40 MB of log
    # in a few tens of milliseconds: the first megabyte of it says the commit has begun
    wal = Path(storage.data_dir) / "t.sqlite3-wal"
    return wal.exists() and wal.stat().st_size > 1_000_000


def test_an_import_killed_halfway_leaves_the_database_as_it_was(service, storage, tmp_path):
    before = service.create("t", "account", {"name": "Before"}, "me")
    path = tmp_path / "big.csv"
    path.write_bytes(accounts_csv(ROWS))
    place = (
        ["--database", storage.database_url]
        if storage.database_url
        else ["--data", str(storage.data_dir)]
    )
    metadata = tmp_path / "metadata"  # where the service fixture wrote it
    command = [
        _formwork(),
        "import",
        "t",
        "account",
        str(path),
        "--metadata",
        str(metadata),
        *place,
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not _writing_started(storage, process.pid):
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "the import never started writing"
        time.sleep(0.05 if storage.database_url else 0.001)  # SQLite: within the commit
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    storage.close()  # this process reads again from a new connection

    target = service.target("t", "account")
    assert [r.name for r in target.model.select()] == ["Before"]
    audit = target.tenant.system.audit
    assert audit.select().where(audit.entity == "account").count() == 1
    # the numbering, the write lock and the file are all fine afterwards
    after = service.create("t", "account", {"name": "After"}, "me")
    assert after["number"] == "3897-0002" and before["number"] == "3897-0001"
    small = import_records(service, "t", "account", read_csv(accounts_csv(3), "small.csv"))
    assert small.created == 3
