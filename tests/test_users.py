import hashlib
import unicodedata

import pytest
from argon2 import PasswordHasher
from playhouse.migrate import SchemaMigrator, migrate

from engine import users
from engine.registry import build_registry
from engine.storage.sync import sync_registry

OTHER_TENANT = "tenant: u\nlabel: U\nsettings: {license: '1234'}\n"
PASSWORD = "correct horse"


@pytest.fixture
def registry(tree, storage):
    """Two tenants, t and u, with their tables created."""
    registry = build_registry(str(tree({"tenants/u/tenant.yaml": OTHER_TENANT})))
    sync_registry(registry, storage)
    return registry


@pytest.fixture
def tenant(registry):
    return registry.tenant("t")


@pytest.mark.parametrize(
    ("role", "needed", "allowed"),
    [
        ("viewer", "viewer", True),
        ("viewer", "editor", False),
        ("viewer", "admin", False),
        ("editor", "viewer", True),
        ("editor", "editor", True),
        ("editor", "admin", False),
        ("admin", "viewer", True),
        ("admin", "editor", True),
        ("admin", "admin", True),
        ("root", "viewer", False),
    ],
)
def test_roles_are_ordered_and_an_unknown_role_allows_nothing(role, needed, allowed):
    assert users.allows(role, needed) is allowed


def test_asking_for_an_unknown_role_is_an_error():
    with pytest.raises(users.UserError, match="'editr' is not a role \\(did you mean 'editor'"):
        users.allows("admin", "editr")


def test_the_stored_hash_is_argon2_not_the_password(tenant, monkeypatch):
    monkeypatch.setattr(users, "_HASHER", PasswordHasher())  # the real cost, once
    user = users.add_user(tenant, "alice", "editor", PASSWORD)
    stored = tenant.system.user.get_by_id(user.id).password_hash
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert PASSWORD not in stored
    assert (user.role, user.active) == ("editor", True)


def test_authenticate_checks_the_password(tenant):
    users.add_user(tenant, "alice", "viewer", PASSWORD)
    assert users.authenticate(tenant, "alice", PASSWORD).username == "alice"
    assert users.authenticate(tenant, "alice", PASSWORD + "!") is None
    assert users.authenticate(tenant, "alice", "") is None
    assert users.authenticate(tenant, "nobody", PASSWORD) is None
    assert users.authenticate(tenant, "nul\x00", PASSWORD) is None  # PostgreSQL refuses NULs


def test_set_password_replaces_the_old_one(tenant):
    users.add_user(tenant, "alice", "viewer", PASSWORD)
    users.set_password(tenant, "alice", "another password")
    assert users.authenticate(tenant, "alice", PASSWORD) is None
    assert users.authenticate(tenant, "alice", "another password") is not None


def test_a_hash_made_with_weaker_parameters_is_upgraded_at_login(tenant, monkeypatch):
    users.add_user(tenant, "alice", "viewer", PASSWORD)
    monkeypatch.setattr(
        users, "_HASHER", PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    )
    assert users.authenticate(tenant, "alice", PASSWORD) is not None
    assert "$m=16,t=2,p=1$" in tenant.system.user.get().password_hash


def test_an_inactive_user_cannot_log_in(tenant):
    users.add_user(tenant, "alice", "viewer", PASSWORD)
    users.set_active(tenant, "alice", False)
    assert users.authenticate(tenant, "alice", PASSWORD) is None


def test_standing_is_the_role_and_stamp_of_an_active_user_only(tenant):
    users.add_user(tenant, "alice", "editor", PASSWORD)
    users.add_user(tenant, "bob", "viewer", PASSWORD)
    users.set_active(tenant, "bob", False)
    alice = users.standing(tenant, "alice")
    assert alice.role == "editor" and len(alice.session_stamp) >= 16
    assert users.standing(tenant, "bob") is None
    assert users.standing(tenant, "nobody") is None
    assert users.standing(tenant, "nul\x00") is None


def test_a_new_password_or_a_deactivation_draws_a_new_stamp_a_new_role_does_not(tenant):
    users.add_user(tenant, "alice", "editor", PASSWORD)
    first = users.standing(tenant, "alice").session_stamp
    users.set_role(tenant, "alice", "viewer")
    assert users.standing(tenant, "alice") == users.Standing("viewer", first)
    users.set_password(tenant, "alice", "another password")
    second = users.standing(tenant, "alice").session_stamp
    assert second != first
    users.set_active(tenant, "alice", False)
    users.set_active(tenant, "alice", True)
    assert users.standing(tenant, "alice").session_stamp not in (first, second)


def test_a_bad_role_is_refused_and_the_old_one_kept(tenant):
    users.add_user(tenant, "alice", "editor", PASSWORD)
    with pytest.raises(users.UserError, match="'admn' is not a role"):
        users.set_role(tenant, "alice", "admn")
    assert users.standing(tenant, "alice").role == "editor"


def test_a_removed_user_and_their_tokens_are_gone_the_others_stay(tenant):
    users.add_user(tenant, "alice", "editor", PASSWORD)
    users.add_user(tenant, "bob", "editor", PASSWORD)
    alices, bobs = users.issue_token(tenant, "alice"), users.issue_token(tenant, "bob")
    users.remove_user(tenant, "alice")
    assert users.authenticate(tenant, "alice", PASSWORD) is None
    assert users.user_for_token(tenant, alices) is None
    assert users.user_for_token(tenant, bobs).username == "bob"
    with pytest.raises(users.UnknownUser):
        users.remove_user(tenant, "alice")


