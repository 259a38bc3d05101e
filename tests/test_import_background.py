"""A web import longer than its page follows goes on in the background with a page of
its own; an import that meets a busy tenant says so; the preview says an import holds
the tenant's writes."""

import fcntl
import json
import time
from contextlib import contextmanager

from records_metadata import FILES
from test_pages import make_app
from test_transfer import GOOD, browser, csv_file, names, preview_url, text_of, upload

from engine import users
from webui import create_app
from webui.transfer import staging

WAIT = 30  # seconds: the most a step here may take, on a slow machine too
PASSWORD = "correct horse battery"


def made(tree, tmp_path, **config):
    application = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "FORMWORK_METADATA": str(tree(FILES)),
            "FORMWORK_DATA": str(tmp_path / "data"),
            **config,
        }
    )
    tenant = application.extensions["formwork"].registry.tenant("t")
    users.add_user(tenant, "ann", "editor", PASSWORD)
    return application


@contextmanager
def held(app, tenant="t"):
    """The tenant's writer lock, held as another process's import holds it."""
    path = app.extensions["formwork_storage"].data_dir / f"{tenant}.sqlite3-writer"
    with open(path, "ab") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def run_page(person, url):
    data = {"action": "import", "mode": "all", "csrf_token": person.token()}
    response = person.client.post(f"{url}/run", data=data)
    assert response.status_code == 200
    return text_of(response.get_data(as_text=True))


def test_an_import_its_page_stops_following_goes_on_and_its_own_page_shows_it(tree, tmp_path):
    app = made(tree, tmp_path, FORMWORK_IMPORT_PAGE_SECONDS=0, FORMWORK_WRITE_WAIT_SECONDS=WAIT)
    ann = browser(app, "ann")
    url = preview_url(upload(ann, csv_file(GOOD)))
    with held(app):  # the run waits for the lock: it is still going when its page ends
        text = run_page(ann, url)
        assert "The import goes on in the background" in text and "Finished." not in text
        running = ann.client.get(f"{url}/status")
        assert running.status_code == 200 and running.headers["Refresh"] == "2"
        assert "Still going" in text_of(running.get_data(as_text=True))
        assert ann.client.get("/t/account/").status_code == 200  # the worker serves on
    deadline = time.monotonic() + WAIT
    while "Refresh" in (ended := ann.client.get(f"{url}/status")).headers:
        assert time.monotonic() < deadline, "the import did not end"
        time.sleep(0.05)
    text = text_of(ended.get_data(as_text=True))
    assert "Imported: 2 created, 0 updated, 0 unchanged." in text
    assert "2 of 2 rows checked, 2 written or set aside" in text
    assert names(app) == ["Acme", "Bolt"]


def test_an_import_that_meets_a_busy_tenant_says_so_and_can_run_again(tree, tmp_path):
    app = made(tree, tmp_path, FORMWORK_WRITE_WAIT_SECONDS=0.2)
    ann = browser(app, "ann")
    url = preview_url(upload(ann, csv_file(GOOD)))
    with held(app):
        text = run_page(ann, url)
    assert "This tenant is busy with another change, such as an import" in text
    assert "Nothing was saved; try again in a moment." in text
    assert "Something went wrong" not in text and names(app) == []
    assert "Imported: 2 created" in run_page(ann, url) and names(app) == ["Acme", "Bolt"]


def test_a_run_silent_for_a_minute_is_said_to_have_stopped_and_may_run_again(tree, tmp_path):
    app = made(tree, tmp_path)
    ann = browser(app, "ann")
    url = preview_url(upload(ann, csv_file(GOOD)))
    staged = staging.find(app.config["FORMWORK_DATA"], "t", url.rsplit("/", 1)[1])
    assert staging.claim(staged)  # a run whose worker was killed: its claim stays
    note = {"state": "running", "rows": 2, "dry_run": False, "done": 1, "at": time.time() - 120}
    (staged.folder / "run.json").write_text(json.dumps(note))
    page = ann.client.get(f"{url}/status")
    assert "Refresh" not in page.headers
    assert "The import stopped without finishing" in text_of(page.get_data(as_text=True))
    assert "Imported: 2 created" in run_page(ann, url)


def test_a_run_nobody_started_has_no_page(tree, tmp_path):
    app = made(tree, tmp_path)
    ann = browser(app, "ann")
    url = preview_url(upload(ann, csv_file(GOOD)))
    assert ann.client.get(f"{url}/status").status_code == 404


def test_the_preview_says_an_import_holds_the_tenants_writes_on_sqlite(tree, storage):
    app = make_app(tree(FILES), storage)
    users.add_user(app.extensions["formwork"].registry.tenant("t"), "ann", "editor", PASSWORD)
    ann = browser(app, "ann")
    page = text_of(ann.client.get(preview_url(upload(ann, csv_file(GOOD)))).get_data(as_text=True))
    says = "other changes to this tenant's records wait for it, and one that waits more than 5 s"
    # on PostgreSQL an import locks the rows it writes, and other writers do not wait for it
    assert (says in page) == (storage.backend == "sqlite")
