"""Metadata reload without restart: notice changed YAML and compile what it changes again.

A `MetadataWatcher` looks at which files changed and tells the registry
(engine.lazy_registry): a change to one tenant's files marks that tenant to compile
again on its next request, a change to the base files reads them again and marks every
tenant. A tenant whose new files are wrong, or ask for a change that could lose data,
keeps serving its last good version, and the problems are kept to show to its admins;
refused base files leave the old base serving. No other tenant is touched.

FORMWORK_RELOAD says how a change is noticed: `watch` (the default) as the file is
saved, from the operating system's file-change notification, with a stat poll where that
cannot start; `poll`, the stat poll alone (a network drive that reports nothing); `off`,
only the admins' Reload button. The thread that does it (`ChangeFeed`) starts on the first
request a process serves, not in `create_app`: a thread does not survive a fork, and
gunicorn forks its workers from the process that created the app. So every web process
watches on its own and compiles on its own; the schema lock of the sync lets only one of
them change a tenant's tables.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, current_app, request

from engine.errors import EngineError, MetadataError, Problem, Source
from engine.lazy_registry import BASE, LazyRegistry, Refusal, TenantUnusable
from engine.records.service import RecordService
from engine.registry import CompiledTenant
from engine.storage.databases import Storage
from engine.storage.sync import UnsafeChange
from engine.tenant_folders import NAME
from webui.change_feed import POLL_SECONDS, YAML_SUFFIXES, ChangeFeed

EXTENSION = "formwork_watcher"
MODES = ("watch", "poll", "off")
BASE_FILES = ("groups.yaml", "entities")  # what every tenant shares
# the details may name hosts or paths: they go to the server log, not to the page
UNEXPECTED = (
    "The new metadata could not be loaded for a reason other than its content; "
    "the server log has the details."
)
# how sync names the field a refusal is about: tenant.entity.field
_REFUSAL = re.compile(r"^(?P<tenant>\w+)\.(?P<entity>\w+)\.(?P<field>[\w+]+): (?P<message>.*)$")

Fingerprint = frozenset[tuple[str, int]]  # (folder read together, digest of its files)
Outline = tuple[tuple[str, tuple[int, int, int, int] | None], ...]
logger = logging.getLogger(__name__)


def fingerprint(root: str | Path) -> Fingerprint:
    """For each folder whose files are read together (a tenant's folder, the base's
    `entities/`, `groups.yaml`), a digest of the path, mtime and size of every YAML file
    in it: it changes when one of them does. One entry per tenant, not per file (at
    10,000 tenants a third of the memory), found with os.scandir, not Path.rglob (a fifth
    of the time)."""
    found: dict[str, list[tuple[str, int, int]]] = {}
    _walk([(os.fspath(root), None)], found)
    return frozenset((key, hash(frozenset(files))) for key, files in found.items())


def folder_fingerprint(root: str | Path, keys: Iterable[str]) -> Fingerprint:
    """The entries of `fingerprint(root)` for these folders alone (`tenants/NAME`,
    `entities`, `groups.yaml`): a stat of their own files, however many tenants there
    are. A folder with no YAML file has no entry, as in `fingerprint`."""
    found: dict[str, list[tuple[str, int, int]]] = {}
    for key in keys:
        path = os.path.join(os.fspath(root), key)
        if os.path.isdir(path) and not os.path.islink(path):
            _walk([(path, key)], found)
        elif "/" not in key and key.endswith(YAML_SUFFIXES):  # under it: its folder's
            _add_file(path, key, found, functools.partial(os.stat, path))
    return frozenset((key, hash(frozenset(files))) for key, files in found.items())


def _walk(folders: list[tuple[str, str | None]], found: dict[str, list]) -> None:
    """Add the YAML files under each folder to `found`, by the folder they are read with:
    the first part of their path under the root, or `tenants/NAME`."""
    while folders:
        folder, key = folders.pop()
        try:
            entries = os.scandir(folder)
        except OSError:  # removed while we looked: the next look sees the tree without it
            continue
        with entries:
            for entry in entries:
                read_with = key or entry.name  # the first part of its path under the root
                if entry.is_dir(follow_symlinks=False):
                    if key == "tenants":
                        read_with = f"tenants/{entry.name}"  # a tenant's own folder
                    folders.append((entry.path, read_with))
                elif entry.name.endswith(YAML_SUFFIXES):
                    _add_file(entry.path, read_with, found, entry.stat)


def _add_file(
    path: str, key: str, found: dict[str, list], stat_of: Callable[[], os.stat_result]
) -> None:
    try:
        stat = stat_of()
    except OSError:  # removed while we looked
        return
    found.setdefault(key, []).append((path, stat.st_mtime_ns, stat.st_size))


def outline(root: str | Path) -> Outline:
    """Which folder (device and inode) and which version (mtime) the metadata directory,
    its base files and its tenants folder are: four stats, however many tenants. It
    changes when the directory is replaced whole or moved away and back, which the OS
    does not report to a watch of the old one."""
    found = []
    for path in (Path(root), *(Path(root) / name for name in (*BASE_FILES, "tenants"))):
        try:
            stat = path.stat()
        except OSError:
            found.append((path.name, None))
            continue
        found.append((path.name, (stat.st_dev, stat.st_ino, stat.st_mtime_ns, stat.st_size)))
    return tuple(found)


def shown_path(root: str | Path, file: str) -> str:
    """A metadata file's path relative to the metadata directory, as admins know it."""
    try:
        return Path(file).relative_to(root).as_posix()
    except ValueError:
        return file


