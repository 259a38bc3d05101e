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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from engine.bulk.cells import CONVERSION_ERRORS, column_converter, converter, is_text, problem
from engine.bulk.columns import ColumnMap, map_columns
from engine.bulk.linking import FileLinks, Pending
from engine.bulk.lookups import LookupIndex, key_fields
from engine.bulk.matching import match_lines
from engine.bulk.tables import Table, normalized, unsafe_cell
from engine.compile.validator import RecordError
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
    key: str | None = None  # upsert: update the record whose field has the row's value
    dry_run: bool = False
    keep_valid: bool = False  # commit the valid rows, hand back the rejected ones
    skip_unknown_columns: bool = False
    user: str = "import"


@dataclass(slots=True)
class Row:
    """One row of a file on its way in."""

    table: Table
    number: int  # in its file, counting the header as 1
    cells: Sequence[Any]
    values: dict[str, Any] = dataclasses.field(default_factory=dict)
    errors: list[str] = dataclasses.field(default_factory=list)
    revision: int | None = None  # the revision the row was exported at, if the file says
    unreadable: set[str] = dataclasses.field(default_factory=set)  # fields whose cell is wrong


@dataclass(slots=True)
class Entry:
    """A record to write: its row, and its lines' rows by line field."""

    row: Row
    lines: dict[str, list[Row]] = dataclasses.field(default_factory=dict)
    record_id: int | None = None  # set when the key names an existing record
    new_id: int | None = None  # reserved before the checks when rows may name rows above

    @property
    def rows(self) -> list[Row]:
        return [self.row, *(r for rows in self.lines.values() for r in rows)]

    @property
    def failed(self) -> bool:
        if self.row.errors or not self.lines:
            return bool(self.row.errors)
        return any(r.errors for rows in self.lines.values() for r in rows)


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0  # found by the key, and the file holds what they hold already
    rejected: list[Row] = dataclasses.field(default_factory=list)  # each with its errors
    notices: list[str] = dataclasses.field(default_factory=list)
    committed: bool = False
    rows: int = 0

    @property
    def failed_rows(self) -> int:
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
        """The table's rows with their values, converted a column at a time: one pass of a
        converter over a column costs far less than a pass over each row's cells."""
        plain, typed = self._converters(mapping, table, main)
        width = len(table.headers)
        rows = []
        for number, cells in table.rows:
            row = Row(table, number, cells)
            if len(cells) != width:
                if any(c not in (None, "") for c in cells[width:]):
                    row.errors.append(
                        f"the row has {len(cells)} cells but the headers only {width}"
                    )
                row.cells = _fit(cells, width)
            rows.append(row)
        if not rows:
            return rows
        columns = list(zip(*(row.cells for row in rows), strict=True))
        names = [name for _, name in plain] + [field.name for _, field, *_ in typed]
        converted = [
            _texts(columns[index], rows, table.headers[index], table.guarded) for index, _ in plain
        ]
        converted += [
            _typed(columns[index], rows, field, convert, whole)
            for index, field, convert, whole in typed
        ]
        for row, values in zip(rows, zip(*converted, strict=True), strict=True):
            row.values = dict(zip(names, values, strict=True))
        return rows

    def _read(self, table: Table, mapping: ColumnMap, key: FieldSpec | None) -> list[Entry]:
        entries = [Entry(row) for row in self._convert(table, mapping, main=True)]
        if key is not None:
            _refuse_repeated_keys(entries, key)
        if mapping.revision is not None:
            for entry in entries:
                entry.row.revision = _revision(entry.row, mapping.revision)
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
        by_key = {_key_text(e.row.values.get(key.name)): e for e in entries}
        for name, table in lines.items():
            line = self._line_field(name)
            mapping = line_maps[line.name]
            for row in self._convert(table, mapping):
                parent = by_key.get(_key_text(row.cells[mapping.parent]))
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
        drafts = {id(e): Draft(e.row.values, place=f"row {e.row.number}") for e in new}
        fill_numbers(Batch(self.target, list(drafts.values())))  # rows may name rows by them
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

    def _check(self, entries: list[Entry], drafts: dict[int, Draft]) -> None:
        """The records pipeline's checks over the new records as one batch, then over their
        lines as a batch per lines field, then the validator over each record with its
        lines, as a form's save; each problem goes to the row it belongs to."""
        parents = list(drafts.values())
        files = self.service.files
        run_checks(Batch(self.target, parents, pending=self._pending, blank_takes_default=True,
                         files=files))  # fmt: skip
        lines = self.target.lines()
        line_drafts: list[tuple[Row, Draft]] = []
        for line in lines:
            child = self.target.child(line)
            pairs = [
                (row, _line_draft(row, drafts[id(entry)]))
                for entry in entries
                for row in entry.lines.get(line.name, [])
            ]
            inherited = dict(child.spec.field(line.lines.link).lookup.fetch)
            batch = Batch(child, [draft for _, draft in pairs], link=line.lines.link,
                          inherited=inherited, blank_takes_default=True, files=files)  # fmt: skip
            run_checks(batch)
            line_drafts += pairs
        for start in range(0, len(entries), CHUNK):
            chunk = entries[start : start + CHUNK]
            validate(self.target, [(drafts[id(e)], self._document(e, lines)) for e in chunk])
            self.progress(len(chunk))
        for entry in entries:
            for error in drafts[id(entry)].errors:
                _place_error(entry, error)
        for row, draft in line_drafts:
            row.errors += [e.message for e in draft.errors if e.field not in row.unreadable]

    def _pending(self, field: FieldSpec, value: Any) -> dict[str, Any] | None:
        """The values of the row that creates the record a lookup names, if a row does."""
        if self._links is None or field.lookup.entity != self.target.spec.name:
            return None
        return self._links.source(value)

    @staticmethod
    def _document(entry: Entry, lines: list[FieldSpec]) -> dict[str, Any]:
        """The record as the validator takes it: its values, and its lines without their link."""
        if not lines:
            return entry.row.values  # read, not changed, by the validator
        document = dict(entry.row.values)
        for line in lines:
            link = line.lines.link
            document[line.name] = [
                {k: v for k, v in r.values.items() if k != link}
                for r in entry.lines.get(line.name, [])
            ]
        return document

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
            if _holds(current, payload):  # nothing to write, so nothing can be stale
                self.result.unchanged += 1
                return
            payload["rev_number"] = current["rev_number"] if revision is None else revision
            self.service.update(
                target.tenant.spec.name, target.spec.name, entry.record_id, payload,
                self.options.user,
            )  # fmt: skip
        except RecordInvalid as invalid:
            for error in invalid.errors:
                _place_error(entry, error)
            return
        except (Conflict, NotFound) as refusal:
            entry.row.errors.append(str(refusal))
            return
        finally:
            self.progress(2)
        self.result.updated += 1


