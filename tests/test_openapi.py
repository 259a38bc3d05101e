"""The OpenAPI document of a tenant's API: valid, true to the app's routes and to the
tenant's metadata, served only to the tenant's users, rendered as a page, printed by
the CLI. (tests/test_openapi_live.py holds it to the live API's answers.)"""

import copy
import json
import re

import jsonschema
import pytest
from click.testing import CliRunner
from conftest import SHIPPED
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
from records_metadata import FILES
from test_admin import edit
from test_admin import make_app as make_reloading_app
from test_pages import Browser, _Audit, make_app

from engine import users
from engine.cli import main
from engine.compile import openapi
from engine.storage.databases import Storage
from webui import api

HTTP_METHODS = {"GET", "POST", "PATCH", "DELETE", "PUT"}


@pytest.fixture(scope="module")
def documents(shipped):
    return {name: api.document(tenant) for name, tenant in shipped.tenants.items()}


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
    assert api.document(tenant) is api.document(tenant)
    assert openapi.build_document(tenant, api.SERVED) == api.document(tenant)
    assert openapi.build_document(shipped.tenant("trade"), api.SERVED) != api.document(tenant)


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
    assert changes["properties"]["created_by"]["readOnly"] is True  # sent back as read
    line = schemas["customer.sites.Line"]
    assert line["properties"]["ar_customer_id"]["readOnly"] is True  # the link is the parent's
    assert line["properties"]["rev_number"]["readOnly"] is True
    assert "id" in line["properties"]  # to keep a line on change
    # a line answers the record it belongs to
    assert "ar_customer_id" in schemas["customer.sites.Row"]["required"]


def test_a_stored_line_may_be_sent_by_its_id_and_a_new_line_must_be_whole(documents):
    document = documents["standard"]
    line = {"$ref": "#/components/schemas/customer.sites.Line", **document}
    valid = jsonschema.Draft202012Validator(line).is_valid
    assert valid({"id": 3})  # kept as stored, in this place
    assert valid({"id": 3, "customer_site_name": "Moved"})  # one field changed
    assert not valid({"customer_site_type": "SHIP_TO"})  # a new line without its name
    required = document["components"]["schemas"]["customer.sites.Line"]["else"]["required"]
    assert "customer_site_name" in required


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


# the document against the app


@pytest.fixture(scope="module")
def shipped_app(tmp_path_factory):
    return make_app(SHIPPED, Storage(str(tmp_path_factory.mktemp("shipped"))))


def routed_operations(app, tenant):
    """Every (method, path) the app routes under /api for the tenant, written as the
    document writes paths: each entity and action filled in, the record id a parameter."""
    compiled = app.extensions["formwork"].registry.tenant(tenant)
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        for method in rule.methods & HTTP_METHODS:
            for entity in compiled.entities.values() if "entity>" in rule.rule else [None]:
                actions = [a for a, _ in openapi.actions(entity.spec)] if entity else []
                for action in actions if "<action>" in rule.rule else [None]:
                    path = rule.rule.replace("<tenant>", tenant)
                    path = path.replace("<record_id>", "{record_id}")
                    path = re.sub(r"<(\w+:)?entity>", entity.spec.name if entity else "", path)
                    found.add((method, path.replace("<action>", action or "")))
    return found


def documented_operations(document):
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }


@pytest.mark.parametrize("tenant", ["production", "retail", "trade"])
def test_the_paths_are_exactly_what_the_app_routes(shipped_app, tenant):
    client = shipped_app.test_client()
    document = api.document(shipped_app.extensions["formwork"].registry.tenant(tenant))
    assert documented_operations(document) == routed_operations(shipped_app, tenant)
    assert not any(re.search(r"[<>]", path) for _, path in documented_operations(document))
    # an action the document does not list is no route of the app either
    assert f"/api/{tenant}/customer/{{record_id}}/actions/fly" not in document["paths"]
    token = issue(shipped_app, tenant, "writer", "editor")
    answer = client.post(f"/api/{tenant}/customer/1/actions/fly", headers=bearer(token))
    assert answer.status_code == 404


def issue(app, tenant, username="reader", role="viewer"):
    compiled = app.extensions["formwork"].registry.tenant(tenant)
    if users.authenticate(compiled, username, "correct horse battery") is None:
        users.add_user(compiled, username, role, "correct horse battery")
    return users.issue_token(compiled, username)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


# who may read it


@pytest.fixture
def app(tree, tmp_path):
    application = make_app(tree(FILES), Storage(str(tmp_path / "data")))
    registry = application.extensions["formwork"].registry
    users.add_user(registry.tenant("t"), "vic", "viewer", "correct horse battery")
    users.add_user(registry.tenant("u"), "uma", "admin", "correct horse battery")
    return application


def test_a_token_of_the_tenant_reads_its_document(app):
    token = issue(app, "t")
    answer = app.test_client().get("/api/t/openapi.json", headers=bearer(token))
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert set(answer.json["paths"]) >= {"/api/t/account", "/api/t/account/{record_id}"}
    assert all(path.startswith("/api/t/") for path in answer.json["paths"])


def test_without_credentials_the_document_is_refused(app):
    answer = app.test_client().get("/api/t/openapi.json")
    assert answer.status_code == 401 and answer.json["code"] == "unauthenticated"
    bad = app.test_client().get("/api/t/openapi.json", headers=bearer("t.not-a-token"))
    assert bad.status_code == 401


