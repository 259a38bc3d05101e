"""Deleting, deactivating and status actions into a locked state ask first, on every
shipped tenant × entity, on SQLite and PostgreSQL: the confirmation page names the record
and its lines, a POST without the confirmation does nothing, and the notice afterwards
names the record and what happened to it."""

from __future__ import annotations

import re
from collections import deque

import pytest
from conftest import SHIPPED
from records_metadata import FILES
from sample_records import create_sample, sample_payload, with_lines
from test_pages import Browser, make_app

from engine import users
from engine.errors import NotFound
from engine.registry import build_registry

REGISTRY = build_registry(str(SHIPPED))
PAIRS = [(t, e) for t, tenant in REGISTRY.tenants.items() for e in sorted(tenant.entities)]


def spec_of(tenant, entity):
    return REGISTRY.tenant(tenant).entity(entity).spec


def text(response):
    return response.get_data(as_text=True)


def title_of(service, tenant, entity, record):
    """How the pages name a record: its entity's label and title (a linked record's, for
    a lookup), or its id."""
    spec = service.target(tenant, entity).spec
    title = record.get(spec.title_field or "")
    if not title:
        return f"{spec.label} #{record['id']}"
    lookup = spec.field(spec.title_field).lookup
    if lookup:
        title = service.read(tenant, lookup.entity, title)[lookup.show]
    return f"{spec.label} {title}"


def escaped(value):
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def exists(service, tenant, entity, record_id):
    try:
        service.read(tenant, entity, record_id)
    except NotFound:
        return False
    return True


@pytest.mark.parametrize("tenant,entity", PAIRS)
def test_a_delete_asks_first_naming_the_record_and_its_lines(shipped_site, clerks, tenant, entity):
    service, person = shipped_site.extensions["formwork"], clerks[tenant]
    record = with_lines(service, tenant, entity, 2)
    record = service.read(tenant, entity, record["id"])
    title = title_of(service, tenant, entity, record)
    path = f"/{entity}/{record['id']}/delete"
    asked = person.get(path)
    page = text(asked)
    assert f"Delete {escaped(title)}?" in page
    if spec_of(tenant, entity).delete == "never":
        assert asked.status_code == 409 and "are never deleted; deactivate" in page
        assert 'name="confirmed"' not in page
        return
    assert asked.status_code == 200 and 'name="confirmed" value="yes"' in page
    target = service.target(tenant, entity)
    for line in target.lines():
        child = target.child(line)
        assert f"{escaped(line.label)} (2)" in page
        doomed = re.search(
            rf"<h3>{re.escape(escaped(line.label))} \(2\)</h3>(.*?)</ul>", page, re.S
        )
        for position, row in enumerate(record[line.name], 1):
            if row.get(child.spec.title_field or ""):
                named = title_of(service, tenant, child.spec.name, row)
                assert f"<li>{escaped(named)}</li>" in doomed.group(1)
            else:  # by its place and values, never by a bare id
                assert f"<li>{escaped(child.spec.label)} {position}" in doomed.group(1)
            assert f"#{row['id']}<" not in doomed.group(1)
    # sent without the confirmation, it only asks again
    assert person.post(path).status_code == 200
    assert exists(service, tenant, entity, record["id"])
    deleted = person.post(path, {"confirmed": "yes"})
    assert deleted.status_code == 302
    assert not exists(service, tenant, entity, record["id"])
    for line in target.lines():
        for row in record[line.name]:
            assert not exists(service, tenant, target.child(line).spec.name, row["id"])
    shown = text(person.client.get(deleted.headers["Location"]))
    assert f"{escaped(title)} deleted." in shown


def paths_to_actions(spec):
    """Each status action and the actions that lead from the initial state to a state it
    starts from."""
    statuses = spec.statuses
    ways, queue = {statuses.initial: []}, deque([statuses.initial])
    while queue:
        state = queue.popleft()
        for action in statuses.actions.values():
            if state in action.sources and action.target not in ways:
                ways[action.target] = [*ways[state], action.name]
                queue.append(action.target)
    found = []
    for action in statuses.actions.values():
        start = next((s for s in action.sources if s in ways), None)
        if start is not None:
            found.append((action, ways[start]))
    return found


WITH_STATUSES = [(t, e) for t, e in PAIRS if spec_of(t, e).statuses]


