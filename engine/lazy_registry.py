"""A registry that compiles each tenant on its first use and keeps the most recently used.

A process starts by loading the base files (groups.yaml, entities/) and listing the
tenant folders; it reads no tenant's files. `tenant(name)` loads, resolves and compiles
one tenant against the shared base, then `prepare` (syncing its database) runs once, and
the result is kept in a cache of `capacity` tenants, least recently used first out
(`drop` is told of each, to close what it holds open for it). What the compiled tenants
see alike (an entity a tenant does not change, its layout and validator) is kept once in
`shared` (engine.shared) and used by each of them.

A change on disk marks tenants stale (`files_changed`): a tenant's own files mark that
tenant, the base files mark every tenant. A stale tenant is compiled again on its next
use; when its new files are refused, the last good compilation keeps serving and the
refusal is kept in `refusals` for its admins to see. A tenant never compiled whose files
are refused answers `TenantUnusable`.

Two first requests to one cold tenant compile it once (a lock per tenant); a request to
a warm tenant takes only a short lock around the cache, never another tenant's compile.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from engine.errors import EngineError, MetadataError, Unavailable, UnknownName, did_you_mean
from engine.loader import tenant_names
from engine.registry import (
    CompiledTenant,
    compile_tenant,
    database_limits,
    without_cycle_collection,
)
from engine.resolve import Base, resolve_base, resolve_tenant
from engine.shared import Shared

DEFAULT_CAPACITY = 500  # compiled tenants kept per process (FORMWORK_TENANT_CACHE)
BASE = None  # the key of a refusal of the base files, which every tenant shares


class TenantUnusable(Unavailable):
    """A tenant whose metadata was refused and that has no earlier version to serve."""

    code = "tenant_metadata"
    retry_after = 60
    public = (
        "This tenant cannot be served: its metadata has problems. Nothing was changed. "
        "Its administrators can see the problems in the server's log."
    )


@dataclass(frozen=True)
class Refusal:
    """Why a tenant's (or the base's) files on disk were refused, and when."""

    error: EngineError
    tenant: CompiledTenant | None = None  # the refused compilation, where it got that far
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


class TenantNames(Mapping[str, CompiledTenant]):
    """The tenants by name: listing them and asking `name in` compile nothing; getting
    one compiles it if it is not warm."""

    def __init__(self, registry: LazyRegistry) -> None:
        self._registry = registry

    def __getitem__(self, name: str) -> CompiledTenant:
        if name not in self._registry.names:
            raise KeyError(name)
        return self._registry.tenant(name)

    def __contains__(self, name: object) -> bool:
        return name in self._registry.names

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._registry.names))

    def __len__(self) -> int:
        return len(self._registry.names)


class LazyRegistry:
    """Every tenant of a metadata directory, each compiled on first use (see the module)."""

    def __init__(
        self,
        root: str,
        capacity: int = DEFAULT_CAPACITY,
        prepare: Callable[[CompiledTenant], None] | None = None,
        drop: Callable[[str], None] | None = None,
    ) -> None:
        if capacity < 1:
            raise ValueError(
                f"FORMWORK_TENANT_CACHE must be at least 1 (tenants kept compiled), not {capacity}."
            )
        self.root, self.capacity, self.prepare, self.drop = root, capacity, prepare, drop
        self.base: Base = resolve_base(root)  # MetadataError: nothing can be served
        self.names: frozenset[str] = frozenset(tenant_names(root))
        self.tenants = TenantNames(self)
        self.refusals: dict[str | None, Refusal] = {}
        self.compiles = 0  # how many tenant compilations this registry made
        self.shared = Shared()  # what the compiled tenants have in common, kept once
        self._warm: OrderedDict[str, CompiledTenant] = OrderedDict()  # least recent first
        self._stale: set[str] = set()
        # how many changes were taken in, and at which of them each tenant's files or the
        # base last changed: a compile that began before a change of its files is stale
        self._changes, self._changed_at, self._base_changed_at = 0, dict[str, int](), 0
        self._lock = threading.Lock()  # guards the dicts above; held only briefly
        self._tenant_locks: dict[str, threading.Lock] = {}

    def tenant(self, name: str) -> CompiledTenant:
        """The tenant called `name`, compiled now if it is cold or stale; UnknownName,
        with the nearest name, when there is none, before anything is compiled."""
        if name not in self.names:
            hint = did_you_mean(name, self.names)
            raise UnknownName(f"there is no tenant '{name}'{hint}")
        warm = self._warm_tenant(name)
        if warm is not None:
            return warm
        with self._lock:
            tenant_lock = self._tenant_locks.setdefault(name, threading.Lock())
        with tenant_lock:
            warm = self._warm_tenant(name)  # compiled by the request this one waited for
            return warm if warm is not None else self._compile(name)

    def warm(self) -> list[str]:
        """The names of the compiled tenants, least recently used first."""
        with self._lock:
            return list(self._warm)

    def files_changed(self, tenants: Iterable[str], base: bool) -> bool:
        """Take in a change on disk: the tenant list again, the base files if they changed
        (False when they are refused: the old base keeps serving), and mark the tenants
        to compile again on their next use."""
        tenants = set(tenants)
        self.names = frozenset(tenant_names(self.root))
        if base:
            try:
                self.base = resolve_base(self.root)
            except MetadataError as error:
                self.refusals[BASE] = Refusal(error)
                base = False
            else:
                self.refusals.pop(BASE, None)
        with self._lock:
            for name in [n for n in self._warm if n not in self.names]:
                del self._warm[name]
            self._stale |= set(self._warm) if base else tenants & set(self._warm)
            self._changes += 1
            self._changed_at.update(dict.fromkeys(tenants, self._changes))
            self._base_changed_at = self._changes if base else self._base_changed_at
            for name in set(self.refusals) - set(self._warm) - {BASE}:
                self.refusals.pop(name)  # a cold tenant is tried again on its next use
            cold = tenants & self.names - set(self._warm)
        for name in sorted(cold):
            self._check(name)
        return BASE not in self.refusals

    def _check(self, name: str) -> None:
        """Resolve a cold tenant whose files changed, so its admins are told of a problem
        before its next use; nothing is compiled or kept."""
        try:
            resolve_tenant(self.base, name)
        except MetadataError as error:
            self.refusals[name] = Refusal(error)

    def _warm_tenant(self, name: str) -> CompiledTenant | None:
        with self._lock:
            compiled = self._warm.get(name)
            if compiled is None or name in self._stale:
                return None
            self._warm.move_to_end(name)
            return compiled

    def _compile(self, name: str) -> CompiledTenant:
        refused = self.refusals.get(name)
        if refused is not None and name not in self._warm:  # until its files change again
            raise TenantUnusable(f"the metadata of tenant '{name}' was refused:\n{refused.error}")
        compiled, began = None, self._changes
        try:
            with without_cycle_collection():
                compiled = compile_tenant(resolve_tenant(self.base, name), self.shared)
            problems = database_limits(compiled)
            if problems:
                raise MetadataError(problems)
            if self.prepare is not None:
                self.prepare(compiled)
        except EngineError as error:
            if isinstance(error, Unavailable):
                raise
            return self._refuse(name, Refusal(error, compiled))
        with self._lock:
            self.compiles += 1
            self._warm[name] = compiled
            self._warm.move_to_end(name)
            changed = max(self._changed_at.get(name, 0), self._base_changed_at)
            if changed > began:  # its files changed while it compiled: again next time
                self._stale.add(name)
            else:
                self._stale.discard(name)
            self.refusals.pop(name, None)
            dropped = []
            while len(self._warm) > self.capacity:
                dropped.append(self._warm.popitem(last=False)[0])
                self._stale.discard(dropped[-1])
        for evicted in dropped if self.drop is not None else ():
            self.drop(evicted)  # its connection of this thread, say, which it no longer needs
        return compiled

    def _refuse(self, name: str, refusal: Refusal) -> CompiledTenant:
        """Keep serving the tenant's last good compilation, or say it cannot be served."""
        with self._lock:
            self.refusals[name] = refusal
            self._stale.discard(name)  # not compiled again until its files change again
            previous = self._warm.get(name)
        if previous is None:
            raise TenantUnusable(f"the metadata of tenant '{name}' was refused:\n{refusal.error}")
        return previous
