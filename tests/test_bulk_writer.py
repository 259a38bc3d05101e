"""The bulk writer's shortcuts against its plain path, on every shipped tenant × entity, on
SQLite and PostgreSQL: rows made a piece at a time as COPY takes them, a batch's search
words read a field at a time, and validated dates and numbers written as they are store
the same rows, the same search words (so a search finds the same records) and the same
history as the plain path; an error made while a COPY runs comes out as itself."""

from __future__ import annotations

import itertools

import psycopg2
import pytest
from conftest import SHIPPED
from sample_records import sample_value
from test_shipped_transfer import refreshed, service  # noqa: F401

from engine.records import words
from engine.records.words import search_column
from engine.records.writing import write_new
from engine.registry import build_registry
from engine.storage import backends

REGISTRY = build_registry(str(SHIPPED))
PAIRS = [(t, e) for t, tenant in REGISTRY.tenants.items() for e in sorted(tenant.entities)]
COUNT = backends.COPY_FROM + 6  # enough for COPY, and more than one piece of it
SWITCHES = [
    (backends, "COPY_IN_PIECES"),
    (backends, "DATES_AND_NUMBERS_AS_IS"),
    (words, "BY_COLUMN"),
]
STAMPS = {"id", "creation_date", "last_update_date"}  # differ between any two writes
ACCENTED = "Zürich Straße"


def sample_records(records, tenant: str, entity: str, accented: bool) -> list[dict]:
    """COUNT records holding a value in every stored field, fresh ones in the fields no
    two records may share, none in every third record's optional fields; with `accented`,
    one record's text fields hold accented words (its batch's words are then read record
    by record)."""
    target = records.target(tenant, entity)
    fresh = {field.name for field in refreshed(target.spec)}
    shared = {f.name: sample_value(records, tenant, f) for f in target.stored()}
    made = []
    for n in range(COUNT):
        record = {}
        for field in target.stored():
            if field.name in fresh:
                record[field.name] = sample_value(records, tenant, field)
            elif n % 3 == 2 and not field.required:
                record[field.name] = None
            else:
                record[field.name] = shared[field.name]
        made.append(record)
    if accented:
        for field in target.stored():
            if field.input_type == "text" and field.name not in fresh and not field.pattern:
                made[1][field.name] = ACCENTED[: field.max_length or 255]
    return made


def written(records, tenant: str, entity: str, rows: list[dict]) -> tuple:
    """What writing the rows stores, rolled back after: each record's columns but its id
    and time stamps, its history, and the records a search of each stored word finds."""
    target = records.target(tenant, entity)
    model = target.model
    names = [name for name in model._meta.columns if name not in STAMPS]
    with target.tenant.database.atomic() as transaction:
        ids = write_new(target, rows, "ann")
        stored = list(
            model.select(*(model._meta.columns[n] for n in names))
            .where(model.id.in_(ids))
            .order_by(model.id)
            .tuples()
        )
        history = []
        for record_id in ids:
            (entry,) = records.history(tenant, entity, record_id)
            entry.pop("at")
            history.append(entry)
        found = {}
        column = search_column(target.spec)
        if column is not None:
            held = set(itertools.chain.from_iterable((row[names.index(column)] or "").split()
                                                     for row in stored))  # fmt: skip
            for word in sorted(held):
                page = records.list(tenant, entity, q=word, sort="id", limit=500)
                found[word] = [ids.index(item["id"]) for item in page["items"] if item["id"] in ids]
        transaction.rollback()
    return stored, history, found


@pytest.mark.parametrize(("tenant", "entity"), PAIRS, ids=["-".join(p) for p in PAIRS])
def test_the_bulk_writers_shortcuts_store_what_its_plain_path_stores(
    service,  # noqa: F811
    monkeypatch,
    tenant,
    entity,
):
    for accented in (False, True):
        rows = sample_records(service, tenant, entity, accented)
        fast = written(service, tenant, entity, [dict(row) for row in rows])
        with monkeypatch.context() as plain:
            for module, name in SWITCHES:
                plain.setattr(module, name, False)
            slow = written(service, tenant, entity, [dict(row) for row in rows])
        assert fast == slow
        assert len(fast[0]) == COUNT


def test_copy_makes_its_rows_a_piece_at_a_time(postgres_url, monkeypatch):
    connection = psycopg2.connect(postgres_url)
    monkeypatch.setattr(backends, "COPY_PIECE", 20)
    made = []
    sent = []

    def rows():
        for n in range(70):
            made.append(n)
            yield (n, f"row\t{n}")

    class Database:
        def cursor(self):
            return connection.cursor()

    try:
        cursor = connection.cursor()
        cursor.execute("CREATE TEMPORARY TABLE pieces (n integer, t text)")
        writer = backends.PostgresBackend(Database()).rows_writer("pieces", "n, t", 2, 70)
        original = backends.CopyPieces.read

        def read(self, size=-1):
            sent.append(len(made))
            return original(self, size)

        monkeypatch.setattr(backends.CopyPieces, "read", read)
        writer(rows())
        cursor.execute("SELECT n, t FROM pieces ORDER BY n")
        assert cursor.fetchall() == [(n, f"row\t{n}") for n in range(70)]
        assert sent == [0, 20, 40, 60, 70]  # each piece made once the one before is sent
    finally:
        connection.close()


def test_an_error_made_during_a_copy_is_raised_as_itself(postgres_url):
    connection = psycopg2.connect(postgres_url)

    class Database:
        def cursor(self):
            return connection.cursor()

    try:
        connection.cursor().execute("CREATE TEMPORARY TABLE pieces (t text)")
        writer = backends.PostgresBackend(Database()).rows_writer("pieces", "t", 1, 600)
        rows = [("fine",)] * 300 + [("a NUL \x00 here",)] * 300
        with pytest.raises(ValueError, match="NUL character"):
            writer(rows)
    finally:
        connection.close()
