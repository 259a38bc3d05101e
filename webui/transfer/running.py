"""An import run while its page streams, and what the page then says of it.

The importer reports progress through a callback while it holds the tenant's
transaction, and the page is a generator that must yield meanwhile. So the import
runs in a thread of its own for the length of the request and hands each report to
the page through a queue. Nothing outlives the request but what is on disk: the
records, and the file of rejected rows.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from engine.bulk.importer import ImportOptions, ImportRefused, ImportResult, import_records
from engine.bulk.rejects import write_rejects
from engine.bulk.tables import Table
from engine.records.service import RecordService
from webui.transfer import staging
from webui.transfer.preview import web_words

_FINISHED = object()


@dataclass(frozen=True)
class Step:
    """One report of progress. The importer counts each row twice: once checked, and once
    written or set aside with its errors (an update does both at once)."""

    done: int
    rows: int

    @property
    def total(self) -> int:
        return 2 * self.rows

    @property
    def checked(self) -> int:
        return min(self.done, self.rows)

    @property
    def stored(self) -> int:
        return max(0, min(self.done, self.total) - self.rows)

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.done / self.total)) if self.rows else 100


@dataclass
class Outcome:
    """How a run ended: its result, or the problems that refused it, or a failure."""

    result: ImportResult | None = None
    problems: list[str] = field(default_factory=list)
    failed: bool = False  # something unexpected; logged, and nothing was written
    rejects: list[str] = field(default_factory=list)  # files of rejected rows to download
    rejects_lost: bool = False  # the file of rejected rows could not be written


class StreamedRun:
    """`work(progress)` in a thread; `steps()` yields its progress as it comes, and
    `outcome` is set once `steps()` is exhausted."""

    def __init__(self, work: Callable[[Callable[[int], None]], Outcome], rows: int) -> None:
        self.work = work
        self.rows = rows
        self.outcome: Outcome | None = None
        self.started = False
        self._reports: queue.SimpleQueue = queue.SimpleQueue()

    def steps(self) -> Iterator[Step]:
        self.started = True
        thread = threading.Thread(target=self._run, daemon=True)
        thread.start()
        done = 0
        while (report := self._reports.get()) is not _FINISHED:
            if report:
                done += report
                yield Step(done, self.rows)
        thread.join()

    def _run(self) -> None:
        try:
            self.outcome = self.work(self._reports.put)
        finally:
            self._reports.put(_FINISHED)


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
        except Exception:  # the page is half sent: say so there, and log it
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
