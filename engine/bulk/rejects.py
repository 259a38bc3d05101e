"""The rows an import rejected, written back as a file to fix and import again.

Each row keeps its cells as they were read and gains an "Import errors" cell, which
the importer skips when the fixed file comes back. Lines rejected with their parent
go to the same workbook's sheet of the same name, or to a CSV file beside the first.
"""

from __future__ import annotations

from pathlib import Path

from engine.bulk.columns import ERRORS_HEADER
from engine.bulk.exporter import companion_path, csv_bytes
from engine.bulk.rows import Row
from engine.bulk.tables import Sheet, file_format, xlsx_bytes


def write_rejects(rows: list[Row], path: Path) -> list[Path]:
    """Write the rejected rows, grouped by the table they came from; the paths written."""
    sheets: dict[int, Sheet] = {}
    for row in rows:
        table = row.table
        sheet = sheets.get(id(table))
        if sheet is None:
            title = table.name.rpartition(":")[2] if ":" in table.name else Path(table.name).stem
            sheet = sheets[id(table)] = Sheet(title, [*table.headers, ERRORS_HEADER], [])
        cells = list(row.cells)[: len(table.headers)]
        cells += [None] * (len(table.headers) - len(cells))
        reason = "; ".join(row.errors) or "not imported: a row it belongs with has errors"
        sheet.rows.append([*cells, reason])
    ordered = list(sheets.values())
    if file_format(path) == "xlsx":
        path.write_bytes(xlsx_bytes(ordered))
        return [path]
    written = [path]
    path.write_bytes(csv_bytes(ordered[0]))
    for sheet in ordered[1:]:
        extra = companion_path(path, sheet.title)
        extra.write_bytes(csv_bytes(sheet))
        written.append(extra)
    return written
