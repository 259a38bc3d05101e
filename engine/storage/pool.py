"""The database connections of one process, shared by its tenants and bounded.

A tenant's database (a peewee Database, `PooledConnections`) checks a connection out of
the process's `ConnectionPool` at its first statement on a thread, and the thread gives
it back at the end of its request (`ConnectionPool.release`, the web app's request
teardown) or of its work. No more than `limit` connections are open at once: a checkout
that finds them all in use waits up to `wait` seconds for one to come back, then raises
DatabaseBusy (503), so a crowd of requests neither hangs nor opens connections without end.

Each connection is kept for one key, the tenant it serves now. On PostgreSQL one
connection serves any tenant (`shared`): handed to another tenant, it is switched first
(its search_path set to that tenant's schema alone), and a tenant is handed a connection
that serves it already when one is idle. An SQLite connection is its tenant's file: when
every connection is open, the least recently used idle one is closed for the new file.
A connection in use is never closed for another tenant, nor is one in a transaction
given back. A connection left idle for IDLE_SECONDS is closed when the next one comes
back, so a process that was busy once does not keep its connections for good. An SQLite
connection that falls out of the WARM_IDLE most recently used idle ones frees its page
cache (`shrink_idle`): idle, a warm tenant's file costs its schema, not the pages its last
request read, while the tenants being served keep theirs from one request to the next.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import logging
import math
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

import peewee

from engine.errors import DatabaseBusy

logger = logging.getLogger("formwork.storage")
_EXCEPTIONS = peewee.__exception_wrapper__  # peewee's own: driver errors → peewee errors
IDLE_SECONDS = 300.0  # how long a connection may stay idle before it is closed
WARM_IDLE = 4  # idle connections, the most recently used, that keep their page cache


class Pooled(Protocol):
    """What the pool asks of a tenant's database (`PooledConnections`)."""

    pool_key: str

    def open_connection(self) -> Any:
        """A new connection to the database."""

    def switch_connection(self, connection: Any) -> None:
        """Make a pooled connection serve this database (its tenant)."""

    def connection_alive(self, connection: Any) -> bool:
        """Whether a pooled connection may be handed out again."""

    def in_transaction(self) -> bool:
        """Whether this thread's connection is inside a transaction."""

    def close(self) -> bool:
        """Give this thread's connection back to the pool."""


@dataclass
class _Entry:
    """An open connection: the tenant it serves, the thread that holds it (None: idle),
    and since when it is idle."""

    connection: Any
    key: str
    thread: threading.Thread | None = None
    idle_since: float = 0.0
    shrunk: bool = False  # its page cache freed since it was last used