def _texts(cells: Sequence[Any], rows: list[Row], header: str, guarded: bool) -> list[str | None]:
    """A text column of a CSV: each cell trimmed, empty as None; a cell with an export's
    formula guard or a NUL takes the long way."""
    try:
        texts = [cell.strip() or None for cell in cells]
    except AttributeError:  # a short row's padding
        texts = [cell.strip() or None if cell else None for cell in cells]
    if not guarded:
        return texts
    joined = "\x1f".join(filter(None, texts))
    if "'" not in joined and "\x00" not in joined:
        return texts
    for index, text in enumerate(texts):
        if text and "\x00" in text:
            rows[index].errors.append(f"{header} holds a NUL character, which cannot be stored")
        elif text and text[0] == "'":
            texts[index] = unsafe_cell(text)
    return texts


def _typed(
    cells: Sequence[Any], rows: list[Row], field: FieldSpec, convert: Any, whole: Any
) -> list[Any]:
    """A column converted by its field's converter; a cell that does not convert is an
    error of its row, and a blank cell is no value. The column's `whole` converter, if
    any, goes first: it takes a column of plain cells in one pass."""
    if whole is not None:
        try:
            return whole(cells)
        except (ValueError, TypeError, KeyError):
            pass  # some cell is not plain: cell by cell
    try:
        return [None if cell is None or cell == "" else convert(cell) for cell in cells]
    except CONVERSION_ERRORS:
        pass
    values = []
    for cell, row in zip(cells, rows, strict=True):
        value = None
        if cell is not None and cell != "":
            try:
                value = convert(cell)
            except CONVERSION_ERRORS as error:
                if cell.__class__ is not str or cell.strip():
                    row.errors.append(problem(field, cell, error))
                    row.unreadable.add(field.name)
        values.append(value)
    return values


def _holds(record: dict[str, Any], payload: dict[str, Any]) -> bool:
    """Whether the record already holds every value (and every line) of the payload; its
    lines are matched to the stored ones (see engine.bulk.matching) and hold their values."""
    for name, value in payload.items():
        old = record.get(name)
        if (
            isinstance(value, list)
            and isinstance(old, list)
            and value
            and isinstance(value[0], dict)
        ):
            stored = {line["id"]: line for line in old}
            if len(value) != len(old) or any(
                "id" not in new or any(stored[new["id"]].get(k) != v for k, v in new.items())
                for new in value
            ):
                return False
        elif old != value:
            return False
    return True


def _line_draft(row: Row, record: Draft) -> Draft:
    return Draft(row.values, place=f"row {row.number} of {row.table.name}", parent=record)


def _place_error(entry: Entry, error: RecordError) -> None:
    """A validator error on the row it belongs to (`sites[2].x` is the third sites row),
    unless the row's cell for that field was already reported as unreadable."""
    row, name = entry.row, error.field
    line, _, rest = error.field.partition("[")
    if rest and line in entry.lines:
        index = int(rest.split("]")[0])
        if index < len(entry.lines[line]):
            row, name = entry.lines[line][index], rest.partition("].")[2]
    if name not in row.unreadable:
        row.errors.append(error.message)


def _refuse_repeated_keys(entries: list[Entry], key: FieldSpec) -> None:
    seen: dict[str, Row] = {}
    for entry in entries:
        value = entry.row.values.get(key.name)
        if value is None:
            continue
        text = _key_text(value)
        if text in seen:
            entry.row.errors.append(
                f"{key.label} {value!r} is also on row {seen[text].number}; a key names one record"
            )
        else:
            seen[text] = entry.row


def _revision(row: Row, index: int) -> Any:
    cell = row.cells[index]
    if cell in (None, ""):
        return None
    try:
        return int(float(cell)) if isinstance(cell, float) else int(str(cell).strip())
    except ValueError:
        row.errors.append(f"rev_number must be a whole number; the file has {cell!r}")
        return None


def _fit(cells: Sequence[Any], width: int) -> Sequence[Any]:
    """A row cut or padded to the header's width."""
    if len(cells) < width:
        return (*cells, *([None] * (width - len(cells))))
    return cells[:width]


def _key_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else normalized(str(value))


def _names(field: FieldSpec | None) -> set[str]:
    return {normalized(field.name), normalized(field.label)} if field else set()


def _chunks(items: list, size: int) -> list[list]:
    return [items[start : start + size] for start in range(0, len(items), size)]
