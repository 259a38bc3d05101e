"""Tenants compiled on their first request, kept in a bounded cache, compiled again alone
when their own files change; served through the app on both backends."""

import re
import threading

import pytest
from conftest import SHIPPED
from records_metadata import FILES
from shipped_pages import PASSWORD, Person
from test_admin import GADGET, edit, text_of
from test_pages import Browser
from test_pages import make_app as start

from engine import loader, users
from engine.errors import MetadataError, UnknownName
from engine.lazy_registry import LazyRegistry
from engine.registry import build_registry
from engine.resolve import resolve_base, resolve_tenant

WAIT = 10  # seconds: far more than a compile takes, so a slow machine passes too
COLOUR = GADGET + "  - {name: colour, sequence: 2, label: Colour, input_type: text, group: MAIN}\n"
BROKEN = GADGET + "  - {name: colour, sequence: 2, label: Colour, input_type: txt, group: MAIN}\n"
TOKEN = re.compile(r'(name="csrf_token" value=|name="csrf-token" content=)"[^"]*"')


@pytest.fixture
def metadata(tree):
    files = {**FILES, "tenants/t/entities/gadget.yaml": GADGET}
    files["tenants/v/tenant.yaml"] = "tenant: v\nlabel: V\nsettings: {license: '5'}\n"
    return tree(files)


@pytest.fixture
def app(metadata, storage):
    application = start(metadata, storage)
    registry = application.extensions["formwork"].registry
    for tenant in ("t", "u"):
        users.add_user(registry.tenant(tenant), "ada", "admin", "correct horse battery")
    return application


def registry_of(app):
    return app.extensions["formwork"].registry


def signed_in(app, tenant):
    browser = Browser(app, tenant)
    assert browser.login("ada").status_code == 302
    return browser


# start


def test_start_reads_no_tenant_file_and_compiles_no_tenant(metadata, storage, monkeypatch):
    monkeypatch.setattr(loader, "load_tenant", lambda root, name: pytest.fail(f"read {name}"))
    app = start(metadata, storage)
    registry = registry_of(app)
    assert "t" in registry.tenants and "nobody" not in registry.tenants
    assert list(registry.tenants) == ["t", "u", "v"] and len(registry.tenants) == 3
    assert registry.compiles == 0 and registry.warm() == []


def test_an_unknown_tenant_is_not_found_and_nothing_is_compiled(metadata, storage):
    app = start(metadata, storage)
    client = app.test_client()
    assert client.get("/nobody/login").status_code == 404
    with pytest.raises(UnknownName, match=re.escape("there is no tenant 'tt' (did you mean 't'?)")):
        registry_of(app).tenant("tt")
    assert registry_of(app).compiles == 0


def test_a_tenant_is_compiled_and_synced_on_its_first_request_only(metadata, storage):
    app = start(metadata, storage)
    registry = registry_of(app)
    assert app.test_client().get("/u/login").status_code == 200
    assert registry.warm() == ["u"] and registry.compiles == 1
    for _ in range(3):
        assert app.test_client().get("/u/login").status_code == 200
    assert registry.compiles == 1


# the lazy path against the eager one


@pytest.mark.parametrize("tenant", sorted(p.name for p in (SHIPPED / "tenants").iterdir()))
def test_a_tenant_resolved_alone_equals_the_tenant_of_the_whole_build(shipped, tenant):
    alone = resolve_tenant(resolve_base(str(SHIPPED)), tenant)
    assert alone == shipped.tenant(tenant).spec


def test_a_tenant_problem_is_the_same_alone_as_in_the_whole_build(metadata):
    (metadata / "tenants/t/entities/gadget.yaml").write_text(BROKEN, encoding="utf-8")
    with pytest.raises(MetadataError) as whole:
        build_registry(str(metadata))
    with pytest.raises(MetadataError) as alone:
        resolve_tenant(resolve_base(str(metadata)), "t")
    assert alone.value.problems == whole.value.problems
    resolve_tenant(resolve_base(str(metadata)), "u")  # the other tenant resolves


# incremental reload


def test_an_edit_to_one_tenant_compiles_that_tenant_again_and_no_other(app):
    registry = registry_of(app)
    t_before, u_before = registry.tenant("t"), registry.tenant("u")
    t_admin, u_admin = signed_in(app, "t"), signed_in(app, "u")
    edit(app, "tenants/t/entities/gadget.yaml", COLOUR)
    assert 'id="field-colour"' in text_of(t_admin.get("/gadget/new"))
    assert u_admin.get("/account/new").status_code == 200
    assert registry.tenant("t") is not t_before
    assert registry.tenant("u") is u_before  # the same compiled objects, not rebuilt
    assert registry.tenant("u").entities == u_before.entities


