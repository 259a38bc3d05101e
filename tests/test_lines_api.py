"""Records with lines through the API, on every shipped tenant × entity that has lines and
on both backends: what the API answers is accepted back unchanged; a change to what the
system fills in is refused; a copy's lines belong to the copy."""

from __future__ import annotations

import pytest
from conftest import SHIPPED
from sample_records import sample_payload, with_lines

from engine.registry import build_registry

REGISTRY = build_registry(str(SHIPPED))
LINED = [
    (t, e)
    for t, tenant in REGISTRY.tenants.items()
    for e, compiled in sorted(tenant.entities.items())
    if any(f.lines for f in compiled.spec.fields)
]


def lines_of(spec):
    return [f for f in spec.fields if f.lines]


@pytest.mark.parametrize(("tenant", "entity"), LINED)
def test_a_record_read_is_accepted_back_unchanged(shipped_api, tenant, entity):
    api, headers = shipped_api, shipped_api.headers[tenant]
    made = with_lines(api.service, tenant, entity, 2)
    url = f"/api/{tenant}/{entity}/{made['id']}"
    read = api.get(url, headers=headers).json
    spec = api.service.target(tenant, entity).spec
    for line in lines_of(spec):
        assert len(read[line.name]) == 2
        # a line answers the record it belongs to, as stored
        assert {row[line.lines.link] for row in read[line.name]} == {made["id"]}

    sent_back = api.patch(url, json=read, headers=headers)
    assert sent_back.status_code == 200, sent_back.json
    again = sent_back.json
    assert again["rev_number"] == read["rev_number"] + 1
    for line in lines_of(spec):  # the same lines, none of them rewritten
        before = [(r["id"], r["rev_number"]) for r in read[line.name]]
        assert [(r["id"], r["rev_number"]) for r in again[line.name]] == before

    # a change of one header field beside the lines as read
    title = spec.title_field
    changed = {**again, title: "Changed Title"}
    answer = api.patch(url, json=changed, headers=headers)
    assert answer.status_code == 200, answer.json
    assert answer.json[title] == "Changed Title"


@pytest.fixture
def customer(shipped_api):
    """A standard customer with two sites, as the API answers it."""
    api = shipped_api
    made = with_lines(api.service, "standard", "customer", 2)
    url = f"/api/standard/customer/{made['id']}"
    return url, api.get(url, headers=api.headers["standard"]).json


def test_a_line_system_column_sent_changed_is_refused_by_its_label(shipped_api, customer):
    url, read = customer
    read["sites"][1]["created_by"] = "mallory"
    read["sites"][0]["status"] = "closed"
    answer = shipped_api.patch(url, json=read, headers=shipped_api.headers["standard"])
    assert answer.status_code == 422
    assert [(e["field"], e["label"], e["code"]) for e in answer.json["errors"]] == [
        ("sites[0].status", "Status", "read_only"),
        ("sites[1].created_by", "Created By", "read_only"),
    ]


def test_a_line_changed_since_it_was_read_is_a_conflict(shipped_api, customer):
    url, read = customer
    api, headers = shipped_api, shipped_api.headers["standard"]
    site = read["sites"][0]
    line_url = f"/api/standard/customer_site/{site['id']}"
    edited = api.patch(line_url, json={"rev_number": site["rev_number"], "fob": "elsewhere"},
                       headers=headers)  # fmt: skip
    assert edited.status_code == 200, edited.json
    answer = api.patch(url, json=read, headers=headers)
    assert answer.status_code == 409
    assert answer.json["code"] == "stale" and answer.json["changed_by"] == "clerk"
    assert api.get(line_url, headers=headers).json["fob"] == "elsewhere"


def test_a_line_cannot_be_moved_to_another_record(shipped_api, customer):
    url, read = customer
    api, headers = shipped_api, shipped_api.headers["standard"]
    other = api.post(
        "/api/standard/customer",
        json=sample_payload(api.service, "standard", "customer"),
        headers=headers,
    ).json
    read["sites"][0]["ar_customer_id"] = other["id"]
    answer = api.patch(url, json=read, headers=headers)
    assert answer.status_code == 422
    (error,) = answer.json["errors"]
    assert (error["field"], error["code"]) == ("sites[0].ar_customer_id", "read_only")
    assert "ar_customer_id" not in error["message"]  # named by its label


def test_a_copy_relinks_its_lines_and_fetches_their_values_again(shipped_api, customer):
    url, read = customer
    api, headers = shipped_api, shipped_api.headers["standard"]
    copy = api.post(f"{url}/actions/copy", headers=headers)
    assert copy.status_code == 201, copy.json
    copied = copy.json
    assert copied["id"] != read["id"] and len(copied["sites"]) == 2
    for site in copied["sites"]:
        assert site["id"] not in {s["id"] for s in read["sites"]}
        assert site["ar_customer_id"] == copied["id"]
        # view values fetched from the customer name the copy, not the original
        assert site["vv_customer_name"] == site["vv_ar_customer_id"] == copied["id"]
    original = api.get(url, headers=headers).json
    assert [s["id"] for s in original["sites"]] == [s["id"] for s in read["sites"]]
