"""Tabular files as headers and rows: CSV in any common dialect and encoding, and XLSX.

A CSV's encoding and dialect are detected unless given: a byte-order mark decides,
then strict UTF-8, then charset-normalizer's best guess; the delimiter and quoting
come from csv.Sniffer, checked against the header line. XLSX is read with openpyxl
in read-only mode, one sheet and one row at a time, once engine.bulk.workbook_limits has
found the file within what reading it may cost.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import charset_normalizer

from engine.bulk.workbook_limits import (
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_ROWS,
    WorkbookRefused,
    check_workbook,
)
from engine.cell_text import normalized, safe_cell
from engine.cell_text import unsafe_cell as unsafe_cell  # read by the importer from here
from engine.errors import FileUnreadable
from engine.registry import without_cycle_collection

FORMATS = ("csv", "xlsx")
DELIMITERS = ",;\t|"
_SAMPLE = 64 * 1024
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass
class Sheet:
    """A table to write: its title, headers and rows of cells. `choices` puts a drop-down
    list on a column (column index → allowed values); `notes` comments a header cell."""

    title: str
    headers: list[str]
    rows: list[list[Any]]
    choices: dict[int, list[str]] = field(default_factory=dict)
    notes: dict[int, str] = field(default_factory=dict)


@dataclass
class Table:
    """A sheet of cells: `rows` are (row number in the file, cells) without the header."""

    name: str
    headers: list[str]
    rows: list[tuple[int, Sequence[Any]]]
    encoding: str | None = None
    delimiter: str | None = None
    notes: list[str] = field(default_factory=list)
    # whether some text cell may hold an export's formula guard (') or a NUL: a file
    # without either has its text columns taken as they are
    guarded: bool = True


def file_format(path: Path, given: str | None = None) -> str:
    """csv or xlsx: the given format, else the file's extension."""
    name = (given or path.suffix.lstrip(".")).lower()
    if name in ("txt", "tsv"):
        name = "csv"
    if name not in FORMATS:
        raise FileUnreadable(
            f"{path.name}: cannot tell its format from the name; pass --format csv or xlsx"
        )
    return name


def read_table(
    path: Path,
    fmt: str | None = None,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | int = 0,
) -> Table:
    """The first (or the named) table of a file, with every row read."""
    if not path.is_file():
        raise FileUnreadable(f"{path}: no such file")
    if file_format(path, fmt) == "xlsx":
        return read_xlsx(path, sheet)
    return read_csv(path.read_bytes(), path.name, encoding=encoding, delimiter=delimiter)


def read_csv(
    data: bytes, name: str, *, encoding: str | None = None, delimiter: str | None = None
) -> Table:
    """A CSV file's rows; the encoding and the dialect are detected unless given."""
    encoding = encoding or detect_encoding(data)
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        raise FileUnreadable(f"{name}: cannot be read as {encoding}: {error}") from None
    text = text.removeprefix("\ufeff")
    dialect = _dialect(text[:_SAMPLE], delimiter)
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    with without_cycle_collection():
        table = _read_rows(reader, name, encoding, dialect.delimiter)
    table.guarded = "'" in text or "\x00" in text
    return table


def _read_rows(reader: Any, name: str, encoding: str, delimiter: str) -> Table:
    try:
        headers = next(reader, None)
        if headers is None:
            raise FileUnreadable(f"{name}: the file is empty; the first row must hold the headers")
        rows = [(reader.line_num, cells) for cells in reader if any(cells)]
    except csv.Error as error:
        raise FileUnreadable(f"{name}: line {reader.line_num}: {error}") from None
    return Table(name, [h.strip() for h in headers], rows, encoding, delimiter)


def detect_encoding(data: bytes) -> str:
    """The encoding a CSV file is most likely written in."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data[: _SAMPLE * 4]).best()
    return best.encoding if best is not None else "latin-1"


def _dialect(sample: str, delimiter: str | None) -> type[csv.Dialect] | csv.Dialect:
    """The sniffed dialect, or plain CSV with the given or the header's most used delimiter."""
    first = sample.split("\n", 1)[0]
    if delimiter is None:
        try:
            sniffed = csv.Sniffer().sniff(sample, delimiters=DELIMITERS)
            if sniffed.delimiter in first:
                sniffed.doublequote = True  # Sniffer guesses this badly on short samples
                return sniffed
        except csv.Error:
            pass
        delimiter = max(DELIMITERS, key=first.count) if any(d in first for d in DELIMITERS) else ","

    class Given(csv.excel):
        pass

    Given.delimiter = delimiter
    return Given


def read_xlsx(path: Path, sheet: str | int = 0) -> Table:
    """One sheet of a workbook: by position or by name (case-insensitive)."""
    book = open_workbook(path)
    try:
        worksheet = _worksheet(book, sheet, path.name)
        headers, rows = _sheet_rows(worksheet, path.name)
    finally:
        book.close()
    return Table(f"{path.name}:{worksheet.title}", headers, rows)


def sheet_names(path: Path) -> list[str]:
    """The names of a workbook's sheets, in order."""
    book = open_workbook(path)
    try:
        return list(book.sheetnames)
    finally:
        book.close()


def open_workbook(path: Path) -> Any:
    """A workbook opened by openpyxl in read-only mode, once it is found within the limits
    of engine.bulk.workbook_limits; FileUnreadable (WorkbookRefused) says why not."""
    import openpyxl  # imported here: loading it costs time every other command would pay

    stat = path.stat()
    _check_workbook_once(str(path), stat.st_size, stat.st_mtime_ns)
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except Exception as error:  # openpyxl raises many kinds for a file that is not XLSX
        raise FileUnreadable(f"{path.name}: not a readable XLSX workbook ({error})") from None


