"""The records service, on SQLite and on PostgreSQL (the `service` fixture runs both)."""

import pytest

from engine.errors import Conflict, NotFound, RecordInvalid


def codes(raised):
    return [(e.field, e.code) for e in raised.value.errors]


def new(service, **values):
    return service.create("t", "account", {"name": "Acme", **values}, "ann")


def count(service, entity="account", tenant="t"):
    return service.list(tenant, entity)["total"]


def test_create_stores_normalised_values_with_number_and_revision(service):
    record = new(service, name="  Acme  ", credit_limit=1000.5, opened="2024-02-29", tax_id="T")
    assert record["id"] == 1 and record["rev_number"] == 1 and record["status"] == "draft"
    assert record["number"] == "3897-0001"
    assert record["name"] == "Acme" and record["credit_limit"] == 1000.5
    assert record["opened"] == "2024-02-29" and record["kind"] == "company"
    assert record["created_by"] == "ann" and record["creation_date"].endswith("+00:00")


def test_numbers_use_the_tenant_setting_and_continue(service):
    assert [new(service)["number"] for _ in range(3)] == ["3897-0001", "3897-0002", "3897-0003"]
    assert service.create("u", "account", {"name": "B"}, "x")["number"] == "77-0001"


def test_invalid_input_reports_everything_at_once_and_writes_nothing(service):
    with pytest.raises(RecordInvalid) as raised:
        new(service, name="x" * 41, credit_limit="ten", opened="2024-02-30", color="red")
    assert codes(raised) == [
        ("name", "max_length"),
        ("credit_limit", "type"),
        ("opened", "format"),
        ("color", "unknown_field"),
    ]
    assert count(service) == 0
    assert new(service)["number"] == "3897-0001"  # the failed create gave its number back


def test_strict_types_never_turn_text_into_numbers(service):
    with pytest.raises(RecordInvalid) as raised:
        new(service, credit_limit="12")
    assert codes(raised) == [("credit_limit", "type")]
    with pytest.raises(RecordInvalid) as raised:
        new(service, credit_limit=10.123)
    assert raised.value.errors[0].message == "Credit Limit allows at most 2 decimal places."


def test_a_record_must_be_an_object(service):
    with pytest.raises(RecordInvalid) as raised:
        service.create("t", "account", ["Acme"], "ann")
    assert codes(raised) == [("", "type")]


def test_unique_violation_is_a_field_error(service):
    new(service, number="A-1")
    with pytest.raises(RecordInvalid) as raised:
        new(service, number="A-1")
    assert codes(raised) == [("number", "unique")]


def test_unique_together_violation_is_a_record_error_not_a_crash(service):
    new(service, opened="2024-01-01")
    with pytest.raises(RecordInvalid) as raised:
        new(service, opened="2024-01-01")
    assert codes(raised) == [("name", "unique")]
    assert raised.value.errors[0].message == "Another Account has the same Name and Opened."
    assert count(service) == 1
    assert new(service, opened="2024-01-02")["id"]  # the transaction recovered


def test_conditions_are_enforced_on_the_server(service):
    with pytest.raises(RecordInvalid) as raised:
        new(service, credit_limit=5000)
    assert codes(raised) == [("tax_id", "required")]
    assert new(service, credit_limit=500)["tax_id"] is None
    with pytest.raises(RecordInvalid) as raised:
        new(service, kind="person")
    assert codes(raised) == [("nickname", "required")]
    assert new(service, kind="company")["nickname"] is None  # hidden, so not required


def test_set_once_field_cannot_change_after_creation(service):
    record = new(service, currency="EUR")
    with pytest.raises(RecordInvalid) as raised:
        service.update("t", "account", record["id"], {"currency": "USD", "rev_number": 1}, "bob")
    assert raised.value.errors[0].message == "Currency cannot be changed once saved."
    unset = new(service)
    changed = service.update("t", "account", unset["id"], {"currency": "USD", "rev_number": 1}, "b")
    assert changed["currency"] == "USD"


