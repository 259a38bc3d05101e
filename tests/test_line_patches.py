"""A stored line sent with its id is changed field by field, as its record is: each field it
leaves out keeps its stored value. Every shipped tenant × entity with lines, on SQLite and
PostgreSQL, through the records service and the JSON API; and what is still refused."""

from __future__ import annotations

import pytest
from conftest import SHIPPED
from sample_records import sample_payload, with_lines

from engine.errors import Conflict, RecordInvalid
from engine.records.service import RecordService
from engine.registry import build_registry

REGISTRY = build_registry(str(SHIPPED))
LINED = [
    (name, entity)
    for name, tenant in REGISTRY.tenants.items()
    for entity, compiled in sorted(tenant.entities.items())
    if any(field.lines for field in compiled.spec.fields)
]
# what a write changes on a line beside its fields
STAMPS = ("rev_number", "last_updated_by", "last_update_date")


@pytest.fixture
def records(shipped_site) -> RecordService:
    """The records service of the shipped metadata, on each backend, shared by the module:
    each test makes the records it changes."""
    return shipped_site.extensions["formwork"]


def lines_of(service, tenant, entity):
    return service.target(tenant, entity).lines()


def fields_of(row, order):
    """A line's values that no write of its own changes: all but its stamps and its place."""
    return {k: v for k, v in row.items() if k not in (*STAMPS, order)}


def free_text(service, tenant, line):
    """A field of the line a change may set to any text: free text, nothing derived."""
    child = service.target(tenant, line.lines.entity)
    fetched = {mine for field in child.stored_where("lookup") for mine in field.lookup.fetch} | set(
        child.spec.field(line.lines.link).lookup.fetch
    )
    return next(
        field.name
        for field in child.stored()
        if field.input_type in ("text", "textarea")
        and not (field.pattern or field.options or field.unique or field.read_only)
        and not (field.hidden or field.visible_if or field.set_once)
        and field.name not in fetched
    )


def only_ids(read, lines, reverse=True):
    """Each lines field of the record as its lines' ids alone, in reverse order."""
    return {
        line.name: [
            {"id": row["id"]} for row in (read[line.name][::-1] if reverse else read[line.name])
        ]
        for line in lines
    }


def assert_reordered(read, again, lines):
    """The same lines with the same values; in reverse order where the field orders its
    lines (a line whose place did not change not even written)."""
    for line in lines:
        order = line.lines.order
        before = {row["id"]: row for row in read[line.name]}
        after = {row["id"]: row for row in again[line.name]}
        assert before.keys() == after.keys()
        for line_id, row in after.items():
            assert fields_of(row, order) == fields_of(before[line_id], order)
        ids = [row["id"] for row in read[line.name]]
        if order is None:
            assert [row["id"] for row in again[line.name]] == ids
            continue
        assert [row["id"] for row in again[line.name]] == ids[::-1]
        assert [row[order] for row in again[line.name]] == [1, 2, 3]
        middle = after[ids[1]]  # third of three: its place is the same
        assert middle["rev_number"] == before[ids[1]]["rev_number"]


def assert_history_reorders(entry, lines):
    """The update's audit entry: no field of the record, and of its lines only their order."""
    assert entry["action"] == "update"
    assert entry["changes"] == {}
    for line in lines:
        written = entry["lines"].get(line.name, [])
        if line.lines.order is None:
            assert written == []
            continue
        assert len(written) == 2  # the first and the last; the middle one kept its place
        for item in written:
            assert item["action"] == "update"
            assert set(item["changes"]) == {line.lines.order}


@pytest.mark.parametrize(("tenant", "entity"), LINED)
def test_lines_sent_as_their_ids_alone_keep_their_values_in_the_new_order(records, tenant, entity):
    made = with_lines(records, tenant, entity, 3)
    read = records.read(tenant, entity, made["id"])
    lines = lines_of(records, tenant, entity)

    payload = {"rev_number": read["rev_number"], **only_ids(read, lines)}
    again = records.update(tenant, entity, made["id"], payload, "patcher")

    assert_reordered(read, again, lines)
    assert records.read(tenant, entity, made["id"]) == again
    assert_history_reorders(records.history(tenant, entity, made["id"])[-1], lines)


