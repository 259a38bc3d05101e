"""Import files kept on disk between the upload, its preview and its run.

A web process keeps nothing between requests (any worker may serve the next one), so
an upload waits in the data directory, in imports/<tenant>/<token>/: the token is
random, and the files inside have names of our own. The name a file was sent under
is only shown, never used as a path. A note beside the files says who sent them, for
which entity, with which options. The sources go once their import commits; folders
older than a day go at the next upload of the tenant.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from engine.bulk.tables import Table, normalized, read_csv, read_xlsx, sheet_names
from engine.errors import FileUnreadable
from engine.spec import FieldSpec

MAX_AGE = 24 * 60 * 60  # seconds an upload waits for its import
_TOKEN = re.compile(r"[0-9a-f]{32}")
_NOTE = "upload.json"
_RUNNING = "running"
_EXTENSIONS = {"csv": "csv", "txt": "csv", "tsv": "csv", "xlsx": "xlsx"}
_ZIP = b"PK\x03\x04"  # an XLSX workbook is a zip archive
_OLD_EXCEL = b"\xd0\xcf\x11\xe0"
_UTF16 = (b"\xff\xfe", b"\xfe\xff")


class UploadRefused(ValueError):
    """A file that cannot be imported; the message says why, to the person who sent it."""


@dataclass
class Upload:
    """One staged upload: its folder and what its note says."""

    folder: Path
    entity: str
    user: str
    name: str  # the file's name as sent, made safe for showing
    fmt: str  # csv or xlsx
    lines: dict[str, dict[str, str]] = field(default_factory=dict)  # field → name, fmt, file
    options: dict[str, Any] = field(default_factory=dict)
    created: float = 0.0
    rejects: list[str] = field(default_factory=list)  # files of rejected rows, in the folder

    @property
    def token(self) -> str:
        """The name of the upload in URLs: its folder's."""
        return self.folder.name

    @property
    def source(self) -> Path:
        """The uploaded file."""
        return self.folder / f"source.{self.fmt}"

    @property
    def present(self) -> bool:
        """Whether the files are still here to import: not imported yet, not expired."""
        return self.source.is_file() and time.time() - self.created < MAX_AGE

    def save_note(self) -> None:
        """Write what the upload's note says into its folder, for the next request."""
        note = {k: v for k, v in asdict(self).items() if k != "folder"}
        (self.folder / _NOTE).write_text(json.dumps(note), encoding="utf-8")


def tenant_folder(data_dir: str, tenant: str) -> Path:
    """Where a tenant's uploads wait for their import, under the data directory."""
    return Path(data_dir) / "imports" / tenant


def stage(
    data_dir: str,
    tenant: str,
    entity: str,
    user: str,
    upload: FileStorage | None,
    line_uploads: dict[str, FileStorage],
    options: dict[str, Any],
) -> Upload:
    """Keep the uploaded file (and a file per lines field) for the preview and the run;
    UploadRefused when a file is missing or is no CSV or XLSX file."""
    sweep(data_dir, tenant)
    if upload is None or not upload.filename:
        raise UploadRefused("Choose a CSV or XLSX file to import.")
    fmt = _format_of(upload)
    folder = tenant_folder(data_dir, tenant) / secrets.token_hex(16)
    folder.mkdir(parents=True)
    staged = Upload(folder, entity, user, _shown_name(upload, fmt), fmt, {}, options, time.time())
    try:
        upload.save(staged.source)
        for position, (name, line_upload) in enumerate(line_uploads.items()):
            line_fmt = _format_of(line_upload)
            stored = f"lines-{position}.{line_fmt}"
            line_upload.save(folder / stored)
            shown = _shown_name(line_upload, line_fmt)
            staged.lines[name] = {"name": shown, "fmt": line_fmt, "file": stored}
    except UploadRefused:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    staged.save_note()
    return staged


