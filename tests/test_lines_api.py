"""Records with lines through the API, on every shipped tenant × entity that has lines and
on both backends: what the API answers is accepted back unchanged; a change to what the
system fills in is refused; a copy's lines belong to the copy."""

from __future__ import annotations

from html import unescape

import pytest
from conftest import SHIPPED
from sample_records import sample_payload, with_lines

from engine import users
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
def test_a_record_read_is_accepted_back_unchanged(module_api, tenant, entity):
    api, headers = module_api, module_api.headers[tenant]
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
def customer(module_api):
    """A standard customer with two sites, as the API answers it."""
    api = module_api
    made = with_lines(api.service, "standard", "customer", 2)
    url = f"/api/standard/customer/{made['id']}"
    return url, api.get(url, headers=api.headers["standard"]).json


def test_a_line_system_column_sent_changed_is_refused_by_its_label(module_api, customer):
    url, read = customer
    read["sites"][1]["created_by"] = "mallory"
    read["sites"][0]["status"] = "closed"
    answer = module_api.patch(url, json=read, headers=module_api.headers["standard"])
    assert answer.status_code == 422
    assert [(e["field"], e["label"], e["code"]) for e in answer.json["errors"]] == [
        ("sites[0].status", "Status", "read_only"),
        ("sites[1].created_by", "Created By", "read_only"),
    ]


def test_a_line_changed_since_it_was_read_is_a_conflict(module_api, customer):
    url, read = customer
    api, headers = module_api, module_api.headers["standard"]
    site = read["sites"][0]
    line_url = f"/api/standard/customer_site/{site['id']}"
    edited = api.patch(line_url, json={"rev_number": site["rev_number"], "fob": "elsewhere"},
                       headers=headers)  # fmt: skip
    assert edited.status_code == 200, edited.json
    answer = api.patch(url, json=read, headers=headers)
    assert answer.status_code == 409
    assert answer.json["code"] == "stale" and answer.json["changed_by"] == "clerk"
    assert api.get(line_url, headers=headers).json["fob"] == "elsewhere"


def test_a_line_cannot_be_moved_to_another_record(module_api, customer):
    url, read = customer
    api, headers = module_api, module_api.headers["standard"]
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


def test_a_copy_relinks_its_lines_and_fetches_their_values_again(module_api, customer):
    url, read = customer
    api, headers = module_api, module_api.headers["standard"]
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


def test_a_record_is_deleted_with_its_lines_and_no_view_value_can_refer_to_it(module_api, customer):
    """Standard customers are deleted while unreferenced; their sites are never deleted on
    their own, yet go with their customer, each into the audit. (The refusal of a delete
    while another record refers to it: tests/test_records.py.)"""
    url, read = customer
    api, headers = module_api, module_api.headers["standard"]
    other = with_lines(api.service, "standard", "customer", 1)
    # a site's view value follows its own link: it cannot be pointed at this customer
    site = other["sites"][0]
    refused = api.patch(
        f"/api/standard/customer_site/{site['id']}",
        json={"rev_number": site["rev_number"], "vv_customer_name": read["id"]},
        headers=headers,
    )
    assert refused.status_code == 422
    assert [(e["field"], e["code"]) for e in refused.json["errors"]] == [
        ("vv_customer_name", "read_only")
    ]
    assert api.delete(url, headers=headers).status_code == 204
    assert api.get(url, headers=headers).status_code == 404
    for line in read["sites"] + read["business_units"]:
        entity = "customer_site" if line in read["sites"] else "customer_bu"
        gone = api.get(f"/api/standard/{entity}/{line['id']}", headers=headers)
        assert gone.status_code == 404
    # the history of a deleted record stays readable
    history = api.get(f"{url}/history", headers=headers).json["items"]
    assert [e["action"] for e in history] == ["create", "delete"]
    removed = history[-1]["lines"]
    assert [(e["id"], e["action"]) for e in removed["sites"]] == [
        (s["id"], "delete") for s in read["sites"]
    ]
    assert removed["sites"][0]["changes"]["customer_site_name"] == [
        read["sites"][0]["customer_site_name"],
        None,
    ]
    site_url = f"/api/standard/customer_site/{read['sites'][0]['id']}/history"
    site_history = api.get(site_url, headers=headers).json["items"]
    assert [e["action"] for e in site_history] == ["create", "delete"]