@pytest.mark.parametrize("tenant,entity", WITH_STATUSES)
def test_actions_into_a_locked_state_ask_first_and_every_notice_names_the_record(
    shipped_site, clerks, tenant, entity
):
    service, person, spec = (
        shipped_site.extensions["formwork"],
        clerks[tenant],
        spec_of(tenant, entity),
    )
    for action, way in paths_to_actions(spec):
        record = create_sample(service, tenant, entity)
        for step in way:
            service.act(tenant, entity, record["id"], step, "setup")
        before = service.read(tenant, entity, record["id"])["status"]
        title = title_of(service, tenant, entity, record)
        state = spec.statuses.states[action.target]
        path = f"/{entity}/{record['id']}/actions/{action.name}"
        if state.locked == "all":
            page = text(person.get(f"/{entity}/{record['id']}"))
            assert f'href="/{tenant}{path}"' in page  # the record's page links to the question
            asked = text(person.get(path))
            assert f"{escaped(action.label)} {escaped(title)}?" in asked
            assert f"becomes {escaped(state.label)}" in asked
            assert person.post(path).status_code == 200
            assert service.read(tenant, entity, record["id"])["status"] == before
            done = person.post(path, {"confirmed": "yes"})
        else:
            done = person.post(path)
        assert service.read(tenant, entity, record["id"])["status"] == action.target
        shown = text(person.client.get(done.headers["Location"]))
        past = state.label[:1].lower() + state.label[1:]
        assert f"data-notice>{escaped(title)} {escaped(past)}.</p>" in shown


NEVER_DELETED = [(t, e) for t, e in PAIRS if spec_of(t, e).delete == "never"]


@pytest.mark.parametrize("tenant,entity", NEVER_DELETED)
def test_a_deactivation_asks_first_and_an_activation_does_not(shipped_site, clerks, tenant, entity):
    service, person = shipped_site.extensions["formwork"], clerks[tenant]
    record = create_sample(service, tenant, entity)
    title = escaped(title_of(service, tenant, entity, record))
    path = f"/{entity}/{record['id']}/actions/deactivate"
    asked = text(person.get(path))
    assert f"Deactivate {title}?" in asked and "marked inactive" in asked
    assert person.post(path).status_code == 200
    assert service.read(tenant, entity, record["id"])["active"] is True
    done = person.post(path, {"confirmed": "yes"})
    assert service.read(tenant, entity, record["id"])["active"] is False
    assert f"data-notice>{title} deactivated.</p>" in text(
        person.client.get(done.headers["Location"])
    )
    done = person.post(f"/{entity}/{record['id']}/actions/activate")
    assert service.read(tenant, entity, record["id"])["active"] is True
    assert f"data-notice>{title} activated.</p>" in text(
        person.client.get(done.headers["Location"])
    )


def referring_fields():
    """For each entity of each tenant that others refer to, one stored lookup to it of
    another entity (not the link of the entity's own lines): (tenant, referrer, field)."""
    found = {}
    for tenant, entity in PAIRS:
        for field in spec_of(tenant, entity).fields:
            linked = (
                field.lookup and field.stored and not field.view
            )  # a view value is set by its link
            target = field.lookup.entity if linked else None
            if target in (None, entity) or (tenant, target) in found:
                continue
            lines = [f.lines for f in spec_of(tenant, target).fields if f.lines]
            if any(line.entity == entity and line.link == field.name for line in lines):
                continue
            found[tenant, target] = (tenant, entity, field.name)
    return list(found.values())


@pytest.mark.parametrize("tenant,entity,field", referring_fields())
def test_a_delete_of_a_record_others_refer_to_says_before_it_is_refused(
    shipped_site, clerks, tenant, entity, field
):
    service, person = shipped_site.extensions["formwork"], clerks[tenant]
    spec = spec_of(tenant, entity)
    lookup = spec.field(field).lookup
    referred = create_sample(service, tenant, lookup.entity)
    payload = {**sample_payload(service, tenant, entity), field: referred["id"]}
    service.create(tenant, entity, payload, "setup")
    asked = person.get(f"/{lookup.entity}/{referred['id']}/delete")
    page = text(asked)
    assert asked.status_code == 409 and 'name="confirmed"' not in page
    if spec_of(tenant, lookup.entity).delete != "never":
        assert "cannot be deleted" in page and escaped(spec.field(field).label) in page
    assert exists(service, tenant, lookup.entity, referred["id"])