def sentence(message: str) -> str:
    """An engine message as a whole sentence: capital first letter, final stop."""
    message = message.strip()
    if not message:
        return message
    message = message[0].upper() + message[1:]
    return message if message.endswith((".", "!", "?")) else message + "."


@dataclass(frozen=True)
class ReloadProblem:
    """One reason the metadata on disk was refused, and the tenant it belongs to."""

    text: str  # "file:line: path: message", the file relative to the metadata directory
    tenant: str | None = None  # None: the base files, which every tenant shares

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Failure:
    """The last refused reload: what was wrong, and when it was found."""

    problems: tuple[ReloadProblem, ...]
    at: datetime

    def visible_to(self, tenant: str) -> list[str]:
        """The problems of the base files and of this tenant's own files.

        Another tenant's files are that tenant's business: its admins see them."""
        return [p.text for p in self.problems if p.tenant in (None, tenant)]


class MetadataWatcher:
    """Keeps a RecordService's registry in step with the metadata on disk."""

    def __init__(
        self, root: str, service: RecordService, storage: Storage, mode: str = "watch"
    ) -> None:
        self.root, self.service, self.storage, self.mode = root, service, storage, mode
        self.loaded_at = datetime.now(UTC)  # of the base files being served
        self.looks = 0  # how many times changes on disk were taken in
        self._lock = threading.Lock()  # one look at the files at a time in this process
        self._outline = outline(root)  # of the files of the last look, taken first
        # by folder read together: a request compares its own tenant's entry alone
        self._fingerprint = dict(fingerprint(root))
        # the directory the OS reports changes of, and which of the feed's watches
        self._watched: tuple[int, Outline] | None = None
        self._start_lock = threading.Lock()
        self._root_missing = False  # the directory was missing at the last look
        self._feed: ChangeFeed | None = None
        self._feed_pid: int | None = None  # the process the feed's thread runs in

    @property
    def registry(self) -> LazyRegistry:
        """The registry being served."""
        return self.service.registry

    @property
    def failure(self) -> Failure | None:
        """What the files on disk have wrong now: the base's and each refused tenant's."""
        refusals = dict(self.registry.refusals)
        if not refusals:
            return None
        problems = [p for key, r in refusals.items() for p in self._problems(key, r)]
        return Failure(tuple(problems), max(r.at for r in refusals.values()))

    def before_request(self) -> None:
        """Start noticing changes in this process if not yet, and let a request that
        comes right after a saved change wait for it to be taken in."""
        feed = self._feed if self._feed_pid == os.getpid() else self._start_feed()
        if feed is None:
            return
        # until the feed's thread has looked at every file once, a request looks at its
        # own: a file saved since create_app is served by the first request that needs it
        if not feed.caught_up.is_set() and self._own_files_changed():
            feed.notice()
        feed.wait_for_rebuild()

    def after_request(self, error: BaseException | None = None) -> None:
        """Tell the feed that the request that started it is answered (see `answered`)."""
        feed = self._feed
        if feed is not None:
            feed.answered()

    def _own_files_changed(self) -> bool:
        """Whether the base files or the requested tenant's differ from the last look: a
        stat of theirs alone, not of every tenant's."""
        keys = [*BASE_FILES]
        tenant = (request.view_args or {}).get("tenant")
        if isinstance(tenant, str) and NAME.fullmatch(tenant):
            keys.append(f"tenants/{tenant}")
        now = dict(folder_fingerprint(self.root, keys))
        return any(now.get(key) != self._fingerprint.get(key) for key in keys)

    def wait_started(self, timeout: float = 30.0) -> bool:
        """Wait until this process's watching thread has added its watches and looked at
        every file once (it begins after the first request); False after `timeout`, or
        when no thread watches in this process."""
        feed = self._feed if self._feed_pid == os.getpid() else None
        return feed is not None and feed.caught_up.wait(timeout)

    @property
    def noticing(self) -> str:
        """How this process notices changes now: watch, poll (also when watching could not
        start) or off."""
        feed = self._feed if self._feed_pid == os.getpid() else None
        return feed.known_mode() if feed is not None else self.mode

    def changed_on_disk(self) -> bool:
        """Whether the YAML files differ from those last looked at (a stat of each); not
        while the directory itself is missing, which is no change to take in."""
        return fingerprint(self.root) != self._fingerprint.items() and self._root_present()

    def polled_changes(self) -> bool:
        """Whether the files changed, as the watching thread's periodic look sees it. While
        the OS reports every change under the directory it watches, only what it cannot
        report is looked at (the directory replaced whole, or moved away and back): four
        stats, not one per file; else a stat of every file."""
        feed = self._feed
        if feed is None or feed.known_mode(0) != "watch":
            return self.changed_on_disk()
        if self._watched is None or self._watched[0] != feed.watches:
            # the look once the watches are in (again): whole, catching up
            self._watched = (feed.watches, outline(self.root))
            return self.changed_on_disk()
        now = outline(self.root)
        if now[0] != self._watched[1][0]:  # another directory, which the OS does not watch
            return self.changed_on_disk()
        return now != self._outline

    def take_in_changes(self) -> bool:
        """Mark what changed on disk to compile again on its next use: a tenant whose own
        files changed, or every tenant when the base files changed; False when the base
        files are refused (the old ones keep serving)."""
        with self._lock:
            if not self._root_present():
                return False
            # taken before looking: an edit made meanwhile is seen by the next look
            self._outline = outline(self.root)  # first: a change meanwhile shows next time
            before, self._fingerprint = self._fingerprint, dict(fingerprint(self.root))
            changed = before.items() ^ self._fingerprint.items()
            tenants, base = changed_tenants(self.root, frozenset(changed))
            return self._take_in(tenants, base)

    def reload(self, tenant: str | None = None) -> bool:
        """Read the base files again and compile every tenant again on its next use, changed
        or not, and `tenant` now (the admins' Reload button); True when the base files
        are good, and so are the tenant's."""
        with self._lock:
            if not self._root_present():
                return False
            self._outline, self._fingerprint = outline(self.root), dict(fingerprint(self.root))
            good = self._take_in(set(), base=True)
        if not good or tenant is None or tenant not in self.registry.tenants:
            return good
        try:
            self.registry.tenant(tenant)
        except TenantUnusable:
            return False
        return tenant not in self.registry.refusals

    def _root_present(self) -> bool:
        """Whether the metadata directory is there. A deployment may delete it and copy
        the next release in its place: meanwhile the metadata last read is served (taken
        in, no tenant would be left), and the directory's return is a change like any."""
        if os.path.isdir(self.root):
            self._root_missing = False
            return True
        if not self._root_missing:
            self._root_missing = True
            logger.warning(
                "The metadata directory %s is missing: the metadata last read is served "
                "until it is back.",
                self.root,
            )
        return False

    def _take_in(self, tenants: set[str], base: bool) -> bool:
        try:
            good = self.registry.files_changed(tenants, base)
        except Exception:  # an unreadable folder: keep serving what is compiled
            logger.exception("Reloading the metadata of %s failed.", self.root)
            self.registry.refusals[BASE] = Refusal(EngineError(UNEXPECTED))
            return False
        finally:
            self.looks += 1
        if base and good:
            self.loaded_at = datetime.now(UTC)
            logger.info("Reloaded the base metadata of %s.", self.root)
        elif base:
            self._log_refused()
        return good

    def _log_refused(self) -> None:
        failure = self.failure
        logger.warning(
            "The metadata of %s was not reloaded; still serving the version loaded at %s:\n%s",
            self.root,
            self.loaded_at.isoformat(timespec="seconds"),
            "\n".join(str(p) for p in failure.problems) if failure else "",
        )

    def _start_feed(self) -> ChangeFeed | None:
        with self._start_lock:
            if self.mode == "off" or self._feed_pid == os.getpid():
                return self._feed
            # a feed of the process this one was forked from has no thread here; nor has
            # watchdog's own reader of the OS's reports, which that feed may have started;
            # and a look that held the lock at the fork never lets it go here
            forked = self._feed_pid is not None
            if forked:
                self._lock = threading.Lock()
            feed = ChangeFeed(
                self.root,
                self.polled_changes,
                self.take_in_changes,
                watch=self.mode == "watch" and not forked,
            )
            feed.start()
            self._feed, self._feed_pid = feed, os.getpid()
            return feed

    def _problems(self, tenant: str | None, refusal: Refusal) -> list[ReloadProblem]:
        error = refusal.error
        if isinstance(error, MetadataError):
            return [self._located(p) for p in error.problems]
        if isinstance(error, UnsafeChange):
            return [self._refusal(refusal.tenant, line) for line in str(error).splitlines()]
        return [ReloadProblem(sentence(str(error)), tenant)]

    def _located(self, problem: Problem) -> ReloadProblem:
        file = shown_path(self.root, problem.file)
        parts = file.split("/")
        tenant = parts[1] if parts[0] == "tenants" and len(parts) > 2 else None
        text = str(Problem(file, problem.line, problem.path, sentence(problem.message)))
        return ReloadProblem(text, tenant)

    def _refusal(self, compiled: CompiledTenant | None, line: str) -> ReloadProblem:
        """A refused type change, located at the field's input_type in the YAML."""
        match = _REFUSAL.match(line)
        if match is None:
            return ReloadProblem(sentence(line))
        tenant, entity, name = match.group("tenant", "entity", "field")
        path, message = f"{tenant}.{entity}.{name}", sentence(match.group("message"))
        source = _input_type_source(compiled, entity, name)
        if source is None:
            return ReloadProblem(f"{path}: {message}", tenant)
        file = shown_path(self.root, source.file)
        return ReloadProblem(str(Problem(file, source.line, path, message)), tenant)