@functools.lru_cache(maxsize=32)
def _check_workbook_once(path: str, size: int, modified: int) -> None:
    """Check a workbook once per version of the file (its size and time of change): an
    import opens it for each of its sheets, and for their names. A refusal raises, so it
    is not cached."""
    check_workbook(Path(path), Path(path).name)


def _sheet_rows(worksheet: Any, name: str) -> tuple[list[str], list[tuple[int, Sequence[Any]]]]:
    """The headers and the rows below them that hold something. What the sheet declares of
    its size is not trusted: the header row is as wide as its last filled cell, and every
    row below is cut to that width as openpyxl reads it, so a cell far to the right costs
    nothing (the importer ignores a cell without a header, as in a CSV file)."""
    worksheet.reset_dimensions()
    first = worksheet.iter_rows(values_only=True)
    header = next(first, None)
    first.close()
    if header is None:
        raise FileUnreadable(f"{name}: sheet {worksheet.title!r} is empty")
    width = _filled_width(header)
    if width > MAX_COLUMNS:
        raise WorkbookRefused(
            f"{name}: the first row of sheet {worksheet.title!r} fills {width:,} columns; a "
            f"sheet may have at most {MAX_COLUMNS:,}. Empty the cells right of the headers."
        )
    if width == 0:
        raise FileUnreadable(
            f"{name}: the first row of sheet {worksheet.title!r} is empty; it must hold the headers"
        )
    rows: list[tuple[int, Sequence[Any]]] = []
    cells = worksheet.iter_rows(min_row=2, max_col=width, values_only=True)
    for number, row in enumerate(cells, start=2):
        if number > MAX_ROWS:
            raise WorkbookRefused(
                f"{name}: sheet {worksheet.title!r} numbers its rows past {MAX_ROWS:,}, the "
                "most a sheet may have."
            )
        if row.count(None) == width or not any(v not in (None, "") for v in row):
            continue  # a blank row, or one the sheet skips
        rows.append((number, row))
        if len(rows) * width > MAX_CELLS:
            raise WorkbookRefused(
                f"{name}: sheet {worksheet.title!r} has more than {MAX_CELLS:,} cells to read "
                f"({len(rows):,} rows of {width:,} columns so far); a sheet may have at most "
                f"{MAX_CELLS:,}. Split it into smaller files."
            )
    return ["" if h is None else str(h).strip() for h in header[:width]], rows


def _filled_width(row: Sequence[Any]) -> int:
    """The number of cells up to the last one that holds something."""
    width = len(row)
    while width and row[width - 1] in (None, ""):
        width -= 1
    return width


def _worksheet(book: Any, sheet: str | int, name: str) -> Any:
    if isinstance(sheet, int):
        if sheet >= len(book.sheetnames):
            raise FileUnreadable(f"{name}: has no sheet number {sheet + 1}")
        return book[book.sheetnames[sheet]]
    wanted = normalized(sheet)
    for title in book.sheetnames:
        if normalized(title) == wanted:
            return book[title]
    raise FileUnreadable(
        f"{name}: has no sheet {sheet!r}; its sheets are {', '.join(book.sheetnames)}"
    )


def write_csv(target: io.TextIOBase, headers: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Plain comma-separated CSV; cells that a spreadsheet would run as a formula are
    prefixed with an apostrophe."""
    writer = csv.writer(target)
    writer.writerow(headers)
    writer.writerows([safe_cell(v) for v in row] for row in rows)


def rows_of(table: Table) -> Iterator[tuple[int, Sequence[Any]]]:
    """The rows of a table, each padded to the header's width."""
    width = len(table.headers)
    for number, cells in table.rows:
        if len(cells) < width:
            cells = (*cells, *([None] * (width - len(cells))))
        yield number, cells


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """An XLSX workbook of the sheets, headers bold and frozen. Drop-down lists take their
    values from a hidden sheet, as a list written inline may hold only 255 characters."""
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    book.remove(book.active)
    lists, used = None, 0
    for sheet in sheets:
        worksheet = book.create_sheet(_sheet_title(sheet.title))
        worksheet.append(list(sheet.headers))
        for cell in worksheet[1]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            worksheet.append([safe_cell(v) for v in row])
        worksheet.freeze_panes = "A2"
        for column, text in sheet.notes.items():
            worksheet.cell(row=1, column=column + 1).comment = Comment(text, "Formwork")
        for column, allowed in sheet.choices.items():
            if lists is None:
                lists = book.create_sheet(_LISTS)
                lists.sheet_state = "hidden"
            used += 1
            _drop_down(worksheet, column, allowed, lists, used)
    if lists is not None:  # last, out of the way of the sheets people fill
        book.move_sheet(lists, offset=len(book.sheetnames) - 1 - book.index(lists))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


_LISTS = "Lists"


def _drop_down(worksheet: Any, column: int, allowed: list[str], lists: Any, place: int) -> None:
    """A list of allowed values on a column, read from column `place` of the lists sheet."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    source = get_column_letter(place)
    for row, value in enumerate(allowed, start=1):
        lists[f"{source}{row}"] = value
    validation = DataValidation(
        type="list", formula1=f"{_LISTS}!${source}$1:${source}${len(allowed)}", allow_blank=True
    )
    validation.error = "Choose one of the listed values."
    validation.showErrorMessage = True
    worksheet.add_data_validation(validation)
    letter = get_column_letter(column + 1)
    validation.add(f"{letter}2:{letter}1048576")


def _sheet_title(title: str) -> str:
    """A sheet title spreadsheets accept: at most 31 characters, none of []:*?/\\."""
    return "".join(c for c in title if c not in "[]:*?/\\")[:31] or "Sheet"
