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
