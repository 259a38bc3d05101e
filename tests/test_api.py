"""The JSON API over HTTP, on SQLite and on PostgreSQL."""

import pytest
from records_metadata import FILES

from engine import users
from webui import create_app


@pytest.fixture
def api(tree, storage):
    app = create_app(
        {
            "TESTING": True,
            "FORMWORK_METADATA": str(tree(FILES)),
            "FORMWORK_DATA": str(storage.data_dir),
            "FORMWORK_DATABASE": storage.database_url,
        }
    )
    registry = app.extensions["formwork"].registry
    tokens = {}
    for tenant, username, role in [
        ("t", "ann", "admin"), ("t", "ed", "editor"), ("t", "vic", "viewer"), ("u", "uma", "admin"),
    ]:  # fmt: skip
        compiled = registry.tenant(tenant)
        users.add_user(compiled, username, role, "correct horse battery")
        tokens[username] = users.issue_token(compiled, username)
    client = app.test_client()
    client.tokens = tokens
    return client


def call(client, method, url, user="ed", **kwargs):
    headers = kwargs.pop("headers", {})
    if user:
        headers["Authorization"] = f"Bearer {client.tokens[user]}"
    response = client.open(url, method=method, headers=headers, **kwargs)
    assert response.is_json, response.data[:200]  # never HTML, never a traceback
    return response


def test_create_read_update_and_list(api):
    created = call(api, "POST", "/api/t/account", json={"name": "Acme", "credit_limit": 10})
    assert created.status_code == 201
    record = created.json
    assert (record["id"], record["number"], record["rev_number"]) == (1, "3897-0001", 1)
    assert call(api, "GET", "/api/t/account/1", user="vic").json["name"] == "Acme"
    patched = call(api, "PATCH", "/api/t/account/1", json={"name": "Acme AS", "rev_number": 1})
    assert patched.status_code == 200 and patched.json["rev_number"] == 2
    listed = call(api, "GET", "/api/t/account?q=acme&sort=-id&limit=10", user="vic").json
    assert listed["total"] == 1 and listed["items"][0]["name"] == "Acme AS"


def test_validation_errors_are_422_with_every_problem(api):
    response = call(api, "POST", "/api/t/account", json={"credit_limit": "ten", "colour": 1})
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json["errors"]] == [
        ("name", "required"),
        ("credit_limit", "type"),
        ("colour", "unknown_field"),
    ]
    assert response.json["errors"][0] == {
        "field": "name", "label": "Name", "code": "required", "message": "Name is required.",
    }  # fmt: skip
    assert call(api, "GET", "/api/t/account").json["total"] == 0


def test_stale_patch_is_409_naming_who_changed_it_and_if_match_works(api):
    call(api, "POST", "/api/t/account", json={"name": "Acme"})
    headers = {"If-Match": '"1"'}
    assert (
        call(api, "PATCH", "/api/t/account/1", json={"note": "a"}, headers=headers).status_code
        == 200
    )
    stale = call(api, "PATCH", "/api/t/account/1", user="ann", json={"note": "b", "rev_number": 1})
    assert stale.status_code == 409
    assert stale.json["code"] == "stale" and stale.json["changed_by"] == "ed"
    assert call(api, "GET", "/api/t/account/1").json["note"] == "a"


def test_actions_copy_history_and_delete(api):
    call(api, "POST", "/api/t/account", json={"name": "Acme"})
    confirmed = call(api, "POST", "/api/t/account/1/actions/confirm")
    assert confirmed.status_code == 200 and confirmed.json["status"] == "confirmed"
    again = call(api, "POST", "/api/t/account/1/actions/confirm")
    assert again.status_code == 409 and again.json["code"] == "invalid_transition"
    copy = call(api, "POST", "/api/t/account/1/actions/copy")
    assert copy.status_code == 201 and copy.json["number"] == "3897-0002"
    history = call(api, "GET", "/api/t/account/1/history", user="vic").json["items"]
    assert [h["action"] for h in history] == ["create", "confirm"]
    assert api.delete("/api/t/account/2", headers={
        "Authorization": f"Bearer {api.tokens['ed']}"}).status_code == 204  # fmt: skip
    assert call(api, "GET", "/api/t/account/2").status_code == 404
    call(api, "POST", "/api/t/region", json={"code": "N"})
    refused = call(api, "DELETE", "/api/t/region/1")
    assert refused.status_code == 409 and refused.json["code"] == "delete_refused"
    assert call(api, "POST", "/api/t/region/1/actions/deactivate").json["active"] is False


