"""Files and images of records, as people and programs meet them: only a file uploaded to
the tenant can be named by a record, through a form, the API or an import; a file
uploaded with a form that fails is kept for the next try, and one nobody saves is
removed after a day. On SQLite and PostgreSQL."""

from __future__ import annotations

import io
import os
import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_pages import Browser, make_app
from test_transfer import preview_url, result_page, text_of, upload

from engine import users
from engine.cli import main
from webui import uploads

FOLDER = """\
entity: folder
label: Folder
plural: Folders
lines:
  pages: {entity: page, link: folder, label: Pages, sequence: 90, group: MAIN}
fields:
  - {name: title, sequence: 1, label: Title, input_type: text, group: MAIN, required: true}
  - {name: contract, sequence: 2, label: Contract, input_type: file, group: MAIN}
  - {name: photo, sequence: 3, label: Photo, input_type: image, group: MAIN}
"""
PAGE = """\
entity: page
label: Page
plural: Pages
fields:
  - {name: folder, sequence: 1, label: Folder, input_type: lookup, group: MAIN,
     lookup: {entity: folder}}
  - {name: scan, sequence: 2, label: Scan, input_type: image, group: MAIN}
"""
FILES = {
    "entities/folder.yaml": FOLDER,
    "entities/page.yaml": PAGE,
    "tenants/u/tenant.yaml": "tenant: u\nlabel: U\nsettings: {license: '77'}\n",
}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PASSWORD = "correct horse battery"
MULTIPART = "multipart/form-data"


@pytest.fixture
def app(tree, storage):
    application = make_app(tree(FILES), storage)
    registry = application.extensions["formwork"].registry
    for tenant, name in (("t", "ann"), ("u", "uma")):
        users.add_user(registry.tenant(tenant), name, "editor", PASSWORD)
    return application


def signed_in(app, tenant, name):
    person = Browser(app, tenant)
    assert person.login(name, PASSWORD).status_code == 302
    return person


@pytest.fixture
def ann(app):
    return signed_in(app, "t", "ann")


@pytest.fixture
def api(app):
    """A JSON client of tenant t, with ann's token."""
    token = users.issue_token(app.extensions["formwork"].registry.tenant("t"), "ann")
    client = app.test_client()

    def call(method, url, body):
        headers = {"Authorization": f"Bearer {token}"}
        return client.open(f"/api/t/{url}", method=method, json=body, headers=headers)

    return call


def post_form(person, path, fields, **files):
    """Send a record's form as the browser does, files and all."""
    data = {**fields, "csrf_token": person.token()}
    for name, (content, filename) in files.items():
        data[name] = (io.BytesIO(content), filename)
    return person.client.post(f"/{person.tenant}{path}", data=data, content_type=MULTIPART)


def uploaded(app, person, field="photo", content=PNG, name="photo.png"):
    """A file uploaded with a form that saves: the reference its record holds."""
    response = post_form(person, "/folder/new", {"title": "Holder"}, **{field: (content, name)})
    assert response.status_code == 302
    newest = app.extensions["formwork"].list(person.tenant, "folder", sort="-id")["items"][0]
    return newest[field]


def kept_upload(person, content=PNG):
    """A file uploaded with a form that fails (no title): its reference, as the form shown
    again holds it."""
    response = post_form(person, "/folder/new", {"title": ""}, photo=(content, "photo.png"))
    assert response.status_code == 422
    return kept_reference(response.get_data(as_text=True), "photo")


def kept_reference(page, field):
    found = re.search(rf'<input type="hidden" name="{field}" value="([^"]+)">', page)
    return found.group(1) if found else None


def kept_files(app, tenant="t"):
    folder = Path(app.config["FORMWORK_DATA"]) / "uploads" / tenant
    return sorted(path.name for path in folder.iterdir() if path.is_file())


def errors_of(response):
    return [(e["field"], e["code"], e["message"]) for e in response.json["errors"]]


# only stored files


