"""One tenant's database failing leaves the others alone.

A sync opens, plans and changes each tenant's database in turn. When one of them cannot
be used (a damaged SQLite file, a directory where the file should be, a server out of
reach, a write lock held by a long import), that tenant is set aside: its compiled
tenant is bound to an `UnusableDatabase` that raises the reason on any use, the reason
is kept in `Storage.unavailable` and logged, and the sync goes on with the next tenant.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from engine.errors import DatabaseBusy, EngineError, TenantDamaged, Unavailable
from engine.registry import CompiledTenant
from engine.storage.databases import Storage, UnusableDatabase
from engine.storage.faults import classify

logger = logging.getLogger("formwork.storage")
Answer = TypeVar("Answer")


def isolated(storage: Storage, tenant: CompiledTenant, work: Callable[[], Answer]) -> Answer | None:
    """`work()` for one tenant; None when the tenant's database cannot be used now, which
    is then recorded (see the module's docstring). An error of the metadata, or of the
    code, is no fault of the database and is raised as it is."""
    name = tenant.spec.name
    try:
        answer = work()
    except DatabaseBusy:  # the process is busy, not the tenant's database: nothing set aside
        raise
    except Unavailable as error:
        set_aside(storage, tenant, error)
        return None
    except EngineError:
        raise
    except Exception as error:
        reason = classify(error, name)
        if reason is None:  # a file SQLite reads but no sync can use: say so, with its trace
            logger.exception("The database of tenant %s cannot be synced.", name)
            reason = TenantDamaged(f"tenant '{name}': the database cannot be synced: {error}", name)
        set_aside(storage, tenant, reason)
        return None
    if storage.unavailable.pop(name, None) is not None:
        logger.warning("Tenant %s is served again: its database can be used.", name)
    return answer


def set_aside(storage: Storage, tenant: CompiledTenant, reason: Unavailable) -> None:
    """Serve the tenant's reason instead of its data until a sync succeeds again."""
    name = tenant.spec.name
    reason.tenant = reason.tenant or name
    tenant.database.initialize(UnusableDatabase(reason))
    known = storage.unavailable.get(name)
    storage.unavailable[name] = reason
    if known is None or str(known) != str(reason):  # once per reason, not once per retry
        logger.error("Tenant %s cannot be served (%s): %s", name, reason.code, reason)
