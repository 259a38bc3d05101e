"""What reading a workbook may cost, checked before openpyxl parses any of it.

An XLSX workbook is a zip archive of XML parts. A file of a few hundred kilobytes can
unpack to gigabytes (a zip bomb), or hold rows of millions of XML elements, and openpyxl
would spend that memory and time. So a workbook is read once first, with caps: the zip's
list of parts, their declared sizes and compression, then each part as it unpacks, its
bytes counted (never more than its header declares, nor than the limit for the whole
file) and its XML read by expat, the tokenizer openpyxl's parser is built on, counting
what that parser will hold at once. A workbook over a limit is refused, naming the
limit and the file's own figure. docs/bulk.md lists the limits.

openpyxl (read-only) streams a sheet and the shared strings, a row or a string at a
time, keeping only an emptied element per row and what lies outside the rows; it parses
every other part (styles, the workbook, relationships…) whole. Which parts it streams is
read from the workbook's relationships, as openpyxl reads them; a part also reached
another way counts as parsed whole.
"""

from __future__ import annotations

import contextlib
import os
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.parsers import expat

from engine.errors import FileUnreadable

MIB = 1024 * 1024
MAX_UNPACKED_BYTES = 256 * MIB  # every part of a workbook together, unpacked
MAX_RATIO = 100  # unpacked size over packed size, for a part that unpacks past RATIO_FROM
RATIO_FROM = MIB  # a smaller part may be packed tighter: it costs little whatever it holds
MAX_DIRECTORY_BYTES = MIB  # the zip's list of its parts (tens of bytes a part)
MAX_CELLS = 5_000_000  # cells of the workbook's sheets, and rows × columns read from a sheet
MAX_STRINGS = 1_000_000  # shared strings: the distinct texts of the cells
MAX_ROWS = 1_048_576  # rows of a sheet, as in Excel
MAX_COLUMNS = 1_000  # columns of a sheet's header row, up to its last filled cell
# what a parser holds at once: a row or a shared string, what lies outside the rows or
# strings of a part, or a part read whole (styles, the workbook, relationships…)
MAX_ELEMENTS_AT_ONCE = 200_000  # XML elements
MAX_BYTES_AT_ONCE = 16 * MIB
MAX_NAMES = 10_000  # different element and attribute names in a part; expat keeps each

_CHUNK = MIB
_RECORDS = {"row": "rows", "si": "texts"}  # what a streamed part holds one at a time
_CONTENT_TYPES = "[Content_Types].xml"


class WorkbookRefused(FileUnreadable):
    """A workbook over one of the limits; the message names the limit and the file's figure."""


@dataclass
class PartFigures:
    """What one part of the archive holds, counted as it unpacked."""

    name: str
    size: int = 0  # unpacked bytes
    elements: int = 0  # XML elements
    records: int = 0  # rows and shared strings
    outside: int = 0  # elements outside the records
    outside_bytes: int = 0


def check_workbook(path: Path, shown: str) -> None:
    """Refuse (WorkbookRefused) a workbook that would cost more to read than the limits
    allow. A file that is no zip archive is left for openpyxl to refuse."""
    _check_directory(path, shown)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return
    with archive:
        _check_declared(archive.infolist(), shown)
        parts = _unpack_all(archive, shown)
        for part in parts:
            if part.name.endswith(".rels") or part.name == _CONTENT_TYPES:
                _check_read_whole(part, shown)  # parsed next, to tell which parts are streamed
        streamed = streamed_parts(archive)
        for part in parts:
            if part.name in streamed:
                _check_streamed(part, shown)
            else:
                _check_read_whole(part, shown)


# the zip archive


def _check_directory(path: Path, shown: str) -> None:
    """zipfile keeps an object per listed part: the list's size is read from the end record
    before zipfile reads the list."""
    size = directory_size(path)
    if size > MAX_DIRECTORY_BYTES:
        raise WorkbookRefused(
            f"{shown}: its list of parts takes {amount(size)}; a workbook's may take at most "
            f"{amount(MAX_DIRECTORY_BYTES)}. Save the data again from the spreadsheet program."
        )