def test_the_api_takes_a_stored_file_of_the_tenant_and_refuses_any_other_value(app, ann, api):
    mine = uploaded(app, ann)
    theirs = uploaded(app, signed_in(app, "u", "uma"))
    assert mine.startswith("/t/files/") and theirs.startswith("/u/files/")
    created = api("POST", "folder", {"title": "Deeds", "photo": mine})
    assert created.status_code == 201 and created.json["photo"] == mine
    never = f"/t/files/{'0' * 32}.png"
    refused = {
        "javascript:alert(1)": "must name an image uploaded to this tenant, as /t/files/NAME; "
        "'javascript:alert(1)' is not one.",
        "https://evil.example/x.png": "must name an image uploaded to this tenant, as "
        "/t/files/NAME; 'https://evil.example/x.png' is not one.",
        theirs: f"must name an image uploaded to this tenant, as /t/files/NAME; {theirs!r} "
        "is not one.",
        theirs.replace("/u/", "/t/../u/"): "must name an image uploaded to this tenant",
        never: f"names no file kept here: {never!r} was never uploaded, or is gone; upload it "
        "again.",
    }
    for value, message in refused.items():
        response = api("POST", "folder", {"title": "Deeds", "photo": value})
        assert response.status_code == 422
        ((field, code, said),) = errors_of(response)
        assert (field, code) == ("photo", "file") and said.startswith(f"Photo {message}"), said
    assert response.json["errors"][0]["label"] == "Photo"
    url = f"folder/{created.json['id']}"
    kept = api("PATCH", url, {"title": "Deeds 2", "photo": mine, "rev_number": 1})
    assert kept.status_code == 200 and kept.json["photo"] == mine


def test_an_image_field_takes_only_a_stored_image(app, ann, api):
    # a file field keeps any file: one named .png need not be an image
    contract = uploaded(app, ann, "contract", b"<script>", "x.png")
    assert contract.endswith(".png")
    made = api("POST", "folder", {"title": "A", "contract": contract})
    assert made.status_code == 201
    refused = api("POST", "folder", {"title": "B", "photo": contract})
    assert errors_of(refused) == [
        ("photo", "file", f"Photo must be a PNG, JPEG or GIF image; {contract!r} is not one.")
    ]
    line = api("POST", "folder", {"title": "C", "pages": [{"scan": "javascript:x"}]})
    assert [(f, c) for f, c, _ in errors_of(line)] == [("pages[0].scan", "file")]


