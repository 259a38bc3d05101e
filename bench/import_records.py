"""Benchmark: `formwork import` of a 100,000-row customer CSV against raw executemany.

Generates in a temporary directory the 40-field `customer` entity of web_pages.py (text,
e-mail, select, currency, integer, date, switch; five required fields, a unique
number) and a CSV of N valid rows headed by the fields' labels, with options by label
and switches as Yes/No, as a person exports them from another system. Then, on
SQLite and on PostgreSQL, each in a fresh database per measurement, it times:

* **import**: `read_csv` + `engine.bulk.importer.import_records`: detection, column
  mapping, conversion, defaults, unique checks in the file and the database, the
  compiled validator (jsonschema-rs) on every record, ids, the rows and an audit entry
  each, in one transaction;
* **executemany**: the same rows, already typed, inserted with the driver's
  `executemany` into the same table in one transaction (psycopg2's `execute_values`
  on PostgreSQL, whose plain executemany runs a statement per row);
* **validate**: the compiled validator alone over the same records, for scale.

Rounds interleave the measurements and the best round of each counts (wall-clock
time: the database's work is part of what is measured). Prints rows per second and
the ratios of this run; never passes or fails on speed.

    .venv/bin/python bench/import_records.py [--rows N] [--rounds R] [--quick]
                                             [--postgres URL | --no-postgres]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import psycopg2
from web_pages import ENTITY, FIELDS, OPTIONS, SEED, TENANT, record_values, write_metadata

from engine.bulk.importer import import_records
from engine.bulk.tables import read_csv
from engine.records.service import RecordService
from engine.registry import build_registry
from engine.storage.databases import Storage
from engine.storage.sync import sync_registry

POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def make_rows(count: int) -> list[dict]:
    rng = random.Random(SEED)
    return [record_values(rng, f"r{index}") for index in range(count)]


def as_csv(rows: list[dict]) -> bytes:
    labels = {name: dict(options) for name, options in OPTIONS.items()}
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([f.label for f in FIELDS])
    for values in rows:
        cells = []
        for f in FIELDS:
            value = values.get(f.name)
            if isinstance(value, bool):
                value = "Yes" if value else "No"
            elif f.name in labels:
                value = labels[f.name][value]
            cells.append("" if value is None else value)
        writer.writerow(cells)
    return buffer.getvalue().encode()


class Place:
    """A fresh database for one measurement: an SQLite directory or a PostgreSQL database."""

    def __init__(self, backend: str, tmp: Path, admin_url: str | None) -> None:
        self.backend, self.tmp, self.admin_url = backend, tmp, admin_url
        self.count = 0

    def storage(self) -> Storage:
        self.count += 1
        if self.backend == "sqlite":
            return Storage(data_dir=str(self.tmp / f"data{self.count}"))
        name = f"formwork_bench_import_{self.count}"
        self._admin(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
        return Storage(database_url=self.admin_url.rsplit("/", 1)[0] + f"/{name}")

    def drop(self, storage: Storage) -> None:
        storage.close()
        if self.backend == "sqlite":
            shutil.rmtree(storage.data_dir, ignore_errors=True)
        else:
            name = storage.database_url.rsplit("/", 1)[1]
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _admin(self, *statements: str) -> None:
        connection = psycopg2.connect(self.admin_url)
        connection.autocommit = True
        for statement in statements:
            connection.cursor().execute(statement)
        connection.close()


def fresh(metadata: Path, place: Place) -> tuple[RecordService, Storage]:
    registry = build_registry(str(metadata))
    storage = place.storage()
    sync_registry(registry, storage)
    return RecordService(registry), storage


def time_import(metadata: Path, place: Place, data: bytes, rows: int) -> float:
    service, storage = fresh(metadata, place)
    start = time.perf_counter()
    result = import_records(service, TENANT, ENTITY, read_csv(data, "customers.csv"))
    seconds = time.perf_counter() - start
    if (result.created, result.committed) != (rows, True):
        sys.exit(f"the import went wrong: {result.created} created, {result.rejected[:3]}")
    place.drop(storage)
    return seconds


def time_executemany(metadata: Path, place: Place, rows: list[dict]) -> float:
    service, storage = fresh(metadata, place)
    target = service.target(TENANT, ENTITY)
    names = [f.name for f in FIELDS]
    tuples = [tuple(values.get(name) for name in names) for values in rows]
    database = target.tenant.database.obj
    columns = ", ".join(f'"{name}"' for name in names)
    head = f'INSERT INTO "{ENTITY}" ("rev_number", {columns}) VALUES '
    start = time.perf_counter()
    with database.atomic():
        cursor = database.cursor()
        if place.backend == "sqlite":
            marks = ", ".join(["?"] * (len(names) + 1))
            cursor.executemany(head + f"({marks})", [(1, *t) for t in tuples])
        else:
            from psycopg2.extras import execute_values

            execute_values(cursor, head + "%s", [(1, *t) for t in tuples], page_size=1000)
    seconds = time.perf_counter() - start
    if target.model.select().count() != len(rows):
        sys.exit("executemany went wrong")
    place.drop(storage)
    return seconds


def time_validate(metadata: Path, rows: list[dict]) -> float:
    validator = build_registry(str(metadata)).tenant(TENANT).entity(ENTITY).validator
    start = time.perf_counter()
    for values in rows:
        validator.errors(values)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="20,000 rows, 2 rounds")
    parser.add_argument("--postgres", default=POSTGRES, metavar="URL")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.rounds = 20_000, 2
    tmp = Path(tempfile.mkdtemp(prefix="formwork-bench-import-"))
    try:
        run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, tmp: Path) -> None:
    metadata = tmp / "metadata"
    write_metadata(metadata)
    rows = make_rows(args.rows)
    data = as_csv(rows)
    print(f"{args.rows:,} rows, {len(FIELDS)} fields, {len(data) / 1e6:.1f} MB of CSV")
    backends = ["sqlite"] + ([] if args.no_postgres else ["postgresql"])
    best: dict[tuple[str, str], float] = {}
    validate = min(time_validate(metadata, rows) for _ in range(args.rounds))
    for round_number in range(args.rounds):
        for backend in backends:
            place = Place(backend, tmp / backend, args.postgres)
            for name, measure in (
                ("import", lambda p=place: time_import(metadata, p, data, args.rows)),
                ("executemany", lambda p=place: time_executemany(metadata, p, rows)),
            ):
                seconds = measure()
                key = (backend, name)
                best[key] = min(best.get(key, seconds), seconds)
                print(f"round {round_number + 1} {backend:10} {name:12} {seconds:6.2f} s")
    print()
    print(f"{'':12}{'import rows/s':>15}{'executemany rows/s':>20}{'import / executemany':>22}")
    for backend in backends:
        ours = args.rows / best[(backend, "import")]
        raw = args.rows / best[(backend, "executemany")]
        print(f"{backend:12}{ours:15,.0f}{raw:20,.0f}{ours / raw:22.2f}")
    print(f"validation alone (jsonschema-rs): {args.rows / validate:,.0f} rows/s")


if __name__ == "__main__":
    main()
