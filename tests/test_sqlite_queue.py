"""SQLite writers queue on a file lock: taken by each write transaction, always given back.

Every test runs twice: with each connection keeping its descriptor on the lock file
(KEEP_LOCK_OPEN, the shortcut) and with one opened per write transaction (the plain path).
"""

import contextlib
import fcntl
import os
import sqlite3
import threading
import time

import peewee
import pytest

from engine.errors import TenantBusy
from engine.storage import sqlite_queue
from engine.storage.sqlite_queue import QueuedSqliteDatabase


@pytest.fixture(params=[True, False], ids=["kept", "plain"])
def database(tmp_path, monkeypatch, request):
    monkeypatch.setattr(sqlite_queue, "KEEP_LOCK_OPEN", request.param)
    path = tmp_path / "t.sqlite3"
    database = QueuedSqliteDatabase(
        str(path), pragmas={"journal_mode": "wal"}, lock_type="IMMEDIATE", timeout=0.2
    )
    database.execute_sql("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    yield database
    database.close()


def queue_is_free(database) -> bool:
    """Whether another writer could take the queue now (an open file of its own)."""
    with open(database._queue_path, "ab") as other:
        try:
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(other, fcntl.LOCK_UN)
        return True


def test_a_write_transaction_holds_the_queue_until_it_commits(database):
    with database.atomic():
        database.execute_sql("INSERT INTO item (name) VALUES ('a')")
        assert not queue_is_free(database)
    assert queue_is_free(database)
    assert database.execute_sql("SELECT count(*) FROM item").fetchone() == (1,)


def test_a_failed_transaction_gives_the_queue_back_and_writes_nothing(database):
    with pytest.raises(peewee.IntegrityError), database.atomic():
        database.execute_sql("INSERT INTO item (name) VALUES ('a')")
        database.execute_sql("INSERT INTO item (name) VALUES (NULL)")
    assert queue_is_free(database)
    assert database.execute_sql("SELECT count(*) FROM item").fetchone() == (0,)


def test_a_begin_refused_by_sqlite_gives_the_queue_back(database, tmp_path):
    # a writer that does not queue (another program) holds SQLite's own lock
    outsider = sqlite3.connect(tmp_path / "t.sqlite3", isolation_level=None)
    outsider.execute("BEGIN IMMEDIATE")
    with pytest.raises(peewee.OperationalError, match="locked"), database.atomic():
        pass
    assert queue_is_free(database)
    outsider.execute("ROLLBACK")
    with database.atomic():  # and the next write goes through
        database.execute_sql("INSERT INTO item (name) VALUES ('b')")
    assert database.execute_sql("SELECT count(*) FROM item").fetchone() == (1,)


def test_reads_and_nested_blocks_take_no_queue_of_their_own(database):
    database.execute_sql("SELECT count(*) FROM item")  # outside a transaction: no queue
    assert queue_is_free(database)
    with database.atomic(), database.atomic():  # the inner one is a savepoint
        database.execute_sql("INSERT INTO item (name) VALUES ('a')")
    assert queue_is_free(database)


def test_threads_of_one_process_queue_too(database):
    failures = []

    def write(worker: int) -> None:
        try:
            for index in range(50):
                with database.atomic():
                    database.execute_sql(
                        "INSERT INTO item (name) VALUES (?)", (f"{worker}-{index}",)
                    )
        except Exception as error:  # reported below, with the thread's failure
            failures.append(error)

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # SQLite's busy timeout is 0.2 s here: without the queue, some of them would give up
    assert failures == []
    assert database.execute_sql("SELECT count(*) FROM item").fetchone() == (200,)


@pytest.fixture
def held(database):
    """The queue taken by another writer (an import in another process, say) until the
    test lets go of it."""
    with open(database._queue_path, "ab") as other:
        fcntl.flock(other, fcntl.LOCK_EX)
        yield other
        fcntl.flock(other, fcntl.LOCK_UN)


def test_a_writer_waits_its_bound_for_a_held_queue_then_says_busy(database, held):
    database.wait = 0.3
    busy = r"another write held .*t\.sqlite3-writer for more than"
    with pytest.raises(TenantBusy, match=busy), database.atomic():
        database.execute_sql("INSERT INTO item (name) VALUES ('a')")
    # reads go on meanwhile, and nothing was written
    assert database.execute_sql("SELECT count(*) FROM item").fetchone() == (0,)


def test_a_writer_that_waits_goes_on_the_moment_the_queue_is_let_go(database, held):
    database.wait = 60  # a bound it never needs
    written = threading.Event()

    def write():
        with database.atomic():
            database.execute_sql("INSERT INTO item (name) VALUES ('waited')")
        written.set()

    writer = threading.Thread(target=write)
    writer.start()
    assert not written.wait(0.2)  # queued behind the holder
    fcntl.flock(held, fcntl.LOCK_UN)
    assert written.wait(10)
    writer.join()
    assert database.execute_sql("SELECT name FROM item").fetchall() == [("waited",)]
    assert queue_is_free(database)


def test_writers_that_gave_up_leave_the_queue_free_for_the_next(database, held):
    database.wait = 0.05
    for _ in range(3):
        with pytest.raises(TenantBusy), database.atomic():
            pass
    fcntl.flock(held, fcntl.LOCK_UN)
    database.wait = 10
    with database.atomic():  # the gate let go of the lock it took for nobody
        database.execute_sql("INSERT INTO item (name) VALUES ('after')")
    assert database.execute_sql("SELECT count(*) FROM item").fetchone() == (1,)
    # the gate's thread, woken by the holder's unlock, may take the lock for nobody
    # just after this writer's commit: it lets go of it at once
    deadline = time.monotonic() + 2
    while not queue_is_free(database) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert queue_is_free(database)


def test_a_transaction_sqlite_rolled_back_itself_reports_why_not_the_rollback(database):
    count = database.execute_sql("PRAGMA page_count").fetchone()[0]
    database.execute_sql(f"PRAGMA max_page_count = {count}")  # the disk is full
    full = pytest.raises(peewee.OperationalError, match="database or disk is full")
    with full, database.atomic():
        for _ in range(50):
            database.execute_sql("INSERT INTO item (name) VALUES (?)", ("x" * 1000,))
    assert queue_is_free(database)
    database.execute_sql("PRAGMA max_page_count = 1000000")  # space again
    with database.atomic():
        database.execute_sql("INSERT INTO item (name) VALUES ('fits')")
    assert database.execute_sql("SELECT count(*) FROM item").fetchone() == (1,)


def gate_threads(database) -> list[threading.Thread]:
    """The threads taking the queue's lock for this database's waiting writers."""
    name = f"sqlite-writer-gate {database._queue_path}"
    return [t for t in threading.enumerate() if t.name == name]


def test_writers_that_wait_one_after_another_share_one_gate_thread(database, monkeypatch):
    """Under concurrent saves writers wait again and again: the thread that takes the
    lock for them stays a moment for the next rather than being started anew, and ends
    once no writer came for LINGER_SECONDS."""
    monkeypatch.setattr(sqlite_queue, "LINGER_SECONDS", 0.5)
    database.wait = 10
    seen = []
    for name in ("first", "second"):
        with open(database._queue_path, "ab") as other:
            fcntl.flock(other, fcntl.LOCK_EX)  # another process's writer holds the queue
            writer = threading.Thread(target=insert_and_close, args=(database, name))
            writer.start()
            writer.join(0.2)
            assert writer.is_alive()  # queued behind the holder
            seen += gate_threads(database)
            fcntl.flock(other, fcntl.LOCK_UN)
        writer.join(10)
    assert len(seen) == 2 and seen[0] is seen[1]
    assert [r[0] for r in database.execute_sql("SELECT name FROM item")] == ["first", "second"]
    seen[0].join(5)
    assert not seen[0].is_alive() and gate_threads(database) == []
    assert queue_is_free(database)
    assert lock_files(database) == 0  # the gate closed the descriptors handed back to it


def insert(database, name: str) -> None:
    with database.atomic():
        database.execute_sql("INSERT INTO item (name) VALUES (?)", (name,))


def insert_and_close(database, name: str) -> None:
    """A thread's write, then its connection closed, as a request ends."""
    insert(database, name)
    database.close()


def lock_files(database) -> int:
    """How many descriptors of this process are open on the database's lock file."""
    wanted = os.path.realpath(database._queue_path)
    folder = "/proc/self/fd"
    found = 0
    for name in os.listdir(folder):
        with contextlib.suppress(OSError):  # closed meanwhile (the listing's own)
            found += os.readlink(f"{folder}/{name}") == wanted
    return found


def test_a_connection_opens_the_lock_file_once_for_all_its_writes(database, monkeypatch):
    opened = []
    real_open = sqlite_queue._open_lock
    monkeypatch.setattr(
        sqlite_queue, "_open_lock", lambda path: opened.append(path) or real_open(path)
    )
    for index in range(20):
        insert(database, f"item {index}")
        assert queue_is_free(database)
    kept = sqlite_queue.KEEP_LOCK_OPEN
    assert len(opened) == (1 if kept else 20)
    assert lock_files(database) == (1 if kept else 0)
    database.close()  # the connection's descriptor goes with it
    assert lock_files(database) == 0
    assert database.execute_sql("SELECT count(*) FROM item").fetchone() == (20,)


def test_a_forked_child_locks_on_a_descriptor_of_its_own(database):
    """flock locks an open file description, which a fork shares: a child locking its
    parent's descriptor would find the lock its own and write beside the parent."""
    insert(database, "before")
    connection = database.connection()
    with database.atomic():  # the parent holds the queue
        database.execute_sql("INSERT INTO item (name) VALUES ('parent')")
        child = os.fork()
        if child == 0:  # pragma: no cover (the child's exit code says it)
            code = 2
            try:
                file = connection.lock_descriptor(database._queue_path)
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                code = 1  # it took the lock the parent holds
            except BlockingIOError:
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert queue_is_free(database)
