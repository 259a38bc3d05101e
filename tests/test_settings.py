"""Every FORMWORK_* setting the code reads is in README.md's Settings table, and every
setting of the web app reaches it from the environment."""

import re
from pathlib import Path

import pytest
from records_metadata import FILES
from test_pages import Browser

from engine import users
from webui import create_app, settings

ROOT = Path(__file__).resolve().parent.parent
CODE = ("engine", "webui", "tests", "bench", ".ci")  # folders of code, tests and scripts
CODE_SUFFIXES = {".py", ".html", ".js", ".toml", ".sh", ""}  # "" : .ci/run
NAME = re.compile(r"\bFORMWORK_[A-Z0-9_]*[A-Z0-9]\b")


def names_in_code():
    """Every FORMWORK_* name written in the code, with a file that writes it."""
    found = {}
    files = [ROOT / "pyproject.toml"]
    for folder in CODE:
        files += [p for p in (ROOT / folder).rglob("*") if p.is_file()]
    for path in files:
        if path.suffix not in CODE_SUFFIXES or "__pycache__" in path.parts:
            continue
        for name in NAME.findall(path.read_text(encoding="utf-8", errors="replace")):
            found.setdefault(name, path.relative_to(ROOT).as_posix())
    return found


def names_in_readme():
    """The settings README.md's Settings table lists."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(FORMWORK_\w+)` \|", section, re.M))


def test_every_setting_the_code_reads_is_in_the_readme_table():
    table = names_in_readme()
    missing = {name: path for name, path in names_in_code().items() if name not in table}
    assert not missing, f"README.md's Settings table lacks (name: a file using it): {missing}"


def test_the_readme_table_lists_only_settings_the_code_reads():
    assert names_in_readme() - set(names_in_code()) == set()


def test_every_setting_of_the_running_app_is_in_the_readme_table(tree, tmp_path):
    table = names_in_readme()
    assert {s.variable for s in settings.SETTINGS} <= table
    app = create_app({"FORMWORK_METADATA": str(tree(FILES)), "FORMWORK_DATA": str(tmp_path)})
    # a key built at run time escapes the search of the code above, not this
    assert {key for key in app.config if key.startswith("FORMWORK_")} <= table


@pytest.fixture
def environment(monkeypatch, tree, tmp_path):
    """Every setting of the web app given in the environment, none in create_app's config."""
    values = {
        "FORMWORK_METADATA": str(tree(FILES)),
        "FORMWORK_DATA": str(tmp_path / "data"),
        "FORMWORK_DATABASE": "",  # empty: unset, so SQLite
        "FORMWORK_SECRET_KEY": "from the environment",
        "FORMWORK_RELOAD": "poll",
        "FORMWORK_IMPORT_MAX_BYTES": "2048",
        "FORMWORK_USER_RECHECK_SECONDS": "0",
        "FORMWORK_TRUSTED_PROXIES": "1",
        "FORMWORK_WRITE_WAIT_SECONDS": "1.5",
        "FORMWORK_IMPORT_PAGE_SECONDS": "7",
        "FORMWORK_SPEEDUPS": "csrf,sessions",
        "FORMWORK_TENANT_CACHE": "3",
        "FORMWORK_DATABASE_POOL": "4",
    }
    assert set(values) == {s.variable for s in settings.SETTINGS}  # one of each
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def test_every_setting_reaches_the_app_from_the_environment(environment):
    config = create_app().config
    assert config["FORMWORK_METADATA"] == environment["FORMWORK_METADATA"]
    assert config["FORMWORK_DATA"] == environment["FORMWORK_DATA"]
    assert config["FORMWORK_DATABASE"] is None
    assert config["SECRET_KEY"] == "from the environment"
    assert config["FORMWORK_RELOAD"] == "poll"
    assert config["FORMWORK_IMPORT_MAX_BYTES"] == 2048
    assert config["FORMWORK_USER_RECHECK_SECONDS"] == 0
    assert config["FORMWORK_TRUSTED_PROXIES"] == 1
    assert config["FORMWORK_WRITE_WAIT_SECONDS"] == 1.5
    assert config["FORMWORK_IMPORT_PAGE_SECONDS"] == 7
    assert config["FORMWORK_SPEEDUPS"] == "csrf,sessions"
    assert config["FORMWORK_TENANT_CACHE"] == 3
    assert config["FORMWORK_DATABASE_POOL"] == 4


def test_a_recheck_time_of_zero_from_the_environment_ends_a_session_at_once(environment):
    app = create_app()
    tenant = app.extensions["formwork"].registry.tenant("t")
    users.add_user(tenant, "ann", "editor", "correct horse battery")
    ann = Browser(app, "t")
    assert ann.login("ann").status_code == 302
    assert ann.get("/account/").status_code == 200
    users.set_active(tenant, "ann", False)
    answer = ann.get("/account/")
    assert answer.status_code == 302 and "/t/login" in answer.headers["Location"]


def test_config_given_to_create_app_wins_over_the_environment(environment):
    app = create_app({"FORMWORK_RELOAD": "off", "FORMWORK_USER_RECHECK_SECONDS": 5})
    assert app.config["FORMWORK_RELOAD"] == "off"
    assert app.config["FORMWORK_USER_RECHECK_SECONDS"] == 5


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("FORMWORK_IMPORT_MAX_BYTES", "FORMWORK_IMPORT_MAX_BYTES must be a whole number, not"),
        ("FORMWORK_USER_RECHECK_SECONDS", "FORMWORK_USER_RECHECK_SECONDS must be a number of"),
        ("FORMWORK_WRITE_WAIT_SECONDS", "FORMWORK_WRITE_WAIT_SECONDS must be a number of"),
        ("FORMWORK_IMPORT_PAGE_SECONDS", "FORMWORK_IMPORT_PAGE_SECONDS must be a number of"),
        ("FORMWORK_TENANT_CACHE", "FORMWORK_TENANT_CACHE must be a whole number, not"),
        ("FORMWORK_DATABASE_POOL", "FORMWORK_DATABASE_POOL must be a whole number, not"),
    ],
)
def test_a_setting_that_is_not_a_number_is_explained(environment, monkeypatch, name, message):
    monkeypatch.setenv(name, "lots")
    with pytest.raises(ValueError, match=re.escape(message)):
        create_app()


def test_a_tenant_cache_of_no_tenant_is_explained(environment, monkeypatch):
    monkeypatch.setenv("FORMWORK_TENANT_CACHE", "0")
    message = "FORMWORK_TENANT_CACHE must be at least 1 (tenants kept compiled), not 0."
    with pytest.raises(ValueError, match=re.escape(message)):
        create_app()


def test_a_pool_of_no_connection_is_explained(environment, monkeypatch):
    monkeypatch.setenv("FORMWORK_DATABASE_POOL", "0")
    message = "FORMWORK_DATABASE_POOL must be at least 1 (connections a process holds), not '0'."
    with pytest.raises(ValueError, match=re.escape(message)):
        create_app()


def test_a_speedups_value_that_names_none_is_explained(environment, monkeypatch):
    monkeypatch.setenv("FORMWORK_SPEEDUPS", "csrf,fast")
    message = "FORMWORK_SPEEDUPS must be on, off, or some of form_data, csrf, sessions"
    with pytest.raises(ValueError, match=re.escape(message)):
        create_app()
