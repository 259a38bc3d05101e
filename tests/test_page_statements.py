"""What a page costs the database: every page of every shipped tenant × entity (its list,
its new form, the edit form and the page of a demo record with its lines, the fields of
each of its stored rows as a row opens, and the form shown again after a failed save)
issues a few SQL statements, however many lines, rows and linked records it shows.
Counted through the product as served, on SQLite."""

import threading

import pytest
from page_costs import (
    ENTITIES,
    costs,
    counting,
    failing_save,
    fullest_record,
    logged_in,
    served_demo,
)
from sample_records import create_sample, sample_payload
from test_lines_form import lines_cases

from webui.forms import editable

# A page reads its record with each lines field's rows, its history, and in one query
# (or one per linked entity) the titles of its links (a lookup's choices are fetched as
# the user types, never read into the page): bounded by the metadata, never by the rows,
# lines or links shown.
MOST_STATEMENTS = 12
# a failed save also reads the record to update (twice: the form's and the save's) and
# checks its links, one query per linked entity of the record and of each lines field
MOST_AFTER_FAILED_SAVE = 24
SESSION_CHECK = '"formwork_login"'


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    return served_demo(tmp_path_factory)


@pytest.mark.parametrize(("tenant", "entity"), ENTITIES)
def test_each_page_issues_a_few_statements(demo_app, tenant, entity):
    service = demo_app.extensions["formwork"]
    client = logged_in(demo_app, tenant)
    paths = [f"/{tenant}/{entity}/", f"/{tenant}/{entity}/new"]
    record = fullest_record(service, tenant, entity)
    if record is not None:
        edit = f"/{tenant}/{entity}/{record['id']}/edit"
        paths += [f"/{tenant}/{entity}/{record['id']}", edit]
        paths += [
            f"{edit}/{line.name}/{row['id']}?row={index}"
            for line in service.target(tenant, entity).lines()
            if not line.hidden
            for index, row in enumerate(record[line.name])
        ]
    for path in paths:
        status, counted = costs(client, path)
        assert status == 200, path
        assert len(counted) <= MOST_STATEMENTS, f"{path}: {len(counted)}\n{counted}"
        if path.endswith("/new"):  # nothing stored to show, no choices read into it
            assert len(counted) == 0, f"{path}: {len(counted)}\n{counted}"
        # the counter counts: a record's page reads the record (a form may need nothing)
        assert len(counted) >= 1 or path.endswith(("/", "/new")), path
    if record is not None:
        path = f"/{tenant}/{entity}/{record['id']}/edit"
        status, counted = costs(client, path, failing_save(client, service, tenant, entity, path))
        assert status in (409, 422), path
        assert len(counted) <= MOST_AFTER_FAILED_SAVE, (
            f"{path} shown again: {len(counted)}\n{counted}"
        )


@pytest.mark.parametrize(("tenant", "entity", "line"), lines_cases())
def test_one_more_line_linking_other_records_adds_no_statement(demo_app, tenant, entity, line):
    """The counter counts what grows: a record's form and page issue as many statements
    with one line more, whose lookups name records no other line names."""
    service = demo_app.extensions["formwork"]
    client = logged_in(demo_app, tenant)
    target = service.target(tenant, entity)
    lines = target.spec.field(line)
    payload = sample_payload(service, tenant, entity)
    payload[line] = [linking_row(service, tenant, target.child(lines), lines.lines.link)]
    record = service.create(tenant, entity, payload, "clerk")
    paths = [f"/{tenant}/{entity}/{record['id']}", f"/{tenant}/{entity}/{record['id']}/edit"]
    before = [page_statements(client, path) for path in paths]
    row = linking_row(service, tenant, target.child(lines), lines.lines.link)
    payload = {"rev_number": record["rev_number"], line: [*record[line], row]}
    grown = service.update(tenant, entity, record["id"], payload, "clerk")
    assert len(grown[line]) == 2
    after = [page_statements(client, path) for path in paths]
    assert [len(c) for c in after] == [len(c) for c in before], "\n\n".join(
        f"{path}: {len(b)} then {len(a)}\n" + "\n".join(b) + "\n\n" + "\n".join(a)
        for path, b, a in zip(paths, before, after, strict=True)
    )


def page_statements(client, path: str) -> list[str]:
    """The statements of a page but the session's check, which a signed-in user's
    requests make once in a while (webui.signed_in), not on each page."""
    return [sql for sql in costs(client, path)[1].statements if SESSION_CHECK not in sql]


def linking_row(service, tenant: str, child, link: str) -> dict:
    """A line's values, each of its lookups naming a record made for it."""
    row = sample_payload(service, tenant, child.spec.name)
    for spec in editable(child.spec, creating=True):
        if spec.lookup and spec.name != link and not spec.visible_if:
            row[spec.name] = create_sample(service, tenant, spec.lookup.entity)["id"]
    row.pop(link, None)
    return row


def test_a_statement_of_another_thread_is_not_the_pages(demo_app):
    """The process's own threads (the WAL checkpoints, the metadata watcher) run
    statements whenever they wake: one that runs while a page is served is not counted
    as the page's, or a count would change with the moment a test runs."""
    service = demo_app.extensions["formwork"]
    database = service.target("trade", "customer").tenant.database
    client = logged_in(demo_app, "trade")
    with counting() as counted:
        aside = threading.Thread(
            target=database.execute_sql, args=("PRAGMA wal_checkpoint(PASSIVE)",)
        )
        aside.start()
        aside.join()
        assert client.get("/trade/customer/").status_code == 200
    assert counted.statements, "the page's own statements are counted"
    assert not [sql for sql in counted.statements if "wal_checkpoint" in sql], counted
