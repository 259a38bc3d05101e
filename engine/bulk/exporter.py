"""Export records as CSV, XLSX or JSON, and write empty templates to fill.

What an export writes, the importer reads back to the same records: headers are
labels (or names), options their labels, switches Yes/No, lookups the linked
record's number or title, and a Revision column lets a re-import of an edited
file refuse rows whose record changed since the export.
"""

from __future__ import annotations

import dataclasses
import io
import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.bulk.cells import cell_text
from engine.bulk.lookups import key_fields
from engine.bulk.tables import Sheet, write_csv, xlsx_bytes
from engine.compile.layout import form_fields
from engine.records.search import MAX_LIMIT
from engine.records.service import RecordService
from engine.records.target import Target
from engine.spec import EntitySpec, FieldSpec

EXPORT_FORMATS = ("csv", "xlsx", "json")
REVISION_HEADER = "Revision"
Progress = Callable[[int], None]


def exported_fields(entity: EntitySpec) -> list[FieldSpec]:
    """The fields an export writes: every stored field the tenant shows, in form order."""
    return [f for f in form_fields(entity) if f.stored]


def fillable_fields(entity: EntitySpec, link: str | None = None) -> list[FieldSpec]:
    """The fields a person fills in an import file, in form order."""
    return [f for f in form_fields(entity) if f.stored and not f.read_only and f.name != link]


def headers(fields: list[FieldSpec], names: bool, taken: tuple[str, ...] = ()) -> list[str]:
    """The fields' column headers: labels, or names with `names`; a label that two of the
    fields share, or that is `taken` (a lines sheet's link names the parent by its label),
    is replaced by each one's name, so the importer can tell them apart."""
    if names:
        return [f.name for f in fields]
    seen = Counter([*(f.label for f in fields), *taken])
    return [f.label if seen[f.label] == 1 else f.name for f in fields]


class _KeyNames:
    """Lookup ids → the number or title the importer resolves them by, read once."""

    def __init__(self, service: RecordService, tenant: str) -> None:
        self.service, self.tenant = service, tenant
        self._names: dict[tuple[str, str | None], dict[int, str]] = {}

    def name(self, field: FieldSpec, value: Any) -> str:
        """A lookup's cell: what the importer names the record by, or "#id" for a record
        with no number or title, the one name an import can read back. A view value, which
        imports skip, shows its own column of the record as the form does."""
        if value is None:
            return ""
        entity = field.lookup.entity
        shown = field.lookup.show if field.view else None
        if (entity, shown) not in self._names:
            self._names[entity, shown] = self._read(entity, shown)
        return self._names[entity, shown].get(value, "" if shown else f"#{value}")

    def _read(self, entity: str, shown: str | None) -> dict[int, str]:
        linked = self.service.target(self.tenant, entity)
        keys = [linked.spec.field(shown)] if shown else key_fields(linked.spec)
        if not keys:
            return {}
        columns = [linked.column(keys[0].system or keys[0].name)]
        return {
            record_id: str(key)
            for record_id, key in linked.model.select(linked.model.id, *columns).tuples()
            if key not in (None, "")
        }


@dataclass(frozen=True)
class Selection:
    """Which records an export holds, and in what order: as the list page and the API
    select them (`q` over the searchable fields, filters by field, a sort)."""

    q: str | None = None
    filters: Mapping[str, str] = dataclasses.field(default_factory=dict)
    sort: str | None = None


def export_sheets(
    service: RecordService,
    tenant: str,
    entity: str,
    selection: Selection = Selection(),
    *,
    names: bool = False,
    lines: bool = False,
    progress: Progress | None = None,
) -> list[Sheet]:
    """The records that match, as a sheet; with `lines`, a sheet per lines field after it."""
    target = service.target(tenant, entity)
    keys = _KeyNames(service, tenant)
    fields = exported_fields(target.spec)
    main = Sheet(
        target.spec.plural,
        [*headers(fields, names), "rev_number" if names else REVISION_HEADER],
        [],
    )
    ids = []
    for record in _records(service, tenant, entity, selection, progress):
        main.rows.append(
            [_cell(f, record.get(f.name), keys) for f in fields] + [record["rev_number"]]
        )
        ids.append(record["id"])
    sheets = [main]
    if lines:
        sheets += [_line_sheet(service, target, line, ids, names, keys) for line in target.lines()]
    return sheets


def _cell(field: FieldSpec, value: Any, keys: _KeyNames) -> Any:
    if field.lookup:
        return keys.name(field, value)
    return cell_text(field, value)


def _records(
    service: RecordService,
    tenant: str,
    entity: str,
    selection: Selection,
    progress: Progress | None,
) -> Iterator[dict[str, Any]]:
    """Every matching record, a page at a time (ordered by id, then by `sort`)."""
    offset = 0
    while True:
        page = service.list(
            tenant,
            entity,
            q=selection.q,
            filters=selection.filters,
            sort=selection.sort,
            limit=MAX_LIMIT,
            offset=offset,
        )
        yield from page["items"]
        if progress:
            progress(len(page["items"]))
        offset += MAX_LIMIT
        if offset >= page["total"] or not page["items"]:
            return


