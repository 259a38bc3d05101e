"""Import and export on every shipped tenant × entity, on SQLite and PostgreSQL: files of
new records with and without lines, and every file an export writes imported back."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from conftest import SHIPPED, _drop_tenant_schemas
from sample_records import create_sample, sample_payload, sample_value, with_lines

from engine.bulk.exporter import Selection, csv_bytes, export_sheets
from engine.bulk.importer import ImportOptions, import_records
from engine.bulk.lookups import key_fields
from engine.bulk.tables import read_csv, read_xlsx, xlsx_bytes
from engine.cli import main
from engine.records.service import RecordService
from engine.registry import build_registry
from engine.storage.databases import Storage
from engine.storage.sync import sync_registry

REGISTRY = build_registry(str(SHIPPED))
PAIRS = [(t, e) for t, tenant in REGISTRY.tenants.items() for e in sorted(tenant.entities)]


def spec_of(tenant, entity):
    return REGISTRY.tenant(tenant).entity(entity).spec


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def service(request, tmp_path_factory):
    """The shipped metadata on one backend, shared by the module's tests."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    storage = Storage(data_dir=str(tmp_path_factory.mktemp("data")), database_url=url)
    registry = build_registry(str(SHIPPED))
    sync_registry(registry, storage)
    yield RecordService(registry)
    storage.close()
    if url:
        _drop_tenant_schemas(url)


def key_of(spec):
    """The field an import finds existing records by, as the importer accepts it."""
    if spec.numbering:
        return spec.field(spec.numbering.field)
    return next((f for f in spec.fields if f.unique and f.stored), None)


def tables_of(sheets, fmt):
    """The sheets as the files an export writes, read back as an import reads them."""
    if fmt == "csv":
        return [read_csv(csv_bytes(sheet), f"{sheet.title}.csv") for sheet in sheets]
    data = xlsx_bytes(sheets)
    return [read_xlsx_bytes(data, index) for index in range(len(sheets))]


def read_xlsx_bytes(data, index):
    import pathlib
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as handle:
        handle.write(data)
    try:
        return read_xlsx(pathlib.Path(handle.name), index)
    finally:
        pathlib.Path(handle.name).unlink()


def refreshed(spec):
    """The fields a copy of a record must not share with it: unique ones, and one of each
    set of fields unique together."""
    names = [f.name for f in spec.fields if f.stored and f.unique]
    if spec.numbering:
        names.append(spec.numbering.field)
    names += [group[-1] for group in spec.unique_together]
    return [spec.field(name) for name in dict.fromkeys(names)]


def fresh_cell(service, tenant, field):
    """A value no record has yet, as a file names it."""
    if not field.lookup:
        return sample_value(service, tenant, field)
    linked = create_sample(service, tenant, field.lookup.entity)
    return linked[key_fields(service.target(tenant, field.lookup.entity).spec)[0].name]


def fresh_values(service, tenant, sheets, spec):
    """The sheets with new values where a copy must differ (and the lines' parent column
    following the key), so that their rows are new records."""
    main, *lines = sheets
    for field in refreshed(spec):
        column = main.headers.index(field.label)
        renamed = {}
        for row in main.rows:
            renamed[row[column]] = row[column] = fresh_cell(service, tenant, field)
        if field is key_of(spec):
            for sheet in lines:
                for row in sheet.rows:
                    row[0] = renamed.get(row[0], row[0])
    return sheets


KEYED = [(t, e) for t, e in PAIRS if key_of(spec_of(t, e)) is not None]
LINED = [(t, e) for t, e in PAIRS if any(f.lines for f in spec_of(t, e).fields)]