@pytest.mark.parametrize(("tenant", "entity"), LINED)
def test_a_line_sent_with_one_field_changes_only_that_field(records, tenant, entity):
    made = with_lines(records, tenant, entity, 2)
    read = records.read(tenant, entity, made["id"])
    lines = lines_of(records, tenant, entity)
    for line in lines:
        name = free_text(records, tenant, line)
        payload = {"rev_number": read["rev_number"], **only_ids(read, lines, reverse=False)}
        first, second = read[line.name]
        payload[line.name][0][name] = "Patched"

        again = records.update(tenant, entity, made["id"], payload, "patcher")

        changed, kept = again[line.name]
        assert (changed["id"], kept["id"]) == (first["id"], second["id"])
        assert fields_of(changed, None) == {**fields_of(first, None), name: "Patched"}
        assert changed["rev_number"] == first["rev_number"] + 1
        assert kept == second
        entry = records.history(tenant, entity, made["id"])[-1]
        assert entry["changes"] == {}
        assert [(i["id"], i["changes"]) for i in entry["lines"][line.name]] == [
            (first["id"], {name: [first[name], "Patched"]})
        ]
        assert set(entry["lines"]) == {line.name}
        read = again


# what is still refused, on the standard customer and its sites


@pytest.fixture
def customer(records):
    """A standard customer with two sites, as read."""
    made = with_lines(records, "standard", "customer", 2)
    return records.read("standard", "customer", made["id"])


def refused(records, read, sites):
    payload = {"rev_number": read["rev_number"], "sites": sites}
    with pytest.raises(RecordInvalid) as raised:
        records.update("standard", "customer", read["id"], payload, "patcher")
    return {(e.field, e.code) for e in raised.value.errors}


def required_site_field(records):
    spec = records.target("standard", "customer_site").spec
    return next(
        f.name
        for f in spec.fields
        if f.stored and f.required and f.name not in ("ar_customer_id", spec.numbering.field)
        and not (f.visible_if or f.read_only or f.hidden)
        and f.input_type in ("text", "textarea")
    )  # fmt: skip


def test_an_id_of_no_line_of_the_record_is_refused(records, customer):
    other = records.read(
        "standard", "customer", with_lines(records, "standard", "customer", 1)["id"]
    )
    stranger = other["sites"][0]["id"]
    sites = [{"id": customer["sites"][0]["id"]}, {"id": stranger}]
    problems = refused(records, customer, sites)
    assert ("sites[1].id", "not_found") in problems
    # the stored line sent as its id alone is whole; the stranger, not a line here, is not
    assert not [field for field, _ in problems if field.startswith("sites[0].")]
    assert records.read("standard", "customer", other["id"]) == other


def test_an_id_as_text_is_refused(records, customer):
    sites = [{"id": str(customer["sites"][0]["id"])}, {"id": customer["sites"][1]["id"]}]
    assert ("sites[0].id", "type") in refused(records, customer, sites)


def test_a_required_field_sent_as_null_is_still_required(records, customer):
    name = required_site_field(records)
    sites = [{"id": customer["sites"][0]["id"], name: None}, {"id": customer["sites"][1]["id"]}]
    assert refused(records, customer, sites) == {(f"sites[0].{name}", "required")}


def test_a_new_line_missing_a_required_field_is_still_refused(records, customer):
    name = required_site_field(records)
    added = sample_payload(records, "standard", "customer_site")
    added.pop("ar_customer_id")
    added.pop(name)
    sites = [{"id": row["id"]} for row in customer["sites"]] + [added]
    assert refused(records, customer, sites) == {(f"sites[2].{name}", "required")}


