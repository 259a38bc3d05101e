"""The OpenAPI document of a tenant's API: valid, true to the app's routes and to the
tenant's metadata, served only to the tenant's users, rendered as a page, printed by
the CLI. (tests/test_openapi_live.py holds it to the live API's answers.)"""

import copy
import json

import pytest
from click.testing import CliRunner
from conftest import SHIPPED
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from engine.cli import main
from engine.compile import openapi


@pytest.fixture(scope="module")
def documents(shipped):
    return {name: openapi.document(tenant) for name, tenant in shipped.tenants.items()}


# the document itself


@pytest.mark.parametrize("tenant", ["distribution", "production", "retail", "standard", "trade"])
def test_every_shipped_tenants_document_is_valid_openapi_3_1(documents, tenant):
    document = documents[tenant]
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_a_broken_document_is_refused_by_the_same_validator(documents):
    broken = copy.deepcopy(documents["standard"])
    operation = broken["paths"]["/api/standard/customer"]["get"]
    operation["parameters"][0]["in"] = "body"  # OpenAPI 3 has no body parameters
    with pytest.raises(OpenAPIValidationError):
        validate(broken)


def test_the_document_is_built_once_per_compiled_tenant(shipped):
    tenant = shipped.tenant("standard")
    assert openapi.document(tenant) is openapi.document(tenant)
    assert openapi.build_document(tenant) == openapi.document(tenant)
    assert openapi.build_document(shipped.tenant("trade")) != openapi.document(tenant)


def test_documents_differ_where_the_tenants_metadata_differs(documents):
    production = documents["production"]["components"]["schemas"]
    standard = documents["standard"]["components"]["schemas"]
    # relabelled, and a field of the tenant's own
    assert production["customer.New"]["properties"]["customer_name"]["title"] == "Business Name"
    assert standard["customer.New"]["properties"]["customer_name"]["title"] == "Customer Name"
    assert "contact_name" in production["customer.New"]["properties"]
    assert "contact_name" not in standard["customer.New"]["properties"]
    assert "contact_name" in production["customer"]["required"]  # always answered
    # hidden on the tenant's forms, still stored and answered: marked, not left out
    assert production["customer"]["properties"]["tax_payer_id"]["x-formwork-hidden"] is True
    assert "x-formwork-hidden" not in standard["customer"]["properties"]["tax_payer_id"]
    # an entity of the tenant's own has its paths there and nowhere else
    assert "/api/retail/location" in documents["retail"]["paths"]
    assert not any("/location" in path for path in documents["standard"]["paths"])
    assert documents["production"]["info"]["version"] != documents["standard"]["info"]["version"]


def test_the_record_schemas_follow_what_the_api_answers(documents):
    schemas = documents["standard"]["components"]["schemas"]
    read = schemas["customer"]
    assert list(read["properties"])[:3] == ["id", "status", "rev_number"]
    assert {"sites", "business_units"} <= set(read["properties"])
    assert "sites" not in schemas["customer.Item"]["properties"]  # lists leave lines out
    assert "ar_customer_id" not in read["properties"]  # the system id is answered as id
    new = schemas["customer.New"]
    assert "customer_number" not in new.get("required", [])  # numbered by the server
    assert "customer_name" in new["required"]
    assert new["properties"]["sites"]["items"] == {
        "$ref": "#/components/schemas/customer.sites.Line"
    }
    changes = schemas["customer.Changes"]
    assert "required" not in changes and "rev_number" in changes["properties"]
    line = schemas["customer.sites.Line"]
    assert "ar_customer_id" not in line["properties"]  # the link is the parent's
    assert "id" in line["properties"]  # to keep a line on change


def test_every_error_answer_has_the_shape_the_api_sends(documents):
    responses = documents["standard"]["components"]["responses"]
    assert sorted(responses) == ["400", "401", "403", "404", "409", "413", "422"]
    invalid = responses["422"]["content"]["application/json"]["schema"]["allOf"]
    assert invalid[0] == {"$ref": "#/components/schemas/ValidationError"}
    field_error = documents["standard"]["components"]["schemas"]["FieldError"]
    assert field_error["required"] == ["field", "label", "code", "message"]
    create = documents["standard"]["paths"]["/api/standard/customer"]["post"]
    assert sorted(create["responses"]) == ["201", "400", "401", "403", "404", "413", "422"]
    read = documents["standard"]["paths"]["/api/standard/customer/{record_id}"]["get"]
    assert sorted(read["responses"]) == ["200", "401", "404"]  # a viewer may read: no 403


# the command


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_the_openapi_command_prints_the_document_without_a_database(shipped, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no data directory here, and none is made
    result = run("openapi", "retail", "--metadata", str(SHIPPED))
    assert result.exit_code == 0
    document = json.loads(result.output)
    assert "/api/retail/location" in document["paths"]
    assert document == json.loads(json.dumps(openapi.build_document(shipped.tenant("retail"))))
    assert list(tmp_path.iterdir()) == []


def test_the_openapi_command_names_an_unknown_tenant_in_one_line(tmp_path):
    result = run("openapi", "retial", "--metadata", str(SHIPPED))
    assert result.exit_code == 2
    assert result.output == "error: there is no tenant 'retial' (did you mean 'retail'?)\n"