def test_authentication_and_roles(api):
    assert call(api, "GET", "/api/t/account", user=None).status_code == 401
    bad = call(api, "GET", "/api/t/account", user=None, headers={"Authorization": "Bearer t.x"})
    assert bad.status_code == 401
    assert call(api, "POST", "/api/t/account", user="vic", json={"name": "x"}).status_code == 403
    assert call(api, "GET", "/api/t/account", user="vic").status_code == 200


def test_a_token_of_one_tenant_finds_nothing_of_another(api):
    call(api, "POST", "/api/t/account", json={"name": "Secret"})
    for method, url, body in [
        ("GET", "/api/t/account", None), ("GET", "/api/t/account/1", None),
        ("PATCH", "/api/t/account/1", {"name": "x", "rev_number": 1}),
        ("DELETE", "/api/t/account/1", None), ("POST", "/api/t/account", {"name": "x"}),
        ("POST", "/api/t/account/1/actions/confirm", None),
        ("GET", "/api/t/account/1/history", None), ("GET", "/api/nope/account", None),
    ]:  # fmt: skip
        assert call(api, method, url, user="uma", json=body).status_code == 404, url
    assert call(api, "GET", "/api/t/account/1").json["name"] == "Secret"


@pytest.mark.parametrize(
    "body, status",
    [
        (b"{not json", 400),
        (b"", 400),
        (b'"just a string"', 422),
        (b"[1, 2]", 422),
        (b'{"name": "Acme", "credit_limit": NaN}', 400),  # not JSON, though Python reads it
        (b'{"name": "Acme", "credit_limit": -Infinity}', 400),
        (b'{"name": "Acme", "credit_limit": 12.5}', 201),
        (b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}', 413),
    ],
)
def test_malformed_and_oversized_bodies(api, body, status):
    response = call(
        api, "POST", "/api/t/account", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == status


@pytest.mark.parametrize(
    "value",
    ["Robert'); DROP TABLE account;--", "<img src=x onerror=alert(1)>", "\u202eevil", "a\x07b"],
)
def test_hostile_strings_are_data(api, value):
    created = call(api, "POST", "/api/t/account", json={"name": value})
    assert created.status_code == 201 and created.json["name"] == value
    assert call(api, "GET", "/api/t/account").json["total"] == 1


def test_oversized_and_nul_strings_are_refused_not_500(api):
    long = call(api, "POST", "/api/t/account", json={"name": "Ж" * 5000})
    assert long.status_code == 422 and long.json["errors"][0]["code"] == "max_length"
    nul = call(api, "POST", "/api/t/account", json={"name": "a\u0000b"})
    assert nul.status_code == 422 and nul.json["errors"][0]["code"] == "invalid_character"


def test_unknown_things_are_json_404s(api):
    assert call(api, "GET", "/api/t/nothing").status_code == 404
    assert call(api, "GET", "/api/t/account/999").status_code == 404
    assert call(api, "GET", "/api/t/account/abc").status_code == 404
    assert call(api, "POST", "/api/t/account/1/actions/fly").status_code == 404
    assert call(api, "GET", "/api/t/account?limit=many").status_code == 422
    assert call(api, "PUT", "/api/t/account/1", json={}).status_code == 405


def test_numbers_no_column_can_hold_are_refused_not_500(api):
    response = call(
        api,
        "POST",
        "/api/t/account",
        json={
            "name": "Acme",
            "tax_id": "T-1",
            "credit_limit": 1e30,
            "region": 10**30,
            "branches": [{"city": "Oslo", "staff": 10**30}],
        },
    )
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json["errors"]] == [
        ("credit_limit", "max"),
        ("region", "max"),
        ("branches[0].staff", "max"),
    ]
    assert response.json["errors"][0]["message"] == (
        "Credit Limit must be at most 999999999999999999."
    )
    fits = {"name": "Acme", "tax_id": "T-1", "credit_limit": 999999999999999999,
            "branches": [{"staff": 2**63 - 1, "city": "Oslo"}]}  # fmt: skip
    assert call(api, "POST", "/api/t/account", json=fits).status_code == 201


def test_a_value_of_the_wrong_kind_for_a_unique_field_is_refused_not_500(api):
    response = call(api, "POST", "/api/t/account", json={"name": "Acme", "number": ["x"]})
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json["errors"]] == [("number", "type")]


