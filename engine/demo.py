"""The demo data set: users and sample records for every tenant, read from data files.

Each tenant's records are listed in `demo_data/<tenant>.yaml`, in the order they are
created:

    records:
      - {entity: ENTITY, key: LOCAL_NAME, values: {FIELD: VALUE, ...}, actions: [ACTION]}

A value `{ref: LOCAL_NAME}` is the id of a record listed above it; lines are nested
lists of values. `count: N` makes N records of one entry, numbered 1 to N: each text
value is a format with `n` (`"Branch {n:03d}"`), so a table a lookup searches can hold
hundreds of records without listing them; the key then names the last one.

This module knows no entity and no field: it reads them all from the files, and every
record goes through the records service, validated like any other.

Loading is idempotent. A tenant whose data is there already (it has records of the
file's first entity) is skipped; a tenant's records are written in one transaction, so
a record the metadata refuses leaves nothing of that tenant behind; the users `admin`,
`editor` and `viewer` are added last in that transaction, and only where missing, so
their passwords are shown once. Each tenant is loaded under its lock
(`hold_tenant_lock`), so two loads at once add its records and its users once.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from engine import users
from engine.errors import Conflict, EngineError, NotFound, Problem, RecordInvalid, did_you_mean
from engine.loader import Document, Path_, load_file
from engine.records.service import RecordService
from engine.registry import CompiledTenant, Registry
from engine.storage.sync import hold_tenant_lock

DATA_DIR = Path(__file__).resolve().parent / "demo_data"
# (username, role): one user per role
DEMO_USERS = tuple((role, role) for role in reversed(users.ROLES))
AUTHOR = "demo"  # the created_by of every demo record
_RECORD_KEYS = ("entity", "key", "values", "actions", "count")
MAX_COUNT = 1000  # records one `count:` entry may make: the demo stays quick to load


class DemoDataError(EngineError):
    """The demo data cannot be loaded: a malformed data file, or a record the metadata refuses."""


@dataclass(frozen=True)
class DemoUser:
    """A user the demo gave a tenant, with the password to print once."""

    username: str
    role: str
    password: str | None  # None: the user existed already, and its password is not known


@dataclass(frozen=True)
class TenantDemo:
    """What loading the demo did in one tenant."""

    tenant: str
    label: str
    users: tuple[DemoUser, ...]
    created: Mapping[str, int]  # entity → records created, lines included, in order
    plurals: Mapping[str, str]  # entity → its plural label, for people
    ids: Mapping[str, int]  # a data file's local key → the id of the record created
    skipped: str = ""  # why no record was created

    @property
    def records(self) -> int:
        """How many records the demo created in the tenant, lines included."""
        return sum(self.created.values())


@dataclass(frozen=True)
class DemoReport:
    """What loading the demo did, tenant by tenant."""

    tenants: tuple[TenantDemo, ...]

    def tenant(self, name: str) -> TenantDemo:
        """What the demo did in the tenant called `name`."""
        return next(t for t in self.tenants if t.tenant == name)


@dataclass(frozen=True)
class _DataFile:
    path: Path
    document: Document

    @property
    def records(self) -> list[dict]:
        return self.document.data["records"]

    def where(self, *path: str | int) -> str:
        return f"{self.path}:{self.document.line_of(('records', *path))}"


@dataclass(frozen=True)
class _Loaded:
    created: dict[str, int]
    plurals: dict[str, str]
    ids: dict[str, int]
    skipped: str = ""


def load_demo(
    service: RecordService, registry: Registry, data_dir: str | Path | None = None
) -> DemoReport:
    """Create the demo users of every tenant, and the records of each that has a data file.

    Every file is read and checked before anything is written; DemoDataError lists
    every problem of the files, or names the tenant, the record and each error of the
    first record the metadata refuses.
    """
    directory = Path(data_dir) if data_dir is not None else DATA_DIR
    files = _read_files(registry, directory)
    tenants = []
    for name, tenant in registry.tenants.items():
        data = files.get(name)
        # two loads at once: one waits for the other's commit, then finds all there
        with tenant.database.atomic():
            hold_tenant_lock(tenant.database, name)
            if data is None:
                result = _Loaded({}, {}, {}, f"no demo data ({directory / name}.yaml)")
            else:
                result = _load_tenant(service, name, data)
            added = tuple(_ensure_user(tenant, username, role) for username, role in DEMO_USERS)
        tenants.append(
            TenantDemo(
                name,
                tenant.spec.label,
                added,
                result.created,
                result.plurals,
                result.ids,
                result.skipped,
            )
        )
    return DemoReport(tuple(tenants))


def _read_files(registry: Registry, directory: Path) -> dict[str, _DataFile]:
    files, problems = {}, []
    for name, tenant in registry.tenants.items():
        path = directory / f"{name}.yaml"
        if not path.is_file():
            continue
        document, found = load_file(path, str(path))
        problems += found
        if document is not None:
            found = _shape_problems(tenant, document)
            problems += found
            if not found:
                files[name] = _DataFile(path, document)
    if problems:
        raise DemoDataError("\n".join(str(p) for p in sorted(set(problems))))
    return files


def _shape_problems(tenant: CompiledTenant, document: Document) -> list[Problem]:
    """Everything wrong with a data file that can be told without writing a record."""

    def problem(path: Path_, message: str) -> Problem:
        shown = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
        return Problem(document.file, document.line_of(path), shown, message)

    data = document.data
    extra = [key for key in data if key != "records"]
    problems = [problem((key,), "unknown key; the file holds only 'records'") for key in extra]
    records = data.get("records")
    if not isinstance(records, list) or not records:
        return [*problems, problem(("records",), "must be a list of records, at least one")]
    keys: set[str] = set()
    for index, item in enumerate(records):
        at: Path_ = ("records", index)
        if not isinstance(item, dict):
            problems.append(problem(at, "must be a mapping with entity, key and values"))
            continue
        for name in item:
            if name not in _RECORD_KEYS:
                hint = did_you_mean(name, _RECORD_KEYS)
                problems.append(problem((*at, name), f"unknown key{hint}"))
        entity, key, values = item.get("entity"), item.get("key"), item.get("values")
        if entity not in tenant.entities:
            hint = did_you_mean(entity, tenant.entities) if isinstance(entity, str) else ""
            message = f"'{entity}' is not an entity of tenant '{tenant.spec.name}'{hint}"
            problems.append(problem((*at, "entity"), message))
        if not isinstance(key, str) or not key:
            problems.append(problem((*at, "key"), "must be a name for the record"))
        elif key in keys:
            problems.append(problem((*at, "key"), f"'{key}' names an earlier record already"))
        if not isinstance(values, dict):
            problems.append(problem((*at, "values"), "must be a mapping of field: value"))
        else:
            for path, ref in _refs(values, (*at, "values")):
                if not isinstance(ref, str) or ref not in keys:
                    message = f"{{ref: {ref}}} names no record above this one"
                    problems.append(problem(path, message + did_you_mean(ref, keys)))
        count = item.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_COUNT:
            problems.append(problem((*at, "count"), f"must be a whole number 1 to {MAX_COUNT}"))
        elif count > 1 and isinstance(values, dict):
            problems += [problem(p, m) for p, m in _format_problems(values, (*at, "values"))]
        actions = item.get("actions", [])
        if not isinstance(actions, list) or not all(isinstance(a, str) for a in actions):
            problems.append(problem((*at, "actions"), "must be a list of action names"))
        if isinstance(key, str) and key:
            keys.add(key)
    return problems


def _refs(value: Any, path: Path_) -> Iterator[tuple[Path_, Any]]:
    """Every `{ref: KEY}` inside a value, with its path."""
    if isinstance(value, dict):
        if set(value) == {"ref"}:
            yield path, value["ref"]
            return
        for key, item in value.items():
            yield from _refs(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _refs(item, (*path, index))


def _format_problems(value: Any, path: Path_) -> Iterator[tuple[Path_, str]]:
    """Every text of a counted entry that is no format of `n` alone."""
    if isinstance(value, dict) and set(value) != {"ref"}:
        for key, item in value.items():
            yield from _format_problems(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _format_problems(item, (*path, index))
    elif isinstance(value, str):
        try:
            value.format(n=1)
        except (KeyError, IndexError, ValueError) as error:
            yield path, f"{value!r} is no format of n ({error}); write {{n}} or {{n:03d}}"


def _numbered(value: Any, n: int) -> Any:
    """A counted entry's values for its n-th record: each text formatted with n."""
    if isinstance(value, dict):
        if set(value) == {"ref"}:
            return value
        return {key: _numbered(item, n) for key, item in value.items()}
    if isinstance(value, list):
        return [_numbered(item, n) for item in value]
    return value.format(n=n) if isinstance(value, str) else value