def directory_size(path: Path) -> int:
    """The size of a zip's central directory as zipfile will read it: from the end record,
    found as zipfile finds it, or from the zip64 end record just before it; 0 when there is
    no end record."""
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        # the end record, its longest comment, and the zip64 record and locator before it
        handle.seek(max(0, handle.tell() - (22 + 65_535 + 76)))
        tail = handle.read()
    plain = tail[-22:-18] == b"PK\x05\x06" and tail[-2:] == b"\0\0"  # no comment
    at = len(tail) - 22 if plain else tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return 0
    (size,) = struct.unpack_from("<L", tail, at + 12)
    locator, record = tail[at - 20 : at - 16], at - 76
    if record >= 0 and locator == b"PK\x06\x07" and tail[record : record + 4] == b"PK\x06\x06":
        (size,) = struct.unpack_from("<Q", tail, record + 40)
    return size


def _check_declared(infos: list[zipfile.ZipInfo], shown: str) -> None:
    """The sizes the archive declares, before anything unpacks."""
    total = sum(info.file_size for info in infos)
    if total > MAX_UNPACKED_BYTES:
        raise _too_big(shown, total)
    for info in infos:
        packed = max(info.compress_size, 1)
        if info.file_size > RATIO_FROM and info.file_size > MAX_RATIO * packed:
            raise WorkbookRefused(
                f"{shown}: its part {info.filename} unpacks to {info.file_size // packed:,} "
                f"times its packed size ({amount(info.file_size)}); a workbook's parts unpack "
                f"to at most {MAX_RATIO} times theirs. A file packed that tightly is made to "
                "exhaust memory, not by a spreadsheet program."
            )


def _too_big(shown: str, size: int) -> WorkbookRefused:
    return WorkbookRefused(
        f"{shown}: unpacks to {amount(size)} or more; a workbook may unpack to at most "
        f"{amount(MAX_UNPACKED_BYTES)}. Split it into smaller files, or save it as CSV."
    )


def _unpack_all(archive: zipfile.ZipFile, shown: str) -> list[PartFigures]:
    """Every part unpacked once and counted as it comes: never more bytes than it declares,
    nor than the workbook's limit all together, whatever a header says."""
    parts = []
    unpacked = cells = 0
    for info in archive.infolist():
        if info.is_dir():
            continue
        counter = _Counter(info.filename, shown, cells)
        try:
            with archive.open(info) as stream:
                while chunk := stream.read(_CHUNK):
                    if counter.figures.size + len(chunk) > info.file_size:
                        raise _lying(shown, info)
                    if unpacked + counter.figures.size + len(chunk) > MAX_UNPACKED_BYTES:
                        raise _too_big(shown, unpacked + counter.figures.size + len(chunk))
                    counter.feed(chunk)
        except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError) as error:
            raise FileUnreadable(
                f"{shown}: not a readable XLSX workbook (its part {info.filename}: {error})"
            ) from None
        counter.close()
        parts.append(counter.figures)
        unpacked, cells = unpacked + counter.figures.size, counter.cells
    return parts


def _lying(shown: str, info: zipfile.ZipInfo) -> WorkbookRefused:
    return WorkbookRefused(
        f"{shown}: its part {info.filename} unpacks to more than the "
        f"{amount(info.file_size)} its header declares; the file is damaged or made to "
        "mislead. Save it again from the spreadsheet program."
    )


# the XML of a part