class ConnectionPool:
    """At most `limit` connections, checked out per tenant and thread (see the module)."""

    def __init__(
        self, limit: int, wait: float, shared: bool, idle_seconds: float | None = None
    ) -> None:
        if limit < 1:
            raise ValueError(f"a pool holds at least one connection, not {limit}")
        self.limit, self.wait, self.shared = limit, wait, shared
        self.idle_seconds = IDLE_SECONDS if idle_seconds is None else idle_seconds
        self.shrink_idle = True  # free an idle connection's cache (off: keep it warm)
        # the hot paths take the condition's lock itself (one call less than the
        # condition's), and notify only when a checkout waits
        self._mutex = threading.RLock()
        self._lock = threading.Condition(self._mutex)
        self._waiting = 0  # checkouts waiting for a connection to come back
        self._idle: collections.OrderedDict[int, _Entry] = collections.OrderedDict()  # LRU first
        self._in_use: dict[int, _Entry] = {}
        self._opening = 0  # connections being opened, outside the lock
        self._held = threading.local()  # the databases holding a connection on this thread
        self._pid = os.getpid()
        self._inherited: list[Any] = []  # a forked parent's: never used, never closed here

    @property
    def open(self) -> int:
        """How many connections are open (or being opened) now."""
        return len(self._idle) + len(self._in_use) + self._opening

    def checkout(self, database: Pooled) -> Any:
        """A connection for `database` on this thread: one idle that serves it, one idle
        switched to it, or a new one; DatabaseBusy after `wait` seconds without any."""
        if self._pid != os.getpid():
            self._after_fork()
        deadline = time.monotonic() + self.wait
        released = False
        while True:
            with self._mutex:
                entry, evicted = self._take(database.pool_key)
                opening = entry is None and self.open < self.limit
                if opening:
                    self._opening += 1
                if entry is None and not opening and released:
                    self._wait_for_room(deadline)
                    continue
            if evicted is not None:
                _close(evicted)
            if entry is not None:
                connection = self._adopt(database, entry)
                if connection is not None:
                    return connection
            elif opening:
                return self._open(database)
            else:  # this thread's own idle connections first: it never waits for itself
                self.release(keep=database)
                released = True

    def _wait_for_room(self, deadline: float) -> None:
        """Wait, with the lock held, until a connection comes back; DatabaseBusy once the
        deadline has passed."""
        self._reclaim_orphans()
        if self.open < self.limit or self._idle:
            return
        left = deadline - time.monotonic()
        if left <= 0:
            raise self._busy()
        self._waiting += 1
        try:
            self._lock.wait(left)
        finally:
            self._waiting -= 1

    def checkin(self, database: Pooled, connection: Any) -> None:
        """Give a connection back, idle for the next checkout (closed if it is broken), and
        close those idle for longer than `idle_seconds`."""
        if self._pid != os.getpid():
            self._after_fork()
        self._forget(database)
        alive = database.connection_alive(connection)
        closing = []
        now = time.monotonic()
        with self._mutex:
            entry = self._in_use.pop(id(connection), None)
            if entry is not None and alive:
                entry.thread, entry.idle_since = None, now
                self._idle[id(connection)] = entry
                self._cool()
            elif entry is not None:
                closing.append(connection)
            closing += self._expired(now)
            if self._waiting:
                self._lock.notify()
        for expired in closing:
            _close(expired)

    def _cool(self) -> None:
        """Free the page cache of the idle connection that the one just given back pushed
        out of the WARM_IDLE most recently used (with the lock held: none takes it
        meanwhile). Each one given back pushes out one at most."""
        if not self.shrink_idle or len(self._idle) <= WARM_IDLE:
            return
        cooled = next(itertools.islice(reversed(self._idle.values()), WARM_IDLE, None))
        if not cooled.shrunk:
            _shrink(cooled.connection)
            cooled.shrunk = True

    def _expired(self, now: float) -> list[Any]:
        """Take out the connections idle for longer than `idle_seconds` (the least recently
        used come first), with the lock held."""
        cutoff, expired = now - self.idle_seconds, []
        while self._idle:
            ident, oldest = next(iter(self._idle.items()))
            if oldest.idle_since > cutoff:
                break
            del self._idle[ident]
            expired.append(oldest.connection)
        return expired

    def discard(self, database: Pooled, connection: Any) -> None:
        """Close a connection that cannot be used again (the server ended it), freeing its
        place; a connection the pool no longer knows is closed all the same."""
        self._after_fork()
        self._forget(database)
        with self._lock:
            self._in_use.pop(id(connection), None)
            self._lock.notify()
        _close(connection)

    def release(self, keep: Pooled | None = None) -> None:
        """Give back every connection this thread holds, but `keep`'s and any inside a
        transaction (a request that ends in one is a fault of the code: logged)."""
        if self._pid != os.getpid():
            self._after_fork()
        for database in list(getattr(self._held, "databases", ())):
            if database is keep:
                continue
            if database.in_transaction():
                if keep is None:
                    logger.error("A connection of %s was left in a transaction.", database.pool_key)
                continue
            database.close()

    def close_idle(self, key: str | None = None) -> None:
        """Close the idle connections (those serving `key` alone, when given)."""
        with self._lock:
            closing = [e for e in self._idle.values() if key is None or e.key == key]
            for entry in closing:
                del self._idle[id(entry.connection)]
            self._lock.notify_all()  # room for new connections
        for entry in closing:
            _close(entry.connection)

    def _take(self, key: str) -> tuple[_Entry | None, Any]:
        """With the lock held: an idle connection that serves `key`, the most recently used
        first; on PostgreSQL any idle one (a SET costs less than a new connection); and on
        SQLite, when no room is left, the least recently used idle file, to be closed."""
        for ident, entry in reversed(self._idle.items()):
            if entry.key == key:
                return self._mark_in_use(ident), None
        if self._idle and self.shared:
            return self._mark_in_use(next(reversed(self._idle))), None
        if self._idle and self.open >= self.limit:
            _, oldest = self._idle.popitem(last=False)
            return None, oldest.connection
        return None, None

    def _mark_in_use(self, ident: int) -> _Entry:
        entry = self._idle.pop(ident)
        entry.thread, entry.shrunk = threading.current_thread(), False
        self._in_use[ident] = entry
        return entry

    def _adopt(self, database: Pooled, entry: _Entry) -> Any | None:
        """The idle connection taken for `database`, alive and switched to its tenant; None
        when it turned out dead (then it is closed, and another is looked for)."""
        connection = entry.connection
        try:
            if not database.connection_alive(connection):
                raise ConnectionError("ended while idle")
            if entry.key != database.pool_key:
                database.switch_connection(connection)
                entry.key = database.pool_key
        except Exception:  # its server ended it: a new one replaces it
            with self._lock:
                self._in_use.pop(id(connection), None)
                self._lock.notify()
            _close(connection)
            return None
        self._remember(database)
        return connection

    def _open(self, database: Pooled) -> Any:
        try:
            connection = database.open_connection()
        except BaseException:
            with self._lock:
                self._opening -= 1
                self._lock.notify()
            raise
        with self._lock:
            self._opening -= 1
            entry = _Entry(connection, database.pool_key, threading.current_thread())
            self._in_use[id(connection)] = entry
        self._remember(database)
        return connection

    def _reclaim_orphans(self) -> None:
        """Free the places of connections held by threads that ended without giving them
        back (with the lock held); their connections are closed."""
        for ident, entry in list(self._in_use.items()):
            if entry.thread is not None and not entry.thread.is_alive():
                del self._in_use[ident]
                logger.warning("A connection of %s was not given back by its thread.", entry.key)
                _close(entry.connection)

    def _busy(self) -> DatabaseBusy:
        return DatabaseBusy(
            f"all {self.limit} database connections of process {os.getpid()} stayed in use "
            f"for {self.wait:g} s (FORMWORK_DATABASE_POOL)",
            retry_after=max(1, math.ceil(self.wait)),
        )

    def _remember(self, database: Pooled) -> None:
        if not hasattr(self._held, "databases"):
            self._held.databases = set()
        self._held.databases.add(database)

    def _forget(self, database: Pooled) -> None:
        getattr(self._held, "databases", set()).discard(database)

    def _after_fork(self) -> None:
        """In a forked child, forget the parent's connections without closing them (that
        would end them for the parent too), and its lock, which a parent's thread may
        have held at the fork."""
        if self._pid == os.getpid():
            return
        self._inherited += [e.connection for e in (*self._idle.values(), *self._in_use.values())]
        self._mutex = threading.RLock()
        self._lock = threading.Condition(self._mutex)
        self._waiting = 0
        self._idle, self._in_use, self._opening = collections.OrderedDict(), {}, 0
        self._held = threading.local()
        self._pid = os.getpid()


