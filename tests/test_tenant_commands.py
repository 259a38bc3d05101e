"""`formwork tenant add | list | archive | restore`: a running server serves a tenant
added from a template or empty, stops serving an archived one, and serves it again with
its records when it is restored; every refusal leaves the tree as it was."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner
from conftest import SHIPPED
from records_metadata import FILES
from test_admin import ACCOUNT_OVERLAY, GADGET, GADGET_FILE, make_app
from test_pages import Browser
from test_reload import WAIT, served_within

from engine import users
from engine.cli import main
from webui import create_app

PASSWORD = "correct horse battery"


@pytest.fixture
def metadata(tree):
    """The records test metadata, whose tenant t relabels a field and adds an entity."""
    return tree({**FILES, "tenants/t/entities/account.yaml": ACCOUNT_OVERLAY, GADGET_FILE: GADGET})


def served_app(metadata, storage):
    """The app, noticing metadata changes already (it starts to on its first request)."""
    app = make_app(metadata, storage)
    assert app.test_client().get("/t/login").status_code == 200
    return app


def run(metadata, *args):
    """The command's exit code and everything it printed."""
    result = CliRunner().invoke(main, [*args, "--metadata", str(metadata)])
    return result.exit_code, result.output


def files_of(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def registry_of(app):
    return app.extensions["formwork"].registry


def clerk_of(app, tenant):
    """A logged-in editor of `tenant`."""
    users.add_user(registry_of(app).tenant(tenant), "clerk", "editor", PASSWORD)
    browser = Browser(app, tenant)
    assert browser.login("clerk", PASSWORD).status_code == 302
    return browser


def test_a_tenant_added_from_a_template_is_served_with_the_templates_fields(metadata, storage):
    app = served_app(metadata, storage)
    code, output = run(metadata, "tenant", "add", "north", "--from", "t", "--label", "North")
    assert code == 0, output
    assert "Added tenant 'north' (a copy of 't')" in output
    assert served_within(WAIT, lambda: "north" in registry_of(app).tenants)
    template, copy = registry_of(app).tenant("t"), registry_of(app).tenant("north")
    assert copy.spec.label == "North"
    assert set(copy.entities) == set(template.entities)
    for name, entity in template.entities.items():  # the template's own fields included
        fields = [(f.name, f.label, f.input_type) for f in entity.spec.fields]
        assert fields == [(f.name, f.label, f.input_type) for f in copy.entity(name).spec.fields]
    clerk = clerk_of(app, "north")
    saved = clerk.post("/gadget/new", {"size": "41"})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    # the copy has a database of its own: the template's gadgets are not its
    assert registry_of(app).tenant("t").entity("gadget").model.select().count() == 0


def test_an_empty_tenant_has_the_base_entities_unchanged(tmp_path, storage):
    shipped = tmp_path / "metadata"
    shutil.copytree(SHIPPED, shipped)
    app = create_app(
        {
            "TESTING": True,
            "FORMWORK_METADATA": str(shipped),
            "FORMWORK_DATA": str(storage.data_dir),
            "FORMWORK_DATABASE": storage.database_url,
        }
    )
    assert app.test_client().get("/standard/login").status_code == 200
    code, output = run(shipped, "tenant", "add", "south_east")
    assert code == 0, output
    assert served_within(WAIT, lambda: "south_east" in registry_of(app).tenants)
    added, standard = registry_of(app).tenant("south_east"), registry_of(app).tenant("standard")
    assert added.spec.label == "South East"
    assert set(added.entities) == set(standard.entities)  # standard serves the base as it is
    for name, entity in standard.entities.items():
        fields = [(f.name, f.label, f.group) for f in entity.spec.fields]
        assert fields == [(f.name, f.label, f.group) for f in added.entity(name).spec.fields]
    assert clerk_of(app, "south_east").get("/customer/new").status_code == 200


def test_an_empty_tenant_the_base_cannot_serve_is_refused_and_removed(metadata):
    before = files_of(metadata.parent)
    code, output = run(metadata, "tenant", "add", "south_east")
    assert code == 1
    # the base entity numbers accounts with a setting each tenant gives
    assert "needs the tenant setting 'license', which tenant 'south_east' does not have" in output
    assert files_of(metadata.parent) == before


def test_an_archived_tenant_answers_404_and_comes_back_with_its_records(metadata, storage):
    app = served_app(metadata, storage)
    clerk = clerk_of(app, "t")
    saved = clerk.post("/gadget/new", {"size": "43"})
    record = saved.headers["Location"].removeprefix("/t")
    assert clerk.get(record).status_code == 200

    code, output = run(metadata, "tenant", "archive", "t")
    assert code == 0, output
    assert "its data is kept" in output
    assert served_within(WAIT, lambda: clerk.get("/login").status_code == 404)

    code, listed = run(metadata, "tenant", "list")
    assert code == 0
    assert [line.split()[:2] for line in listed.splitlines()] == [
        ["u", "served"],
        ["t", "archived"],
    ]

    code, output = run(metadata, "tenant", "restore", "t")
    assert code == 0, output
    assert served_within(WAIT, lambda: clerk.get("/login").status_code == 200)
    clerk = clerk_of_restored(app)
    assert "43" in clerk.get(record).get_data(as_text=True)


def clerk_of_restored(app):
    """The clerk made before the archive signs in again: the users were kept too."""
    browser = Browser(app, "t")
    assert browser.login("clerk", PASSWORD).status_code == 302
    return browser


def test_list_shows_served_and_archived_tenants_with_their_labels(metadata):
    assert run(metadata, "tenant", "add", "north", "--from", "t", "--label", "Nord Ltd")[0] == 0
    assert run(metadata, "tenant", "add", "west", "--from", "u")[0] == 0
    assert run(metadata, "tenant", "archive", "west")[0] == 0
    code, output = run(metadata, "tenant", "list")
    assert code == 0
    rows = [[*line.split(None, 2)[:2], line.rsplit("  ", 1)[-1]] for line in output.splitlines()]
    assert rows == [
        ["north", "served", "Nord Ltd"],
        ["t", "served", "T"],
        ["u", "served", "U"],
        ["west", "archived", "West"],
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "Acme"], "'Acme' cannot name a tenant"),
        (["add", "1st"], "'1st' cannot name a tenant"),
        (["add", "a-b"], "'a-b' cannot name a tenant"),
        (["add", "a" * 64], "cannot name a tenant"),
        (["add", "t"], "a tenant 't' exists already"),
        (["add", "north", "--from", "tt"], "there is no tenant 'tt' (did you mean 't'?)"),
        (["archive", "tt"], "there is no tenant 'tt' (did you mean 't'?)"),
        (["restore", "t"], "there is no archived tenant 't'"),
    ],
)
def test_a_refused_command_says_why_and_changes_nothing(metadata, args, message):
    before = files_of(metadata.parent)
    code, output = run(metadata, "tenant", *args)
    assert code == 1
    assert message in output
    assert "Traceback" not in output
    assert files_of(metadata.parent) == before


