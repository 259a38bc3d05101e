"""The engine's one exception tree and the located problem it reports."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Source:
    """A place in a metadata file: where a value was written."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the metadata, located for the admin who can fix it."""

    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class EngineError(Exception):
    """Root of every error the engine raises on purpose; carries its CLI exit code."""

    exit_code = 1


class MetadataError(EngineError):
    """The metadata cannot be used; holds every problem found, not only the first."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


class UnknownName(EngineError):
    """A tenant or an entity asked for by name does not exist."""

    exit_code = 2


def did_you_mean(word: object, choices: Iterable[str]) -> str:
    """A hint naming the nearest valid word, or '' when nothing is close."""
    import difflib

    if not isinstance(word, str):
        return ""
    lowered = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return f" (did you mean '{lowered[close[0]]}'?)" if close else ""


class FileUnreadable(EngineError):
    """A data file that cannot be read as a table (engine.bulk.tables)."""


class RecordInvalid(EngineError):
    """A submitted record breaks its rules; `errors` lists every problem at once."""

    status = 422

    def __init__(self, errors: list) -> None:
        self.errors = errors
        super().__init__("; ".join(e.message for e in errors))


class NotFound(EngineError):
    """No such record (or tenant, or entity) for this caller."""

    status = 404


class Conflict(EngineError):
    """The record changed since the caller read it, or the action does not fit its state."""

    status = 409

    def __init__(self, message: str, **details: object) -> None:
        self.details = details
        super().__init__(message)


class StorageError(EngineError):
    """The database cannot be opened or changed as asked."""


class Unavailable(StorageError):
    """A tenant's data cannot be read or written now; nothing was changed.

    `str(error)` is for the server's log and the command line: it may name files and
    hosts. `public` is what a person using the web pages or the API is told; `code` and
    `status` are the API's answer, and `retry_after` the seconds worth waiting."""

    status = 503
    code = "unavailable"
    retry_after: int | None = 5
    public = "The data cannot be reached now. Nothing was changed; try again in a moment."

    def __init__(
        self, message: str, tenant: str | None = None, retry_after: int | None = None
    ) -> None:
        self.tenant = tenant
        if retry_after is not None:
            self.retry_after = retry_after
        super().__init__(message)


class TenantDamaged(Unavailable):
    """A tenant's database is damaged or cannot be opened (not a database, truncated,
    unreadable); it is left out and every other tenant goes on."""

    code = "tenant_damaged"
    retry_after = 60
    public = (
        "The data of this tenant cannot be read: its database is damaged or cannot be "
        "opened. Nothing was changed. The server's log says why; its operators can "
        "restore the database from a backup."
    )


class TenantBusy(Unavailable):
    """Another write (an import, a migration) held the tenant's writes for longer than a
    writer waits for them."""

    code = "tenant_busy"
    public = (
        "This tenant is busy with another change, such as an import, and nothing could be "
        "saved in time. Nothing was saved; try again in a moment."
    )


class DatabaseBusy(Unavailable):
    """Every database connection of the process stayed in use for longer than a request
    waits for one (FORMWORK_DATABASE_POOL, FORMWORK_WRITE_WAIT_SECONDS)."""

    code = "database_busy"
    public = (
        "The server is busy with other requests and could not serve this one in time. "
        "Nothing was saved; try again in a moment."
    )


class DatabaseUnreachable(Unavailable):
    """The database server cannot be reached, or the connection was lost while writing."""

    code = "database_unavailable"
    public = "The database cannot be reached now. Nothing was saved; try again in a moment."


class SaveUncertain(DatabaseUnreachable):
    """The connection was lost while the database committed: the write may have been
    kept or not, so it must not be sent again without a look."""

    code = "outcome_unknown"
    public = (
        "The connection to the database was lost while it was saving, so whether it was "
        "saved is unknown. Look at the data before you save again."
    )


class OutOfSpace(Unavailable):
    """The disk (or the database server's disk) is full: writes fail, reads go on."""

    status = 507
    code = "out_of_space"
    retry_after = 60
    public = (
        "The server is out of disk space, so nothing can be saved now, and what you sent "
        "was not saved. Reading still works; try again once its operators have freed space."
    )
