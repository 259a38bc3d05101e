"""A checkout that finds every connection in use waits, and is handed one the moment
another thread gives one back, not when its wait runs out (engine.storage.pool)."""

from __future__ import annotations

import threading
import time

import pytest

from engine.errors import DatabaseBusy
from engine.storage.pool import ConnectionPool


class Tenant:
    """The part of a tenant's database the pool asks for, with made-up connections."""

    def __init__(self, pool: ConnectionPool, key: str) -> None:
        self.pool, self.pool_key = pool, key

    def open_connection(self):
        return object()

    def switch_connection(self, connection) -> None:
        pass

    def connection_alive(self, connection) -> bool:
        return True

    def in_transaction(self) -> bool:
        return False

    def close(self) -> bool:
        return True


@pytest.mark.parametrize("shared", [False, True])
def test_a_waiting_checkout_gets_the_connection_given_back_at_once(shared):
    pool = ConnectionPool(limit=1, wait=30.0, shared=shared)
    first, second = Tenant(pool, "t"), Tenant(pool, "t" if shared else "u")
    held = pool.checkout(first)
    got, began = [], time.monotonic()
    waiting = threading.Thread(target=lambda: got.append(pool.checkout(second)))
    waiting.start()
    time.sleep(0.3)  # it waits: the only connection is in use
    assert got == []
    pool.checkin(first, held)
    waiting.join(timeout=10)
    assert len(got) == 1 and time.monotonic() - began < 10  # not the 30 s of its wait
    assert pool.open == 1


def test_a_checkout_that_waits_in_vain_is_refused_after_its_wait():
    pool = ConnectionPool(limit=1, wait=0.2, shared=True)
    tenant = Tenant(pool, "t")
    pool.checkout(tenant)
    refused = []

    def wait_in_vain():
        try:
            pool.checkout(Tenant(pool, "t"))
        except DatabaseBusy as error:
            refused.append(error)

    waiting = threading.Thread(target=wait_in_vain)
    waiting.start()
    waiting.join(timeout=10)
    assert len(refused) == 1 and "stayed in use for 0.2 s" in str(refused[0])