def test_a_name_kept_by_an_archived_tenant_is_not_given_again(metadata):
    assert run(metadata, "tenant", "archive", "t")[0] == 0
    before = files_of(metadata)
    code, output = run(metadata, "tenant", "add", "t")
    assert code == 1
    assert "a tenant 't' is archived (its data is kept under that name)" in output
    assert files_of(metadata) == before
    assert run(metadata, "tenant", "add", "t2", "--from", "t")[0] == 1  # not served: no copy


def test_a_restore_never_replaces_a_served_tenant(metadata):
    assert run(metadata, "tenant", "add", "north", "--from", "t")[0] == 0
    assert run(metadata, "tenant", "archive", "north")[0] == 0
    assert run(metadata, "tenant", "add", "north", "--from", "t")[0] == 1
    (metadata / "tenants" / "north").mkdir()  # made by hand meanwhile
    (metadata / "tenants" / "north" / "tenant.yaml").write_text("tenant: north\nlabel: N\n")
    code, output = run(metadata, "tenant", "restore", "north")
    assert code == 1
    assert "a tenant 'north' is served already" in output
    assert (metadata / "archive" / "north" / "tenant.yaml").is_file()


def test_a_template_whose_label_spans_lines_is_refused_whole(metadata):
    (metadata / "tenants" / "t" / "tenant.yaml").write_text("tenant: t\nlabel: >\n  Tee\n  Co\n")
    before = files_of(metadata.parent)
    code, output = run(metadata, "tenant", "add", "north", "--from", "t")
    assert code == 1
    assert "write its tenant: and label: on one line each" in output
    assert files_of(metadata.parent) == before  # nothing staged is left behind


def test_a_tenant_that_would_not_compile_is_removed_again(metadata):
    (metadata / "entities" / "broken.yaml").write_text("entity: broken\nlabel: [\n")
    before = files_of(metadata.parent)
    code, output = run(metadata, "tenant", "add", "north")
    assert code == 1
    assert "broken.yaml" in output
    assert files_of(metadata.parent) == before


def test_a_missing_metadata_directory_is_a_clear_error(tmp_path):
    for args in (["list"], ["add", "north"], ["archive", "t"], ["restore", "t"]):
        code, output = run(tmp_path / "nope", "tenant", *args)
        assert code == 1
        assert "does not exist" in output