def test_a_stale_revision_is_still_a_conflict(records, customer):
    sites = [{"id": row["id"]} for row in customer["sites"]]
    stale = {"rev_number": customer["rev_number"] - 1, "sites": sites}
    with pytest.raises(Conflict):
        records.update("standard", "customer", customer["id"], stale, "patcher")
    line_stale = [{**sites[0], "rev_number": customer["sites"][0]["rev_number"] - 1}, sites[1]]
    payload = {"rev_number": customer["rev_number"], "sites": line_stale}
    with pytest.raises(Conflict):
        records.update("standard", "customer", customer["id"], payload, "patcher")
    assert records.read("standard", "customer", customer["id"]) == customer


# the JSON API


def test_the_api_reorders_lines_sent_as_their_ids_alone(module_api):
    api, headers = module_api, module_api.headers["standard"]
    made = with_lines(api.service, "standard", "customer", 3)
    url = f"/api/standard/customer/{made['id']}"
    read = api.get(url, headers=headers).json
    lines = lines_of(api.service, "standard", "customer")

    answer = api.patch(url, json={"rev_number": read["rev_number"], **only_ids(read, lines)},
                       headers=headers)  # fmt: skip

    assert answer.status_code == 200, answer.json
    assert_reordered(read, answer.json, lines)
    entry = api.get(f"{url}/history", headers=headers).json["items"][-1]
    assert_history_reorders(entry, lines)


def test_the_api_changes_only_the_field_a_line_is_sent_with(module_api):
    api, headers = module_api, module_api.headers["standard"]
    made = with_lines(api.service, "standard", "customer", 2)
    url = f"/api/standard/customer/{made['id']}"
    read = api.get(url, headers=headers).json
    first, second = read["sites"]
    name = free_text(
        api.service, "standard", api.service.target("standard", "customer").spec.field("sites")
    )

    body = {"rev_number": read["rev_number"], "sites": [{"id": first["id"], name: "X"}]}
    body["sites"].append({"id": second["id"]})
    answer = api.patch(url, json=body, headers=headers)

    assert answer.status_code == 200, answer.json
    changed, kept = answer.json["sites"]
    assert fields_of(changed, None) == {**fields_of(first, None), name: "X"}
    assert kept == second
    assert answer.json["business_units"] == read["business_units"]  # not sent: as they were


def test_the_api_refuses_a_line_id_of_another_record(module_api):
    api, headers = module_api, module_api.headers["standard"]
    url = f"/api/standard/customer/{with_lines(api.service, 'standard', 'customer', 1)['id']}"
    other = with_lines(api.service, "standard", "customer", 1)
    stranger = api.service.read("standard", "customer", other["id"])["sites"][0]["id"]
    read = api.get(url, headers=headers).json

    answer = api.patch(url, json={"rev_number": read["rev_number"], "sites": [{"id": stranger}]},
                       headers=headers)  # fmt: skip

    assert answer.status_code == 422
    assert ("sites[0].id", "not_found") in [(e["field"], e["code"]) for e in answer.json["errors"]]
    assert api.get(url, headers=headers).json == read


def test_a_field_sent_as_null_is_cleared_and_the_others_kept(records, customer):
    name = free_text(
        records, "standard", records.target("standard", "customer").spec.field("sites")
    )
    first, second = customer["sites"]
    sites = [{"id": first["id"], name: "Set"}, {"id": second["id"]}]
    payload = {"rev_number": customer["rev_number"], "sites": sites}
    set_ = records.update("standard", "customer", customer["id"], payload, "patcher")
    assert set_["sites"][0][name] == "Set"
    sites = [{"id": first["id"], name: None}, {"id": second["id"]}]
    payload = {"rev_number": set_["rev_number"], "sites": sites}
    again = records.update("standard", "customer", customer["id"], payload, "patcher")
    assert fields_of(again["sites"][0], None) == {**fields_of(first, None), name: None}
    assert again["sites"][1] == second