def _shrink(connection: Any) -> None:
    """Free the pages an idle SQLite connection keeps in its own cache (up to 2 MB, one
    per warm tenant): its next use reads them again from the OS's file cache, shared by
    every process. A PostgreSQL connection keeps its cache in the server."""
    if isinstance(connection, sqlite3.Connection):
        with contextlib.suppress(sqlite3.Error):
            connection.execute("PRAGMA shrink_memory")


def _close(connection: Any) -> None:
    with contextlib.suppress(Exception):  # it is gone already
        connection.close()


class PooledConnections:
    """A peewee Database mixin whose connections come from a `ConnectionPool` (`pool`;
    None: peewee's own, a connection per thread opened and closed by the database),
    checked out for `pool_key`, the tenant it serves."""

    def __init__(
        self, *args: Any, pool: ConnectionPool | None = None, pool_key: str = "", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.pool, self.pool_key = pool, pool_key
        self._checked_out = threading.local()  # from the pool to peewee's `_connect`

    def connect(self, reuse_if_open: bool = False) -> bool:
        """Check a connection out of the pool, then let peewee set it up; the waiting for
        one happens outside peewee's lock, which `close` on another thread needs."""
        if self.pool is None or not self._state.closed:
            return super().connect(reuse_if_open)
        with _EXCEPTIONS:
            self._checked_out.connection = self.pool.checkout(self)
        try:
            return super().connect(reuse_if_open)
        finally:
            left = self._checked_out.__dict__.pop("connection", None)
            if left is not None:  # peewee failed before it took the connection
                self.pool.discard(self, left)

    def _connect(self) -> Any:
        if self.pool is None:
            return super()._connect()
        return self._checked_out.__dict__.pop("connection")

    def _close(self, connection: Any) -> None:
        if self.pool is None:
            super()._close(connection)
        else:
            self.pool.checkin(self, connection)

    def open_connection(self) -> Any:
        """A new connection of the driver, set up as peewee sets one up."""
        return super()._connect()

    def switch_connection(self, connection: Any) -> None:
        """Make an idle connection of another tenant serve this one (PostgreSQL only)."""
        raise NotImplementedError

    def connection_alive(self, connection: Any) -> bool:
        """Whether a connection can be used again."""
        return True
