"""Workbooks made to exhaust whoever reads them, built at test time as an attacker builds
them: with zipfile, part by part, each sheet written as it streams out."""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
<Default Extension="xml" ContentType="application/xml"/>\
<Override PartName="/xl/workbook.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
<Override PartName="/xl/worksheets/sheet1.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\
</Types>"""
STRINGS_TYPE = """<Override PartName="/xl/sharedStrings.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>"""
ROOT_RELS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="{PACKAGE}"><Relationship Id="rId1" \
Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>"""
WORKBOOK = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}"><sheets>\
<sheet name="Items" sheetId="1" r:id="rId1"/></sheets></workbook>"""
WORKBOOK_RELS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="{PACKAGE}">\
<Relationship Id="rId1" Type="{RELATIONSHIPS}/worksheet" Target="worksheets/sheet1.xml"/>\
<Relationship Id="rId2" Type="{RELATIONSHIPS}/styles" Target="styles.xml"/>\
<Relationship Id="rId3" Type="{RELATIONSHIPS}/sharedStrings" Target="sharedStrings.xml"/>\
</Relationships>"""
SHEET_HEAD = f'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="{MAIN}"><sheetData>'
SHEET_TAIL = "</sheetData></worksheet>"
HEADER_ROW = '<row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c></row>'


def write_workbook(
    path: Path,
    rows: Iterable[str | bytes],
    *,
    styles: str | None = None,
    strings: list[str] | None = None,
    head: str = SHEET_HEAD,
    tail: str = SHEET_TAIL,
) -> Path:
    """A workbook of one sheet, "Items", whose <sheetData> holds `rows` (XML text,
    streamed into the zip as it comes), and a styles part and shared strings if given
    (a cell <c t="s"><v>N</v></c> shows the Nth)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        types = CONTENT_TYPES
        if strings is not None:
            types = types.replace("</Types>", f"{STRINGS_TYPE}</Types>")
            texts = "".join(f"<si><t>{text}</t></si>" for text in strings)
            archive.writestr("xl/sharedStrings.xml", f'<sst xmlns="{MAIN}">{texts}</sst>')
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        if styles is not None:
            archive.writestr("xl/styles.xml", styles)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(head.encode())
            for row in rows:
                sheet.write(row if isinstance(row, bytes) else row.encode())
            sheet.write(tail.encode())
    return path


def far_columns(count: int, header_too: bool = False) -> Iterator[str]:
    """A header, then `count` rows each with a cell in column A and one in column XFD, the
    last a sheet has: a reader that pads rows to the widest one makes 16,384 cells of each."""
    far = '<c r="XFD1" t="inlineStr"><is><t>far</t></is></c>' if header_too else ""
    yield HEADER_ROW.replace("</row>", f"{far}</row>")
    for row in range(2, count + 2):
        yield f'<row r="{row}"><c r="A{row}"><v>1</v></c><c r="XFD{row}"><v>1</v></c></row>'


def repeated_rows(count: int) -> Iterator[bytes]:
    """A header, then `count` rows alike, in blocks: they pack about 340 to 1."""
    yield HEADER_ROW.encode()
    block = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 10_000
    for _ in range(count // 10_000):
        yield block


def numbered_rows(count: int, cells: int = 1, headers: int = 1) -> Iterator[str]:
    """A header row of `headers` columns ("Name", then "Column 2", …), then `count` rows of
    `cells` cells of numbers that differ: they pack as a spreadsheet's rows do, a few times
    smaller."""
    names = ["Name", *(f"Column {n}" for n in range(2, headers + 1))]
    yield "<row>" + "".join(f'<c t="inlineStr"><is><t>{n}</t></is></c>' for n in names) + "</row>"
    for row in range(2, count + 2):
        values = "".join(f"<c><v>{row * 7919 + cell}</v></c>" for cell in range(cells))
        yield f"<row>{values}</row>"


def declare_size(path: Path, part: str, size: int) -> None:
    """Make the zip's headers (the part's own and the central directory's) declare `size`
    unpacked bytes for `part`, whatever it holds: a header that lies."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(part)
        start = archive.start_dir
    struct.pack_into("<L", data, info.header_offset + 22, size)
    at = start
    while data[at : at + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = struct.unpack_from("<3H", data, at + 28)
        if data[at + 46 : at + 46 + name_length].decode() == part:
            struct.pack_into("<L", data, at + 24, size)
        at += 46 + name_length + extra_length + comment_length
    path.write_bytes(bytes(data))