def test_an_edit_to_the_base_compiles_every_tenant_again_each_on_its_next_request(app, metadata):
    registry = registry_of(app)
    t_before, u_before = registry.tenant("t"), registry.tenant("u")
    signed_in(app, "t")  # the first request starts noticing changes
    compiles = registry.compiles
    account = (metadata / "entities/account.yaml").read_text(encoding="utf-8")
    edit(app, "entities/account.yaml", account.replace("label: Name", "label: Full name"))
    assert registry.compiles == compiles  # nothing compiled until asked for
    assert "Full name" in text_of(signed_in(app, "t").get("/account/new"))
    assert registry.compiles == compiles + 1
    assert registry.tenant("t") is not t_before
    assert registry.tenant("u") is not u_before and registry.compiles == compiles + 2


def test_a_broken_tenant_file_keeps_its_last_version_and_no_other_tenant_is_touched(app):
    registry = registry_of(app)
    t_before, u_before = registry.tenant("t"), registry.tenant("u")
    t_admin, u_admin = signed_in(app, "t"), signed_in(app, "u")
    edit(app, "tenants/t/entities/gadget.yaml", BROKEN)
    assert 'id="field-size"' in text_of(t_admin.get("/gadget/new"))  # the last good one
    assert registry.tenant("t") is t_before and registry.tenant("u") is u_before
    page = text_of(t_admin.get("/admin/metadata"))
    assert "The metadata on disk has 1 problem" in page and "txt" in page
    other = text_of(u_admin.get("/admin/metadata"))  # counted, not shown
    assert "1 more is in other tenants' files" in other and "txt" not in other
    edit(app, "tenants/t/entities/gadget.yaml", COLOUR)  # fixed
    assert 'id="field-colour"' in text_of(t_admin.get("/gadget/new"))
    assert "The metadata on disk has" not in text_of(t_admin.get("/admin/metadata"))
    assert registry.tenant("u") is u_before


def test_a_cold_tenant_with_a_broken_file_answers_503_and_the_others_are_served(app):
    t_admin = signed_in(app, "t")  # the first request starts noticing changes
    edit(app, "tenants/v/entities/gadget.yaml", BROKEN)
    client = app.test_client()
    page = client.get("/v/login")
    assert page.status_code == 503 and "its metadata has problems" in text_of(page)
    api = client.get("/api/v/gadget", headers={"Authorization": "Bearer whatever"})
    assert api.status_code == 503 and api.json["code"] == "tenant_metadata"
    assert "gadget.yaml" not in text_of(page)  # files are for the log and the admins
    assert t_admin.get("/gadget/new").status_code == 200
    edit(app, "tenants/v/entities/gadget.yaml", GADGET)  # fixed: served on its next request
    assert client.get("/v/login").status_code == 200


# the bounded cache


def comparable(html):
    return TOKEN.sub(r'\1""', html)


def pages_of(person, entities):
    return {
        path: comparable(text_of(person.get(path)))
        for entity in entities
        for path in (f"/{entity}/new", f"/{entity}/")
    }


def test_a_tenant_dropped_from_the_cache_is_compiled_again_to_the_same_pages(storage):
    app = start(SHIPPED, storage, FORMWORK_TENANT_CACHE=1)
    registry = registry_of(app)
    names = list(registry.tenants)
    for name in names:
        users.add_user(registry.tenant(name), "clerk", "editor", PASSWORD)
    people = {name: Person(app, name) for name in names}
    for name, other in zip(names, [*names[1:], names[0]], strict=True):
        first = registry.tenant(name)
        entities = list(first.entities)
        before = pages_of(people[name], entities)
        registry.tenant(other)  # the cache holds one tenant: this one is dropped
        assert registry.warm() == [other]
        after = pages_of(people[name], entities)
        assert registry.tenant(name) is not first  # compiled again...
        assert after == before  # ...to the very same pages


def test_the_cache_drops_the_least_recently_used_tenant_and_closes_its_database(metadata, storage):
    app = start(metadata, storage, FORMWORK_TENANT_CACHE=2)
    registry = registry_of(app)
    registry.tenant("t"), registry.tenant("u"), registry.tenant("t")
    assert not storage_of(app).database("u").is_closed()
    registry.tenant("v")
    assert registry.warm() == ["t", "v"]
    assert storage_of(app).database("u").is_closed()  # this thread's connection
    assert not storage_of(app).database("t").is_closed()
    assert app.test_client().get("/u/login").status_code == 200  # opened again


