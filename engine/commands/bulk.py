"""`formwork import`, `formwork export` and `formwork template`: records in and out of
CSV and XLSX files (engine.bulk)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from engine.bulk import exporter
from engine.bulk.importer import ImportOptions, ImportResult, import_records
from engine.bulk.rejects import write_rejects
from engine.bulk.tables import Table, file_format, read_table
from engine.commands.base import Deployment, data_options, main, opened
from engine.errors import EngineError
from engine.records.files import UPLOADS, StoredFiles
from engine.records.service import RecordService
from engine.storage.sync import sync_registry

SHOWN_PROBLEMS = 50  # rows listed on the terminal; the rejects file holds them all


class ImportFailed(EngineError):
    """Rows had errors and nothing was written."""

    exit_code = 1


@main.command("import")
@click.argument("tenant")
@click.argument("entity")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--lines",
    "line_sources",
    multiple=True,
    metavar="FIELD[=FILE]",
    help="Lines from another file, or (XLSX) from the sheet named after the lines field.",
)
@click.option("--key", metavar="FIELD", help="Update the record with the row's FIELD; else create.")
@click.option("--dry-run", is_flag=True, help="Check every row and write nothing.")
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Commit the valid rows; write the rejected ones, with their errors, to this file.",
)
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), help="Default: by extension.")
@click.option("--encoding", help="The CSV's encoding (default: detected).")
@click.option("--delimiter", help="The CSV's delimiter (default: detected).")
@click.option("--sheet", help="The XLSX sheet to read (default: the first).")
@click.option("--skip-unknown-columns", is_flag=True, help="Skip columns that name no field.")
@click.option("--user", default="import", show_default=True, help="Who the audit log names.")
@data_options
def import_command(
    deployment: Deployment,
    tenant: str,
    entity: str,
    file: Path,
    line_sources: tuple[str, ...],
    key: str | None,
    dry_run: bool,
    rejects: Path | None,
    fmt: str | None,
    encoding: str | None,
    delimiter: str | None,
    sheet: str | None,
    skip_unknown_columns: bool,
    user: str,
) -> None:
    """Import records of ENTITY from a CSV or XLSX FILE into TENANT.

    Columns name fields by name or label. By default the run is all or nothing: one bad
    row and nothing is written, and every bad row is listed. Exit status: 0 written,
    1 nothing written.
    """
    if delimiter is not None:
        delimiter = delimiter.encode().decode("unicode_escape")  # lets "\t" mean a tab
    fmt = file_format(file, fmt)
    table = read_table(file, fmt, encoding=encoding, delimiter=delimiter, sheet=sheet or 0)
    lines = {
        name: table_of
        for name, table_of in _line_tables(file, fmt, line_sources, encoding, delimiter)
    }
    options = ImportOptions(key, dry_run, rejects is not None, skip_unknown_columns, user)
    if table.encoding:
        click.echo(f"Reading {file.name}: {table.encoding}, delimiter {table.delimiter!r}.")
    with _service(deployment, tenant) as service, _bar(table) as advance:
        result = import_records(service, tenant, entity, table, lines, options, advance)
    _report(result, file, rejects, dry_run)


@contextmanager
def _service(deployment: Deployment, tenant: str) -> Iterator[RecordService]:
    """The records service, every tenant's tables brought in line with the metadata first."""
    with opened(deployment) as (registry, storage):
        registry.tenant(tenant)  # a misspelt tenant fails before any database changes
        sync_registry(registry, storage)
        yield RecordService(registry, StoredFiles(storage.data_dir / UPLOADS))


def _line_tables(
    file: Path,
    fmt: str,
    sources: tuple[str, ...],
    encoding: str | None,
    delimiter: str | None,
) -> Iterator[tuple[str, Table]]:
    for source in sources:
        name, _, path = source.partition("=")
        if path:
            line_file = Path(path)
            line_fmt = file_format(line_file)
            yield name, read_table(line_file, line_fmt, encoding=encoding, delimiter=delimiter)
        elif fmt == "xlsx":
            yield name, read_table(file, "xlsx", sheet=name)
        else:
            raise click.UsageError(f"--lines {name}: a CSV file holds one table; use {name}=FILE")


@contextmanager
def _bar(table: Table) -> Iterator[Any]:
    """A progress bar on the terminal (stderr): each row counts once checked and once
    written."""
    with click.progressbar(length=2 * len(table.rows), label="Importing", file=sys.stderr) as bar:
        yield bar.update


