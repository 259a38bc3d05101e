"""Each seed tenant, from the shipped metadata alone, runs a customer's life through the API."""

import pytest
from sample_records import create_sample, sample_payload

from engine.errors import Conflict

TENANTS = ["production", "distribution", "trade", "retail", "standard"]


@pytest.mark.parametrize("tenant", TENANTS)
def test_customer_life_cycle(shipped_api, tenant):
    api, service = shipped_api, shipped_api.service
    headers = shipped_api.headers[tenant]
    payload = sample_payload(service, tenant, "customer")
    created = api.post(f"/api/{tenant}/customer", json=payload, headers=headers)
    assert created.status_code == 201, created.json
    record = created.json
    number = service.target(tenant, "customer").spec.numbering.field
    assert record[number]
    url = f"/api/{tenant}/customer/{record['id']}"
    title = service.target(tenant, "customer").spec.title_field
    edited = api.patch(url, json={title: "Renamed", "rev_number": 1}, headers=headers)
    assert edited.status_code == 200 and edited.json[title] == "Renamed", edited.json
    spec = service.target(tenant, "customer").spec
    if spec.statuses and "confirm" in spec.statuses.actions:
        confirmed = api.post(f"{url}/actions/confirm", headers=headers)
        assert confirmed.json["status"] == "confirmed"
    copy = api.post(f"{url}/actions/copy", headers=headers)
    assert copy.status_code == 201 and copy.json[number] != record[number], copy.json
    removed = api.delete(f"/api/{tenant}/customer/{copy.json['id']}", headers=headers)
    if spec.delete == "never":
        assert removed.status_code == 409
        gone = api.post(
            f"/api/{tenant}/customer/{copy.json['id']}/actions/deactivate", headers=headers
        )
        assert gone.json["active"] is False
    else:
        assert removed.status_code == 204


def test_production_codes_are_licence_prefixed(shipped_api):
    service = shipped_api.service
    numbers = [
        create_sample(service, "production", "customer")["customer_number"] for _ in range(2)
    ]
    assert numbers == ["3897-1", "3897-2"]


def test_distribution_currency_cannot_change_once_saved(shipped_api):
    service = shipped_api.service
    record = create_sample(service, "distribution", "customer")
    other = create_sample(service, "distribution", "currency_code")["id"]
    response = shipped_api.patch(
        f"/api/distribution/customer/{record['id']}",
        json={"currency": other, "rev_number": record["rev_number"]},
        headers=shipped_api.headers["distribution"],
    )
    assert response.status_code == 422
    assert response.json["errors"][0]["code"] == "set_once"


def test_trade_customers_are_never_deleted_only_made_inactive(shipped_api):
    service = shipped_api.service
    record = create_sample(service, "trade", "customer")
    with pytest.raises(Conflict, match="never deleted; deactivate"):
        service.delete("trade", "customer", record["id"], "clerk")
    assert service.act("trade", "customer", record["id"], "deactivate", "clerk")["active"] is False


def test_trade_requires_sales_rep_category_terms_and_currency(shipped_api):
    response = shipped_api.post(
        "/api/trade/customer", json={}, headers=shipped_api.headers["trade"]
    )
    fields = {e["field"] for e in response.json["errors"] if e["code"] == "required"}
    assert {"default_sales_rep", "customer_category", "terms", "currency"} <= fields


def test_retail_price_level_is_a_b_or_c(shipped_api):
    service = shipped_api.service
    payload = sample_payload(service, "retail", "customer")
    response = shipped_api.post(
        "/api/retail/customer",
        json={**payload, "price_level": "D"},
        headers=shipped_api.headers["retail"],
    )
    assert response.status_code == 422
    assert [e["code"] for e in response.json["errors"]] == ["choice"]


def test_view_values_are_fetched_by_the_ids_the_metadata_names(shipped_api):
    """Sites fetch their customer's id under its seed name, once the customer is written;
    a customer fetches its ship-to address by the address's renamed id."""
    service = shipped_api.service
    address = create_sample(service, "standard", "address")
    payload = sample_payload(service, "standard", "customer")
    site = sample_payload(service, "standard", "customer_site")
    site.pop("ar_customer_id", None)
    record = service.create(
        "standard", "customer", {**payload, "ship_to_id": address["id"], "sites": [site]}, "clerk"
    )
    assert record["vv_ship_to_address_name"] == address["id"]
    (line,) = record["sites"]
    assert line["vv_ar_customer_id"] == line["vv_customer_name"] == record["id"]