def test_the_history_names_each_line_added_changed_and_removed(module_api, customer):
    url, read = customer
    api, headers = module_api, module_api.headers["standard"]
    kept, dropped = read["business_units"]
    read["business_units"] = [{**kept, "fob": "Harbour"}]  # one changed, one left out
    added = sample_payload(api.service, "standard", "customer_site")
    added.pop("ar_customer_id")
    read["sites"].append({**added, "customer_site_name": "Third Site"})
    answer = api.patch(url, json=read, headers=headers)
    assert answer.status_code == 200, answer.json
    new_site = answer.json["sites"][-1]

    entry = api.get(f"{url}/history", headers=headers).json["items"][-1]
    assert entry["action"] == "update"
    assert entry["lines"]["sites"] == [
        {
            "id": new_site["id"],
            "action": "create",
            "title": "Third Site",
            "changes": {
                name: [None, value]
                for name, value in new_site.items()
                if value is not None and name not in SYSTEM and name != "id"
            },
        }
    ]
    changed, removed = entry["lines"]["business_units"]
    assert (changed["id"], changed["action"]) == (kept["id"], "update")
    assert changed["changes"] == {"fob": [kept["fob"], "Harbour"]}
    assert (removed["id"], removed["action"]) == (dropped["id"], "delete")

    # the record page shows the same, by labels
    client = reader(module_api.application, "standard")
    html = unescape(client.get(url.replace("/api", "")).get_data(as_text=True))
    assert "Sites: added Third Site" in html
    assert "Business Units: changed" in html and "Fob: " in html and "→ Harbour" in html
    assert "Business Units: removed" in html


def reader(app, tenant):
    """A browser session of a viewer of the tenant."""
    users.add_user(app.extensions["formwork"].registry.tenant(tenant), "reader", "viewer",
                   "correct horse battery")  # fmt: skip
    client = app.test_client()
    login = client.get(f"/{tenant}/login").get_data(as_text=True)
    token = login.split('name="csrf_token" value="')[1].split('"')[0]
    form = {"username": "reader", "password": "correct horse battery", "csrf_token": token}
    client.post(f"/{tenant}/login", data=form)
    return client


SYSTEM = {"status", "active", "rev_number", "created_by", "creation_date", "last_updated_by",
          "last_update_date"}  # fmt: skip


def test_the_api_description_accepts_back_what_the_api_answers(module_api, customer):
    """A client that checks its PATCH body against the described schema may send the
    record as read."""
    from jsonschema import Draft202012Validator
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    _, read = customer
    api, headers = module_api, module_api.headers["standard"]
    document = api.get("/api/standard/openapi.json", headers=headers).json
    registry = Registry().with_resource("urn:api", DRAFT202012.create_resource(document))
    changes = {"$ref": "urn:api#/components/schemas/customer.Changes"}
    answered = {"$ref": "urn:api#/components/schemas/customer"}
    assert list(Draft202012Validator(answered, registry=registry).iter_errors(read)) == []
    assert list(Draft202012Validator(changes, registry=registry).iter_errors(read)) == []


@pytest.mark.parametrize(("tenant", "entity"), LINED)
def test_lines_come_back_in_the_order_they_were_sent(module_api, tenant, entity):
    api, headers = module_api, module_api.headers[tenant]
    made = with_lines(api.service, tenant, entity, 3)
    url = f"/api/{tenant}/{entity}/{made['id']}"
    read = api.get(url, headers=headers).json
    ordered = [f for f in lines_of(api.service.target(tenant, entity).spec) if f.lines.order]
    assert ordered, "every shipped lines field keeps its order"
    reordered = {**read, **{line.name: read[line.name][::-1] for line in ordered}}

    answer = api.patch(url, json=reordered, headers=headers)

    assert answer.status_code == 200, answer.json
    again = api.get(url, headers=headers).json
    for line in ordered:
        assert [r["id"] for r in again[line.name]] == [r["id"] for r in read[line.name]][::-1]