def test_another_tenants_token_finds_no_document(app):
    token = issue(app, "u")
    answer = app.test_client().get("/api/t/openapi.json", headers=bearer(token))
    assert answer.status_code == 404 and answer.json["code"] == "not_found"
    assert app.test_client().get("/api/nope/openapi.json", headers=bearer(token)).status_code == 404


def test_a_logged_in_browser_of_the_tenant_reads_it_and_of_another_does_not(app):
    vic = Browser(app, "t")
    vic.login("vic")
    assert vic.client.get("/api/t/openapi.json").status_code == 200
    assert vic.client.get("/api/u/openapi.json").status_code == 404
    assert vic.client.get("/api/t/account").status_code == 401  # the records need a token
    vic.post("/logout")
    assert vic.client.get("/api/t/openapi.json").status_code == 401


def test_openapi_json_is_never_taken_for_an_entity(app):
    token = issue(app, "t", "ed", "editor")
    client = app.test_client()
    created = client.post("/api/t/openapi.json", json={"name": "x"}, headers=bearer(token))
    assert created.status_code == 405  # not "no entity openapi.json", and nothing created
    assert client.get("/api/t/account", headers=bearer(token)).json["total"] == 0
    assert client.get("/api/t/account", headers=bearer(token)).status_code == 200


def test_the_document_follows_a_metadata_reload(tree, tmp_path):
    metadata = tree(FILES)
    application = make_reloading_app(metadata, Storage(str(tmp_path / "data")))
    token = issue(application, "t")
    client = application.test_client()
    before = client.get("/api/t/openapi.json", headers=bearer(token)).json
    assert "vip" not in before["components"]["schemas"]["account.New"]["properties"]
    edit(
        application,
        "tenants/t/entities/account.yaml",
        "customize: account\nadd_fields:\n"
        "  - {name: vip, sequence: 12, label: VIP, input_type: switch, group: MORE}\n",
    )
    after = client.get("/api/t/openapi.json", headers=bearer(token)).json
    assert after["components"]["schemas"]["account.New"]["properties"]["vip"]["title"] == "VIP"


# the page


def test_the_reference_page_lists_every_operation_for_a_logged_in_user(app):
    vic = Browser(app, "t")
    assert vic.get("/api-docs").status_code == 302  # not logged in: to the login page
    vic.login("vic")
    response = vic.get("/api-docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    document = api.document(app.extensions["formwork"].registry.tenant("t"))
    for method, path in documented_operations(document):
        assert f"<code>{method}</code> <code>{path}</code>" in page
    assert '<th scope="row">422</th>' in page and "<code>invalid</code>" in page
    assert "<code>FieldError</code>" in page
    assert "<code>credit_limit</code> Credit Limit" in page
    assert 'href="/t/api-docs">API</a>' in vic.get("/").get_data(as_text=True)


def test_the_reference_page_of_another_tenant_is_not_shown(app):
    uma = Browser(app, "u")
    uma.login("uma")
    uma.tenant = "t"
    response = uma.get("/api-docs")
    assert response.status_code == 302 and "/t/login" in response.headers["Location"]


def test_the_reference_page_is_accessible_and_runs_no_inline_script(app):
    vic = Browser(app, "t")
    vic.login("vic")
    page = vic.get("/api-docs").get_data(as_text=True)
    audit = _Audit()
    audit.feed(page)
    assert {"main", "header", "nav", "table", "caption"} <= audit.tags
    assert audit.headings[0] == 1 and audit.headings.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(audit.headings, audit.headings[1:], strict=False))
    assert not re.search(r"<script(?![^>]*\ssrc=)", page)  # the CSP allows no inline script
    assert " style=" not in page and "http://" not in page and "https://" not in page
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    for anchor in set(re.findall(r'href="#([^"]+)"', page)):
        assert anchor in ids, anchor  # every link within the page lands


def test_a_hostile_label_is_text_on_the_page_and_data_in_the_document(tree, tmp_path):
    hostile = FILES["entities/account.yaml"].replace(
        "label: Name, input_type: text", "label: \"<script>alert('x')</script>\", input_type: text"
    )
    application = make_app(
        tree({**FILES, "entities/account.yaml": hostile}), Storage(str(tmp_path / "data"))
    )
    tenant = application.extensions["formwork"].registry.tenant("t")
    users.add_user(tenant, "vic", "viewer", "correct horse battery")
    vic = Browser(application, "t")
    vic.login("vic")
    page = vic.get("/api-docs").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    document = vic.client.get("/api/t/openapi.json").json
    title = document["components"]["schemas"]["account.New"]["properties"]["name"]["title"]
    assert title == "<script>alert('x')</script>"


# the command


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_the_openapi_command_prints_the_document_without_a_database(shipped, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no data directory here, and none is made
    result = run("openapi", "retail", "--metadata", str(SHIPPED))
    assert result.exit_code == 0
    document = json.loads(result.output)
    assert "/api/retail/location" in document["paths"]
    assert document == json.loads(
        json.dumps(openapi.build_document(shipped.tenant("retail"), api.SERVED))
    )
    assert list(tmp_path.iterdir()) == []


def test_the_openapi_command_names_an_unknown_tenant_in_one_line(tmp_path):
    result = run("openapi", "retial", "--metadata", str(SHIPPED))
    assert result.exit_code == 2
    assert result.output == "error: there is no tenant 'retial' (did you mean 'retail'?)\n"