def _format_of(upload: FileStorage) -> str:
    """csv or xlsx, from the file's name, checked against its first bytes."""
    name = upload.filename or ""
    head = upload.stream.read(4096)
    upload.stream.seek(0)
    extension = Path(name).suffix.lower().lstrip(".")
    if head.startswith(_OLD_EXCEL) or extension == "xls":
        raise UploadRefused(
            f"{name} is an Excel 97–2003 workbook: save it as XLSX or CSV and choose that file."
        )
    fmt = _EXTENSIONS.get(extension)
    if fmt is None:
        raise UploadRefused(
            f"{name} is not a CSV or XLSX file: save the data as CSV or XLSX and choose that file."
        )
    if fmt == "xlsx" and not head.startswith(_ZIP):
        raise UploadRefused(f"{name} is not an XLSX workbook, whatever its name says.")
    if fmt == "csv" and (head.startswith(_ZIP) or (b"\x00" in head and head[:2] not in _UTF16)):
        raise UploadRefused(f"{name} does not hold text: choose a CSV file or an XLSX workbook.")
    return fmt


def _shown_name(upload: FileStorage, fmt: str) -> str:
    return secure_filename(upload.filename or "") or f"upload.{fmt}"


def find(data_dir: str, tenant: str, token: str) -> Upload | None:
    """The staged upload the token names, or None."""
    if not _TOKEN.fullmatch(token):
        return None
    folder = tenant_folder(data_dir, tenant) / token
    note = _note(folder)
    return None if note is None else Upload(folder, **note)


def _note(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / _NOTE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def read_tables(staged: Upload, line_fields: list[FieldSpec]) -> tuple[Table, dict[str, Table]]:
    """The upload's table, and the tables of lines: a file of their own, or (XLSX) a later
    sheet named after the lines field. FileUnreadable says what cannot be read."""
    table = _read(staged.source, staged.fmt, staged.name)
    lines = {
        name: _read(staged.folder / info["file"], info["fmt"], info["name"])
        for name, info in staged.lines.items()
    }
    if staged.fmt == "xlsx":
        later = sheet_names(staged.source)[1:]
        for line in line_fields:
            wanted = {normalized(line.name), normalized(line.label)}
            sheet = next((s for s in later if normalized(s) in wanted), None)
            if line.name not in lines and sheet is not None:
                lines[line.name] = _read(staged.source, "xlsx", staged.name, sheet)
    return table, lines


def _read(path: Path, fmt: str, shown: str, sheet: str | int = 0) -> Table:
    """A table named by the file's name as sent, not by the name it is stored under."""
    try:
        if fmt == "xlsx":
            table = read_xlsx(path, sheet)
            table.name = f"{shown}:{table.name.partition(':')[2]}"
        else:
            table = read_csv(path.read_bytes(), shown)
    except FileUnreadable as error:
        raise FileUnreadable(str(error).replace(path.name, shown)) from None
    return table


def claim(staged: Upload) -> bool:
    """Mark the upload as being imported; False when another request already has."""
    try:
        os.close(os.open(staged.folder / _RUNNING, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def release(staged: Upload) -> None:
    """The import wrote nothing: the upload may be run again."""
    (staged.folder / _RUNNING).unlink(missing_ok=True)


def finish(staged: Upload) -> None:
    """The import committed: its sources go; the note and the rejected rows stay a day."""
    staged.source.unlink(missing_ok=True)
    for info in staged.lines.values():
        (staged.folder / info["file"]).unlink(missing_ok=True)


def sweep(data_dir: str, tenant: str) -> None:
    """Remove the tenant's uploads older than a day, imported or not."""
    root = tenant_folder(data_dir, tenant)
    if not root.is_dir():
        return
    oldest = time.time() - MAX_AGE
    for folder in root.iterdir():
        if folder.is_dir() and _TOKEN.fullmatch(folder.name) and _made_at(folder) < oldest:
            shutil.rmtree(folder, ignore_errors=True)


def _made_at(folder: Path) -> float:
    note = _note(folder)
    return note["created"] if note else folder.stat().st_mtime
