import pytest
from click.testing import CliRunner

from engine import users
from engine.cli import main
from engine.registry import build_registry
from engine.storage.sync import sync_registry

ENTITY = """\
entity: item
label: Item
plural: Items
fields:
  - {name: code, sequence: 1, label: Code, input_type: text, group: MAIN, unique: true}
  - {name: price, sequence: 2, label: Price, input_type: currency, group: MAIN}
"""
OTHER_TENANT = "tenant: u\nlabel: U\nsettings: {license: '1234'}\n"
PASSWORD = "correct horse\n"  # as a script pipes it in


@pytest.fixture
def metadata(tree):
    """Tenants t and u, both with the base entity `item`; call again to change it."""

    def write(entity=ENTITY):
        return tree({"entities/item.yaml": entity, "tenants/u/tenant.yaml": OTHER_TENANT})

    return write


@pytest.fixture
def formwork(storage, metadata):
    """Run the CLI on the test's metadata and storage, like a shell would."""
    root = metadata()
    if storage.database_url:
        place = ["--database", storage.database_url]
    else:
        place = ["--data", str(storage.data_dir)]

    def run(*args, input=None):
        arguments = [*args, "--metadata", str(root), *place]
        result = CliRunner().invoke(main, arguments, input=input, catch_exceptions=False)
        assert "Traceback" not in result.output
        return result

    return run


def tables(storage, tenant="t"):
    return storage.database(tenant).get_tables(schema=storage.schema(tenant))


def columns(storage, tenant="t"):
    database = storage.database(tenant)
    return [c.name for c in database.get_columns("item", schema=storage.schema(tenant))]


def bound_tenant(metadata, storage, name="t"):
    registry = build_registry(str(metadata()))
    sync_registry(registry, storage)
    return registry.tenant(name)


def test_migrate_dry_run_then_migrate_then_nothing_to_do(formwork, storage):
    result = formwork("migrate", "--dry-run")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "t: create table item: 8 columns" in lines
    assert "u: create table formwork_user: engine table" in lines
    assert lines[-1] == "Dry run: nothing was changed."
    assert "item" not in tables(storage)

    result = formwork("migrate")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == lines[:-1]
    assert "item" in tables(storage) and "item" in tables(storage, "u")

    result = formwork("migrate")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["t: nothing to do", "u: nothing to do"]


def test_a_lossy_type_change_is_refused_and_nothing_changes(formwork, metadata, storage):
    assert formwork("migrate").exit_code == 0
    metadata(
        ENTITY.replace("input_type: currency", "input_type: date")
        + "  - {name: colour, sequence: 3, label: Colour, input_type: text, group: MAIN}\n"
    )
    for args in (["migrate", "--dry-run"], ["migrate"]):
        result = formwork(*args)
        assert result.exit_code == 1
        assert result.stdout == ""
        assert result.stderr.splitlines() == [
            f"error: {tenant}.item.price: changing the type from currency to date could lose "
            "data (DECIMAL values into a DATE column); keep currency, or add a new field and "
            "copy the values"
            for tenant in ("t", "u")
        ]
    assert "colour" not in columns(storage) and "colour" not in columns(storage, "u")


def test_user_add_takes_the_password_from_stdin(formwork, metadata, storage):
    result = formwork("user", "add", "t", "alice", "--role", "editor", input="s3cret pass\n")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Added user 'alice' to tenant 't' as editor.\n"
    tenant = bound_tenant(metadata, storage)
    assert users.authenticate(tenant, "alice", "s3cret pass").role == "editor"


def test_user_add_without_a_password_generates_one_and_prints_it_once(formwork, metadata, storage):
    result = formwork("user", "add", "t", "bob", "--role", "viewer")
    assert result.exit_code == 0, result.output
    added, shown = result.stdout.splitlines()
    assert added == "Added user 'bob' to tenant 't' as viewer."
    label, password = shown.split(": ")
    assert label == "Password (shown only this once)"
    assert users.authenticate(bound_tenant(metadata, storage), "bob", password) is not None


