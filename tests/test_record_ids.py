"""Ids are never given twice, on either backend: not to records, not to lines, not after an
import, and not on a SQLite file made before ids were kept."""

from __future__ import annotations

import textwrap

from records_metadata import FILES
from sample_records import sample_payload, with_lines

from engine.bulk.importer import import_records
from engine.bulk.tables import read_csv
from engine.records.service import RecordService
from engine.registry import build_registry
from engine.storage.databases import Storage
from engine.storage.sync import plan_tenant, sync_registry

T, ACCOUNT = "t", "account"


def new(service, name, **values):
    return service.create(T, ACCOUNT, {"name": name, **values}, "ann")


def test_a_deleted_records_id_goes_to_no_later_record(service):
    first, _, last = (new(service, n) for n in ("A", "B", "C"))
    service.delete(T, ACCOUNT, last["id"], "ann")
    service.delete(T, ACCOUNT, first["id"], "ann")
    made = new(service, "D")
    assert made["id"] == last["id"] + 1
    # so its history is its own, not the deleted record's
    assert [e["action"] for e in service.history(T, ACCOUNT, made["id"])] == ["create"]
    assert [e["action"] for e in service.history(T, ACCOUNT, last["id"])] == ["create", "delete"]


def test_an_import_after_a_delete_takes_new_ids_too(service):
    kept, gone = new(service, "A"), new(service, "B")
    service.delete(T, ACCOUNT, gone["id"], "ann")
    text = textwrap.dedent("""\
        Name
        C
        D
    """).encode()
    result = import_records(service, T, ACCOUNT, read_csv(text, "a.csv"))
    assert result.created == 2
    ids = [a["id"] for a in service.list(T, ACCOUNT, sort="id")["items"]]
    assert ids == [kept["id"], gone["id"] + 1, gone["id"] + 2]


def test_a_removed_lines_id_goes_to_no_later_line(shipped_api):
    service = shipped_api.service
    record = with_lines(service, "standard", "customer", 2)
    units = record["business_units"]
    kept = service.update(
        "standard", "customer", record["id"],
        {"rev_number": record["rev_number"], "business_units": units[:1]}, "ann",
    )  # fmt: skip
    unit = sample_payload(service, "standard", "customer_bu")
    unit.pop("ar_customer_id")
    again = service.update(
        "standard", "customer", record["id"],
        {"rev_number": kept["rev_number"], "business_units": [*kept["business_units"], unit]},
        "ann",
    )  # fmt: skip
    assert again["business_units"][-1]["id"] > units[-1]["id"]


def test_a_sqlite_table_made_without_kept_ids_is_rebuilt_keeping_rows_and_indexes(tree, tmp_path):
    registry = build_registry(str(tree(FILES)))
    storage = Storage(data_dir=str(tmp_path / "data"))
    sync_registry(registry, storage)
    service = RecordService(registry)
    made = [new(service, n, opened="2024-01-02") for n in ("A", "B", "C")]
    service.delete(T, ACCOUNT, made[2]["id"], "ann")
    database = storage.database(T)
    indexes = _indexes(database)
    _as_made_before(database, ACCOUNT)
    assert "rebuild table account: ids never given twice" in [
        str(s) for s in plan_tenant(registry.tenant(T), database, None).steps
    ]

    sync_registry(registry, storage)
    assert plan_tenant(registry.tenant(T), database, None).steps == ()
    assert _indexes(database) == indexes
    assert [a["name"] for a in service.list(T, ACCOUNT, sort="id")["items"]] == ["A", "B"]
    assert new(service, "D")["id"] == made[2]["id"] + 1  # the deleted C's id stays unused
    storage.close()


def _indexes(database):
    rows = database.execute_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'account'"
    )
    return sorted(rows.fetchall())


def _as_made_before(database, table):
    """The table as an older version made it: a plain INTEGER PRIMARY KEY."""
    sql = database.execute_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()[0]
    indexes = [r[0] for r in database.execute_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
        (table,),
    ).fetchall()]  # fmt: skip
    with database.atomic():
        database.execute_sql(sql.replace(f'"{table}"', '"old"', 1).replace(" AUTOINCREMENT", ""))
        database.execute_sql(f'INSERT INTO "old" SELECT * FROM "{table}"')
        database.execute_sql(f'DROP TABLE "{table}"')
        database.execute_sql(f'ALTER TABLE "old" RENAME TO "{table}"')
        for index in indexes:
            database.execute_sql(index)
        database.execute_sql("DELETE FROM sqlite_sequence WHERE name = ?", (table,))