def test_a_user_stored_before_session_stamps_gets_one_at_login(registry, tenant, storage):
    users.add_user(tenant, "alice", "editor", PASSWORD)
    migrator = SchemaMigrator.from_database(storage.database("t"))
    migrate(migrator.drop_column("formwork_user", "session_stamp"))  # a database from before
    (plan, _) = sync_registry(registry, storage)
    assert "add column formwork_user.session_stamp: engine column" in [str(s) for s in plan.steps]
    assert users.standing(tenant, "alice") is None  # no stamp: no session is valid yet
    assert users.authenticate(tenant, "alice", PASSWORD) is not None
    assert users.standing(tenant, "alice").role == "editor"


def test_a_duplicate_username_is_a_clear_error(tenant):
    users.add_user(tenant, "alice", "viewer", PASSWORD)
    with pytest.raises(users.UserError) as raised:
        users.add_user(tenant, "alice", "admin", PASSWORD)
    assert str(raised.value) == ("tenant 't' already has a user 'alice'; choose another username")
    assert tenant.system.user.select().count() == 1


def test_usernames_are_compared_after_unicode_normalisation(tenant):
    users.add_user(tenant, "café", "viewer", PASSWORD)
    decomposed = unicodedata.normalize("NFD", "café")
    assert users.authenticate(tenant, decomposed, PASSWORD).username == "café"
    with pytest.raises(users.UserError, match="already has a user"):
        users.add_user(tenant, decomposed, "viewer", PASSWORD)


@pytest.mark.parametrize(
    "username", ["", "a b", "tab\there", "new\nline", "nul\x00", "zero\u200bwidth", "x" * 151]
)
def test_a_bad_username_is_refused(tenant, username):
    with pytest.raises(users.UserError, match="is not a valid username: use 1 to 150 characters"):
        users.add_user(tenant, username, "viewer", PASSWORD)
    assert tenant.system.user.select().count() == 0


def test_a_username_of_150_characters_is_accepted(tenant):
    assert users.add_user(tenant, "x" * 150, "viewer", PASSWORD).username == "x" * 150


def test_a_bad_role_or_a_short_password_is_refused(tenant):
    with pytest.raises(users.UserError, match="'owner' is not a role; use one of viewer, editor"):
        users.add_user(tenant, "alice", "owner", PASSWORD)
    with pytest.raises(users.UserError, match="at least 8 characters"):
        users.add_user(tenant, "alice", "viewer", "1234567")
    users.add_user(tenant, "alice", "viewer", PASSWORD)
    with pytest.raises(users.UserError, match="at least 8 characters"):
        users.set_password(tenant, "alice", "short")
    assert users.authenticate(tenant, "alice", PASSWORD) is not None


def test_an_unknown_user_is_named_with_the_fix(tenant):
    with pytest.raises(users.UnknownUser) as raised:
        users.set_password(tenant, "bob", PASSWORD)
    assert str(raised.value) == (
        "tenant 't' has no user 'bob'; add it with: formwork user add t bob --role viewer"
    )
    assert raised.value.exit_code == 2


def test_generated_passwords_are_long_enough_and_differ():
    passwords = {users.generate_password() for _ in range(20)}
    assert len(passwords) == 20
    assert all(len(p) >= users.MIN_PASSWORD_LENGTH for p in passwords)


def test_a_token_finds_its_user(tenant):
    users.add_user(tenant, "alice", "editor", PASSWORD)
    token = users.issue_token(tenant, "alice")
    assert len(token) >= 43
    assert users.user_for_token(tenant, token).username == "alice"
    assert users.user_for_token(tenant, token + "x") is None
    assert users.user_for_token(tenant, "") is None


def test_each_token_is_new_and_both_work(tenant):
    users.add_user(tenant, "alice", "editor", PASSWORD)
    first, second = users.issue_token(tenant, "alice"), users.issue_token(tenant, "alice")
    assert first != second
    assert users.user_for_token(tenant, first).username == "alice"
    assert users.user_for_token(tenant, second).username == "alice"


def test_only_the_sha256_of_a_token_is_stored(tenant, storage):
    users.add_user(tenant, "alice", "editor", PASSWORD)
    token = users.issue_token(tenant, "alice")
    rows = storage.database("t").execute_sql("SELECT * FROM formwork_token").fetchall()
    assert len(rows) == 1
    assert token not in repr(rows)
    assert hashlib.sha256(token.encode()).hexdigest() in rows[0]


def test_an_inactive_users_token_is_rejected(tenant):
    users.add_user(tenant, "alice", "editor", PASSWORD)
    token = users.issue_token(tenant, "alice")
    users.set_active(tenant, "alice", False)
    assert users.user_for_token(tenant, token) is None
    with pytest.raises(users.UserError, match="is inactive; activate the user"):
        users.issue_token(tenant, "alice")
    users.set_active(tenant, "alice", True)
    assert users.user_for_token(tenant, token).username == "alice"


def test_a_token_of_one_tenant_means_nothing_to_another(registry):
    t, u = registry.tenant("t"), registry.tenant("u")
    users.add_user(t, "alice", "admin", PASSWORD)
    users.add_user(u, "alice", "admin", "another password")  # the same name in both
    token = users.issue_token(t, "alice")
    assert users.user_for_token(t, token).username == "alice"
    assert users.user_for_token(u, token) is None
    assert users.authenticate(u, "alice", PASSWORD) is None


def test_issuing_a_token_for_an_unknown_user_is_an_error(tenant):
    with pytest.raises(users.UnknownUser, match="tenant 't' has no user 'bob'"):
        users.issue_token(tenant, "bob")


def test_a_tenant_without_its_database_says_to_sync_first(tree):
    tenant = build_registry(str(tree({}))).tenant("t")
    with pytest.raises(users.UserError, match="run sync_registry \\(formwork migrate\\) first"):
        users.add_user(tenant, "alice", "viewer", PASSWORD)
