"""Schemathesis against the live API of a shipped tenant, on SQLite and on PostgreSQL:
requests generated from the tenant's OpenAPI document, valid and invalid, must never
meet a server error, nor an answer (status, content type, body) the document does not
describe. Bounded and derandomized, so a run is quick and every run is the same."""

import copy
import shutil

import pytest
import schemathesis
from conftest import SHIPPED, _drop_tenant_schemas
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from engine import users
from engine.compile import openapi
from engine.demo import load_demo
from engine.registry import build_registry
from webui import api, create_app

TENANT = "production"  # licence numbering, custom and hidden fields: the most to get wrong
EXAMPLES = 8  # per operation and backend: about 800 requests each
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# the operations, known without a database, so each is a test of its own
OPERATIONS = [
    (method.upper(), path)
    for path, item in openapi.build_document(
        build_registry(str(SHIPPED)).tenant(TENANT), api.SERVED
    )["paths"].items()
    for method in item
    if method != "parameters"
]
# the schemathesis runner's own settings: every phase but the generated one is off, so
# the hypothesis settings below bound the whole run
CONFIG = {
    "generation": {"mode": "all", "deterministic": True},
    "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
}


def one_tenant(root):
    """The shipped metadata with the tested tenant alone: the others would only be synced
    and loaded for nothing."""
    shutil.copytree(SHIPPED, root, ignore=shutil.ignore_patterns("tenants"))
    shutil.copytree(SHIPPED / "tenants" / TENANT, root / "tenants" / TENANT)
    return root


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(request, tmp_path_factory):
    """The tenant with its demo records, served in-process; the document as the app
    serves it, and the headers of an editor's token."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    root = tmp_path_factory.mktemp("live")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "FORMWORK_METADATA": str(one_tenant(root / "metadata")),
            "FORMWORK_DATA": str(root / "data"),
            "FORMWORK_DATABASE": url,
            "FORMWORK_RELOAD": "off",
        }
    )
    service = app.extensions["formwork"]
    load_demo(service, service.registry)
    token = users.issue_token(service.registry.tenant(TENANT), "editor")
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_wsgi(
        f"/api/{TENANT}/openapi.json",
        app,
        headers=headers,
        config=schemathesis.Config.from_dict(CONFIG),
    )
    yield app, schema, headers
    app.extensions["formwork_storage"].close()
    if url:
        _drop_tenant_schemas(url)


@pytest.mark.parametrize("method, path", OPERATIONS)
def test_every_answer_is_one_the_document_describes(live, method, path):
    _, schema, headers = live
    operation = schema[path][method]
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE, headers=headers),
        operation.as_strategy(GenerationMode.NEGATIVE, headers=headers),
    )

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def answers_as_described(case):
        case.call_and_validate(checks=CHECKS)

    answers_as_described()


def test_an_answer_the_document_does_not_describe_is_caught(live):
    """The checks above can fail: with 422 left out of the list's answers, a bad limit is
    reported as an undocumented status."""
    app, schema, headers = live
    document = copy.deepcopy(schema.raw_schema)
    del document["paths"][f"/api/{TENANT}/customer"]["get"]["responses"]["422"]
    wrong = schemathesis.openapi.from_dict(document, config=schemathesis.Config.from_dict(CONFIG))
    wrong.app = app
    case = wrong[f"/api/{TENANT}/customer"]["GET"].Case(query={"limit": 0}, headers=headers)
    with pytest.raises(schemathesis.errors.FailureGroup, match="Undocumented status code"):
        case.call_and_validate(checks=CHECKS)
    case = schema[f"/api/{TENANT}/customer"]["GET"].Case(query={"limit": 0}, headers=headers)
    assert case.call_and_validate(checks=CHECKS).status_code == 422
