"""Import a table of records (and, from other tables, their lines) into one entity.

Every row goes through the rules a form or the API applies: defaults, numbering,
lookups and their fetched values, precision, unique values (in the file and in the
database), the compiled validator with lines included. New records are written in
bulk (see engine.records.writing); records found by the upsert key are updated through
the records service, one by one, with its revision check and audit.

The whole run is one transaction. By default one bad row writes nothing; with
`keep_valid` the valid rows are committed and the rejected ones come back with their
errors. A dry run does everything and rolls back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.bulk.cells import column_converter, converter, is_text
from engine.bulk.columns import ColumnMap, map_columns
from engine.bulk.linking import FileLinks, Pending
from engine.bulk.lookups import LookupIndex, key_fields
from engine.bulk.matching import holds, match_lines
from engine.bulk.rows import (
    Entry,
    Row,
    key_text,
    place_error,
    read_rows,
    refuse_repeated_keys,
    revision_of,
)
from engine.bulk.tables import Table, normalized
from engine.errors import Conflict, EngineError, NotFound, RecordInvalid
from engine.records.pipeline import Batch, Draft, fill_numbers, run_checks, validate
from engine.records.service import RecordService
from engine.records.target import Target
from engine.records.values import fetched_from_id
from engine.records.writing import reserve_ids, roomy_cache, write_new
from engine.registry import without_cycle_collection
from engine.spec import FieldSpec
from engine.types import TYPES

# Called as the work advances: each row counts twice, once checked and once written (or
# set aside), so a run is done at twice its number of rows.
Progress = Callable[[int], None]
CHUNK = 5_000


class ImportRefused(EngineError):
    """The files cannot be imported at all (their columns do not fit); nothing was read
    into the database."""

    exit_code = 1

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class ImportOptions:
    """How an import treats its rows: upsert key, dry run, partial commit, unknown columns."""

    key: str | None = None  # upsert: update the record whose field has the row's value
    dry_run: bool = False
    keep_valid: bool = False  # commit the valid rows, hand back the rejected ones
    skip_unknown_columns: bool = False
    user: str = "import"


@dataclass
class ImportResult:
    """What an import did: records created, updated and unchanged, and the rows it refused."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0  # found by the key, and the file holds what they hold already
    rejected: list[Row] = dataclasses.field(default_factory=list)  # each with its errors
    notices: list[str] = dataclasses.field(default_factory=list)
    committed: bool = False
    rows: int = 0

    @property
    def failed_rows(self) -> int:
        """How many of the refused rows carry an error of their own."""
        return len([r for r in self.rejected if r.errors])