@pytest.mark.parametrize(("tenant", "entity"), KEYED)
def test_an_export_imports_back_unchanged(service, tenant, entity):
    target = service.target(tenant, entity)
    spec = target.spec
    has_lines = bool(target.lines())
    records = [with_lines(service, tenant, entity, 2) for _ in range(2)]
    if has_lines:
        records.append(create_sample(service, tenant, entity))  # and one without lines
    key = key_of(spec)
    for fmt in ("csv", "xlsx"):
        sheets = export_sheets(service, tenant, entity, lines=has_lines)
        main, *line_tables = tables_of(sheets, fmt)
        lines = {line.name: t for line, t in zip(target.lines(), line_tables, strict=True)}
        result = import_records(service, tenant, entity, main, lines, ImportOptions(key=key.name))
        rejected = [(r.table.name, r.number, r.errors) for r in result.rejected]
        assert rejected == [], rejected
        assert (result.created, result.updated) == (0, 0), fmt
        assert result.unchanged == len(main.rows) >= len(records)


@pytest.mark.parametrize(
    ("tenant", "entity", "lines_too"),
    [(t, e, False) for t, e in PAIRS] + [(t, e, True) for t, e in LINED],
)
def test_an_exported_file_imports_as_new_records(service, tenant, entity, lines_too):
    """Exported rows given new keys import as new records holding the same values, with
    their lines or without; a dry run of the same file writes nothing."""
    target = service.target(tenant, entity)
    spec = target.spec
    record = with_lines(service, tenant, entity, 2) if lines_too else None
    record = record or create_sample(service, tenant, entity)
    chosen = Selection(filters={"id": str(record["id"])})
    sheets = export_sheets(service, tenant, entity, chosen, lines=lines_too)
    sheets = fresh_values(service, tenant, sheets, spec)
    main, *line_tables = tables_of(sheets, "csv")
    lines = {line.name: t for line, t in zip(target.lines(), line_tables, strict=False)}
    dry = import_records(service, tenant, entity, main, lines, ImportOptions(dry_run=True))
    assert [r.errors for r in dry.rejected] == [] and not dry.committed
    result = import_records(service, tenant, entity, main, lines, ImportOptions())
    assert [(r.table.name, r.number, r.errors) for r in result.rejected] == []
    assert result.created == 1 and result.committed
    newest = service.list(tenant, entity, sort="-id", limit=1)["items"][0]
    made = service.read(tenant, entity, newest["id"])
    changed = {f.name for f in refreshed(spec)}
    # a view value follows its link: a link given a new record shows that record's values
    changed |= {
        mine for f in spec.fields if f.name in changed and f.lookup for mine in f.lookup.fetch
    }
    for field in spec.fields:
        if field.stored and field.name not in changed:
            assert made[field.name] == record[field.name], field.name
    for line in target.lines():
        assert len(made[line.name]) == (2 if lines_too else 0)


@pytest.mark.parametrize("tenant", sorted(REGISTRY.tenants))
def test_a_file_without_lines_imports_for_an_entity_with_lines(tmp_path, tenant, request):
    """As a shell runs it: the entity's required columns only, no lines file."""
    compiled = REGISTRY.tenant(tenant)
    spec = compiled.entity("customer").spec if "customer" in compiled.entities else None
    assert spec is not None and any(f.lines for f in spec.fields)
    data = str(tmp_path / "data")
    storage = Storage(data_dir=data)
    registry = build_registry(str(SHIPPED))
    sync_registry(registry, storage)
    service = RecordService(registry)
    row = sample_payload(service, tenant, "customer")
    cells = {}
    for name, value in row.items():
        field = spec.field(name)
        if field.lookup:
            linked = service.target(tenant, field.lookup.entity)
            names = key_fields(linked.spec)
            value = service.read(tenant, field.lookup.entity, value)[names[0].name]
        cells[field.label] = value
    storage.close()
    source = tmp_path / "a.csv"
    source.write_text(
        ",".join(cells) + "\n" + ",".join(f'"{v}"' for v in cells.values()) + "\n",
        encoding="utf-8",
    )
    for extra in (["--dry-run"], []):
        result = CliRunner().invoke(
            main,
            ["import", tenant, "customer", str(source), "--metadata", str(SHIPPED),
             "--data", data, *extra],
        )  # fmt: skip
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "Traceback" not in result.output
        assert result.exit_code == 0, result.output
    assert "Created 1, updated 0, unchanged 0." in result.output