def test_a_form_refuses_a_reference_it_did_not_hold(ann):
    response = post_form(ann, "/folder/new", {"title": "Deeds", "photo": "javascript:alert(1)"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Photo must name an image uploaded to this tenant" in text_of(page)
    assert not re.search(r'(src|href)="javascript', page)
    assert 'type="hidden" name="photo"' not in page  # not held for the next try either


def test_an_import_refuses_a_row_naming_a_file_not_stored(app, ann):
    mine = uploaded(app, ann)
    rows = f"Title,Photo\nGood,{mine}\nBad,javascript:alert(1)\n"
    url = preview_url(upload(ann, (io.BytesIO(rows.encode()), "folders.csv"), entity="folder"))
    page = result_page(ann, url)
    assert (
        "Nothing was written: 1 row has errors. Fix them and import the file again, or import "
        "the valid rows and take the rejected ones. Rejected rows File Row Errors folders.csv "
        "3 Photo must name an image uploaded to this tenant, as /t/files/NAME; "
        "'javascript:alert(1)' is not one."
    ) in page
    assert app.extensions["formwork"].list("t", "folder")["total"] == 1  # the upload's own
    rows = f"Title,Photo\nGood,{mine}\n"
    url = preview_url(upload(ann, (io.BytesIO(rows.encode()), "good.csv"), entity="folder"))
    assert "Imported: 1 created" in result_page(ann, url)


def test_a_stored_value_that_is_no_file_reference_never_reaches_a_link(app, ann, api):
    """A value saved before references were checked (here written straight to the table)
    is shown as text, not put in a link or an image."""
    made = api("POST", "folder", {"title": "Old"}).json
    target = app.extensions["formwork"].target("t", "folder")
    model = target.model
    model.update({target.column("photo"): "javascript:alert(1)"}).where(
        model.id == made["id"]
    ).execute()
    page = ann.get(f"/folder/{made['id']}/edit").get_data(as_text=True)
    assert "javascript:" not in page
    assert ann.get(f"/folder/{made['id']}").status_code == 200
    saved = post_form(ann, f"/folder/{made['id']}/edit", {"title": "Old 2", "rev_number": "1"})
    assert saved.status_code == 302  # left as it was, the value does not stop a save


def test_the_import_command_checks_the_files_of_the_data_directory(app, ann, tmp_path):
    mine = uploaded(app, ann)
    never = f"/t/files/{'0' * 32}.png"
    path = tmp_path / "folders.csv"
    path.write_text(f"Title,Photo\nGood,{mine}\nGone,{never}\n", encoding="utf-8")
    place = ["--metadata", app.config["FORMWORK_METADATA"], "--data", app.config["FORMWORK_DATA"]]
    if app.config["FORMWORK_DATABASE"]:
        place += ["--database", app.config["FORMWORK_DATABASE"]]
    result = CliRunner().invoke(main, ["import", "t", "folder", str(path), *place])
    assert result.exit_code == 1
    assert (
        f"folders.csv:3: Photo names no file kept here: {never!r} was never uploaded, or is "
        "gone; upload it again."
    ) in result.output
    path.write_text(f"Title,Photo\nGood,{mine}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["import", "t", "folder", str(path), *place])
    assert result.exit_code == 0 and "Created 1" in result.output


# uploads of a form that fails


def test_a_file_of_a_form_that_fails_is_kept_and_used_by_the_next_save(app, ann):
    response = post_form(ann, "/folder/new", {"title": ""}, photo=(PNG, "photo.png"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "1 problem to fix Title is required." in text_of(page)
    assert (
        "Kept for this form: the file of Photo. Saving again uses it without uploading it "
        "again; choose another file to replace it."
    ) in text_of(page)
    reference = kept_reference(page, "photo")
    assert f'<img class="preview" src="{reference}"' in page
    assert kept_files(app) == [reference.rsplit("/", 1)[1]]
    again = post_form(ann, "/folder/new", {"title": "Deeds", "photo": reference})
    assert again.status_code == 302
    assert app.extensions["formwork"].read("t", "folder", 1)["photo"] == reference
    assert kept_files(app) == [reference.rsplit("/", 1)[1]]  # the same file, not a copy
    assert ann.client.get(reference).data == PNG


def test_an_upload_nobody_saves_is_removed_a_day_later(app, ann, api):
    abandoned = kept_upload(ann)
    saved = kept_upload(ann)
    assert post_form(ann, "/folder/new", {"title": "Deeds", "photo": saved}).status_code == 302
    by_api = kept_upload(ann)
    assert api("POST", "folder", {"title": "API", "photo": by_api}).status_code == 201
    a_day_ago = time.time() - uploads.MAX_AGE - 60
    pending = Path(app.config["FORMWORK_DATA"]) / "uploads" / "t" / "pending"
    for mark in pending.iterdir():
        os.utime(mark, (a_day_ago, a_day_ago))
    fresh = kept_upload(ann)  # the tenant's next upload removes what waited a day
    assert ann.client.get(abandoned).status_code == 404
    assert {name.rsplit("/", 1)[1] for name in (saved, by_api, fresh)} == set(kept_files(app))
    for reference in (saved, by_api, fresh):
        assert ann.client.get(reference).data == PNG
    refused = post_form(ann, "/folder/new", {"title": "Late", "photo": abandoned})
    assert "Photo names no file kept here" in text_of(refused.get_data(as_text=True))


def test_an_edit_that_fails_keeps_its_new_file_and_the_stored_one(app, ann):
    first = kept_upload(ann)
    assert post_form(ann, "/folder/new", {"title": "Deeds", "photo": first}).status_code == 302
    form = {"title": "", "rev_number": "1"}
    failed = post_form(ann, "/folder/1/edit", form, photo=(PNG + b"2", "new.png"))
    assert failed.status_code == 422
    page = failed.get_data(as_text=True)
    second = kept_reference(page, "photo")
    assert second != first and "Kept for this form: the file of Photo." in text_of(page)
    done = post_form(ann, "/folder/1/edit", {"title": "Deeds", "rev_number": "1", "photo": second})
    assert done.status_code == 302
    assert app.extensions["formwork"].read("t", "folder", 1)["photo"] == second
    assert ann.client.get(second).data == PNG + b"2"
    assert ann.client.get(first).data == PNG  # the file the record held before stays
    unchanged = ann.get("/folder/1/edit").get_data(as_text=True)
    assert "Kept for this form" not in unchanged and kept_reference(unchanged, "photo") == second
