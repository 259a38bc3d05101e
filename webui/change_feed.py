"""Notice saved metadata files at once, and rebuild off the request path.

A `ChangeFeed` is one thread of the process that serves requests. It sleeps until the
operating system reports a write under the metadata directory (through watchdog: inotify
on Linux, FSEvents on macOS, ReadDirectoryChangesW on Windows) or, where no such report
can be had, until its next look at the files' size and mtime (a stat poll, every
POLL_SECONDS; every WATCHING_POLL_SECONDS as well while the OS reports, for what it
cannot). Then it waits for the writes of one save to settle and calls `rebuild`. The
directory's parent is watched too, for the directory's own name: a symlink switched to
another release folder is rebuilt at once, and that folder watched from then on.

A request calls `wait_for_rebuild` before anything else: one that arrives after a change
was reported, and before the rebuild it causes is done, waits for that rebuild (for at
most WAIT_SECONDS), so a page asked for after a save shows what was saved. Until the
thread has looked at every file once (`caught_up`), the caller looks at the files a
request needs and calls `notice` for a change it finds there.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

POLL_SECONDS = 0.25  # between two stat polls: a save is served within this plus a rebuild
# between two stat polls while the OS reports changes: it reports none for a metadata
# directory that was replaced whole, or moved away and back
WATCHING_POLL_SECONDS = 5.0
SETTLE_SECONDS = 0.05  # one save's writes are over when no other follows within this...
SETTLE_LIMIT_SECONDS = 0.3  # ...or when this has passed since the first (a long copy)
WAIT_SECONDS = 2.0  # the longest a request waits for a rebuild; then it has the old metadata
YAML_SUFFIXES = (".yaml", ".yml")
# what a write makes the OS report; a rebuild's own reads (opened, closed_no_write) are not
_WRITES = frozenset({"created", "deleted", "modified", "moved", "closed", "events_lost"})

logger = logging.getLogger(__name__)


class ChangeFeed(threading.Thread):
    """The thread that rebuilds when the metadata files change, in the process that serves.

    `changed()` answers whether the files differ from those last built (a stat poll);
    `rebuild()` builds and swaps in what is on disk. `watch=False` polls only."""

    def __init__(
        self,
        root: str,
        changed: Callable[[], bool],
        rebuild: Callable[[], Any],
        watch: bool = True,
    ) -> None:
        super().__init__(name="formwork-metadata-reload", daemon=True)
        self.root, self._changed, self._rebuild = root, changed, rebuild
        self._want_watch = watch
        self.mode = "poll"  # becomes "watch" once the OS reports changes
        self._mode_known = threading.Event()  # set once watching started, or could not
        self.caught_up = threading.Event()  # set once the thread has looked at every file
        self._answered = threading.Event()  # the request that started the feed is answered
        self._observer: Any = None
        self._root_watch: Any = None  # the observer's watch of the directory, recursive
        self._root_replaced = threading.Event()  # another folder is now at the root's path
        self.watches = 0  # how many times the directory's watches were added
        self._watch_starter: threading.Thread | None = None
        self._wake = threading.Event()  # a change was reported, or the feed is stopping
        self._stopping = threading.Event()
        self._done = threading.Condition()
        self._noticed = 0  # changes reported so far
        self._rebuilt = 0  # of those, how many the last finished rebuild took in

    def start(self) -> None:
        """Start the thread, which starts watching and looks at every file once for a
        change made since the last build (`caught_up` is set then). It looks in its own
        time, not the starting request's: that look grows with the number of tenants."""
        if self._want_watch:
            self.mode = "watch"  # unless the observer cannot start (then "poll")
        else:
            self._mode_known.set()
        super().start()

    def stop(self) -> None:
        """Stop watching and end the thread; waiting requests go on with what they have."""
        self._stopping.set()
        self._wake.set()
        self._answered.set()  # the thread that would start watching need not wait
        with self._done:
            self._done.notify_all()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout=5)  # first: it starts the thread that starts the observer
        starter = self._watch_starter
        if starter is not None and starter.is_alive():
            starter.join(timeout=5)  # the observer it may be starting
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)

    def known_mode(self, timeout: float = WAIT_SECONDS) -> str:
        """How changes are noticed ("watch" or "poll"), once the thread knows whether the
        OS reports them: it may still be adding its watches (waits at most `timeout`), or
        not have begun yet, waiting for the first request to be answered (the mode meant)."""
        if self._answered.is_set():
            self._mode_known.wait(timeout)
        return self.mode

    def notice(self) -> None:
        """A file under the metadata directory was written: rebuild soon."""
        with self._done:
            self._noticed += 1
        self._wake.set()

    def wait_for_rebuild(self, timeout: float = WAIT_SECONDS) -> None:
        """Return once every change reported so far is rebuilt, or after `timeout`."""
        noticed = self._noticed
        if self._rebuilt >= noticed:  # nothing pending: the usual case costs no lock
            return
        with self._done:
            self._done.wait_for(
                lambda: self._rebuilt >= noticed or self._stopping.is_set(), timeout
            )

    def run(self) -> None:
        """The thread: start watching, then wait for a change, reported or seen by the
        poll, and rebuild."""
        # in a thread of its own: the observer adds a watch per folder, which takes about
        # half a second over a thousand tenants' folders, and meanwhile this thread
        # rebuilds what the requests find changed in their own tenant's files
        self._watch_starter = threading.Thread(
            target=self._start_looking, name="formwork-metadata-watch", daemon=True
        )
        self._watch_starter.start()
        while not self._stopping.is_set():
            watching = self._mode_known.is_set() and self.mode == "watch"
            reported = self._wake.wait(WATCHING_POLL_SECONDS if watching else POLL_SECONDS)
            if self._stopping.is_set():
                return
            try:
                if not reported:
                    if not self.caught_up.is_set() or not self._changed():
                        continue
                    self.notice()  # seen by the poll: requests from now on wait for it
                self._settle()
                self._rebuild_noticed()
                if self._root_replaced.is_set():
                    self._watch_again()
            except Exception:  # the thread must outlive a failed look: the next save retries
                logger.exception("Looking at the metadata in %s failed.", self.root)

    def answered(self) -> None:
        """The request that started the feed is answered: the look at every folder may
        begin, which would otherwise share the interpreter with that request."""
        if not self._answered.is_set():  # every request tells: the usual case costs no lock
            self._answered.set()

    def _start_looking(self) -> None:
        """Once the starting request is answered: start watching, then look at every
        file once (a file saved while the watches were being added was not reported)."""
        self._answered.wait(WAIT_SECONDS)
        if self._stopping.is_set():
            return
        if self._want_watch:
            self._watch()
        self._catch_up()

    def _watch(self) -> None:
        """Start the observer; "poll" mode when it cannot start."""
        observer = self._start_observer()
        self._observer = observer
        if observer is None:
            self.mode = "poll"
        elif self._stopping.is_set():  # stopped while it started: stop() may have passed
            observer.stop()
        self._mode_known.set()

    def _watch_again(self) -> None:
        """Watch the folder now at the root's path (a symlink switched to another
        release): the watches added so far are on the folder it replaced."""
        self._root_replaced.clear()
        if self._root_watch is not None:
            self._observer.unschedule(self._root_watch)
            self._root_watch = None
        if not os.path.isdir(self.root):  # removed: the parent's watch reports its return
            return
        try:
            self._root_watch = self._observer.schedule(
                _Reporter(self.notice), self.root, recursive=True
            )
        except OSError as error:  # removed again meanwhile, or no watch left to add
            logger.warning(
                "Metadata changes in %s are found by looking every %s s until it can be "
                "watched again: %s",
                self.root,
                WATCHING_POLL_SECONDS,
                error,
            )
            return
        self.watches += 1
        if self._changed():  # saved while the watches were being added
            self.notice()

    def _replaced(self) -> None:
        self._root_replaced.set()
        self.notice()

    def _catch_up(self) -> None:
        """Look at every file once for a change since the last build."""
        try:
            if self._changed():
                self.notice()
        except Exception:  # the next look, or the next save, tries again
            logger.exception("Looking at the metadata in %s failed.", self.root)
        finally:
            self.caught_up.set()

    def _settle(self) -> None:
        """Wait until the writes of one save are over: an editor may truncate, write, rename."""
        limit = time.monotonic() + SETTLE_LIMIT_SECONDS
        seen = self._noticed
        while time.monotonic() < limit and not self._stopping.wait(SETTLE_SECONDS):
            if self._noticed == seen:
                return
            seen = self._noticed

    def _rebuild_noticed(self) -> None:
        with self._done:
            self._wake.clear()  # a report from now on wakes the loop again
            taken = self._noticed
        try:
            self._rebuild()
        finally:
            with self._done:
                self._rebuilt = taken
                self._done.notify_all()

    def _start_observer(self) -> Any:
        """A running watchdog observer of the metadata directory, or None where the OS
        cannot report changes (no native observer, too many watches, a network drive)."""
        try:
            from watchdog import events
            from watchdog.observers import Observer
            from watchdog.observers.polling import PollingObserver

            if Observer is PollingObserver:  # watchdog's own poll is slower than ours
                raise OSError("this system reports no file changes that watchdog can read")
            observer = Observer()
            self._root_watch = observer.schedule(_Reporter(self.notice), self.root, recursive=True)
            # the root's own name, in its parent: deployments switch a symlink to another
            # release folder, which the watch of the old folder never reports
            root = os.path.abspath(self.root)
            # asking the OS for entries that come, go or move alone: not for the writes to
            # the folder's other files (a database or a log beside the metadata directory),
            # which would each wake the observer's thread for nothing
            entries = [
                events.DirCreatedEvent, events.FileCreatedEvent, events.DirDeletedEvent,
                events.FileDeletedEvent, events.DirMovedEvent, events.FileMovedEvent,
            ]  # fmt: skip
            parent = os.path.dirname(root)
            observer.schedule(_RootReporter(root, self._replaced), parent, event_filter=entries)
            observer.start()
        except Exception as error:  # whatever stops the observer leaves the stat poll
            logger.warning(
                "Metadata changes in %s are found by looking every %s s, not as they are saved: %s",
                self.root,
                POLL_SECONDS,
                error,
            )
            return None
        return observer


