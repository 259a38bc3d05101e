"""Tenants that see an entity alike share its spec, layout and validator: served through
the app on both backends, each shipped tenant answers exactly as when compiled alone."""

import gc
import re
import shutil

import pytest
from conftest import SHIPPED
from shipped_pages import PASSWORD, Person
from test_lazy_tenants import comparable, text_of
from test_pages import make_app

from engine import users
from engine.registry import compile_tenant
from engine.resolve import resolve_base, resolve_tenant
from engine.shared import Shared

COPY = "_copy"


@pytest.fixture(scope="module")
def twins(tmp_path_factory):
    """The shipped metadata with a copy of each shipped tenant (`retail_copy`, …)."""
    root = tmp_path_factory.mktemp("twins") / "metadata"
    shutil.copytree(SHIPPED, root)
    for folder in sorted((SHIPPED / "tenants").iterdir()):
        copy = root / "tenants" / f"{folder.name}{COPY}"
        shutil.copytree(folder, copy)
        tenant_file = copy / "tenant.yaml"
        text = tenant_file.read_text("utf-8")
        tenant_file.write_text(
            re.sub(r"^tenant: .*$", f"tenant: {copy.name}", text, count=1, flags=re.M), "utf-8"
        )
    return root


def shipped_names():
    return sorted(p.name for p in (SHIPPED / "tenants").iterdir() if p.is_dir())


def answers(app, tenant, token):
    """Every page and API answer compared: per entity its new form, its list page, its
    API list, its API refusal of an empty record and of one with every value mistyped,
    its schema and layout (as `formwork metadata` prints them); and the tenant's OpenAPI
    document."""
    person, api = Person(app, tenant), app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    found = {"openapi": api.get(f"/api/{tenant}/openapi.json", headers=headers).get_json()}
    compiled = app.extensions["formwork"].registry.tenant(tenant)
    for name, entity in compiled.entities.items():
        mistyped = {field.name: {"wrong": [1]} for field in entity.spec.fields}
        url = f"/api/{tenant}/{name}"
        found[name] = (
            comparable(text_of(person.get(f"/{name}/new"))),
            comparable(text_of(person.get(f"/{name}/"))),
            api.get(url, headers=headers).get_json(),
            api.post(url, json={}, headers=headers).get_json(),
            api.post(url, json=mistyped, headers=headers).get_json(),
            entity.schema,
            entity.layout,
        )
    return found


def test_each_tenant_answers_as_when_compiled_alone(twins, storage):
    shared_app = make_app(twins, storage)
    registry = shared_app.extensions["formwork"].registry
    tokens = {}
    for name in sorted(registry.tenants, key=lambda n: not n.endswith(COPY)):  # copies first
        users.add_user(registry.tenant(name), "clerk", "editor", PASSWORD)
        tokens[name] = users.issue_token(registry.tenant(name), "clerk")
    alone_app = make_app(twins, storage)
    alone = alone_app.extensions["formwork"].registry
    for name in shipped_names():
        alone.shared = Shared()  # nothing in common with the tenants compiled before
        alone.tenant(name)
    for name in shipped_names():
        assert answers(shared_app, name, tokens[name]) == answers(alone_app, name, tokens[name])


def test_tenants_that_see_an_entity_alike_share_its_artifacts_and_no_other_does(twins):
    base, shared = resolve_base(str(twins)), Shared()
    compiled = {
        name: compile_tenant(resolve_tenant(base, name), shared) for name in base_names(twins)
    }
    alike = 0
    for name in shipped_names():
        tenant, copy = compiled[name], compiled[f"{name}{COPY}"]
        for entity_name, entity in tenant.entities.items():
            twin = copy.entities[entity_name]
            assert (entity.spec is twin.spec) == (entity.spec == twin.spec)
            if entity.spec is twin.spec:
                alike += 1
                assert entity.layout is twin.layout
                assert entity.validator._fast is twin.validator._fast
                assert entity.model is not twin.model  # bound to each tenant's database
                assert entity is not twin  # what pages cache on it stays the tenant's own
                assert entity.schema["$id"].endswith(f":{name}:{entity_name}")
            shared_fields = {id(f) for f in twin.spec.fields}
            # a customized base entity still shares the fields it does not change
            assert entity.spec.custom or any(id(f) in shared_fields for f in entity.spec.fields)
    assert alike >= len(compiled["standard"].entities)  # the tenant that changes nothing


def test_what_is_shared_is_freed_with_the_last_tenant_that_uses_it(twins):
    base, shared = resolve_base(str(twins)), Shared()
    kept = [compile_tenant(resolve_tenant(base, "standard"), shared)]
    kept.append(compile_tenant(resolve_tenant(base, f"standard{COPY}"), shared))
    counts = shared.counts()
    assert counts["entities"] == len(kept[0].entities) and counts["schemas"] > 0
    kept.pop()
    assert shared.counts() == counts  # the other tenant still uses every one of them
    kept.clear()
    gc.collect()
    assert shared.counts() == {"fields": 0, "entities": 0, "layouts": 0, "schemas": 0}


def base_names(root):
    return sorted(p.name for p in (root / "tenants").iterdir() if p.is_dir())
