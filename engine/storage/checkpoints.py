"""SQLite's WAL checkpoints run by one thread of the process, not by the save that filled it.

In WAL mode a commit appends the pages it changed to the `-wal` file; a checkpoint copies
them back into the database file and syncs it to disk. By default SQLite runs it inside
the commit that takes the log past 1,000 pages: that save, a person's request, waits for
two syncs of the disk (tens of milliseconds on a virtual disk), and a save that writes
19 pages (a 40-field record, its indexes, its search words and its audit entry) meets
one every ~50 saves.

Here each SQLite database counts its commits (`Checkpoints.written`), and one daemon
thread per process is woken when a database has had COMMITS of them since its last
checkpoint (about the 1,000 pages of log SQLite's own waits for), waits `every` seconds
for the commits that follow, and checkpoints it. It checkpoints through the tenant's own
database object, so its connection comes from the process's pool and is given back,
within the pool's bound. The checkpoint is PASSIVE: it never waits for, nor blocks, a
reader or a writer.

The log's own count of pages is not read: it is kept in the shared index (the `-shm`
file), and a process that opens and closes that file by a descriptor of its own drops
every POSIX lock its SQLite connections hold on it. Another process may then take the
index for abandoned and rebuild it under them (a worker killed by SIGBUS, or worse).

SQLite's own checkpoint stays as the bound: a connection checkpoints in its commit once
the log passes FALLBACK_PAGES (the thread fell behind, or the process writes without
commits this module sees). With the switch off (`IN_BACKGROUND = False`), SQLite
checkpoints as by default, which tests compare this with.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from typing import Any

import peewee

logger = logging.getLogger("formwork.storage")

# The switch: False, SQLite checkpoints inside the commit that takes the log past 1,000
# pages, as by default (the plain path)
IN_BACKGROUND = True
# how long the thread waits, once a database is due, for the commits that follow to share
# its checkpoint: under sustained saves (~25,000 pages of log a second) a second's wait
# let the log pass FALLBACK_PAGES meanwhile, and a save then ran SQLite's 10,000-page
# checkpoint itself (p99 of a submit 40 ms, not 21 ms)
EVERY_SECONDS = 0.1
# commits since a database's last checkpoint that call for the next: a save writes about
# 20 pages of log, so about the 1,000 pages SQLite's own checkpoint waits for; a larger
# transaction (an import's) is bounded by SQLite's own checkpoint at FALLBACK_PAGES
COMMITS = 50
PRUNE_AT = 1_024  # databases counted before those gone are looked for
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
        # by id: the database (held weakly: a tenant dropped from the cache goes) and its
        # commits since its last checkpoint
        self._written: dict[int, tuple[weakref.ref, int]] = {}
        self._prune_at = PRUNE_AT  # entries past which those of databases gone are dropped
        self._wake = threading.Event()
        self._idle = threading.Condition(self._lock)  # told when a look is over
        self._looking = False
        self._thread: threading.Thread | None = None

    def written(self, database: peewee.Database) -> None:
        """Note that a transaction of `database` committed; its checkpoint comes later."""
        if not IN_BACKGROUND:
            return
        with self._lock:
            key = id(database)
            held, commits = self._written.get(key, (None, 0))
            if held is None or held() is not database:  # new, or another that had its id
                held, commits = weakref.ref(database), 0
            self._written[key] = (held, commits + 1)
            if len(self._written) > self._prune_at:
                self._prune()
            if commits + 1 < COMMITS:
                return
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="formwork-checkpoints", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def _prune(self) -> None:
        """Drop the counts of databases gone (tenants dropped from the cache before their
        log was due), holding the lock; the next prune waits for twice as many entries."""
        gone = [key for key, (held, _) in self._written.items() if held() is None]
        for key in gone:
            del self._written[key]
        self._prune_at = max(PRUNE_AT, 2 * len(self._written))

    def wait_idle(self) -> None:
        """Checkpoint now every database written, however little log it holds, and return
        once done."""
        with self._lock:
            while self._looking:
                self._idle.wait()
            held, self._written = [ref for ref, _ in self._written.values()], {}
        for database in (ref() for ref in held):
            if database is not None:
                checkpoint(database)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            time.sleep(self.every)  # the writes of the next second share one checkpoint
            with self._lock:
                self._wake.clear()
                due = [key for key, (_, commits) in self._written.items() if commits >= COMMITS]
                databases = [self._written.pop(key)[0]() for key in due]
                self._looking = True
            try:
                for database in databases:
                    if database is not None:
                        checkpoint(database)
            finally:
                with self._lock:
                    self._looking = False
                    self._idle.notify_all()


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
