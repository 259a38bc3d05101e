"""One records pipeline for every write: a rule added to it applies to a form's save, an
API call and an import alike; and its write strategies (one INSERT, executemany, COPY)
store the same records with the same history. On both backends."""

from __future__ import annotations

import pytest
from records_metadata import FILES
from test_pages import Browser, make_app

from engine import users
from engine.bulk.importer import ImportOptions, import_records
from engine.bulk.tables import read_csv
from engine.records import pipeline
from engine.records.pipeline import Batch
from engine.records.writing import write_new


@pytest.fixture
def app(tree, storage):
    application = make_app(tree(FILES), storage)
    tenant = application.extensions["formwork"].registry.tenant("t")
    users.add_user(tenant, "ann", "editor", "correct horse battery")
    application.token = users.issue_token(tenant, "ann")
    return application


def no_forbidden_names(batch: Batch) -> None:
    """A rule as a tenant might need one: no record named Forbidden."""
    for draft in batch.drafts:
        if draft.values.get("name") == "Forbidden":
            name = batch.target.spec.field("name")
            draft.error(name, "forbidden", "Name may not be Forbidden.")


def test_a_rule_added_to_the_pipeline_applies_to_every_way_of_writing(app, monkeypatch):
    monkeypatch.setattr(pipeline, "CHECKS", [*pipeline.CHECKS, no_forbidden_names])
    ann = Browser(app, "t")
    ann.login("ann")
    form = ann.post("/account/new", {"name": "Forbidden"})
    assert form.status_code == 422 and "Name may not be Forbidden." in form.get_data(as_text=True)

    headers = {"Authorization": f"Bearer {app.token}"}
    api = app.test_client().post("/api/t/account", json={"name": "Forbidden"}, headers=headers)
    assert api.status_code == 422
    assert [(e["field"], e["code"]) for e in api.get_json()["errors"]] == [("name", "forbidden")]

    text = b"Name\nAllowed\nForbidden\n"
    service = app.extensions["formwork"]
    result = import_records(
        service, "t", "account", read_csv(text, "a.csv"), options=ImportOptions(keep_valid=True)
    )
    assert [(row.number, row.errors) for row in result.rejected] == [
        (3, ["Name may not be Forbidden."])
    ]
    assert [a["name"] for a in service.list("t", "account")["items"]] == ["Allowed"]


@pytest.mark.parametrize("count", [1, 3, 100])
def test_every_write_strategy_stores_the_same(app, count):
    """One record goes in by one INSERT, a few by executemany, many (on PostgreSQL) by
    COPY: each reads back, with its history, as the others do."""
    service = app.extensions["formwork"]
    target = service.target("t", "account")
    values = {"name": "Same", "credit_limit": 12.5, "opened": "2024-02-29", "kind": "company",
              "note": "tab\there\nand a \\ backslash", "currency": "EUR"}  # fmt: skip
    records = [{**values, "number": f"S-{count}-{n}", "name": f"Same {n}"} for n in range(count)]
    with target.tenant.database.atomic():
        ids = write_new(target, records, "ann")
    assert len(ids) == count
    ignore = {"id", "number", "name", "creation_date", "last_update_date"}
    one = service.read("t", "account", ids[0])
    expected = {**values, "status": "draft", "rev_number": 1, "created_by": "ann"}
    assert {k: one[k] for k in expected if k != "name"} == {
        k: v for k, v in expected.items() if k != "name"
    }
    for record_id in ids[1:]:
        other = service.read("t", "account", record_id)
        assert {k: v for k, v in other.items() if k not in ignore} == {
            k: v for k, v in one.items() if k not in ignore
        }
    (entry,) = service.history("t", "account", ids[-1])
    assert entry["action"] == "create" and entry["user"] == "ann"
    assert {k: v for k, v in entry["changes"].items() if k not in ("number", "name")} == {
        name: [None, value] for name, value in values.items() if name != "name"
    }
