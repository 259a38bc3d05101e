"""A signed-in user's rights come from the user table, not from their session cookie."""

import pytest
from records_metadata import FILES
from test_pages import Browser, make_app

from engine import users
from webui import signed_in

PASSWORD = "correct horse battery"
ENDED = "Your session has ended"


@pytest.fixture
def app(tree, storage):
    application = make_app(tree(FILES), storage)
    tenant = application.extensions["formwork"].registry.tenant("t")
    for name, role in [("ann", "editor"), ("bob", "editor"), ("ada", "admin"), ("max", "admin")]:
        users.add_user(tenant, name, role, PASSWORD)
    return application


@pytest.fixture
def tenant(app):
    return app.extensions["formwork"].registry.tenant("t")


@pytest.fixture
def later(monkeypatch):
    """Moves this process's clock past the time it may trust a user it looked up."""
    now = [1000.0]
    monkeypatch.setattr(signed_in, "clock", lambda: now[0])

    def advance(seconds=2.01):
        now[0] += seconds

    return advance


def logged_in(app, name):
    browser = Browser(app, "t")
    assert browser.login(name).status_code == 302
    assert browser.get("/account/").status_code == 200
    return browser


def sent_to_login(answer):
    return answer.status_code == 302 and "/t/login" in answer.headers["Location"]


def test_a_deactivated_user_is_signed_out_on_the_next_request(app, tenant, later):
    ann, bob = logged_in(app, "ann"), logged_in(app, "bob")
    users.set_active(tenant, "ann", False)
    later()
    answer = ann.get("/account/")
    assert sent_to_login(answer)
    login_page = ann.client.get(answer.headers["Location"]).get_data(as_text=True)
    assert ENDED in login_page
    assert sent_to_login(ann.get("/account/"))  # the session is gone, not only refused once
    assert bob.get("/account/").status_code == 200


def test_a_reactivated_user_logs_in_anew(app, tenant, later):
    ann = logged_in(app, "ann")
    users.set_active(tenant, "ann", False)
    users.set_active(tenant, "ann", True)
    later()
    assert sent_to_login(ann.get("/account/"))
    assert logged_in(app, "ann").get("/account/").status_code == 200


def test_a_removed_user_is_signed_out_and_the_others_stay(app, tenant, later):
    ann, bob = logged_in(app, "ann"), logged_in(app, "bob")
    users.remove_user(tenant, "ann")
    later()
    assert sent_to_login(ann.get("/account/"))
    assert bob.get("/account/").status_code == 200


def test_a_user_removed_and_added_again_does_not_get_the_old_sessions(app, tenant, later):
    ann = logged_in(app, "ann")
    users.remove_user(tenant, "ann")
    users.add_user(tenant, "ann", "admin", PASSWORD)
    later()
    assert sent_to_login(ann.get("/account/"))


def test_a_lowered_role_is_refused_the_admin_page(app, tenant, later):
    ada, max_ = logged_in(app, "ada"), logged_in(app, "max")
    assert ada.get("/admin/metadata").status_code == 200
    users.set_role(tenant, "ada", "viewer")
    later()
    assert ada.get("/admin/metadata").status_code == 403
    assert "ada (viewer)" in ada.get("/account/").get_data(as_text=True)
    assert ada.post("/account/new", {"name": "Acme"}).status_code == 403
    assert max_.get("/admin/metadata").status_code == 200


def test_a_raised_role_applies_without_a_new_login(app, tenant, later):
    ann = logged_in(app, "ann")
    assert ann.get("/admin/metadata").status_code == 403
    users.set_role(tenant, "ann", "admin")
    later()
    assert ann.get("/admin/metadata").status_code == 200


def test_a_new_password_ends_the_old_sessions_and_a_new_login_works(app, tenant, later):
    ann, bob = logged_in(app, "ann"), logged_in(app, "bob")
    users.set_password(tenant, "ann", "a brand new password")
    # at once, although this process still remembers ann's old stamp
    again = Browser(app, "t")
    assert again.login("ann", PASSWORD).status_code == 401
    assert again.login("ann", "a brand new password").status_code == 302
    assert again.get("/account/").status_code == 200
    later()
    assert sent_to_login(ann.get("/account/"))
    assert again.get("/account/").status_code == 200
    assert bob.get("/account/").status_code == 200


def test_a_change_reaches_a_process_within_the_recheck_time(app, tenant, later):
    ann = logged_in(app, "ann")
    users.set_active(tenant, "ann", False)
    later(1.9)  # the process may still trust what it looked up under two seconds ago
    assert ann.get("/account/").status_code == 200
    later(0.2)
    assert sent_to_login(ann.get("/account/"))


def test_with_a_recheck_time_of_zero_every_request_looks(app, tenant):
    app.config["FORMWORK_USER_RECHECK_SECONDS"] = 0
    ann = logged_in(app, "ann")
    users.set_active(tenant, "ann", False)
    assert sent_to_login(ann.get("/account/"))


def test_a_cookie_from_before_session_stamps_is_refused(app):
    browser = Browser(app, "t")
    with browser.client.session_transaction() as session:
        # the old shape, which carried the role itself
        session["user"] = {"tenant": "t", "username": "ann", "role": "admin"}
    assert sent_to_login(browser.get("/admin/metadata"))
    assert logged_in(app, "ann").get("/account/").status_code == 200


def test_the_api_description_answers_401_once_the_session_has_ended(app, tenant, later):
    ann, bob = logged_in(app, "ann"), logged_in(app, "bob")
    assert ann.client.get("/api/t/openapi.json").status_code == 200
    users.set_active(tenant, "ann", False)
    later()
    answer = ann.client.get("/api/t/openapi.json")
    assert answer.status_code == 401
    assert answer.get_json()["code"] == "unauthenticated"
    assert bob.client.get("/api/t/openapi.json").status_code == 200


def test_a_token_of_a_lowered_user_loses_the_rights_at_once(app, tenant):
    token = users.issue_token(tenant, "ann")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    created = client.post("/api/t/account", json={"name": "Acme"}, headers=headers)
    assert created.status_code == 201
    users.set_role(tenant, "ann", "viewer")
    refused = client.post("/api/t/account", json={"name": "Other"}, headers=headers)
    assert refused.status_code == 403