def deletable(service, tenant="standard"):
    """A tenant's entity that is deleted (not deactivated) and has lines, and a record of it."""
    entity = next(
        e
        for t, e in PAIRS
        if t == tenant
        and spec_of(t, e).delete != "never"
        and any(f.lines for f in spec_of(t, e).fields)
    )
    return entity, with_lines(service, tenant, entity, 1)


def test_a_confirmation_without_its_csrf_token_or_with_a_stale_one_does_nothing(
    shipped_site, clerks
):
    service, person = shipped_site.extensions["formwork"], clerks["standard"]
    entity, record = deletable(service)
    path = f"/{entity}/{record['id']}/delete"
    for token in (False, "stale-or-forged-token"):
        refused = person.post(path, {"confirmed": "yes"}, token=token)
        assert refused.status_code == 400 and "CSRF token" in text(refused)
        assert exists(service, "standard", entity, record["id"])
    # a deactivation too
    entity = next(e for t, e in NEVER_DELETED if t == "standard")
    kept = create_sample(service, "standard", entity)
    path = f"/{entity}/{kept['id']}/actions/deactivate"
    assert person.post(path, {"confirmed": "yes"}, token=False).status_code == 400
    assert service.read("standard", entity, kept["id"])["active"] is True


def test_a_confirmation_posted_after_the_record_was_deleted_says_so(shipped_site, clerks):
    service, person = shipped_site.extensions["formwork"], clerks["standard"]
    entity, record = deletable(service)
    path = f"/{entity}/{record['id']}/delete"
    assert person.get(path).status_code == 200  # the question is on screen …
    service.delete("standard", entity, record["id"], "someone else")  # … when this happens
    late = person.post(path, {"confirmed": "yes"})
    assert late.status_code == 404
    assert "no longer exists: it may have been deleted meanwhile. Nothing was done." in text(late)
    assert person.get(path).status_code == 404
    action = f"/{entity}/{record['id']}/actions/cancel"
    assert "no longer exists" in text(person.post(action, {"confirmed": "yes"}))


def test_an_action_the_entity_does_not_have_is_not_found(shipped_site, clerks):
    service, person = shipped_site.extensions["formwork"], clerks["standard"]
    entity, record = deletable(service)
    assert person.get(f"/{entity}/{record['id']}/actions/explode").status_code == 404
    assert person.post(f"/{entity}/{record['id']}/actions/explode").status_code == 404
    # an entity deleted outright has no deactivation
    assert person.get(f"/{entity}/{record['id']}/actions/deactivate").status_code == 404


def test_an_action_not_possible_now_says_so_before_the_confirmation(shipped_site, clerks):
    service, person = shipped_site.extensions["formwork"], clerks["standard"]
    entity, record = deletable(service)
    service.act("standard", entity, record["id"], "cancel", "setup")
    asked = person.get(f"/{entity}/{record['id']}/actions/cancel")
    assert asked.status_code == 409 and "is not possible for" in text(asked)
    assert 'name="confirmed"' not in text(asked)


def test_an_action_with_confirm_text_in_its_metadata_asks_first_and_says_it(tree, storage):
    said = "Confirming tells the bank about this account."
    account = FILES["entities/account.yaml"].replace(
        "confirm: {label: Confirm, from: [draft], to: confirmed}",
        f"confirm: {{label: Confirm, from: [draft], to: confirmed, confirm: {said}}}",
    )
    assert account != FILES["entities/account.yaml"]
    app = make_app(tree({**FILES, "entities/account.yaml": account}), storage)
    service = app.extensions["formwork"]
    users.add_user(service.registry.tenant("t"), "ann", "editor", "correct horse battery")
    ann = Browser(app, "t")
    ann.login("ann")
    record = service.create("t", "account", {"name": "Acme"}, "ann")
    path = f"/account/{record['id']}/actions/confirm"
    assert f'<a class="button danger" data-asks-first href="/t{path}">Confirm</a>' in text(
        ann.get(f"/account/{record['id']}")
    )
    asked = text(ann.get(path))
    assert said in asked and "The status of Account Acme becomes Confirmed." in asked
    assert ann.post(path).status_code == 200
    assert service.read("t", "account", record["id"])["status"] == "draft"
    done = ann.post(path, {"confirmed": "yes"})
    assert "Account Acme confirmed." in text(ann.client.get(done.headers["Location"]))