def changed_tenants(root: str | Path, changed: Fingerprint) -> tuple[set[str], bool]:
    """The tenants whose own files are among `changed`, and whether a base file is
    (groups.yaml, entities/); files read by neither, such as a folder moved out of
    tenants/, change only the list of tenants."""
    tenants, base = set(), False
    for folder, _ in changed:
        parts = folder.split("/")
        if len(parts) == 2 and parts[0] == "tenants":
            tenants.add(parts[1])
        elif parts[0] in BASE_FILES:
            base = True
    return tenants, base


def _input_type_source(compiled: CompiledTenant | None, entity: str, name: str) -> Source | None:
    """Where a field's input type was written, if the compiled tenant knows that field."""
    try:
        spec = compiled.entities[entity].spec  # type: ignore[union-attr]
        return spec.field(name).origins.get("input_type")
    except (AttributeError, KeyError, StopIteration):  # a unique index names no field
        return None


def init_app(app: Flask) -> MetadataWatcher:
    """Attach a watcher to the app; it starts noticing changes on the first request."""
    watcher = MetadataWatcher(
        str(app.config["FORMWORK_METADATA"]),
        app.extensions["formwork"],
        app.extensions["formwork_storage"],
        _mode(app),
    )
    app.extensions[EXTENSION] = watcher
    if watcher.mode != "off":  # first: every other hook sees the files as saved
        app.before_request_funcs.setdefault(None, []).insert(0, watcher.before_request)
        app.teardown_request(watcher.after_request)
    return watcher


def _mode(app: Flask) -> str:
    """FORMWORK_RELOAD as configured (create_app reads the environment too)."""
    value = app.config.get("FORMWORK_RELOAD") or "watch"
    mode = str(value).strip().lower()
    if mode not in MODES:
        raise ValueError(
            f"FORMWORK_RELOAD must be watch (as files are saved), poll (a look every "
            f"{POLL_SECONDS} s) or off (the admins' Reload button only), not {value!r}."
        )
    return mode


def metadata_watcher() -> MetadataWatcher:
    """The current app's watcher."""
    return current_app.extensions[EXTENSION]
