"""How many rows go in at once: SQLite's writer sends many rows per INSERT, and writes
what one INSERT per row writes; the search index then takes an import's words a few
times, not once per row; a search index made with other options is made again by the
schema sync, and finds the records stored before."""

from __future__ import annotations

import math

import peewee
import pytest
from test_search import PARTNER, SITE, search

from engine import users
from engine.bulk.importer import import_records
from engine.bulk.tables import read_csv
from engine.storage import backends, search_index
from engine.storage.backends import Backend, backend_of
from engine.storage.sync import plan_tenant, sync_registry

COLUMNS = "a, b, c"


def _table(database):
    database.execute_sql('CREATE TABLE "t" (id INTEGER PRIMARY KEY, a TEXT, b REAL, c BLOB)')


@pytest.mark.parametrize("count", [1, 2, 499, 500, 501, 1234])
def test_many_rows_per_insert_write_what_one_insert_per_row_writes(tmp_path, count):
    rows = [(f"row {n} é", n / 3 if n % 4 else None, bytes([n % 256])) for n in range(count)]
    found = []
    for name, writer in (("plain", Backend), ("sqlite", backend_of)):
        database = peewee.SqliteDatabase(str(tmp_path / f"{name}.sqlite3"))
        _table(database)
        statements = []
        database.connection().set_trace_callback(statements.append)
        with database.atomic():
            # SQLite's writer takes rows as they are made (a generator's), the plain a list
            given = rows if name == "plain" else (row for row in rows)
            writer(database).rows_writer('"t"', COLUMNS, 3, count)(given)
        inserts = [s for s in statements if s.startswith("INSERT")]
        found.append(database.execute_sql('SELECT a, b, c FROM "t" ORDER BY id').fetchall())
        if name == "sqlite":  # a statement per 500 rows, the last one shorter
            assert len(inserts) == math.ceil(count / backends.ROWS_PER_INSERT)
        database.close()
    assert found[0] == found[1] == rows


def test_a_row_too_wide_for_many_per_statement_goes_in_alone(tmp_path):
    database = peewee.SqliteDatabase(str(tmp_path / "wide.sqlite3"))
    limit = database.connection().getlimit(3)  # SQLITE_LIMIT_VARIABLE_NUMBER
    names = ", ".join(f"c{n}" for n in range(limit // 2 + 1))
    database.execute_sql(f'CREATE TABLE "w" ({names})')
    rows = [tuple(range(limit // 2 + 1))] * 3
    backend_of(database).rows_writer('"w"', names, limit // 2 + 1, 3)(rows)
    assert database.execute_sql('SELECT count(*) FROM "w"').fetchone() == (3,)


@pytest.fixture
def sqlite_app(tree, tmp_path):
    from test_pages import make_app

    from engine.storage.databases import Storage

    files = {"entities/partner.yaml": PARTNER, "entities/site.yaml": SITE}
    storage = Storage(data_dir=str(tmp_path / "data"))
    app = make_app(tree(files), storage)
    users.add_user(app.extensions["formwork"].registry.tenant("t"), "ann", "editor",
                   "correct horse battery")  # fmt: skip
    yield app, storage
    storage.close()


def test_an_import_writes_the_search_index_a_few_times_not_once_per_row(sqlite_app):
    app, _ = sqlite_app
    service = app.extensions["formwork"]
    connection = service.registry.tenant("t").database.connection()
    flushes = []
    connection.set_trace_callback(
        lambda sql: flushes.append(sql) if "partner__search_idx" in sql else None
    )
    rows = "".join(f"Importé {n},i{n}@ex.com\n" for n in range(1200))
    result = import_records(
        service, "t", "partner", read_csv(f"Name,Email\n{rows}".encode(), "p.csv")
    )
    connection.set_trace_callback(None)
    assert result.created == 1200
    assert 0 < len(flushes) <= 10, len(flushes)  # one INSERT per row wrote 1,200 segments
    assert len(search(app, "importe")) == 500 and len(search(app, "i119")) == 11


def test_a_search_index_made_with_other_options_is_made_again(sqlite_app, monkeypatch):
    app, storage = sqlite_app
    service = app.extensions["formwork"]
    made = [service.create("t", "partner", {"name": f"Old {n}"}, "ann") for n in range(3)]
    tenant = service.registry.tenant("t")
    with monkeypatch.context() as patched:  # as an earlier version made it
        patched.setattr(search_index, "OPTIONS", "columnsize=1")
        entity = tenant.entity("partner")
        column = search_index.search_column(entity.spec)
        with tenant.database.atomic():
            search_index.apply(entity, tenant.database, search_index.BUILD, column)
        assert ("partner", search_index.BUILD) not in builds(tenant)
    assert builds(tenant) == [("partner", search_index.BUILD)]
    sync_registry(service.registry, storage)
    sql = tenant.database.execute_sql(
        "SELECT sql FROM sqlite_master WHERE name = 'partner__search'"
    ).fetchone()[0]
    assert search_index.OPTIONS in sql
    assert search(app, "old") == [r["id"] for r in made]
    assert not plan_tenant(tenant, tenant.database, None).steps


def builds(tenant) -> list[tuple[str, str]]:
    """The search index steps the schema sync would take."""
    steps = plan_tenant(tenant, tenant.database, None).steps
    return [(s.table, s.action) for s in steps if s.action in search_index.ACTIONS]