def _resolved(value: Any, ids: Mapping[str, int]) -> Any:
    """The value with every `{ref: KEY}` replaced by the id of that record."""
    if isinstance(value, dict):
        if set(value) == {"ref"}:
            return ids[value["ref"]]
        return {key: _resolved(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolved(item, ids) for item in value]
    return value


def _load_tenant(service: RecordService, tenant: str, data: _DataFile) -> _Loaded:
    first = data.records[0]["entity"]
    if service.list(tenant, first, limit=1)["total"]:
        plural = service.target(tenant, first).spec.plural
        return _Loaded({}, {}, {}, f"the demo data is there already (it has {plural})")
    created: dict[str, int] = {}
    plurals: dict[str, str] = {}
    ids: dict[str, int] = {}
    for index, item in enumerate(data.records):
        entity, key, count = item["entity"], item["key"], item.get("count", 1)
        target = service.target(tenant, entity)
        for n in range(1, count + 1):
            values = _numbered(item["values"], n) if count > 1 else item["values"]
            record = _create(service, tenant, data, index, _resolved(values, ids))
            ids[key] = record["id"]
            counts = [(entity, target.spec.plural, 1)] + [
                (line.lines.entity, target.child(line).spec.plural, _count(record, line.name))
                for line in target.lines()
            ]
            for name, plural, number in counts:
                if number:
                    created[name] = created.get(name, 0) + number
                    plurals[name] = plural
    return _Loaded(created, plurals, ids)


def _count(record: dict[str, Any], lines: str) -> int:
    return len(record.get(lines) or [])


def _create(
    service: RecordService, tenant: str, data: _DataFile, index: int, values: dict
) -> dict[str, Any]:
    item = data.records[index]
    entity, key = item["entity"], item["key"]
    what = f"demo record '{key}' ({entity}) of tenant '{tenant}'"
    try:
        record = service.create(tenant, entity, values, AUTHOR)
    except RecordInvalid as error:
        details = "".join(f"\n  {e.field or e.label}: {e.message}" for e in error.errors)
        raise DemoDataError(f"{data.where(index)}: {what} is invalid:{details}") from None
    for number, action in enumerate(item.get("actions", [])):
        try:
            service.act(tenant, entity, record["id"], action, AUTHOR)
        except (NotFound, Conflict) as error:
            where = data.where(index, "actions", number)
            raise DemoDataError(f"{where}: {what}: action '{action}' failed: {error}") from None
    return record


def _ensure_user(tenant: CompiledTenant, username: str, role: str) -> DemoUser:
    """Add the user if missing; called under the tenant's lock, so no other load adds it
    between the look and the insert."""
    try:
        existing = users.get_user(tenant, username)
    except users.UnknownUser:
        password = users.generate_password()
        users.add_user(tenant, username, role, password)
        return DemoUser(username, role, password)
    return DemoUser(existing.username, existing.role, None)


def report_lines(report: DemoReport) -> list[str]:
    """What `formwork demo` prints: per tenant, its users and what was created."""
    lines = []
    for tenant in report.tenants:
        lines.append(f"{tenant.tenant} ({tenant.label}):")
        for user in tenant.users:
            shown = (
                f"password: {user.password}"
                if user.password
                else "exists already; its password cannot be shown again"
            )
            lines.append(f"  user {user.username:<8} {user.role:<8} {shown}")
        if tenant.skipped:
            lines.append(f"  nothing created: {tenant.skipped}")
        else:
            counts = ", ".join(f"{n} {tenant.plurals[e]}" for e, n in tenant.created.items())
            lines.append(f"  {tenant.records} records created: {counts}")
    if any(user.password for tenant in report.tenants for user in tenant.users):
        lines.append("Passwords are shown only this once; note them now.")
    return lines


def serve_hint(metadata_dir: str, data_dir: str, database_url: str | None) -> str:
    """The command that serves what was just loaded (a database password masked)."""
    words = ["formwork", "serve"]
    if metadata_dir != "metadata":
        words += ["--metadata", shlex.quote(metadata_dir)]
    if database_url:
        words += ["--database", shlex.quote(_masked(database_url))]
    elif data_dir != "data":
        words += ["--data", shlex.quote(data_dir)]
    return "Serve it with: " + " ".join(words)


def _masked(url: str) -> str:
    parts = urlsplit(url)
    if not parts.password:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))