class _Counter:
    """One part's XML as expat reads it, counted element by element: the rows or shared
    strings (records) and the elements each holds, the cells, the elements outside the
    records, and the different names (expat keeps each element and attribute name it
    meets). A part that is not XML is counted up to where expat stops, as openpyxl's
    parser would stop there too."""

    def __init__(self, name: str, shown: str, cells: int) -> None:
        self.figures = PartFigures(name)
        self.shown = shown
        # without namespace processing: a prefix is part of a name, and each prefix a
        # document declares is the name of an attribute (xmlns:p), so all are counted
        self.parser = expat.ParserCreate()
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.StartDoctypeDeclHandler = self.doctype
        self.parser.ordered_attributes = True  # names and values in a list: cheaper than a dict
        self.depth = 0
        self.record_depth = 0  # the depth of the open record; 0 outside any
        self.record_elements = 0
        self.record_start = 0  # the byte it starts at
        self.record_bytes = 0  # bytes of the records closed so far
        self.kind = ""
        self.inside = 0  # elements of the records closed so far
        self.cells = cells  # of the workbook, this part's included
        self.locals: dict[str, str] = {}  # each element name met → its name without prefix
        self.attributes: set[str] = set()
        self.stopped = False

    def feed(self, chunk: bytes) -> None:
        """Count the next bytes of the part."""
        self.figures.size += len(chunk)
        if self.stopped:
            return
        try:
            self.parser.Parse(chunk, False)
        except expat.ExpatError:
            self.stopped = True
            return
        # expat holds a tag back until it ends; openpyxl holds a record until its end tag
        start = self.record_start if self.record_depth else self.parser.CurrentByteIndex
        if self.figures.size - start > MAX_BYTES_AT_ONCE:
            what = f"one of its {_RECORDS[self.kind]}" if self.record_depth else "one XML tag"
            raise self._refusal(what, f"more than {amount(MAX_BYTES_AT_ONCE)}")

    def close(self) -> None:
        """The end of the part: what lies outside its records."""
        if not self.stopped:
            with contextlib.suppress(expat.ExpatError):  # unfinished: openpyxl refuses it
                self.parser.Parse(b"", True)
        figures = self.figures
        figures.outside_bytes = figures.size - self.record_bytes
        figures.elements = self.inside + figures.outside

    def start(self, name: str, attributes: list) -> None:
        # called for every element: the common path (an element inside a row) comes first
        self.depth += 1
        if attributes:
            known = len(self.attributes)
            self.attributes.update(attributes[::2])
            if len(self.attributes) != known:
                self._count_names()
        local = self.locals.get(name)
        if local is None:
            local = self.locals[name] = name.rpartition(":")[2]
            self._count_names()
        if self.record_depth:
            self.record_elements += 1
            if self.record_elements > MAX_ELEMENTS_AT_ONCE:
                what = f"one of its {_RECORDS[self.kind]}"
                raise self._refusal(what, f"more than {MAX_ELEMENTS_AT_ONCE:,} XML elements")
            if local == "c":
                self.cells += 1
                if self.cells > MAX_CELLS:
                    raise _too_many_cells(self.shown, self.cells)
            return
        figures = self.figures
        if local in _RECORDS:
            self.kind, self.record_depth, self.record_elements = local, self.depth, 1
            self.record_start = self.parser.CurrentByteIndex
            figures.records += 1
            if figures.records > (MAX_ROWS if local == "row" else MAX_STRINGS):
                raise _too_many_records(self.shown, figures, local)
            return
        figures.outside += 1
        if figures.outside > MAX_ELEMENTS_AT_ONCE:
            raise _too_large_part(self.shown, figures, "elements")

    def end(self, name: str) -> None:
        if self.depth == self.record_depth:
            end = self.parser.CurrentByteIndex + len(name) + 3  # past its end tag, </name>
            self.record_bytes += end - self.record_start
            self.inside += self.record_elements
            self.record_depth = 0
        self.depth -= 1

    def doctype(self, *declaration: object) -> None:
        raise WorkbookRefused(
            f"{self.shown}: its part {self.figures.name} declares a document type, which no "
            "workbook does: a document type can define entities that expand without end."
        )

    def _count_names(self) -> None:
        names = len(self.locals) + len(self.attributes)
        if names > MAX_NAMES:
            raise WorkbookRefused(
                f"{self.shown}: its part {self.figures.name} uses more than {MAX_NAMES:,} "
                "different XML names; a workbook uses a few hundred. Such a file is made to "
                "exhaust memory, not by a spreadsheet program."
            )

    def _refusal(self, what: str, figure: str) -> WorkbookRefused:
        return WorkbookRefused(
            f"{self.shown}: {what} in its part {self.figures.name} holds {figure}; one may "
            f"hold at most {MAX_ELEMENTS_AT_ONCE:,} XML elements and {amount(MAX_BYTES_AT_ONCE)}."
        )


