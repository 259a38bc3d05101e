"""SQLite's WAL checkpoints run by one thread of the process, not by the save that filled it.

In WAL mode a commit appends the pages it changed to the `-wal` file; a checkpoint copies
them back into the database file and syncs it to disk. By default SQLite runs it inside
the commit that takes the log past 1,000 pages: that save, a person's request, waits for
two syncs of the disk (tens of milliseconds on a virtual disk), and a save that writes
19 pages (a 40-field record, its indexes, its search words and its audit entry) meets
one every ~50 saves.

Here each SQLite database notes its file after a commit (`Checkpoints.written`), and one
daemon thread per process looks, at most once every `every` seconds, at the files written
since its last look: one whose log holds PAGES pages not yet copied (read from the
log's shared index, the `-shm` file, without a connection) is checkpointed. It
checkpoints through the tenant's own database object, so its connection comes from the
process's pool and is given back, within the pool's bound. The checkpoint is PASSIVE: it
never waits for, nor blocks, a reader or a writer.

SQLite's own checkpoint stays as the bound: a connection checkpoints in its commit once
the log passes FALLBACK_PAGES (the thread fell behind, or the process writes without
commits this module sees). With the switch off (`IN_BACKGROUND = False`), SQLite
checkpoints as by default, which tests compare this with.
"""

from __future__ import annotations

import logging
import os
import struct
import threading
import time
from typing import Any

import peewee

logger = logging.getLogger("formwork.storage")

# The switch: False, SQLite checkpoints inside the commit that takes the log past 1,000
# pages, as by default (the plain path)
IN_BACKGROUND = True
# a file written since is looked at this often: under sustained saves (~25,000 pages of
# log a second) a look every second let the log pass FALLBACK_PAGES in between, and a
# save then ran SQLite's 10,000-page checkpoint itself (p99 of a submit 40 ms, not 21 ms)
EVERY_SECONDS = 0.1
PAGES = 1_000  # pages of log not yet copied that call for a checkpoint: SQLite's own
# SQLite's own checkpoint, in the commit, only past this many pages of log (~40 MB)
FALLBACK_PAGES = 10_000


def pragmas() -> dict[str, Any]:
    """The pragmas of a connection whose log this module checkpoints; none when off."""
    return {"wal_autocheckpoint": FALLBACK_PAGES} if IN_BACKGROUND else {}


class Checkpoints:
    """The thread that checkpoints the SQLite databases written since its last look."""

    def __init__(self, every: float = EVERY_SECONDS) -> None:
        self.every = every
        self._reset()
        os.register_at_fork(after_in_child=self._reset)  # a thread does not cross a fork

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._written: dict[int, peewee.Database] = {}
        self._wake = threading.Event()
        self._idle = threading.Condition(self._lock)  # told when a look is over
        self._looking = False
        self._thread: threading.Thread | None = None

    def written(self, database: peewee.Database) -> None:
        """Note that a transaction of `database` committed; its checkpoint comes later."""
        if not IN_BACKGROUND:
            return
        with self._lock:
            self._written[id(database)] = database
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="formwork-checkpoints", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def wait_idle(self) -> None:
        """Checkpoint now every database written, however little log it holds, and return
        once done."""
        with self._lock:
            while self._looking:
                self._idle.wait()
            databases, self._written = list(self._written.values()), {}
        for database in databases:
            checkpoint(database)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            time.sleep(self.every)  # the writes of the next second share one checkpoint
            with self._lock:
                self._wake.clear()
                databases, self._written = list(self._written.values()), {}
                self._looking = True
            try:
                for database in databases:
                    if backlog(database.database) >= PAGES:
                        checkpoint(database)
            finally:
                with self._lock:
                    self._looking = False
                    self._idle.notify_all()


def backlog(path: str) -> int:
    """How many pages of a database's log are not yet copied into its file: the log's
    last frame less the frames copied, as its shared index (`-shm`) keeps them (SQLite's
    documented WAL-index format, in the machine's byte order); 0 when there is no log."""
    try:
        with open(f"{path}-shm", "rb", buffering=0) as index:
            header = index.read(_BACKFILL_AT + 4)
    except OSError:
        return 0
    if len(header) < _BACKFILL_AT + 4:
        return 0
    (last,) = struct.unpack_from("=I", header, _LAST_FRAME_AT)
    (copied,) = struct.unpack_from("=I", header, _BACKFILL_AT)
    return max(last - copied, 0)


# where the WAL-index header keeps mxFrame (the log's last valid frame), and where the
# checkpoint information after its two copies of the header keeps nBackfill
_LAST_FRAME_AT, _BACKFILL_AT = 16, 96


def checkpoint(database: peewee.Database) -> None:
    """Copy the log of `database` into its file, as far as no reader still needs it; on a
    connection of the pool, given back after. A database that cannot be checkpointed now
    (removed, damaged, every connection in use) is left to its next commit."""
    if not os.path.exists(database.database):
        return  # archived or removed since: opening it would make an empty file
    try:
        database.execute_sql("PRAGMA wal_checkpoint(PASSIVE)")
    except Exception as error:  # a background task: logged, never raised
        logger.debug("No checkpoint of %s: %s", getattr(database, "database", database), error)
    finally:
        try:
            if not database.is_closed() and not database.in_transaction():
                database.close()  # back to the pool
        except Exception as error:  # the same
            logger.debug("Could not give back a connection after a checkpoint: %s", error)


CHECKPOINTS = Checkpoints()  # the process's one thread
