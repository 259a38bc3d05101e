"""A tenant's PostgreSQL database: pooled connections, each switched to the tenant's
schema, and a connection the server has dropped replaced.

The connections come from the process's pool (engine.storage.pool), shared by every
tenant: a connection handed to a tenant serving another one until then has its
search_path set to the tenant's schema alone before any statement of the tenant, so no
query of one tenant can name another tenant's tables.

A connection lives from one request to the next, idle in the pool. When the server ends it
(a restart, a failover, `pg_terminate_backend`, an idle timeout), psycopg2 learns of it
only at the next statement, which fails; without help every later request of the thread
would fail too. So:

* before a statement outside a transaction, and before BEGIN, a connection the server
  has already written to while it sat idle (its goodbye, or the end of the socket) is
  dropped for a new one: a look at the socket, not a round trip;
* a read outside a transaction, or a BEGIN, that fails because the connection was lost
  runs once more on a new connection: nothing was written yet;
* a write that loses its connection midway is never run again: the server rolled the
  transaction back, and DatabaseUnreachable says that nothing was saved; one that loses
  it during COMMIT raises SaveUncertain, as only a look can tell whether it was kept.
"""

from __future__ import annotations

import contextlib
import select
from typing import Any

import peewee
from psycopg2.extensions import TRANSACTION_STATUS_IDLE

from engine.errors import DatabaseUnreachable, SaveUncertain
from engine.storage.pool import PooledConnections

_LOST = (peewee.OperationalError, peewee.InterfaceError)


class ReconnectingPostgresqlDatabase(PooledConnections, peewee.PostgresqlDatabase):
    """`peewee.PostgresqlDatabase` of one tenant's schema that never uses a connection the
    server has dropped."""

    def __init__(self, *args: Any, tenant: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, pool_key=tenant or "", **kwargs)
        self.tenant = tenant

    def switch_connection(self, connection: Any) -> None:
        """Make an idle connection serve this tenant: its schema alone on the search_path
        (the tenant's name is a plain identifier: Storage refuses any other)."""
        with connection.cursor() as cursor:
            cursor.execute(f'SET search_path TO "{self.tenant}"')

    def connection_alive(self, connection: Any) -> bool:
        """Open, outside any transaction, and not ended by the server while idle."""
        if connection.closed or connection.get_transaction_status() != TRANSACTION_STATUS_IDLE:
            return False
        return not _readable(connection.fileno())

    def execute_sql(self, sql: str, params: Any = None) -> Any:
        """Run a statement; outside a transaction, again on a new connection if the old was lost."""
        if self.in_transaction():
            return self._in_transaction(sql, params)
        self._drop_if_gone()
        try:
            return super().execute_sql(sql, params)
        except _LOST as error:
            if not self._lost():
                raise
            self._drop()
            if not _reads(sql):  # it may have run before the connection went
                raise DatabaseUnreachable(_lost_message(self.tenant, error), self.tenant) from error
        return super().execute_sql(sql, params)

    def begin(self, *args: Any, **kwargs: Any) -> None:
        """Begin a transaction on a live connection."""
        self._drop_if_gone()
        try:
            super().begin(*args, **kwargs)
            return
        except _LOST:
            if not self._lost():
                raise
            self._drop()
        super().begin(*args, **kwargs)  # nothing was sent but BEGIN: once more, anew

    def commit(self) -> None:
        """Commit; a connection lost during the commit is reported as lost."""
        try:
            super().commit()
        except _LOST as error:
            if not self._lost():
                raise
            raise SaveUncertain(
                f"tenant '{self.tenant}': the connection was lost during COMMIT: {error}",
                self.tenant,
            ) from error

    def rollback(self) -> None:
        """Roll back; a lost connection has rolled back already."""
        try:
            super().rollback()
        except _LOST:
            # the server rolls back the transaction of a connection it lost; failing here
            # would hide the error that ended the transaction
            if not self._lost():
                raise

    def _in_transaction(self, sql: str, params: Any) -> Any:
        try:
            return super().execute_sql(sql, params)
        except _LOST as error:
            if not self._lost():
                raise
            message = f"tenant '{self.tenant}': the connection was lost in a transaction: {error}"
            raise DatabaseUnreachable(message, self.tenant) from error

    def _lost(self) -> bool:
        """Whether this thread's connection is closed (psycopg2 marks it so on losing it)."""
        connection = None if self._state.closed else self._state.conn
        return connection is not None and bool(connection.closed)

    def _drop_if_gone(self) -> None:
        """Outside a transaction: forget a connection that is closed, or that the server
        wrote to while it was idle (nothing is due to an idle connection but its end)."""
        if self._state.closed:
            return
        connection = self._state.conn
        if connection.closed or _readable(connection.fileno()):
            self._drop()

    def _drop(self) -> None:
        """Close this thread's connection quietly; the next statement opens a new one."""
        if self.pool is not None:
            self.pool.discard(self, self._state.conn)  # closed, its place in the pool freed
        else:
            with contextlib.suppress(Exception):  # it is gone already
                self._state.conn.close()
        if not self.in_transaction():
            self._state.reset()


def _readable(descriptor: int) -> bool:
    poller = select.poll()  # not select.select, which takes no descriptor past 1023
    poller.register(descriptor, select.POLLIN)
    return bool(poller.poll(0))


def _reads(sql: str) -> bool:
    """Whether a statement only reads (Peewee writes every SELECT in capitals first)."""
    return sql.lstrip()[:6].upper() == "SELECT"


def _lost_message(tenant: str | None, error: BaseException) -> str:
    reason = " ".join(str(error).split())
    return f"tenant '{tenant}': the connection was lost during a write: {reason}"