def _line_sheet(
    service: RecordService,
    target: Target,
    line: FieldSpec,
    parent_ids: list[int],
    names: bool,
    keys: _KeyNames,
) -> Sheet:
    """A lines field as its own sheet: a column naming the parent by its key, then the
    line's fields."""
    child = target.child(line)
    link = child.spec.field(line.lines.link)
    fields = [f for f in exported_fields(child.spec) if f.name != link.name]
    parent_key = _parent_key(target)
    sheet = Sheet(line.label, headers([parent_key, *fields], names, taken=(link.label,)), [])
    wanted = set(parent_ids)
    parent_names = _parent_names(target, parent_key)
    for record in _records(service, target.tenant.spec.name, child.spec.name, Selection(), None):
        if record.get(link.name) in wanted:
            sheet.rows.append(
                [parent_names.get(record[link.name], "")]
                + [_cell(f, record.get(f.name), keys) for f in fields]
            )
    return sheet


def _parent_key(target: Target) -> FieldSpec:
    keys = key_fields(target.spec)
    return keys[0] if keys else target.spec.fields[0]


def _parent_names(target: Target, key: FieldSpec) -> dict[int, str]:
    column = target.column(key.name)
    return {i: str(v) for i, v in target.live().select(target.model.id, column).tuples()}


def write_sheets(sheets: list[Sheet], fmt: str, path: Path | None) -> bytes | None:
    """Write the sheets as csv or xlsx: to `path`, or returned as bytes when `path` is None.
    CSV holds one sheet a file: further sheets go to PATH.<sheet title>.csv beside it."""
    if fmt == "xlsx":
        data = xlsx_bytes(sheets)
    else:
        data = csv_bytes(sheets[0])
        for extra in sheets[1:]:
            if path is None:
                raise ValueError("lines in CSV need --output: each goes to a file of its own")
            companion_path(path, extra.title).write_bytes(csv_bytes(extra))
    if path is None:
        return data
    path.write_bytes(data)
    return None


def companion_path(path: Path, title: str) -> Path:
    """Where the CSV of a further sheet goes: customers.csv → customers.sites.csv."""
    slug = "_".join(title.lower().split())
    return path.with_name(f"{path.stem}.{slug}{path.suffix or '.csv'}")


def csv_bytes(sheet: Sheet) -> bytes:
    """A sheet as a CSV file's bytes, UTF-8 with a byte order mark."""
    # UTF-8 with a BOM: spreadsheet programs then read accents right
    text = io.StringIO(newline="")
    write_csv(text, sheet.headers, sheet.rows)
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def export_json(
    service: RecordService,
    tenant: str,
    entity: str,
    selection: Selection = Selection(),
    *,
    lines: bool = False,
    progress: Progress | None = None,
) -> bytes:
    """The matching records as the API answers them: a JSON array, lines included if asked."""
    records = list(_records(service, tenant, entity, selection, progress))
    if lines:
        records = [service.read(tenant, entity, record["id"]) for record in records]
    return json.dumps(records, ensure_ascii=False, indent=2).encode()


def template_sheets(target: Target) -> list[Sheet]:
    """Empty sheets to fill: the entity's, then one per lines field, headed by labels, with
    a note on every header (what the field takes, whether it is required) and drop-down
    lists for options and switches."""
    fields = fillable_fields(target.spec)
    sheets = [_template_sheet(target.spec.plural, fields)]
    key = _parent_key(target)
    for line in target.lines():
        child = target.child(line)
        link = child.spec.field(line.lines.link)
        sheet = _template_sheet(line.label, fillable_fields(child.spec, link.name), link.label)
        sheet.headers.insert(0, key.label)
        sheet.notes = {i + 1: text for i, text in sheet.notes.items()}
        sheet.notes[0] = f"The {key.label} of the {target.spec.label} this line belongs to."
        sheet.choices = {i + 1: allowed for i, allowed in sheet.choices.items()}
        sheets.append(sheet)
    return sheets


def _template_sheet(title: str, fields: list[FieldSpec], taken: str = "") -> Sheet:
    sheet = Sheet(title, headers(fields, names=False, taken=(taken,) if taken else ()), [])
    for index, field in enumerate(fields):
        sheet.notes[index] = _note(field)
        choices = field.type.template_choices(field)
        if choices is not None:
            sheet.choices[index] = choices
    return sheet


def _note(field: FieldSpec) -> str:
    parts = [f"{field.label}: {field.type.expects}."]
    if field.required:
        parts.append("Required.")
    elif field.required_if:
        parts.append(f"Required when {field.required_if.text}.")
    hint = field.type.cell_hint(field)
    if hint:
        parts.append(hint)
    if field.help:
        parts.append(field.help)
    return " ".join(parts)
