"""An import run while its page streams, and what the page then says of it.

The importer reports progress through a callback while it holds the tenant's
transaction, and the page is a generator that must yield meanwhile. So the import
runs in a thread of its own and hands each report to the page through a queue; the
request's own thread never holds the tenant's write lock.

The page follows the run for FORMWORK_IMPORT_PAGE_SECONDS at most: a WSGI server kills
a worker whose answer takes longer than its timeout (gunicorn's is 30 s), and the import
with it. A longer run goes on in the background of the worker, which serves other
requests meanwhile; the page ends with a link to the run's own page (`RunNote`, a file
beside the upload), which any worker can show and which reloads itself until the end.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.bulk.importer import ImportOptions, ImportRefused, ImportResult, import_records
from engine.bulk.rejects import write_rejects
from engine.bulk.tables import Table
from engine.errors import Unavailable
from engine.records.service import RecordService
from engine.storage.faults import classify
from webui.transfer import staging
from webui.transfer.preview import web_words

_FINISHED = object()
NOTE = "run.json"
BEAT_SECONDS = 5.0  # how often a run that reports nothing says it is alive
STALE_SECONDS = 60.0  # a run silent this long has stopped (its worker was restarted)


@dataclass(frozen=True)
class Step:
    """One report of progress. The importer counts each row twice: once checked, and once
    written or set aside with its errors (an update does both at once)."""

    done: int
    rows: int

    @property
    def total(self) -> int:
        """Every count the run will report: each row checked, then stored."""
        return 2 * self.rows

    @property
    def checked(self) -> int:
        """The rows checked so far."""
        return min(self.done, self.rows)

    @property
    def stored(self) -> int:
        """The rows written, or set aside with their errors, so far."""
        return max(0, min(self.done, self.total) - self.rows)

    @property
    def percent(self) -> int:
        """How far the run is, from 0 to 100."""
        return min(100, round(100 * self.done / self.total)) if self.rows else 100


@dataclass
class Outcome:
    """How a run ended: its result, or the problems that refused it, or a failure."""

    result: ImportResult | None = None
    problems: list[str] = field(default_factory=list)
    failed: bool = False  # something unexpected; logged, and nothing was written
    rejects: list[str] = field(default_factory=list)  # files of rejected rows to download
    rejects_lost: bool = False  # the file of rejected rows could not be written
    unavailable: str = ""  # the tenant was busy, damaged or out of space: why, in words

    def as_dict(self) -> dict[str, Any]:
        """The outcome as plain data, with the names the result's template reads."""
        data: dict[str, Any] = {
            "problems": self.problems,
            "failed": self.failed,
            "rejects": self.rejects,
            "rejects_lost": self.rejects_lost,
            "unavailable": self.unavailable,
            "result": None,
        }
        result = self.result
        if result is not None:
            counts = ("created", "updated", "unchanged", "notices", "committed", "rows")
            data["result"] = {name: getattr(result, name) for name in counts}
            data["result"]["failed_rows"] = result.failed_rows
            data["result"]["rejected"] = [
                {"table": {"name": row.table.name}, "number": row.number, "errors": row.errors}
                for row in result.rejected
            ]
        return data