@pytest.mark.parametrize(
    "query",
    [
        "offset=99999999999999999999999",
        "id=99999999999999999999",
        "region=-99999999999999999999",
        "credit_limit=1e30",
        "credit_limit=NaN",
        "creation_date=yesterday",
        "opened=2024-02-30",
        "name=a%00b",
    ],
)
def test_list_parameters_no_column_can_hold_are_422_not_500(api, query):
    created = call(api, "POST", "/api/t/account", json={"name": "Acme", "credit_limit": 5})
    response = call(api, "GET", f"/api/t/account?{query}")
    assert response.status_code == 422, response.json
    assert response.json["errors"][0]["field"] in query
    # the same filters with values the columns hold find the record
    stamp = created.json["creation_date"].replace("+", "%2B")
    for good in ["offset=0", "id=1", "credit_limit=5", f"creation_date={stamp}", "q=acm"]:
        assert call(api, "GET", f"/api/t/account?{good}").json["total"] == 1, good


def test_a_change_naming_no_field_is_refused(api):
    call(api, "POST", "/api/t/account", json={"name": "Acme"})
    response = call(api, "PATCH", "/api/t/account/1", json={"colour": "red", "rev_number": 1})
    assert response.status_code == 422
    assert response.json["errors"] == [
        {
            "field": "colour",
            "label": "colour",
            "code": "unknown_field",
            "message": "'colour' is not a field of Account.",
        }
    ]
    assert call(api, "GET", "/api/t/account/1").json["rev_number"] == 1
    # the system columns of a record as read may be sent back unchanged
    read = call(api, "GET", "/api/t/account/1").json
    changed = call(api, "PATCH", "/api/t/account/1", json={**read, "note": "n"})
    assert changed.status_code == 200
    assert (changed.json["id"], changed.json["status"], changed.json["note"]) == (1, "draft", "n")
    # but a change to one is refused, not silently dropped
    back = {"rev_number": 2, "id": 7, "status": "closed", "created_by": "x"}
    refused = call(api, "PATCH", "/api/t/account/1", json=back)
    assert refused.status_code == 422
    assert [(e["field"], e["code"]) for e in refused.json["errors"]] == [
        ("id", "read_only"),
        ("status", "read_only"),
        ("created_by", "read_only"),
    ]
    assert refused.json["errors"][1]["message"] == (
        "Status is filled in by the system and cannot be changed here."
    )


def test_a_line_id_that_is_not_a_number_is_refused_not_500(api):
    body = {
        "name": "Acme",
        "branches": [{"id": {"x": 1}, "city": "Oslo"}, {"id": 99, "city": "Bergen"}],
    }
    response = call(api, "POST", "/api/t/account", json=body)
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json["errors"]] == [
        ("branches[0].id", "type"),
        ("branches[1].id", "not_found"),
    ]
    body["branches"] = [{"city": "Oslo"}]
    assert call(api, "POST", "/api/t/account", json=body).status_code == 201


MEETING = """\
entity: meeting
label: Meeting
plural: Meetings
fields:
  - {name: starts, sequence: 1, label: Starts, input_type: datetime, group: MAIN}
"""


def test_a_moment_no_column_can_hold_is_refused_not_500(tree, storage):
    app = create_app(
        {
            "TESTING": True,
            "FORMWORK_METADATA": str(tree({**FILES, "entities/meeting.yaml": MEETING})),
            "FORMWORK_DATA": str(storage.data_dir),
            "FORMWORK_DATABASE": storage.database_url,
        }
    )
    compiled = app.extensions["formwork"].registry.tenant("t")
    users.add_user(compiled, "ed", "editor", "correct horse battery")
    client = app.test_client()
    client.tokens = {"ed": users.issue_token(compiled, "ed")}
    late = call(client, "POST", "/api/t/meeting", json={"starts": "9999-12-31T23:00:00-05:00"})
    assert late.status_code == 422
    assert late.json["errors"] == [
        {
            "field": "starts",
            "label": "Starts",
            "code": "range",
            "message": "Starts is out of the range that can be stored.",
        }
    ]
    fits = call(client, "POST", "/api/t/meeting", json={"starts": "9999-12-31T23:00:00+00:00"})
    assert fits.status_code == 201 and fits.json["starts"] == "9999-12-31T23:00:00+00:00"
