"""The admins' pages and metadata reload, through Flask's test client, on both backends."""

import re
import threading
import time
from pathlib import Path

import pytest
from records_metadata import FILES
from test_pages import Browser

from engine import users
from webui import create_app, reload

ACCOUNT_OVERLAY = """\
customize: account
fields:
  - {name: credit_limit, label: Credit Line}
add_fields:
  - {name: vip, sequence: 12, label: VIP, input_type: switch, group: MORE}
"""
GADGET = """\
entity: gadget
label: Gadget
plural: Gadgets
fields:
  - {name: size, sequence: 1, label: Size, input_type: integer, group: MAIN}
"""
GADGET_FILE = "tenants/t/entities/gadget.yaml"
RELOAD_WAIT = 10  # seconds: far more than a reload takes, so a slow machine passes too


@pytest.fixture
def metadata(tree):
    return tree(
        {
            **FILES,
            "tenants/t/entities/account.yaml": ACCOUNT_OVERLAY,
            GADGET_FILE: GADGET,
        }
    )


def make_app(metadata, storage, mode="watch"):
    application = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "FORMWORK_METADATA": str(metadata),
            "FORMWORK_DATA": str(storage.data_dir),
            "FORMWORK_DATABASE": storage.database_url,
            "FORMWORK_RELOAD": mode,
        }
    )
    registry = application.extensions["formwork"].registry
    for name, role in [("ada", "admin"), ("ann", "editor"), ("vic", "viewer")]:
        users.add_user(registry.tenant("t"), name, role, "correct horse battery")
    return application


@pytest.fixture
def app(metadata, storage):
    return make_app(metadata, storage)


def logged_in(app, username):
    browser = Browser(app, "t")
    assert browser.login(username).status_code == 302
    return browser


@pytest.fixture
def ada(app):
    return logged_in(app, "ada")


def edit(app, relative, text, reloads=True):
    """Change a metadata file as an editor saves it, and wait for the reload it starts."""
    watcher = app.extensions[reload.EXTENSION]
    before = watcher.looks
    path = Path(app.config["FORMWORK_METADATA"]) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    deadline = time.monotonic() + RELOAD_WAIT
    while reloads and (watcher.looks == before or watcher.changed_on_disk()):
        assert time.monotonic() < deadline, "the saved file was not reloaded"
        time.sleep(0.01)


def text_of(response):
    return response.get_data(as_text=True)


# who may see the admin pages


@pytest.mark.parametrize(
    "path", ["/admin/metadata", "/admin/metadata/account", "/admin/preview/account"]
)
def test_only_admins_see_the_admin_pages(app, ada, path):
    assert ada.get(path).status_code == 200
    for username in ("ann", "vic"):
        assert logged_in(app, username).get(path).status_code == 403
    anonymous = Browser(app, "t").get(path)
    assert anonymous.status_code == 302 and "/t/login" in anonymous.headers["Location"]


def test_only_admins_may_reload(app, ada):
    assert logged_in(app, "ann").post("/admin/reload").status_code == 403
    assert ada.post("/admin/reload", csrf=False).status_code == 400
    assert ada.post("/admin/reload").status_code == 302


def test_the_home_page_links_to_the_admin_pages_for_admins_only(app, ada):
    link = 'href="/t/admin/metadata"'
    assert link in text_of(ada.get("/"))
    assert link not in text_of(logged_in(app, "ann").get("/"))


# the metadata page


def field_rows(page, entity, field):
    """The table rows of one field on the metadata page, as text."""
    start = page.index(f'id="field-{entity}-{field}"')
    end = page.index("<tr id=", start + 1) if "<tr id=" in page[start + 1 :] else len(page)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page[start:end]))


def test_the_index_links_every_entity_and_each_of_its_fields_to_the_entity_page(ada):
    page = text_of(ada.get("/admin/metadata"))
    for entity in ("account", "branch", "region", "gadget"):
        assert f'id="entity-{entity}"' in page
        assert f'href="/t/admin/metadata/{entity}"' in page
    assert 'href="/t/admin/metadata/account#field-account-credit_limit"' in page
    assert "max_length" not in page  # the properties are on the entity pages only
    entity_page = text_of(ada.get("/admin/metadata/account"))
    assert 'id="field-account-credit_limit"' in entity_page
    assert 'href="/t/admin/metadata"' in entity_page  # back to the index


