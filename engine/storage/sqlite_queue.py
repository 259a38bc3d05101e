"""An SQLite database whose writers queue on a file lock before they ask for SQLite's.

SQLite's own lock is the guard, and stays so. But a writer that finds it taken sleeps in
SQLite's busy handler for 1, 2, 5, 10… milliseconds, much longer than most write
transactions hold it, so under concurrent saves the processes spend their time asleep.
Waiting on `flock` first instead wakes the next writer the moment the lock is released.
"""

from __future__ import annotations

import fcntl
import os
import threading
from typing import Any, BinaryIO

import peewee

_QUEUED = ("IMMEDIATE", "EXCLUSIVE")  # the transactions that take the write lock at BEGIN


class QueuedSqliteDatabase(peewee.SqliteDatabase):
    """`peewee.SqliteDatabase` whose write transactions first take `<file>-writer`."""

    def __init__(self, database: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self._queue_path = f"{database}-writer"
        self._queue = threading.local()  # a file per thread: flock locks an open file
        self._queue_pid = os.getpid()

    def begin(self, lock_type: str | None = None) -> None:
        if (lock_type or self._lock_type or "").upper() in _QUEUED:
            fcntl.flock(self._queue_file(), fcntl.LOCK_EX)
            self._queue.held = True
        try:
            super().begin(lock_type)
        except BaseException:
            self._leave_queue()
            raise

    def commit(self) -> None:
        super().commit()  # a failed COMMIT is followed by a rollback, which leaves the queue
        self._leave_queue()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._leave_queue()

    def _queue_file(self) -> BinaryIO:
        if self._queue_pid != os.getpid():  # a forked worker: the parent's files are shared
            self._queue = threading.local()
            self._queue_pid = os.getpid()
        if getattr(self._queue, "file", None) is None:
            # closed with the thread's locals, so threads that come and go leak nothing
            self._queue.file = open(self._queue_path, "ab", buffering=0)  # noqa: SIM115
        return self._queue.file

    def _leave_queue(self) -> None:
        if getattr(self._queue, "held", False):
            self._queue.held = False
            fcntl.flock(self._queue.file, fcntl.LOCK_UN)
