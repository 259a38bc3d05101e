"""The shipped tenants served with their demo data, and what their pages cost the
database: the statements counted through peewee's Database.execute_sql, the one place
every statement passes."""

import contextlib
import re
import threading
from collections.abc import Iterator

import peewee
import pytest
from conftest import SHIPPED
from test_lines_form import FormValues, with_demo
from werkzeug.datastructures import MultiDict

from engine.registry import build_registry
from webui import create_app
from webui.forms import editable

PASSWORD = "correct horse battery"
ENTITIES = [
    (tenant, entity)
    for tenant, compiled in build_registry(str(SHIPPED)).tenants.items()
    for entity in compiled.entities
]


def served_demo(tmp_path_factory):
    """The app over the shipped tenants with their demo data on SQLite, and an editor
    `clerk` in each (a module fixture of the tests that use it)."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "FORMWORK_METADATA": str(SHIPPED),
            "FORMWORK_DATA": str(tmp_path_factory.mktemp("statements")),
            "FORMWORK_RELOAD": "off",
        }
    )
    return with_demo(app)


class Counted:
    """The SQL statements run while counting, in order."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __len__(self) -> int:
        return len(self.statements)

    def __str__(self) -> str:
        return "\n".join(self.statements)


@contextlib.contextmanager
def counting() -> Iterator[Counted]:
    """Every statement any database of the app runs meanwhile in this thread, the one
    that serves the test client's requests: the process's own threads (the WAL
    checkpoints, the metadata watcher) run statements at times no page chooses."""
    counted = Counted()
    plain = peewee.Database.execute_sql
    serving = threading.get_ident()

    def execute_sql(database, sql, params=None, *args, **kwargs):
        if threading.get_ident() == serving:
            counted.statements.append(sql)
        return plain(database, sql, params, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(peewee.Database, "execute_sql", execute_sql)
        yield counted


def logged_in(app, tenant):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.post(
        f"/{tenant}/login",
        data={"username": "clerk", "password": PASSWORD, **token(client, f"/{tenant}/login")},
    )
    return client


def token(client, path) -> dict:
    page = client.get(path).get_data(as_text=True)
    return {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)}


def fullest_record(service, tenant: str, entity: str) -> dict | None:
    """The demo record of the entity with the most line rows (its first, without lines)."""
    target = service.target(tenant, entity)
    records = [service.read(tenant, entity, i["id"]) for i in service.list(tenant, entity)["items"]]
    if not records:
        return None
    return max(records, key=lambda r: sum(len(r[line.name]) for line in target.lines()))


def costs(client, path: str, data=None) -> tuple[int, Counted]:
    with counting() as counted:
        response = client.post(path, data=data) if data is not None else client.get(path)
    assert response.status_code < 500, path
    return response.status_code, counted


def failing_save(client, service, tenant: str, entity: str, path: str) -> MultiDict:
    """The edit form as a browser sends it, with a required field emptied, or else with
    the version of the record it was read at gone stale."""
    form = FormValues()
    form.feed(client.get(path).get_data(as_text=True))
    data = MultiDict(form.pairs)
    spec = service.target(tenant, entity).spec
    required = [f.name for f in editable(spec, creating=False) if f.required and f.name in data]
    if required:
        data.setlist(required[0], [""])
    else:
        data.setlist("rev_number", ["0"])
    return data