def _report(result: ImportResult, file: Path, rejects: Path | None, dry_run: bool) -> None:
    for notice in result.notices:
        click.echo(f"note: {notice}")
    failed = [row for row in result.rejected if row.errors]
    for row in failed[:SHOWN_PROBLEMS]:
        click.echo(f"{row.table.name}:{row.number}: {'; '.join(row.errors)}", err=True)
    if len(failed) > SHOWN_PROBLEMS:
        click.echo(f"... and {len(failed) - SHOWN_PROBLEMS} more rows with errors", err=True)
    counts = f"{result.created} to create, {result.updated} to update, {result.unchanged} unchanged"
    have = (
        f"{len(failed)} row has errors" if len(failed) == 1 else f"{len(failed)} rows have errors"
    )
    if dry_run:
        verdict = "every row is valid" if not failed else have
        click.echo(f"Dry run: {verdict}; {counts}. Nothing was written.")
        if failed:
            raise ImportFailed(f"{file.name}: {have}")
        return
    if not result.committed:
        raise ImportFailed(
            f"nothing was written: {have}. Fix them, or pass "
            "--rejects FILE to import the valid rows and collect the others"
        )
    click.echo(f"Created {result.created}, updated {result.updated}, unchanged {result.unchanged}.")
    if result.rejected and rejects is not None:
        written = write_rejects(result.rejected, rejects)
        click.echo(
            f"{len(failed)} rows were rejected; they are in {', '.join(map(str, written))} "
            "with their errors: fix them there and import that file."
        )


@main.command("export")
@click.argument("tenant")
@click.argument("entity")
@click.option("--format", "fmt", type=click.Choice(exporter.EXPORT_FORMATS), default="csv")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Default: stdout."
)
@click.option("-q", "query", help="Only records whose searchable fields contain this text.")
@click.option("--filter", "filters", multiple=True, metavar="FIELD=VALUE", help="Only matching.")
@click.option("--sort", metavar="[-]FIELD", help="Order by this field (- for descending).")
@click.option("--names", is_flag=True, help="Head columns with field names, not labels.")
@click.option("--lines", is_flag=True, help="Include the lines (XLSX sheets, CSV files).")
@data_options
def export_command(
    deployment: Deployment,
    tenant: str,
    entity: str,
    fmt: str,
    output: Path | None,
    query: str | None,
    filters: tuple[str, ...],
    sort: str | None,
    names: bool,
    lines: bool,
) -> None:
    """Export the records of ENTITY of TENANT that match, as CSV, XLSX or JSON."""
    if fmt == "xlsx" and output is None:
        raise click.UsageError("XLSX is binary: pass --output FILE")
    if lines and fmt == "csv" and output is None:
        raise click.UsageError("lines in CSV go to files of their own: pass --output FILE")
    selection = exporter.Selection(query, dict(_pair(text) for text in filters), sort)
    with _service(deployment, tenant) as service:
        total = service.list(tenant, entity, q=query, filters=selection.filters, limit=1)["total"]
        with click.progressbar(length=total, label="Exporting", file=sys.stderr) as bar:
            if fmt == "json":
                data = exporter.export_json(
                    service, tenant, entity, selection, lines=lines, progress=bar.update
                )
            else:
                sheets = exporter.export_sheets(
                    service, tenant, entity, selection, names=names, lines=lines,
                    progress=bar.update,
                )  # fmt: skip
                data = exporter.write_sheets(sheets, fmt, output)
    _emit(data, output)
    if output is not None:
        click.echo(f"Exported {total} records to {output}.", err=True)


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep:
        raise click.UsageError(f"--filter {text!r}: write FIELD=VALUE")
    return name.strip(), value


def _emit(data: bytes | None, output: Path | None) -> None:
    if data is None:
        return
    if output is not None:
        output.write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


@main.command("template")
@click.argument("tenant")
@click.argument("entity")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="FILE.xlsx (with drop-down lists) or FILE.csv (headers only).",
)
@data_options
def template_command(deployment: Deployment, tenant: str, entity: str, output: Path) -> None:
    """Write an empty file to fill for ENTITY of TENANT: the headers the import expects."""
    fmt = file_format(output)
    with _service(deployment, tenant) as service:
        sheets = exporter.template_sheets(service.target(tenant, entity))
    exporter.write_sheets(sheets, fmt, output)
    click.echo(f"Wrote {output}: {len(sheets[0].headers)} columns.")