def test_an_entity_the_tenant_does_not_have_has_no_metadata_page(ada):
    assert ada.get("/admin/metadata/nothing").status_code == 404


def test_every_field_is_shown_with_its_properties(ada):
    page = text_of(ada.get("/admin/metadata/account"))
    name = field_rows(page, "account", "name")
    assert "max_length 40" in name and "required yes" in name
    assert "from entities/account.yaml:" in name  # relative to the metadata directory
    assert str(ada.client.application.config["FORMWORK_METADATA"]) not in page


def test_a_customized_property_names_the_tenant_file_and_line(ada):
    rows = field_rows(text_of(ada.get("/admin/metadata/account")), "account", "credit_limit")
    assert "label Credit Line customized in tenants/t/entities/account.yaml:3" in rows
    assert "input_type currency from entities/account.yaml:26" in rows


def test_custom_fields_and_own_entities_are_marked(ada):
    account_page = text_of(ada.get("/admin/metadata/account"))
    assert "custom field" in field_rows(account_page, "account", "vip")
    assert "custom field" not in field_rows(account_page, "account", "name")
    assert "Customized in <code>tenants/t/entities/account.yaml:1</code>" in account_page
    gadget_page = text_of(ada.get("/admin/metadata/gadget"))
    assert "the tenant's own entity" in gadget_page[: gadget_page.index("</h1>")]
    assert "own entity" not in account_page[: account_page.index("</h1>")]
    index = text_of(ada.get("/admin/metadata"))
    gadget = index[index.index('id="entity-gadget"') :]
    assert "the tenant's own entity" in gadget[: gadget.index("</li>")]
    account = index[index.index('id="entity-account"') :]
    assert "own entity" not in account[: account.index("<details>")]


# the preview


def test_the_preview_is_the_new_record_form_without_a_way_to_send_it(ada):
    page = text_of(ada.get("/admin/preview/account"))
    form = re.search(r'<form class="form-preview".*?</form>', page, re.S).group(0)
    assert "<legend>Main</legend>" in form and "<legend>More</legend>" in form
    assert re.search(r'<input type="text" id="field-name"[^>]*maxlength="40"', form)
    assert 'for="field-credit_limit">Credit Line' in form
    assert 'name="branches-0-city"' in form  # the lines table, with its empty row
    assert "<button" not in form and "action=" not in form and "method=" not in form
    assert 'name="csrf_token"' not in form


def test_the_preview_of_an_unknown_entity_is_not_found(ada):
    assert ada.get("/admin/preview/nothing").status_code == 404


# reload


def test_a_new_field_is_usable_after_an_edit_on_disk(app, ada):
    registry = app.extensions["formwork"].registry
    before = registry.tenant("t")
    assert "field-colour" not in text_of(ada.get("/gadget/new"))
    edit(
        app,
        GADGET_FILE,
        GADGET + "  - {name: colour, sequence: 2, label: Colour, input_type: text, group: MAIN}\n",
    )
    assert 'id="field-colour"' in text_of(ada.get("/gadget/new"))
    saved = ada.post("/gadget/new", {"size": "3", "colour": "teal"})
    assert saved.status_code == 302
    assert "teal" in text_of(ada.get(saved.headers["Location"].removeprefix("/t")))
    assert "Serving the metadata loaded at" in text_of(ada.get("/admin/metadata"))
    # compiled again whole: a request still holding the old tenant sees it unchanged
    assert registry.tenant("t") is not before
    assert [f.name for f in before.entity("gadget").spec.fields] == ["size"]


def test_a_new_entity_is_usable_after_an_edit_on_disk(app, ada):
    edit(app, "tenants/t/entities/gizmo.yaml", GADGET.replace("adget", "izmo"))
    saved = ada.post("/gizmo/new", {"size": "7"})
    assert saved.status_code == 302


def test_the_reload_button_forces_a_check(metadata, storage):
    app = make_app(metadata, storage, mode="off")  # no automatic checks
    ada = logged_in(app, "ada")
    edit(app, GADGET_FILE, GADGET.replace("Size", "Width"), reloads=False)
    assert "Width" not in text_of(ada.get("/gadget/new"))
    response = ada.post("/admin/reload")
    assert response.headers["Location"] == "/t/admin/metadata"
    assert "The metadata was reloaded from disk." in text_of(ada.get("/admin/metadata"))
    assert "Width" in text_of(ada.get("/gadget/new"))