def test_status_actions_follow_transitions_and_lock_fields(service):
    record = new(service)
    confirmed = service.act("t", "account", record["id"], "confirm", "ann")
    assert (confirmed["status"], confirmed["rev_number"]) == ("confirmed", 2)
    with pytest.raises(RecordInvalid) as raised:
        service.update("t", "account", record["id"], {"name": "New", "rev_number": 2}, "ann")
    assert raised.value.errors[0].message == "Name cannot change while the Account is Confirmed."
    assert service.update("t", "account", record["id"], {"note": "ok", "rev_number": 2}, "a")
    with pytest.raises(Conflict, match="cannot confirm Account 1: it is Confirmed"):
        service.act("t", "account", record["id"], "confirm", "ann")
    with pytest.raises(NotFound, match="has no action 'approve'"):
        service.act("t", "account", record["id"], "approve", "ann")
    service.act("t", "account", record["id"], "close", "ann")
    with pytest.raises(RecordInvalid) as raised:
        service.update("t", "account", record["id"], {"note": "late", "rev_number": 4}, "ann")
    assert codes(raised) == [("note", "locked")]


def test_stale_revision_is_a_conflict_naming_who_changed_it(service):
    record = new(service)
    service.update("t", "account", record["id"], {"note": "first", "rev_number": 1}, "bob")
    with pytest.raises(Conflict) as raised:
        service.update("t", "account", record["id"], {"note": "second", "rev_number": 1}, "cat")
    assert raised.value.details["changed_by"] == "bob"
    assert raised.value.details["rev_number"] == 2
    assert "was changed by bob at" in str(raised.value)
    assert service.read("t", "account", record["id"])["note"] == "first"


def test_update_without_revision_is_refused(service):
    record = new(service)
    with pytest.raises(RecordInvalid) as raised:
        service.update("t", "account", record["id"], {"note": "x"}, "bob")
    assert codes(raised) == [("rev_number", "required")]


def test_lookup_must_exist_in_the_same_tenant_and_fetches_values(service):
    region = service.create("t", "region", {"code": "NORTH"}, "ann")
    record = new(service, region=region["id"])
    assert record["region_code"] == "NORTH"
    with pytest.raises(RecordInvalid) as raised:
        new(service, region=999)
    assert codes(raised) == [("region", "not_found")]
    other = service.create("u", "region", {"code": "SOUTH"}, "x")
    service.create("u", "region", {"code": "WEST"}, "x")
    with pytest.raises(RecordInvalid):
        new(service, region=other["id"] + 1)  # exists in tenant u only
    with pytest.raises(RecordInvalid) as raised:
        new(service, region_code="FAKE")
    assert codes(raised) == [("region_code", "read_only")]


def test_lines_are_written_with_their_parent_and_errors_point_at_the_line(service):
    record = new(service, branches=[{"city": "Oslo", "staff": 3}, {"city": "Bergen"}])
    assert [b["city"] for b in record["branches"]] == ["Oslo", "Bergen"]
    with pytest.raises(RecordInvalid) as raised:
        new(service, name="B", branches=[{"city": "Oslo"}, {"staff": -1}])
    assert codes(raised) == [("branches[1].city", "required"), ("branches[1].staff", "min")]
    assert count(service) == 1 and count(service, "branch") == 2


def test_a_line_inherits_fetched_values_from_its_parent(service):
    record = new(
        service, currency="EUR", branches=[{"city": "Oslo"}, {"city": "Rome", "currency": "USD"}]
    )
    assert [b["currency"] for b in record["branches"]] == ["EUR", "USD"]


