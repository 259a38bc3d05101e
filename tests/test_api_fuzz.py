"""Fuzzing the API's JSON bodies for an entity of every input type, with lines and a
lookup, on both backends: whatever a body holds, the answer is never a server error."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_export_round_trip import EVERY_TYPE, PART, TARGET
from test_pages import make_app

from engine import users
from engine.types import TYPES

FIELDS = [f"the_{kind}" for kind in sorted(TYPES) if kind != "lines"]
# numbers JSON can carry but a float cannot: written into the body as they are
RAW_NUMBERS = ["1e400", "-1e400", "1e-400", "123456789012345678901234567890", "-0", "1E+308"]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(request, tmp_path_factory):
    from conftest import GROUPS, TENANT, _drop_tenant_schemas

    from engine.storage.databases import Storage

    root = tmp_path_factory.mktemp("fuzz")
    files = {
        "groups.yaml": GROUPS, "tenants/t/tenant.yaml": TENANT, "entities/sample.yaml": EVERY_TYPE,
        "entities/target.yaml": TARGET, "entities/part.yaml": PART,
    }  # fmt: skip
    for relative, text in files.items():
        path = root / "metadata" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    storage = Storage(data_dir=str(root / "data"), database_url=url)
    app = make_app(root / "metadata", storage)
    service = app.extensions["formwork"]
    tenant = service.registry.tenant("t")
    users.add_user(tenant, "ann", "editor", "correct horse battery")
    headers = {
        "Authorization": f"Bearer {users.issue_token(tenant, 'ann')}",
        "Content-Type": "application/json",
    }
    service.create("t", "target", {"code": "T-1"}, "ann")
    record = service.create("t", "sample", {"parts": [{"amount": 1}]}, "ann")
    yield app.test_client(), headers, record
    storage.close()
    if url:
        _drop_tenant_schemas(url)


class Raw(str):
    """A JSON number written into the body as it is."""


text = st.text(
    alphabet=st.characters(categories=["Lu", "Ll", "Nd", "Cs", "Cc", "Zs", "Po", "So"]),
    max_size=20,
)
scalars = (
    st.none() | st.booleans() | text
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(RAW_NUMBERS).map(Raw)
    | st.sampled_from(["v1", "v2", "a", "b", "2024-02-29", "09:05", "2024-03-01T12:30:00Z",
                       "a@b.co", "https://x.org", "files/a.pdf", "+1 555 0100"])
)  # fmt: skip
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)
lines = st.lists(st.dictionaries(st.sampled_from(["amount", "id", "sample", "rev_number"]) | text,
                                 values, max_size=3), max_size=3)  # fmt: skip
bodies = st.dictionaries(
    st.sampled_from([*FIELDS, "id", "rev_number", "status", "number"]) | text,
    values,
    max_size=6,
).flatmap(lambda body: st.just(body) | lines.map(lambda rows: {**body, "parts": rows}))


def encoded(value) -> str:
    """JSON text of the value, Raw numbers written as they are, lone surrogates escaped."""
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {encoded(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(encoded(v) for v in value) + "]"
    return json.dumps(value)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(body=bodies)
def test_no_body_makes_a_server_error(api, body):
    client, headers, record = api
    created = client.post("/api/t/sample", data=encoded(body), headers=headers)
    assert created.status_code < 500, created.get_data(as_text=True)
    changed = client.patch(
        f"/api/t/sample/{record['id']}", data=encoded({**body, "rev_number": 999}),
        headers=headers,
    )  # fmt: skip
    assert changed.status_code < 500, changed.get_data(as_text=True)