def test_user_password_replaces_the_password_and_ends_the_sessions(formwork, metadata, storage):
    assert formwork("user", "add", "t", "alice", "--role", "editor", input=PASSWORD).exit_code == 0
    assert formwork("user", "add", "t", "bob", "--role", "editor", input=PASSWORD).exit_code == 0
    tenant = bound_tenant(metadata, storage)
    alice, bob = (users.standing(tenant, n).session_stamp for n in ("alice", "bob"))
    result = formwork("user", "password", "t", "alice", input="another password\n")
    assert result.exit_code == 0, result.output
    assert result.stdout == "New password for user 'alice' of tenant 't'; their sessions ended.\n"
    assert users.authenticate(tenant, "alice", PASSWORD.strip()) is None
    assert users.authenticate(tenant, "alice", "another password") is not None
    assert users.standing(tenant, "alice").session_stamp != alice
    assert users.standing(tenant, "bob").session_stamp == bob


def test_user_role_deactivate_activate_and_remove(formwork, metadata, storage):
    assert formwork("user", "add", "t", "alice", "--role", "admin", input=PASSWORD).exit_code == 0
    tenant = bound_tenant(metadata, storage)
    assert formwork("user", "role", "t", "alice", "viewer").stdout == (
        "User 'alice' of tenant 't' is now viewer.\n"
    )
    assert users.standing(tenant, "alice").role == "viewer"
    assert formwork("user", "deactivate", "t", "alice").exit_code == 0
    assert users.standing(tenant, "alice") is None
    assert formwork("user", "activate", "t", "alice").exit_code == 0
    assert users.authenticate(tenant, "alice", PASSWORD.strip()).role == "viewer"
    result = formwork("user", "remove", "t", "alice")
    assert result.stdout == "Removed user 'alice' from tenant 't'.\n"
    assert users.authenticate(tenant, "alice", PASSWORD.strip()) is None


def test_token_issue_prints_only_the_token(formwork, metadata, storage):
    assert formwork("user", "add", "t", "alice", "--role", "admin").exit_code == 0
    result = formwork("token", "issue", "t", "alice")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    token = result.stdout.removesuffix("\n")
    assert token and "\n" not in token and " " not in token
    tenant = bound_tenant(metadata, storage)
    assert users.user_for_token(tenant, token).username == "alice"
    assert users.user_for_token(bound_tenant(metadata, storage, "u"), token) is None


@pytest.mark.parametrize(
    ("args", "stdin", "code", "message"),
    [
        (
            ["token", "issue", "x", "alice"],
            None,
            2,
            "there is no tenant 'x'",
        ),
        (
            ["token", "issue", "t", "zed"],
            None,
            2,
            "tenant 't' has no user 'zed'; add it with: formwork user add t zed --role viewer",
        ),
        (
            ["user", "role", "t", "alice", "admn"],
            None,
            1,
            "'admn' is not a role (did you mean 'admin'?); use one of viewer, editor, admin",
        ),
        (
            ["user", "deactivate", "t", "zed"],
            None,
            2,
            "tenant 't' has no user 'zed'; add it with: formwork user add t zed --role viewer",
        ),
        (
            ["user", "add", "t", "carol", "--role", "admn"],
            None,
            1,
            "'admn' is not a role (did you mean 'admin'?); use one of viewer, editor, admin",
        ),
        (
            ["user", "add", "t", "alice", "--role", "viewer"],
            None,
            1,
            "tenant 't' already has a user 'alice'; choose another username",
        ),
        (
            ["user", "add", "t", "carol", "--role", "viewer"],
            "short\n",
            1,
            "the password is too short: use at least 8 characters, or leave it out to have "
            "one generated",
        ),
        (
            ["user", "add", "t", "two words", "--role", "viewer"],
            None,
            1,
            "'two words' is not a valid username: use 1 to 150 characters, without spaces or "
            "control characters",
        ),
    ],
)
def test_errors_are_one_line_on_stderr_without_a_traceback(formwork, args, stdin, code, message):
    assert formwork("user", "add", "t", "alice", "--role", "viewer").exit_code == 0
    result = formwork(*args, input=stdin)
    assert result.exit_code == code
    assert result.stdout == ""
    assert result.stderr == f"error: {message}\n"


def test_an_unsupported_database_url_is_a_clear_error(metadata):
    arguments = ["migrate", "--metadata", str(metadata()), "--database", "mysql://db/x"]
    result = CliRunner().invoke(main, arguments, catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: unsupported database URL 'mysql://db/x': use ")


def test_the_data_directory_can_come_from_the_environment(metadata, tmp_path):
    env = {
        "FORMWORK_METADATA": str(metadata()),
        "FORMWORK_DATA": str(tmp_path / "elsewhere"),
        "FORMWORK_DATABASE": None,
    }
    result = CliRunner(env=env).invoke(main, ["migrate"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "elsewhere" / "t.sqlite3").is_file()