def _too_many_cells(shown: str, cells: int) -> WorkbookRefused:
    return WorkbookRefused(
        f"{shown}: holds {cells:,} cells or more; a workbook may hold at most {MAX_CELLS:,}. "
        "Split it into smaller files."
    )


def _too_many_records(shown: str, figures: PartFigures, kind: str) -> WorkbookRefused:
    limit, holder = (MAX_ROWS, "sheet") if kind == "row" else (MAX_STRINGS, "workbook")
    return WorkbookRefused(
        f"{shown}: its part {figures.name} holds {figures.records:,} {_RECORDS[kind]} or "
        f"more; a {holder} may hold at most {limit:,}. Split it into smaller files."
    )


def _too_large_part(shown: str, figures: PartFigures, unit: str) -> WorkbookRefused:
    figure = (
        f"{figures.outside:,} XML elements" if unit == "elements" else amount(figures.outside_bytes)
    )
    return WorkbookRefused(
        f"{shown}: its part {figures.name} holds {figure} outside its rows and texts; a part "
        f"may hold at most {MAX_ELEMENTS_AT_ONCE:,} XML elements and "
        f"{amount(MAX_BYTES_AT_ONCE)} there."
    )


# which parts are streamed


def streamed_parts(archive: zipfile.ZipFile) -> set[str]:
    """The parts openpyxl streams in read-only mode: the sheets the relationships name as
    worksheets, and the shared strings the content types name; less any part that a fixed
    path, the workbook entry, a relationship of another kind or a list of relationships
    also reaches, as openpyxl parses those whole."""
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.packaging.relationship import get_dependents
    from openpyxl.xml import constants
    from openpyxl.xml.functions import fromstring

    try:
        manifest = Manifest.from_tree(fromstring(archive.read(_CONTENT_TYPES)))
    except Exception:  # no content types to read: openpyxl refuses the file too
        return set()
    strings = manifest.find(constants.SHARED_STRINGS)
    streamed = {strings.PartName[1:]} if strings is not None else set()
    workbooks = {constants.XLSX, constants.XLSM, constants.XLTX, constants.XLTM}
    whole = {o.PartName[1:] for o in manifest.Override if o.ContentType in workbooks}
    whole |= {_CONTENT_TYPES, constants.ARC_WORKBOOK, constants.ARC_STYLE, constants.ARC_THEME}
    whole |= {constants.ARC_CORE, constants.ARC_APP, constants.ARC_CUSTOM}
    for name in archive.namelist():
        if not name.endswith(".rels"):
            continue
        whole.add(name)
        try:
            relationships = get_dependents(archive, name)
        except Exception:  # a list openpyxl cannot read: it reaches nothing
            continue
        for relationship in relationships:
            kind = relationship.Type or ""
            if kind.endswith("/worksheet"):
                streamed.add(relationship.target)
            elif not kind.endswith("/sharedStrings"):
                whole.add(relationship.target)
    return streamed - whole


def _check_streamed(part: PartFigures, shown: str) -> None:
    """A part openpyxl streams keeps an emptied element per row or string (their number is
    checked as they come), and whatever lies outside them."""
    if part.outside_bytes > MAX_BYTES_AT_ONCE:
        raise _too_large_part(shown, part, "bytes")


def _check_read_whole(part: PartFigures, shown: str) -> None:
    """A part openpyxl parses whole: all of it is in memory at once."""
    if part.elements > MAX_ELEMENTS_AT_ONCE or part.size > MAX_BYTES_AT_ONCE:
        raise WorkbookRefused(
            f"{shown}: its part {part.name} holds {part.elements:,} XML elements in "
            f"{amount(part.size)}; a part other than a sheet or the shared texts may hold at "
            f"most {MAX_ELEMENTS_AT_ONCE:,} XML elements and {amount(MAX_BYTES_AT_ONCE)}."
        )


def amount(size: int) -> str:
    """A size as people read it: 256 MiB, 1.2 GiB, 487 KiB."""
    for unit, scale in (("GiB", 1024 * MIB), ("MiB", MIB), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:,.1f}".removesuffix(".0") + f" {unit}"
    return f"{size:,} bytes"