BROKEN = {
    "a YAML syntax error": (
        GADGET + "  - {name: colour, sequence: 2\n",
        f"{GADGET_FILE}:6: YAML syntax error",
    ),
    "an unknown input type": (
        GADGET + "  - {name: colour, sequence: 2, label: Colour, input_type: swich, group: MAIN}\n",
        f"{GADGET_FILE}:6: gadget.colour.input_type: Unknown input type &#39;swich&#39; "
        "(did you mean &#39;switch&#39;?).",
    ),
    "more columns than PostgreSQL allows in a table": (
        GADGET
        + "".join(
            f"  - {{name: s{n}, sequence: {n}, label: S{n}, input_type: switch, group: MAIN}}\n"
            for n in range(2, 1596)
        ),
        f"{GADGET_FILE}:1: gadget: In tenant &#39;t&#39;, its table would have 1,601 columns",
    ),
}


@pytest.mark.parametrize("broken, expected", BROKEN.values(), ids=BROKEN.keys())
def test_broken_metadata_keeps_the_old_version_and_shows_every_error(app, ada, broken, expected):
    edit(app, GADGET_FILE, broken)
    form = text_of(ada.get("/gadget/new"))
    assert 'id="field-size"' in form and "field-colour" not in form
    assert ada.post("/gadget/new", {"size": "4"}).status_code == 302
    page = text_of(ada.get("/admin/metadata"))
    assert "The metadata on disk has 1 problem; still serving the version loaded at" in page
    assert expected in page
    preview = text_of(ada.get("/admin/preview/gadget"))
    assert "The metadata on disk has 1 problem; still serving" in preview
    edit(app, GADGET_FILE, GADGET)  # fixed: the next look loads it and the banner goes
    assert "The metadata on disk has" not in text_of(ada.get("/admin/metadata"))


def test_a_lossy_type_change_is_refused_and_shown(app, ada):
    assert ada.post("/gadget/new", {"size": "5"}).status_code == 302
    edit(app, GADGET_FILE, GADGET.replace("input_type: integer", "input_type: date"))
    assert '<input type="number" id="field-size"' in text_of(ada.get("/gadget/new"))
    page = text_of(ada.get("/admin/metadata"))
    assert "The metadata on disk has 1 problem" in page
    assert f"{GADGET_FILE}:5: t.gadget.size: Changing the type from integer to date" in page


def test_problems_of_another_tenant_are_counted_but_not_shown(app, ada):
    edit(app, "tenants/u/entities/secret.yaml", "entity: [\n")
    page = text_of(ada.get("/admin/metadata"))
    assert "The metadata on disk has 1 problem;" in page
    assert "1 more is in other tenants' files" in page
    assert "secret.yaml" not in page


def test_requests_do_not_look_at_the_disk(app, ada, monkeypatch):
    assert ada.get("/gadget/new").status_code == 200  # watching has started
    looks = []  # the threads that looked: the watching thread may, now and then
    monkeypatch.setattr(
        reload, "fingerprint", lambda root: looks.append(threading.current_thread()) or set()
    )
    for _ in range(50):
        assert ada.get("/gadget/new").status_code == 200
    assert threading.current_thread() not in looks


def test_reload_off_turns_automatic_checks_off(metadata, storage, monkeypatch):
    app = make_app(metadata, storage, mode="off")
    monkeypatch.setattr(reload, "fingerprint", lambda root: pytest.fail("looked at the disk"))
    ada = logged_in(app, "ada")
    edit(app, GADGET_FILE, GADGET.replace("Size", "Width"), reloads=False)
    for _ in range(3):
        assert "Width" not in text_of(ada.get("/gadget/new"))
    page = text_of(ada.get("/admin/metadata"))
    assert "loaded when Reload is pressed (FORMWORK_RELOAD is off)" in page


def test_a_reload_mode_that_is_not_known_is_explained(metadata, storage):
    with pytest.raises(ValueError, match=r"FORMWORK_RELOAD must be watch .* not 'soon'"):
        make_app(metadata, storage, mode="soon")
