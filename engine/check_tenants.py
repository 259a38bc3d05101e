"""`formwork check` over many tenants: the base resolved once, each tenant compiled
against it, summed up and dropped, in worker processes across the cores.

The answer does not depend on how the work is shared: the problems of every tenant are
gathered and sorted (by file, then line) as one MetadataError, and the summaries come in
the order of the tenant names, so `jobs=1` (in this process, no worker) is the oracle of
any other number of workers. A worker holds the base and the one tenant it is checking,
so memory stays bounded whatever the number of tenants.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from engine.errors import MetadataError, Problem, UnknownName, did_you_mean
from engine.loader import tenant_names
from engine.registry import (
    CompiledTenant,
    build_registry,
    compile_tenant,
    database_limits,
    without_cycle_collection,
)
from engine.resolve import Base, resolve_base, resolve_tenant

CHUNKS_PER_WORKER = 8  # tenants are handed out in chunks: fewer round trips, still balanced


@dataclass(frozen=True)
class TenantCheck:
    """What checking one tenant found: its summary line, or its problems."""

    name: str
    summary: str
    problems: tuple[Problem, ...] = ()


def check_tenants(
    root: str, names: Sequence[str] | None = None, jobs: int | None = None
) -> list[str]:
    """Check the base of `root` once and each tenant named (every tenant by default)
    against it, in up to `jobs` worker processes (one per core by default; 1 checks in
    this process). Returns a summary line per tenant, in the order of `names`; raises
    MetadataError with every problem of every tenant, or UnknownName for a name that is
    no tenant's."""
    known = tenant_names(root)
    for name in names or ():
        if name not in known:
            raise UnknownName(f"there is no tenant '{name}'{did_you_mean(name, known)}")
    base = _resolve_base(root, whole=names is None)
    chosen = known if names is None else list(dict.fromkeys(names))  # each once
    checks = list(_check_all(base, chosen, jobs))
    problems = [problem for check in checks for problem in check.problems]
    if problems:
        raise MetadataError(problems)
    return [check.summary for check in checks]


def check_tenant(base: Base, name: str) -> TenantCheck:
    """Compile one tenant against the base and sum it up; nothing of it is kept."""
    try:
        with without_cycle_collection():
            compiled = compile_tenant(resolve_tenant(base, name))
    except MetadataError as error:
        return TenantCheck(name, "", tuple(error.problems))
    return TenantCheck(name, summary(compiled), tuple(database_limits(compiled)))


def summary(tenant: CompiledTenant) -> str:
    """The line `formwork check` prints for a tenant that passed."""
    entities = tenant.spec.entities.values()
    fields = [f for e in entities for f in e.fields if f.system is None]
    custom = sum(f.custom or e.custom for e in entities for f in e.fields)
    own = sum(e.custom for e in entities)
    return (
        f"{tenant.spec.name}: {len(entities)} entities ({own} own), "
        f"{len(fields)} fields ({custom} custom)"
    )


def default_jobs() -> int:
    """One worker per core this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _resolve_base(root: str, whole: bool) -> Base:
    try:
        return resolve_base(root)
    except MetadataError:
        if whole:
            build_registry(root)  # the whole build reports every tenant's problems beside them
        raise


def _check_all(base: Base, names: list[str], jobs: int | None) -> Iterable[TenantCheck]:
    workers = min(jobs or default_jobs(), len(names))
    if workers <= 1:
        return (check_tenant(base, name) for name in names)
    chunk = max(1, len(names) // (workers * CHUNKS_PER_WORKER))
    with concurrent.futures.ProcessPoolExecutor(
        workers, mp_context=_context(), initializer=_start_worker, initargs=(base,)
    ) as pool:
        return list(pool.map(_check_in_worker, names, chunksize=chunk))


def _context() -> multiprocessing.context.BaseContext:
    # fork hands each worker the base already resolved, with nothing to pickle or import
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


_worker_base: Base | None = None  # the base of this worker process, set as it starts


def _start_worker(base: Base) -> None:
    global _worker_base
    _worker_base = base


def _check_in_worker(name: str) -> TenantCheck:
    assert _worker_base is not None, "a check worker starts with the base"
    return check_tenant(_worker_base, name)