def test_lines_are_updated_added_and_removed_together(service):
    record = new(service, branches=[{"city": "Oslo"}, {"city": "Bergen"}])
    oslo, bergen = record["branches"]
    changed = service.update(
        "t",
        "account",
        record["id"],
        {"rev_number": 1, "branches": [{"id": oslo["id"], "city": "Oslo S"}, {"city": "Molde"}]},
        "bob",
    )
    assert [b["city"] for b in changed["branches"]] == ["Oslo S", "Molde"]
    assert count(service, "branch") == 2  # Bergen soft-deleted
    with pytest.raises(RecordInvalid) as raised:
        service.update(
            "t",
            "account",
            record["id"],
            {"rev_number": 2, "branches": [{"id": bergen["id"], "city": "X"}]},
            "bob",
        )
    assert codes(raised) == [("branches[0].id", "not_found")]


def test_delete_policies(service):
    region = service.create("t", "region", {"code": "N"}, "ann")
    with pytest.raises(Conflict, match="Regions are never deleted; deactivate"):
        service.delete("t", "region", region["id"], "ann")
    account = new(service, region=region["id"], branches=[{"city": "Oslo"}])
    assert service.act("t", "region", region["id"], "deactivate", "ann")["active"] is False
    other = new(service, name="Other")
    service.delete("t", "account", other["id"], "ann")
    with pytest.raises(NotFound):
        service.read("t", "account", other["id"])
    service.delete("t", "account", account["id"], "ann")  # its lines go with it
    assert count(service, "branch") == 0


def test_when_unreferenced_lists_what_refers_to_the_record(tree, storage):
    from records_metadata import FILES

    from engine.records.service import RecordService
    from engine.registry import build_registry
    from engine.storage.sync import sync_registry

    files = {
        **FILES,
        "entities/region.yaml": FILES["entities/region.yaml"].replace(
            "delete: never", "delete: when_unreferenced"
        ),
    }
    registry = build_registry(str(tree(files)))
    sync_registry(registry, storage)
    service = RecordService(registry)
    region = service.create("t", "region", {"code": "N"}, "ann")
    new(service, region=region["id"])
    with pytest.raises(Conflict) as raised:
        service.delete("t", "region", region["id"], "ann")
    assert str(raised.value) == "Region 1 cannot be deleted: 1 Account (by Region) refers to it"
    assert raised.value.details["references"][0]["ids"] == [1]


def test_copy_takes_only_copy_fields_and_a_fresh_number(service):
    record = new(service, currency="EUR", note="private", branches=[{"city": "Oslo"}])
    service.act("t", "account", record["id"], "confirm", "ann")
    copy = service.act("t", "account", record["id"], "copy", "bob")
    assert copy["number"] == "3897-0002" and copy["status"] == "draft"
    assert (copy["name"], copy["currency"], copy["note"]) == ("Acme", "EUR", None)
    assert [b["city"] for b in copy["branches"]] == ["Oslo"]
    assert copy["branches"][0]["id"] != record["branches"][0]["id"]


def test_every_write_is_audited_with_old_and_new_values(service):
    record = new(service, credit_limit=10)
    service.update("t", "account", record["id"], {"credit_limit": 20, "rev_number": 1}, "bob")
    service.act("t", "account", record["id"], "confirm", "cat")
    history = service.history("t", "account", record["id"])
    assert [(h["action"], h["user"]) for h in history] == [
        ("create", "ann"),
        ("update", "bob"),
        ("confirm", "cat"),
    ]
    assert history[0]["changes"]["name"] == [None, "Acme"]
    assert history[1]["changes"] == {"credit_limit": [10, 20]}
    assert history[2]["changes"] == {"status": ["draft", "confirmed"]}


def test_the_audit_keeps_every_value_as_it_was_written(service):
    record = new(
        service, name='Ølsen & Søn ✓ "quoted"', credit_limit=1000.5, opened="2024-02-29", tax_id="T"
    )
    changes = service.history("t", "account", record["id"])[0]["changes"]
    assert changes["name"] == [None, 'Ølsen & Søn ✓ "quoted"']
    assert changes["credit_limit"] == [None, 1000.5] and changes["opened"] == [None, "2024-02-29"]