class RunNote:
    """A run's progress and outcome in a file beside its upload, for any worker to show."""

    def __init__(self, folder: Path, rows: int, dry_run: bool) -> None:
        self.path = folder / NOTE
        self.state: dict[str, Any] = {"rows": rows, "dry_run": dry_run, "done": 0}
        self._written = 0.0
        self._lock = threading.Lock()  # the run's thread and its heartbeat both write

    def begin(self) -> None:
        """The run has started."""
        self._write(state="running")

    def progress(self, done: int) -> None:
        """Count `done` more; written at most twice a second."""
        self.state["done"] += done
        if time.monotonic() - self._written >= 0.5:
            self._write()

    def beat(self) -> None:
        """The run is alive, reporting or not (the page tells a stopped run by silence)."""
        self._write()

    def finish(self, outcome: Outcome) -> None:
        """The run has ended so."""
        self._write(state="finished", outcome=outcome.as_dict())

    def _write(self, **changes: Any) -> None:
        with self._lock:
            self.state.update(changes, at=time.time())
            scratch = self.path.with_suffix(".tmp")
            try:
                scratch.write_text(json.dumps(self.state, default=str), encoding="utf-8")
                os.replace(scratch, self.path)  # a reader sees the old note or the new, whole
            except OSError:  # the run goes on; only its page cannot follow it
                logging.getLogger(__name__).warning("cannot write %s", self.path, exc_info=True)
            self._written = time.monotonic()

    @staticmethod
    def read(folder: Path) -> dict[str, Any] | None:
        """The note of the run of an upload, with `stopped` set when it went silent."""
        try:
            note = json.loads((folder / NOTE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        note["stopped"] = note["state"] == "running" and time.time() - note["at"] > STALE_SECONDS
        return note


class StreamedRun:
    """`work(progress)` in a thread; `steps()` yields its progress as it comes for at
    most `follow_seconds`, and `outcome` is set once `steps()` is exhausted, unless the
    run went on in the `background` (then its `note` follows it)."""

    def __init__(
        self,
        work: Callable[[Callable[[int], None]], Outcome],
        rows: int,
        note: RunNote | None = None,
        follow_seconds: float = float("inf"),
    ) -> None:
        self.work = work
        self.rows = rows
        self.note = note
        self.follow_seconds = follow_seconds
        self.outcome: Outcome | None = None
        self.started = False
        self.background = False
        self._reports: queue.SimpleQueue = queue.SimpleQueue()

    def steps(self) -> Iterator[Step]:
        """Start the run in a thread of its own and yield its progress until it ends, or
        until `follow_seconds` have passed (then `background` is set and it goes on)."""
        self.started = True
        if self.note is not None:
            self.note.begin()
        thread = threading.Thread(target=self._run, daemon=True, name="import")
        thread.start()
        deadline = time.monotonic() + self.follow_seconds
        done = 0
        while True:
            try:
                report = self._reports.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:  # the page has followed long enough: the run goes on
                self.background = True
                return
            if report is _FINISHED:
                break
            if report:
                done += report
                yield Step(done, self.rows)
        thread.join()

    def _run(self) -> None:
        ended = threading.Event()
        if self.note is not None:  # alive while the importer is silent (a long commit)
            threading.Thread(target=self._beat, args=(ended,), daemon=True).start()
        outcome = Outcome(failed=True)
        try:
            outcome = self.work(self._report)
        finally:
            ended.set()
            self.outcome = outcome
            if self.note is not None:
                self.note.finish(outcome)
            self._reports.put(_FINISHED)

    def _report(self, done: int) -> None:
        self._reports.put(done)
        if self.note is not None:
            self.note.progress(done)

    def _beat(self, ended: threading.Event) -> None:
        while not ended.wait(BEAT_SECONDS):
            self.note.beat()


def import_work(
    service: RecordService,
    tenant: str,
    upload: staging.Upload,
    tables: tuple[Table, dict[str, Table]],
    options: ImportOptions,
    logger: logging.Logger,
) -> Callable[[Callable[[int], None]], Outcome]:
    """The work of one run, for StreamedRun: import, then keep the rejected rows to
    download and let go of the upload as the run's end requires."""

    def work(progress: Callable[[int], None]) -> Outcome:
        outcome = Outcome()
        database = service.target(tenant, upload.entity).tenant.database
        try:
            outcome.result = import_records(
                service, tenant, upload.entity, *tables, options, progress
            )
        except ImportRefused as refused:
            outcome.problems = [web_words(p) for p in refused.problems]
        except Exception as error:  # the page is half sent: say so there, and log it
            fault = error if isinstance(error, Unavailable) else classify(error, tenant)
            if fault is not None:  # busy with another write, damaged, out of space
                logger.warning("import into %s/%s: %s", tenant, upload.entity, fault)
                outcome.unavailable = fault.public
            else:
                logger.exception("import into %s/%s failed", tenant, upload.entity)
                outcome.failed = True
        finally:
            database.close()  # this thread's own connection
        try:
            outcome.rejects = _keep_rejects(upload, outcome.result, options)
        except OSError:  # the records are in; the page lists the rejected rows all the same
            logger.exception("the rejected rows of %s/%s were not kept", tenant, upload.entity)
            outcome.rejects_lost = True
        _let_go(upload, outcome, options)
        return outcome

    return work


def _keep_rejects(
    upload: staging.Upload, result: ImportResult | None, options: ImportOptions
) -> list[str]:
    if result is None or not (options.keep_valid and result.committed and result.rejected):
        return []
    written = write_rejects(result.rejected, upload.folder / f"rejects.{upload.fmt}")
    upload.rejects = [path.name for path in written]
    upload.save_note()
    return upload.rejects


def _let_go(upload: staging.Upload, outcome: Outcome, options: ImportOptions) -> None:
    if options.dry_run:
        return
    if outcome.result is not None and outcome.result.committed:
        staging.finish(upload)
    else:
        staging.release(upload)