class _Reporter:
    """A watchdog event handler: tells the feed of writes to YAML files and folders."""

    def __init__(self, notice: Callable[[], None]) -> None:
        self._notice = notice

    def dispatch(self, event: Any) -> None:
        """Called by watchdog's observer thread for every event under the directory."""
        if event.event_type in _WRITES and _about_metadata(event):
            self._notice()


class _RootReporter:
    """A watchdog event handler of the metadata directory's parent folder: tells the feed
    when something else comes at the directory's path (a symlink renamed over it)."""

    def __init__(self, root: str, replaced: Callable[[], None]) -> None:
        self._root, self._replaced = root, replaced

    def dispatch(self, event: Any) -> None:
        """Called by watchdog's observer thread for every entry of the parent folder."""
        if event.event_type in ("created", "deleted", "moved") and self._root in _paths(event):
            self._replaced()


def _paths(event: Any) -> tuple[str, str]:
    """The paths a watchdog event is about: where from, and where to for a move."""
    return os.fsdecode(event.src_path), os.fsdecode(getattr(event, "dest_path", "") or "")


def _about_metadata(event: Any) -> bool:
    """A YAML file, or a folder that came, went or moved (with any YAML files in it), or
    reports the OS dropped (its queue overflowed): any of those may be a YAML file."""
    if event.event_type == "events_lost":
        return True
    if event.is_directory:
        return event.event_type != "modified"  # its entries changed: their own events follow
    return any(path.endswith(YAML_SUFFIXES) for path in _paths(event))
