"""Failed logins slow down whoever keeps guessing: per user name and per client (its IP).

Failures are rows of the tenant's database (`formwork_login_failure`), so every worker
process and every host counts the same ones. Within WINDOW, the first failures of a key
cost nothing; after that each try must wait twice as long as the one before, up to
LONGEST_WAIT. Failures older than WINDOW stop counting, so nobody is shut out for good,
and a login that succeeds clears its user name's count (not its client's).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from engine.registry import CompiledTenant

WINDOW = timedelta(minutes=15)
FREE_FAILURES = {"user": 5, "client": 20}  # per key kind, within WINDOW, before waits begin
LONGEST_WAIT = timedelta(minutes=15)


def now() -> datetime:
    """The current instant, naive UTC as stored (tests move it)."""
    return datetime.now(UTC).replace(tzinfo=None)


def keys(username: str, client: str | None) -> list[str]:
    """What a login attempt counts against: its user name, and its client's IP."""
    found = [f"user:{username.strip().lower()[:150]}"]
    if client:
        found.append(f"client:{client[:150]}")
    return found


def wait_seconds(tenant: CompiledTenant, counted: Iterable[str]) -> int:
    """How long, in whole seconds, before another try of these keys is heard (0: now)."""
    table, moment = tenant.system.login_failure, now()
    longest = 0.0
    for key in counted:
        times = [
            at
            for (at,) in table.select(table.at)
            .where((table.key == key) & (table.at > moment - WINDOW))
            .tuples()
        ]
        over = len(times) - FREE_FAILURES[key.partition(":")[0]]
        if over < 0:
            continue
        pause = min(timedelta(seconds=2**over), LONGEST_WAIT)
        longest = max(longest, (max(times) + pause - moment).total_seconds())
    return max(0, int(-(-longest // 1)))  # rounded up


def failed(tenant: CompiledTenant, counted: Iterable[str]) -> None:
    """Count a failed try against each key, and forget the key's failures that no
    longer count."""
    table, moment = tenant.system.login_failure, now()
    with tenant.database.atomic():
        for key in counted:
            table.delete().where((table.key == key) & (table.at <= moment - WINDOW)).execute()
            table.create(key=key, at=moment)


def succeeded(tenant: CompiledTenant, username_key: str) -> None:
    """A login succeeded: its user name's failures stop counting."""
    table = tenant.system.login_failure
    table.delete().where(table.key == username_key).execute()
