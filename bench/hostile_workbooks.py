"""Benchmark: the memory and time `read_table` spends on workbooks made to exhaust it.

Builds, in a temporary directory, the workbooks of tests/test_workbook_limits.py and an
ordinary one for scale, then reads each with `engine.bulk.tables.read_table` (what
`formwork import` and the web import page read files with) in a process of its own,
its address space capped, and prints the time it took, its peak resident memory and
what it answered:

* **far columns**: 62,000 rows each with a cell in column A and one in column XFD
  (477 KB packed);
* **zip bomb**: 26 million rows alike (3.7 MB packed, 1.2 GiB unpacked);
* **lying header**: 6 million rows alike (300 MiB) whose zip headers declare 1,000 bytes;
* **styles**: a styles part of 1 million formats (5 MB unpacked);
* **ordinary**: 20,000 rows of 40 cells written by openpyxl (8 MB packed), for scale;
* with `--largest`, **largest**: 124,000 rows of 40 numbers, 4.96 million cells: near
  the cell limit, what the limits let a workbook cost at most (about 40 s to read).

`--code DIR` reads with the code of another checkout (the one before the limits, to
compare); `--cap MIB` sets the address space (default 4096); `--timeout S` the time
each read may take (default 120). Wall-clock times on a shared machine vary: the
figures are for their order of magnitude.

    .venv/bin/python bench/hostile_workbooks.py [--code DIR] [--cap MIB] [--timeout S]
                                                [--largest]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from hostile_workbooks import (  # noqa: E402  (the tests' builders, found above)
    declare_size,
    far_columns,
    numbered_rows,
    repeated_rows,
    write_workbook,
)

READ = """
import json, resource, sys, time
from pathlib import Path
cap = int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
from engine.bulk.tables import read_table
began = time.monotonic()
try:
    table = read_table(Path(sys.argv[1]))
    answer = f"{len(table.rows):,} rows"
except MemoryError:
    answer = "MemoryError"
except Exception as error:
    answer = f"{type(error).__name__}: {error}"
took = time.monotonic() - began
# the peak of this program's own memory (ru_maxrss would count the parent's, before exec)
status = Path("/proc/self/status").read_text()
peak = int(status.split("VmHWM:")[1].split()[0]) / 1024
print(json.dumps({"took": took, "peak": peak, "answer": answer}))
"""


def build(folder: Path, largest: bool) -> dict[str, Path]:
    """The workbooks to read, by what they are."""
    liar = write_workbook(folder / "liar.xlsx", repeated_rows(6_000_000))
    declare_size(liar, "xl/worksheets/sheet1.xml", 1_000)
    formats = "".join(f'<xf numFmtId="{n % 164}"/>' for n in range(1_000_000))
    styles = f'<styleSheet xmlns="{_MAIN}"><cellXfs>{formats}</cellXfs></styleSheet>'
    files = {
        "far columns": write_workbook(folder / "far.xlsx", far_columns(62_000)),
        "zip bomb": write_workbook(folder / "bomb.xlsx", repeated_rows(26_000_000)),
        "lying header": liar,
        "styles": write_workbook(folder / "styles.xlsx", numbered_rows(3), styles=styles),
        "ordinary": _ordinary(folder / "ordinary.xlsx"),
    }
    if largest:
        rows = numbered_rows(124_000, cells=40, headers=40)
        files["largest"] = write_workbook(folder / "largest.xlsx", rows)
    return files


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _ordinary(path: Path) -> Path:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Items")
    sheet.append([f"Field {n}" for n in range(40)])
    rows = random.Random(1)
    for row in range(20_000):
        sheet.append([f"Name {row} {c}" if c % 3 == 0 else rows.random() * row for c in range(40)])
    book.save(path)
    return path


def read(path: Path, code: Path, cap: int, timeout: float) -> dict:
    began = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-c", READ, str(path), str(cap)],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=code,
            env={"PYTHONPATH": str(code)},
        )
    except subprocess.TimeoutExpired:
        return {"took": time.monotonic() - began, "peak": None, "answer": "still reading"}
    lines = done.stdout.strip().splitlines()
    if not lines:
        return {"took": time.monotonic() - began, "peak": None, "answer": done.stderr[-200:]}
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--code", type=Path, default=ROOT)
    parser.add_argument("--cap", type=int, default=4096, help="address space, MiB")
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--largest", action="store_true")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        files = build(Path(folder), options.largest)
        print(f"{'workbook':<14} {'packed':>9} {'time':>8} {'peak RSS':>9}  answer")
        for label, path in files.items():
            figures = read(path, options.code, options.cap * 1024 * 1024, options.timeout)
            peak = "?" if figures["peak"] is None else f"{figures['peak']:.0f} MiB"
            packed = f"{path.stat().st_size / 1024:,.0f} KB"
            answer = figures["answer"][:110]
            print(f"{label:<14} {packed:>9} {figures['took']:>7.1f}s {peak:>9}  {answer}")


if __name__ == "__main__":
    main()
