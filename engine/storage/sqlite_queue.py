"""An SQLite database whose writers queue on a file lock before they ask for SQLite's.

SQLite's own lock is the guard, and stays so. But a writer that finds it taken sleeps in
SQLite's busy handler for 1, 2, 5, 10… milliseconds, much longer than most write
transactions hold it, so under concurrent saves the processes spend their time asleep.
Waiting on `flock` first instead wakes the next writer the moment the lock is released.

A writer waits a bounded time (`wait`, FORMWORK_WRITE_WAIT_SECONDS in the web app), then
gives up with TenantBusy: a long import must not hold every worker of the server in a
queue that never moves. `flock` itself cannot give up, so a writer that has to wait
hands the waiting to one thread per file and process (`_Gate`), which takes the lock for
the first writer still waiting, and lets go of it when none is left. Under concurrent
saves writers wait often, one after the other: the thread stays for LINGER_SECONDS after
its last writer rather than being started again for the next (a thread start costs more
CPU than the whole wait).

Each SQLite connection keeps a descriptor of its own on the lock file (a bare file
descriptor, no Python file object), opened at its first write and closed with it, so a
save neither opens nor closes a file: the descriptors are bounded by the pool's open
connections (engine.storage.pool), like the database files themselves. A connection is
used by one thread at a time, and a descriptor opened in another process (before a fork)
is never used: flock locks an open file description, which a fork shares. The gate's
thread keeps the descriptors its writers hand back while it runs, and closes them when
it ends. With the switch off (KEEP_LOCK_OPEN = False), the lock file is opened for each
write transaction and closed after it, as before; tests compare the two.
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import math
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import peewee

from engine.errors import TenantBusy
from engine.storage.pool import PooledConnections

_QUEUED = ("IMMEDIATE", "EXCLUSIVE")  # the transactions that take the write lock at BEGIN
LINGER_SECONDS = 1.0  # how long a gate's thread waits for another writer before it ends
# The switch: False, each write transaction opens the lock file and closes it after (the
# plain path, which tests/test_sqlite_queue.py compares this with)
KEEP_LOCK_OPEN = True


def _open_lock(path: str) -> int:
    """A descriptor of its own on the lock file: flock locks an open file description, so
    each writer queues on its own."""
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)


class WriterConnection(sqlite3.Connection):
    """An SQLite connection that keeps its own descriptor on its database's lock file,
    opened by the process that uses it, and closed with the connection."""

    lock_file: int | None = None
    lock_pid = 0  # the process that opened `lock_file`

    def lock_descriptor(self, path: str) -> int:
        """This connection's descriptor on the lock file at `path`, opened on first use
        (again in a forked child: the parent's would share its locks)."""
        pid = os.getpid()
        if self.lock_file is None or self.lock_pid != pid:
            self.lock_file, self.lock_pid = _open_lock(path), pid  # a parent's stays its own
        return self.lock_file

    def close(self) -> None:
        """Close the connection and its descriptor on the lock file."""
        try:
            super().close()
        finally:
            self._close_lock()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at exit os may be gone: the OS closes it
            self._close_lock()

    def _close_lock(self) -> None:
        file, self.lock_file = self.lock_file, None
        if file is not None and self.lock_pid == os.getpid():
            os.close(file)


class _Waiter:
    """One writer waiting at the gate: told by `ready`, handed the locked `file`."""

    def __init__(self) -> None:
        self.ready = threading.Event()
        self.file: int | None = None


class _Gate:
    """Takes the writer lock of one file for the threads of this process that wait for it,
    first come first served, each waiting no longer than it said."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._mutex = threading.Lock()
        self._waiting: collections.deque[_Waiter] = collections.deque()
        self._arrived = threading.Condition(self._mutex)  # a writer joined the queue
        self._taking = False  # whether the thread that takes the lock runs
        self._spare: list[int] = []  # descriptors handed back, kept while the thread runs

    def wait(self, seconds: float) -> int | None:
        """The descriptor holding the lock, or None when `seconds` passed first."""
        waiter = _Waiter()
        with self._mutex:
            self._waiting.append(waiter)
            if self._taking:
                self._arrived.notify()
            else:
                self._taking = True
                name = f"sqlite-writer-gate {self.path}"
                threading.Thread(target=self._take, name=name, daemon=True).start()
        if waiter.ready.wait(seconds):
            return waiter.file
        with self._mutex:
            if waiter.file is not None:  # handed over as the time ran out
                return waiter.file
            self._waiting.remove(waiter)
        return None

    def _take(self) -> None:
        while True:
            with self._mutex:
                if not self._waiting and not self._arrived.wait_for(
                    lambda: self._waiting, LINGER_SECONDS
                ):
                    self._taking = False
                    for spare in self._spare:
                        os.close(spare)
                    self._spare.clear()
                    return
                file = self._spare.pop() if self._spare else None
            if file is None:
                file = _open_lock(self.path)  # handed to a writer, which gives it back
            fcntl.flock(file, fcntl.LOCK_EX)  # the moment the holder lets go
            with self._mutex:
                if self._waiting:
                    waiter = self._waiting.popleft()
                    waiter.file = file
                    waiter.ready.set()
                    continue
            fcntl.flock(file, fcntl.LOCK_UN)  # everyone gave up meanwhile
            self.give_back(file)

    def give_back(self, file: int) -> None:
        """Take back a descriptor this gate handed to a writer, unlocked: kept for the next
        writer while the thread runs (and the switch is on), else closed."""
        with self._mutex:
            if KEEP_LOCK_OPEN and self._taking:
                self._spare.append(file)
                return
        os.close(file)


class QueuedSqliteDatabase(PooledConnections, peewee.SqliteDatabase):
    """`peewee.SqliteDatabase` whose write transactions first take `<file>-writer`,
    waiting at most `wait` seconds for it."""

    def __init__(self, database: str, *args: Any, wait: float = 5.0, **kwargs: Any) -> None:
        kwargs.setdefault("factory", WriterConnection)  # keeps its lock file open
        super().__init__(database, *args, **kwargs)
        self.wait = wait
        self._queue_path = f"{database}-writer"
        self._queue = threading.local()  # the file locked by this thread's transaction
        self._gate_pid = os.getpid()
        self._gate = _Gate(self._queue_path)

    def connection_alive(self, connection: Any) -> bool:
        """Open and outside any transaction: fit to be given to the next request."""
        try:
            return not connection.in_transaction
        except peewee.sqlite3.ProgrammingError:  # closed
            return False

    def begin(self, lock_type: str | None = None) -> None:
        """Begin a transaction; a write transaction first waits its turn in the file's queue."""
        if (lock_type or self._lock_type or "").upper() in _QUEUED:
            self._queue.held = self._take_queue()
        try:
            super().begin(lock_type)
        except BaseException:
            self._leave_queue()
            raise

    def commit(self) -> None:
        """Commit, then let the next writer in."""
        super().commit()  # a failed COMMIT is followed by a rollback, which leaves the queue
        self._leave_queue()

    def rollback(self) -> None:
        """Roll back, then let the next writer in."""
        try:
            # SQLite may have rolled back already (a full disk, an I/O error): a ROLLBACK
            # then fails and would hide the error that caused it
            if self.is_closed() or self._state.conn.in_transaction:
                super().rollback()
        finally:
            self._leave_queue()

    def _take_queue(self) -> tuple[int, Callable[[int], None] | None]:
        """The locked descriptor, and what to do with it once unlocked (None: keep it)."""
        connection = self.connection()
        kept = KEEP_LOCK_OPEN and isinstance(connection, WriterConnection)
        own = connection.lock_descriptor(self._queue_path) if kept else _open_lock(self._queue_path)
        try:
            fcntl.flock(own, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return own, (None if kept else os.close)
        except BlockingIOError:
            if not kept:
                os.close(own)
        gate = self._gate_of_this_process()
        handed = gate.wait(self.wait)
        if handed is None:
            tenant = Path(self.database).stem
            raise TenantBusy(
                f"tenant '{tenant}': another write held {self._queue_path} for more than "
                f"{self.wait:g} s",
                tenant,
                retry_after=max(1, math.ceil(self.wait)),
            )
        return handed, gate.give_back

    def _gate_of_this_process(self) -> _Gate:
        if self._gate_pid != os.getpid():  # a forked worker: the parent's gate is not its own
            self._gate_pid = os.getpid()
            self._gate = _Gate(self._queue_path)
        return self._gate

    def _leave_queue(self) -> None:
        held = getattr(self._queue, "held", None)
        if held is not None:
            self._queue.held = None
            file, leave = held
            fcntl.flock(file, fcntl.LOCK_UN)
            if leave is not None:  # a connection's own descriptor stays open
                leave(file)