def test_list_searches_filters_sorts_and_pages(service):
    for name, kind in [("Alpha", "company"), ("beta", "person"), ("Gamma", "company")]:
        new(service, name=name, kind=kind, nickname="n")
    assert [r["name"] for r in service.list("t", "account", q="ALP")["items"]] == ["Alpha"]
    page = service.list("t", "account", filters={"kind": "company"}, sort="-name", limit=1)
    assert (page["total"], [r["name"] for r in page["items"]]) == (2, ["Gamma"])
    second = service.list("t", "account", sort="-id", limit=1, offset=1)
    assert (second["total"], [r["name"] for r in second["items"]]) == (3, ["beta"])
    assert service.list("t", "account", q="%")["total"] == 0  # wildcards are literal
    with pytest.raises(RecordInvalid) as raised:
        service.list("t", "account", filters={"colour": "x"}, sort="nope", limit=0)
    assert [e.code for e in raised.value.errors] == ["unknown_field", "unknown_field", "range"]


def test_hostile_strings_are_stored_verbatim(service):
    hostile = ["'; DROP TABLE account; --", "<script>alert(1)</script>", "Ω≈ç√∫˜µ" * 5, "a\tb\nc"]
    for text in hostile:
        assert new(service, name=text[:40])["name"] == text[:40].strip()
    with pytest.raises(RecordInvalid) as raised:
        new(service, name="nul\x00byte")
    assert codes(raised) == [("name", "invalid_character")]


def test_tenants_are_isolated(service):
    record = new(service, name="Secret")
    assert service.list("u", "account")["total"] == 0
    with pytest.raises(NotFound):
        service.read("u", "account", record["id"])
    with pytest.raises(NotFound):
        service.update("u", "account", record["id"], {"name": "x", "rev_number": 1}, "evil")
    with pytest.raises(NotFound):
        service.delete("u", "account", record["id"], "evil")
    with pytest.raises(NotFound):
        service.read("t", "no_such_entity", 1)
    assert service.read("t", "account", record["id"])["name"] == "Secret"


@pytest.mark.parametrize("bad_id", ["abc", "-1", "0", "1.5", str(2**70)])
def test_bad_ids_are_not_found(service, bad_id):
    with pytest.raises(NotFound):
        service.read("t", "account", bad_id)


def test_fetched_values_follow_a_changed_lookup(service):
    north = service.create("t", "region", {"code": "NORTH"}, "ann")
    south = service.create("t", "region", {"code": "SOUTH"}, "ann")
    record = new(service, region=north["id"])
    changed = service.update(
        "t", "account", record["id"], {"region": south["id"], "rev_number": 1}, "bob"
    )
    assert changed["region_code"] == "SOUTH"


def test_every_page_of_a_sorted_list_holds_the_records_of_its_place(service):
    names = ["Delta", "Alpha", "Charlie", "Bravo", "Alpha", "Echo", "Bravo"] * 5
    for index, name in enumerate(names):
        new(service, name=name, kind="person" if index % 3 else "company", nickname=f"n{index}")
    everything = service.list("t", "account", limit=500)["items"]
    # (a company's nickname is hidden, so it has none: sort the persons' nicknames)
    for sort, query in [
        ("-name", {}),
        ("name", {"kind": "person"}),
        ("-nickname", {"kind": "person"}),
    ]:
        field = sort.lstrip("-")
        chosen = [r for r in everything if all(r[k] == v for k, v in query.items())]
        # by the field, then the id; a descending sort is the ascending one reversed
        chosen.sort(key=lambda r: (r[field], r["id"]), reverse=sort.startswith("-"))
        for columns in (None, ["name"]):  # whole records, and a table of some columns
            seen = []
            for offset in range(0, len(chosen) + 7, 7):
                page = service.list(
                    "t", "account", filters=query, sort=sort, limit=7, offset=offset,
                    columns=columns,
                )  # fmt: skip
                seen += [item["id"] for item in page["items"]]
                assert page["total"] == len(chosen)
            assert seen == [r["id"] for r in chosen], (sort, query, columns)