def storage_of(app):
    return app.extensions["formwork_storage"]


# threads


class HeldSync:
    """A `prepare` that holds the compile of one tenant until let go."""

    def __init__(self, held):
        self.held, self.started, self.release = held, threading.Event(), threading.Event()
        self.prepared = []

    def __call__(self, tenant):
        self.prepared.append(tenant.spec.name)
        if tenant.spec.name == self.held:
            self.started.set()
            assert self.release.wait(WAIT)


def test_two_first_requests_to_a_cold_tenant_compile_it_once(metadata):
    hold = HeldSync("t")
    registry = LazyRegistry(str(metadata), prepare=hold)
    got = []
    threads = [threading.Thread(target=lambda: got.append(registry.tenant("t"))) for _ in "ab"]
    for thread in threads:
        thread.start()
    assert hold.started.wait(WAIT)
    hold.release.set()
    for thread in threads:
        thread.join(WAIT)
    assert len(got) == 2 and got[0] is got[1]
    assert registry.compiles == 1 and hold.prepared == ["t"]


def test_a_warm_tenant_never_waits_for_another_tenants_compile(metadata):
    hold = HeldSync("t")
    registry = LazyRegistry(str(metadata), prepare=hold)
    warm = registry.tenant("u")
    compiling = threading.Thread(target=registry.tenant, args=("t",))
    compiling.start()
    assert hold.started.wait(WAIT)
    assert registry.tenant("u") is warm  # answered while t's compile is held
    assert registry.tenant("v").spec.name == "v"  # and a cold one compiles beside it
    hold.release.set()
    compiling.join(WAIT)
    assert registry.warm() == ["u", "v", "t"]


def test_a_broken_base_at_start_is_refused_with_its_problems(metadata):
    (metadata / "groups.yaml").write_text("groups: [\n", encoding="utf-8")
    with pytest.raises(MetadataError, match=re.escape("groups.yaml:2: YAML syntax error")):
        LazyRegistry(str(metadata))


def test_a_tenant_whose_files_change_while_it_compiles_is_compiled_again(metadata):
    hold = HeldSync("t")
    registry = LazyRegistry(str(metadata), prepare=hold)
    compiling = threading.Thread(target=registry.tenant, args=("t",))
    compiling.start()
    assert hold.started.wait(WAIT)
    registry.files_changed(["t"], base=False)  # saved while the old files compile
    hold.release.set()
    compiling.join(WAIT)
    registry.tenant("t")
    assert registry.compiles == 2


def test_the_reload_button_compiles_the_admins_tenant_and_says_its_files_were_refused(
    metadata, storage
):
    app = start(metadata, storage, FORMWORK_RELOAD="off")
    users.add_user(registry_of(app).tenant("t"), "ada", "admin", "correct horse battery")
    ada = signed_in(app, "t")
    (metadata / "tenants/t/entities/gadget.yaml").write_text(BROKEN, encoding="utf-8")
    ada.post("/admin/reload")
    page = text_of(ada.get("/admin/metadata"))
    assert "The metadata on disk was not loaded: its problems are listed below." in page
    assert "txt" in page and 'id="field-size"' in text_of(ada.get("/gadget/new"))
    (metadata / "tenants/t/entities/gadget.yaml").write_text(COLOUR, encoding="utf-8")
    ada.post("/admin/reload")
    assert "The metadata was reloaded from disk." in text_of(ada.get("/admin/metadata"))
    assert 'id="field-colour"' in text_of(ada.get("/gadget/new"))


def test_a_tenant_folder_moved_out_of_the_tree_is_not_found_and_no_other_is_compiled(app, metadata):
    registry = registry_of(app)
    t_admin, u_before = signed_in(app, "t"), registry.tenant("u")
    compiles = registry.compiles
    moved = metadata / "archive" / "u"
    moved.parent.mkdir()
    (metadata / "tenants" / "u").rename(moved)
    edit(app, "archive/readme.yaml", "note: moved\n")  # waits for the look at the disk
    assert "u" not in registry.tenants and app.test_client().get("/u/login").status_code == 404
    assert t_admin.get("/gadget/new").status_code == 200 and registry.compiles == compiles
    moved.rename(metadata / "tenants" / "u")  # back, with its data
    edit(app, "archive/readme.yaml", "note: back\n")
    assert registry.tenant("u") is not u_before  # compiled again: it was dropped
    assert app.test_client().get("/u/login").status_code == 200