def import_records(
    service: RecordService,
    tenant: str,
    entity: str,
    table: Table,
    lines: dict[str, Table] | None = None,
    options: ImportOptions | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import `table` into `entity` of `tenant`; `lines` maps a lines field to its table."""
    options = options or ImportOptions()
    target = service.target(tenant, entity)
    run = _Run(service, target, options, progress or (lambda done: None))
    with without_cycle_collection(), roomy_cache(target):
        return run.go(table, lines or {})


def check_columns(
    service: RecordService,
    tenant: str,
    entity: str,
    table: Table,
    lines: dict[str, Table] | None = None,
    options: ImportOptions | None = None,
) -> list[str]:
    """What `import_records` would say of the tables' columns, reading no row and touching
    no record: the notices of skipped columns, or ImportRefused with every problem."""
    run = _Run(service, service.target(tenant, entity), options or ImportOptions(), lambda _: None)
    run._map(table, lines or {}, run._key_field(lines or {}))
    return run.result.notices


class _Run:
    def __init__(
        self, service: RecordService, target: Target, options: ImportOptions, progress: Progress
    ) -> None:
        self.service = service
        self.target = target
        self.options = options
        self.progress = progress
        self.result = ImportResult()
        self._indexes: dict[str, LookupIndex] = {}
        self._links: FileLinks | None = None  # lookups naming rows of the file itself

    def go(self, table: Table, lines: dict[str, Table]) -> ImportResult:
        key = self._key_field(lines)
        mapping, line_maps = self._map(table, lines, key)
        database = self.target.tenant.database
        with database.atomic() as transaction:
            entries = self._read(table, mapping, key)
            self._read_lines(entries, lines, line_maps, key)
            self._find_existing(entries, key)
            self._write(entries, mapping, line_maps)
            self.result.rejected += [row for entry in entries if entry.failed for row in entry.rows]
            self.result.rows = len(entries)
            failed = bool(self.result.rejected)
            if self.options.dry_run or (failed and not self.options.keep_valid):
                transaction.rollback()
            else:
                self.result.committed = True
        if self.options.dry_run and not failed:
            self.result.notices.append("dry run: every row is valid; nothing was written")
        return self.result

    # columns

    def _key_field(self, lines: dict[str, Table]) -> FieldSpec | None:
        """The field that finds existing records (upsert) and that lines name parents by."""
        spec = self.target.spec
        name = self.options.key or (spec.numbering.field if lines and spec.numbering else None)
        if name is None:
            if lines:
                raise ImportRefused(
                    [f"lines need the key that names their {spec.label}: pass --key FIELD"]
                )
            return None
        found = [f for f in spec.fields if f.stored and normalized(name) in _names(f)]
        if not found:
            raise ImportRefused([f"--key {name}: {spec.label} has no such field"])
        if not found[0].unique and found[0].name != getattr(spec.numbering, "field", None):
            raise ImportRefused(
                [f"--key {name}: {found[0].label} is not unique, so it cannot find one record"]
            )
        return found[0]

    def _map(
        self, table: Table, lines: dict[str, Table], key: FieldSpec | None
    ) -> tuple[ColumnMap, dict[str, ColumnMap]]:
        skip = self.options.skip_unknown_columns
        mapping = map_columns(
            table.headers, self.target.spec, ignore_unknown=skip, where=f"{table.name}: "
        )
        problems = list(mapping.problems)
        if key is not None and mapping.column_of(key.name) is None:
            problems.append(f"{table.name}: no column holds {key.label}, the key")
        line_maps = {}
        for name, line_table in lines.items():
            line = self._line_field(name)
            child = self.target.child(line)
            link = child.spec.field(line.lines.link)
            parent_names = [link.name, link.label, *_names(key)] if key else []
            line_map = map_columns(
                line_table.headers,
                child.spec,
                ignore_unknown=skip,
                parent_names=parent_names,
                where=f"{line_table.name}: ",
            )
            problems += line_map.problems
            if line_map.parent is None:
                problems.append(
                    f"{line_table.name}: no column names the {self.target.spec.label} of each "
                    f"line; add one headed '{(key or link).label}'"
                )
            line_maps[line.name] = line_map
            self.result.notices += line_map.skipped
        self.result.notices[:0] = mapping.skipped
        if problems:
            raise ImportRefused(problems)
        return mapping, line_maps

    def _line_field(self, name: str) -> FieldSpec:
        for line in self.target.lines():
            if normalized(name) in _names(line):
                return line
        known = ", ".join(line.name for line in self.target.lines()) or "none"
        raise ImportRefused([f"{self.target.spec.label} has no lines {name!r}; its lines: {known}"])

    # reading rows

    def _converters(
        self, mapping: ColumnMap, table: Table, main: bool = False
    ) -> tuple[list, list]:
        """(index, name) of the columns whose trimmed text is the value (CSV text fields),
        and (index, field, converter, whole-column converter) of the others. In the `main`
        table, a lookup to the imported entity is left pending (see engine.bulk.linking)."""
        comma = table.delimiter not in (None, ",")
        text_cells = table.delimiter is not None
        plain, typed = [], []
        for column in mapping.columns:
            field = column.field
            if text_cells and is_text(field):
                plain.append((column.index, field.name))
                continue
            convert = converter(field, self._index(field), comma)
            whole = column_converter(field) if text_cells else None
            if main and field.lookup and field.lookup.entity == self.target.spec.name:
                self._links = self._links or FileLinks(self._index(field))
                self._links.add(field, convert)
                convert, whole = Pending, None
            typed.append((column.index, field, convert, whole))
        return plain, typed

    def _index(self, field: FieldSpec) -> LookupIndex | None:
        if not field.lookup:
            return None
        name = field.lookup.entity
        if name not in self._indexes:
            linked = self.service.target(self.target.tenant.spec.name, name)
            keys = [linked.column(f.name) for f in key_fields(linked.spec)]
            rows = list(linked.live().select(linked.model.id, *keys).tuples())
            self._indexes[name] = LookupIndex(linked.spec, rows)
        return self._indexes[name]

    def _convert(self, table: Table, mapping: ColumnMap, main: bool = False) -> list[Row]:
        """The table's rows with their values (see engine.bulk.rows.read_rows)."""
        plain, typed = self._converters(mapping, table, main)
        return read_rows(table, plain, typed)

    def _read(self, table: Table, mapping: ColumnMap, key: FieldSpec | None) -> list[Entry]:
        entries = [Entry(row) for row in self._convert(table, mapping, main=True)]
        if key is not None:
            refuse_repeated_keys(entries, key)
        if mapping.revision is not None:
            for entry in entries:
                entry.row.revision = revision_of(entry.row, mapping.revision)
        return entries

    def _read_lines(
        self,
        entries: list[Entry],
        lines: dict[str, Table],
        line_maps: dict[str, ColumnMap],
        key: FieldSpec | None,
    ) -> None:
        if not lines or key is None:
            return
        by_key = {key_text(e.row.values.get(key.name)): e for e in entries}
        for name, table in lines.items():
            line = self._line_field(name)
            mapping = line_maps[line.name]
            for row in self._convert(table, mapping):
                parent = by_key.get(key_text(row.cells[mapping.parent]))
                if parent is None:
                    row.errors.append(
                        f"no {self.target.spec.label} of the file has the {key.label} "
                        f"{row.cells[mapping.parent]!r}"
                    )
                    self.result.rejected.append(row)
                    continue
                # the parent column says whose line it is: a link cell cannot say otherwise
                row.values.pop(line.lines.link, None)
                parent.lines.setdefault(line.name, []).append(row)

    def _find_existing(self, entries: list[Entry], key: FieldSpec | None) -> None:
        if key is None or self.options.key is None:
            return
        column = self.target.column(key.name)
        stored = {}
        for entry in entries:
            value = entry.row.values.get(key.name)
            if value is not None:
                stored[TYPES[key.input_type].store(value)] = entry
        found = self.target.live().select(self.target.model.id, column)
        for chunk in _chunks(list(stored), 500):
            for record_id, value in found.where(column.in_(chunk)).tuples():
                stored[value].record_id = record_id

    # writing

    def _write(self, entries: list[Entry], mapping: ColumnMap, line_maps: dict) -> None:
        new = [e for e in entries if e.record_id is None]
        drafts = [Draft(e.row.values, place=f"row {e.row.number}") for e in new]  # in step
        fill_numbers(Batch(self.target, drafts))  # rows may name rows by them
        if self._links is not None:  # rows name records that rows above them create
            for entry, new_id in zip(new, reserve_ids(self.target, len(new)), strict=True):
                entry.new_id = new_id
            self._links.resolve([(e.row, e.new_id) for e in entries])
        self._check(new, drafts)
        if self._links is not None and self.options.keep_valid:
            self._links.reject_dependents(entries)
        valid = [e for e in new if not e.failed]
        self.progress(len(new) - len(valid))  # set aside
        self._insert(valid)
        for entry in entries:
            if entry.record_id is None:
                continue
            if entry.failed:
                self.progress(2)  # checked and set aside
            else:
                self._update(entry)

    def _check(self, entries: list[Entry], drafts: list[Draft]) -> None:
        """The records pipeline's checks over the new records as one batch, then over their
        lines as a batch per lines field, then the validator over each record with its
        lines, as a form's save; each problem goes to the row it belongs to. `drafts` are
        the entries' records, in step with them."""
        files = self.service.files
        run_checks(Batch(self.target, drafts, pending=self._pending, blank_takes_default=True,
                         files=files))  # fmt: skip
        lines = self.target.lines()
        line_drafts: list[tuple[Row, Draft]] = []
        for line in lines:
            child = self.target.child(line)
            pairs = [
                (row, _line_draft(row, draft))
                for entry, draft in zip(entries, drafts, strict=True)
                for row in entry.lines.get(line.name, [])
            ]
            inherited = dict(child.spec.field(line.lines.link).lookup.fetch)
            batch = Batch(child, [draft for _, draft in pairs], link=line.lines.link,
                          inherited=inherited, blank_takes_default=True, files=files)  # fmt: skip
            run_checks(batch)
            line_drafts += pairs
        for start in range(0, len(entries), CHUNK):
            chunk = entries[start : start + CHUNK]
            # without lines a record's document is its values, its draft's own dict
            documents = (
                [e.document(lines) for e in chunk] if lines else [e.row.values for e in chunk]
            )
            validate(self.target, zip(drafts[start : start + CHUNK], documents, strict=True))
            self.progress(len(chunk))
        for entry, draft in zip(entries, drafts, strict=True):
            for error in draft.errors:
                place_error(entry, error)
        for row, draft in line_drafts:
            row.errors += [e.message for e in draft.errors if e.field not in row.unreadable]

    def _pending(self, field: FieldSpec, value: Any) -> dict[str, Any] | None:
        """The values of the row that creates the record a lookup names, if a row does."""
        if self._links is None or field.lookup.entity != self.target.spec.name:
            return None
        return self._links.source(value)

    def _insert(self, entries: list[Entry]) -> None:
        if self._links is not None:  # reserved before the checks
            ids = [e.new_id for e in entries]
        else:
            ids = reserve_ids(self.target, len(entries))
        user = self.options.user
        for start in range(0, len(entries), CHUNK):
            chunk = entries[start : start + CHUNK]
            write_new(self.target, [e.row.values for e in chunk], user, ids[start : start + CHUNK])
            self.progress(len(chunk))
        for entry, record_id in zip(entries, ids, strict=True):
            entry.record_id = record_id
        for line in self.target.lines():
            child = self.target.child(line)
            self._insert_lines(child, line, entries)
        self.result.created += len(entries)
        for entry in entries:
            entry.record_id = None  # created, not found: no update follows

    def _insert_lines(self, child: Target, line: FieldSpec, entries: list[Entry]) -> None:
        link = child.spec.field(line.lines.link)
        from_id = fetched_from_id(self.target, link)
        values = []
        for entry in entries:
            for row in entry.lines.get(line.name, []):
                row.values[link.name] = entry.record_id
                for mine in from_id:
                    if row.values.get(mine) is None:
                        row.values[mine] = entry.record_id
                values.append(row.values)
        write_new(child, values, self.options.user, reserve_ids(child, len(values)))

    def _update(self, entry: Entry) -> None:
        payload = dict(entry.row.values)
        target = self.target
        try:
            current = self.service.read(target.tenant.spec.name, target.spec.name, entry.record_id)
            for line in target.lines():
                if line.name in entry.lines:
                    rows = [r.values for r in entry.lines[line.name]]
                    child = target.child(line).spec
                    stored = current[line.name]
                    payload[line.name] = match_lines(child, line.lines.link, rows, stored)
            revision = entry.row.revision
            if holds(current, payload):  # nothing to write, so nothing can be stale
                self.result.unchanged += 1
                return
            payload["rev_number"] = current["rev_number"] if revision is None else revision
            self.service.update(
                target.tenant.spec.name, target.spec.name, entry.record_id, payload,
                self.options.user,
            )  # fmt: skip
        except RecordInvalid as invalid:
            for error in invalid.errors:
                place_error(entry, error)
            return
        except (Conflict, NotFound) as refusal:
            entry.row.errors.append(str(refusal))
            return
        finally:
            self.progress(2)
        self.result.updated += 1


def _line_draft(row: Row, record: Draft) -> Draft:
    return Draft(row.values, place=f"row {row.number} of {row.table.name}", parent=record)


def _names(field: FieldSpec | None) -> set[str]:
    return {normalized(field.name), normalized(field.label)} if field else set()


def _chunks(items: list, size: int) -> list[list]:
    return [items[start : start + size] for start in range(0, len(items), size)]
