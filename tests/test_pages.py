"""The generated pages, through Flask's test client, on SQLite and on PostgreSQL."""

import re
from html import unescape
from html.parser import HTMLParser

import pytest
from conftest import SHIPPED
from records_metadata import FILES, SURVEY

from engine import users
from webui import create_app


def make_app(metadata, storage, **config):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "FORMWORK_METADATA": str(metadata),
            "FORMWORK_DATA": str(storage.data_dir),
            "FORMWORK_DATABASE": storage.database_url,
            **config,
        }
    )


class Browser:
    """A test client that logs in and sends the CSRF token like the pages do."""

    def __init__(self, app, tenant):
        self.client, self.tenant = app.test_client(), tenant

    def token(self):
        page = self.client.get(f"/{self.tenant}/login").get_data(as_text=True)
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def login(self, username, password="correct horse battery"):
        data = {"username": username, "password": password, "csrf_token": self.token()}
        return self.client.post(f"/{self.tenant}/login", data=data)

    def get(self, path):
        return self.client.get(f"/{self.tenant}{path}")

    def post(self, path, data=None, csrf=True):
        data = dict(data or {})
        if csrf:
            data["csrf_token"] = self.token()
        return self.client.post(f"/{self.tenant}{path}", data=data)


@pytest.fixture
def app(tree, storage):
    application = make_app(tree(FILES), storage)
    registry = application.extensions["formwork"].registry
    for tenant, name, role in [
        ("t", "ann", "editor"),
        ("t", "vic", "viewer"),
        ("u", "uma", "admin"),
    ]:
        users.add_user(registry.tenant(tenant), name, role, "correct horse battery")
    return application


@pytest.fixture
def ann(app):
    browser = Browser(app, "t")
    assert browser.login("ann").status_code == 302
    return browser


def test_pages_need_a_login_of_the_tenant(app):
    browser = Browser(app, "t")
    response = browser.get("/account/")
    assert response.status_code == 302 and "/t/login" in response.headers["Location"]
    wrong = browser.login("ann", "not the password")
    assert wrong.status_code == 401 and "not right" in wrong.get_data(as_text=True)
    assert browser.login("ann").headers["Location"] == "/t/"
    assert browser.get("/account/").status_code == 200
    other = Browser(app, "u")
    other.client = browser.client  # the same browser, another tenant's URL
    assert other.get("/account/").status_code == 302  # ann is not a user of u


def test_a_post_without_csrf_token_is_refused(ann):
    response = ann.post("/account/new", {"name": "Forged"}, csrf=False)
    assert response.status_code == 400
    assert "Forged" not in ann.get("/account/").get_data(as_text=True)


def test_security_headers(ann):
    headers = ann.get("/account/new").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"


def test_the_form_follows_the_metadata(ann):
    page = ann.get("/account/new").get_data(as_text=True)
    assert page.index("<legend>Main</legend>") < page.index("<legend>More</legend>")
    assert page.index('for="field-name"') < page.index('for="field-currency"')
    name = re.search(r'<input type="text" id="field-name"[^>]*>', page).group(0)
    assert "required" in name and 'maxlength="40"' in name
    credit = re.search(r'<input type="number" id="field-credit_limit"[^>]*>', page).group(0)
    assert 'min="0"' in credit and 'step="0.01"' in credit
    assert '<input type="date" id="field-opened"' in page
    assert 'data-visible-if="[&#34;==&#34;, &#34;kind&#34;, &#34;person&#34;]"' in page
    assert 'name="branches-0-city"' in page  # an empty line to fill
    number = re.search(r'<input type="text" id="field-number"[^>]*>', page).group(0)
    assert "required" not in number
    assert "A new record left without one gets the next number." in page


def test_the_form_shows_sections_and_tabs_in_one_order_each_tab_set_in_its_place(tree, storage):
    app = make_app(tree({**FILES, "entities/survey.yaml": SURVEY}), storage)
    users.add_user(
        app.extensions["formwork"].registry.tenant("t"), "ann", "editor", "correct horse battery"
    )
    browser = Browser(app, "t")
    browser.login("ann")
    page = browser.get("/survey/new").get_data(as_text=True)
    groups = re.findall(
        r'<fieldset class="group (\w+)" id="group-(\w+)"(?: data-tab-set="(\d+)")?>\s*'
        r"<legend>([^<]*)</legend>",
        page,
    )
    assert groups == [
        ("section", "MAIN", "", "Main"),
        ("tab", "EARLY", "1", "Early"),
        ("section", "PLANNING", "", "Planning"),
        ("tab", "LINES", "2", "Lines"),
        ("tab", "REFERENCE", "2", "Reference"),
    ]


def test_a_failed_submit_reports_every_error_and_keeps_what_was_typed(ann):
    response = ann.post(
        "/account/new",
        {
            "name": "",
            "credit_limit": "ten",
            "opened": "2024-02-30",
            "branches-0-city": "",
            "branches-0-staff": "-4",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "5 problems to fix" in page
    messages = re.findall(r'<li><a href="#field-([^"]+)">', page)
    assert messages == ["name", "credit_limit", "opened", "branches-0-city", "branches-0-staff"]
    assert '<a href="#field-name">Name is required.</a>' in page
    assert 'id="field-credit_limit" name="credit_limit" value="ten"' in page
    assert re.search(
        r'id="field-credit_limit"[^>]*aria-describedby="error-credit_limit"'
        r'[^>]*aria-invalid="true"',
        page,
    )
    assert 'value="2024-02-30"' in page and 'value="-4"' in page
    assert '<p class="error" id="error-credit_limit">Credit Limit must be an amount.</p>' in page
    assert "Quantity" not in page


def test_create_view_act_and_history(ann):
    created = ann.post(
        "/account/new", {"name": "Acme", "credit_limit": "250.50", "branches-0-city": "Oslo"}
    )
    assert created.status_code == 302
    page = ann.get("/account/1").get_data(as_text=True)
    assert "Account Acme" in page and "250.5" in page and "Oslo" in page
    assert ann.post("/account/1/actions/confirm").status_code == 302
    page = unescape(ann.get("/account/1").get_data(as_text=True))
    assert "<strong>Confirmed</strong>" in page
    assert "<strong>confirm</strong> by ann" in page and "Status: Draft → Confirmed" in page
    refused = ann.post("/account/1/actions/confirm")
    assert "it is Confirmed" in ann.client.get(refused.headers["Location"]).get_data(as_text=True)


def test_a_field_hidden_by_its_condition_is_not_shown_on_the_record(ann):
    ann.post("/account/new", {"name": "Acme", "kind": "company"})
    assert ">Nickname<" not in ann.get("/account/1").get_data(as_text=True)
    ann.post("/account/new", {"name": "Bob", "kind": "person", "nickname": "Bobby"})
    assert ">Nickname<" in ann.get("/account/2").get_data(as_text=True)


def test_locked_and_set_once_fields_show_as_text_on_edit(ann):
    ann.post("/account/new", {"name": "Acme", "currency": "EUR"})
    ann.post("/account/1/actions/confirm")
    page = ann.get("/account/1/edit").get_data(as_text=True)
    assert '<output id="field-name">Acme</output>' in page
    assert '<output id="field-currency">EUR</output>' in page
    assert 'id="field-note"' in page and '<textarea id="field-note"' in page


def test_a_stale_edit_names_who_changed_it_and_keeps_the_typing(ann, app):
    ann.post("/account/new", {"name": "Acme"})
    app.extensions["formwork"].update("t", "account", 1, {"note": "theirs", "rev_number": 1}, "bob")
    response = ann.post("/account/1/edit", {"name": "Mine", "note": "my note", "rev_number": "1"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "was changed by bob" in page and 'value="Mine"' in page and "my note" in page
    assert 'name="rev_number" value="2"' in page
    saved = ann.post("/account/1/edit", {"name": "Mine", "note": "my note", "rev_number": "2"})
    assert saved.status_code == 302


def test_a_viewer_reads_but_cannot_write(app):
    vic = Browser(app, "t")
    vic.login("vic")
    app.extensions["formwork"].create("t", "account", {"name": "Acme"}, "ann")
    page = vic.get("/account/1").get_data(as_text=True)
    assert "Acme" in page and "/edit" not in page and "Delete" not in page
    assert vic.post("/account/new", {"name": "X"}).status_code == 403
    assert vic.post("/account/1/actions/confirm").status_code == 403
    assert vic.get("/account/1/edit").status_code == 403


def test_html_in_values_and_labels_is_text(ann, app):
    ann.post("/account/new", {"name": "<script>alert(1)</script>"})
    page = ann.get("/account/1").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_list_searches_filters_sorts_and_exports(ann, app):
    service = app.extensions["formwork"]
    for name, kind in [("Alpha", "company"), ("Beta", "person"), ("Gamma", "company")]:
        service.create("t", "account", {"name": name, "kind": kind, "nickname": "n"}, "ann")
    page = ann.get("/account/?q=alp").get_data(as_text=True)
    assert "Alpha" in page and "Gamma" not in page
    page = ann.get("/account/?kind=company&sort=-name").get_data(as_text=True)
    assert page.index("Gamma") < page.index("Alpha") and "Beta" not in page
    csv_text = ann.get("/account/export.csv?kind=company").get_data(as_text=True)
    # with a byte order mark, as every CSV export: spreadsheets then read accents right
    assert csv_text.splitlines()[0].startswith("\ufeffNumber,Name") and "Beta" not in csv_text
    north = service.create("t", "region", {"code": "NORTH"}, "ann")["id"]
    service.create("t", "account", {"name": "Delta", "region": north}, "ann")
    page = ann.get(f"/account/?region={north}").get_data(as_text=True)
    assert '<option value="1" selected>NORTH</option>' in page
    assert "Delta" in page and "Alpha" not in page
    service.create("t", "account", {"name": "=HYPERLINK(1)"}, "ann")
    assert "'=HYPERLINK(1)" in ann.get("/account/export.csv").get_data(as_text=True)


def test_another_tenants_records_are_out_of_reach(app):
    service = app.extensions["formwork"]
    service.create("t", "account", {"name": "Secret"}, "ann")
    uma = Browser(app, "u")
    uma.login("uma")
    assert uma.get("/account/1").status_code == 404
    assert uma.post("/account/1/edit", {"name": "x", "rev_number": "1"}).status_code == 404
    assert uma.post("/account/1/delete").status_code == 404
    assert "<caption>0 Accounts" in uma.get("/account/?q=Secret").get_data(as_text=True)
    assert service.read("t", "account", 1)["name"] == "Secret"


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_an_uploaded_image_is_kept_shown_and_served_to_the_tenant_only(ann, app):
    from io import BytesIO

    data = {"name": "Acme", "logo": (BytesIO(PNG), "logo.png"), "csrf_token": ann.token()}
    created = ann.client.post("/t/account/new", data=data, content_type="multipart/form-data")
    assert created.status_code == 302
    logo = app.extensions["formwork"].read("t", "account", 1)["logo"]
    assert logo.startswith("/t/files/") and logo.endswith(".png")
    assert f'<img class="preview" src="{logo}"' in ann.get("/account/1/edit").get_data(as_text=True)
    assert ann.client.get(logo).data == PNG
    assert Browser(app, "t").client.get(logo).status_code == 302  # not logged in
    uma = Browser(app, "u")
    uma.login("uma")
    assert uma.client.get(logo.replace("/t/", "/u/")).status_code == 404
    kept = ann.post("/account/1/edit", {"name": "Acme 2", "rev_number": "1"})
    assert kept.status_code == 302
    assert app.extensions["formwork"].read("t", "account", 1)["logo"] == logo


def test_an_image_field_refuses_what_is_not_an_image(ann):
    from io import BytesIO

    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    data = {"name": "Acme", "logo": (BytesIO(svg), "logo.svg"), "csrf_token": ann.token()}
    response = ann.client.post("/t/account/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Logo must be a PNG, JPEG or GIF image." in response.get_data(as_text=True)


class _Audit(HTMLParser):
    """Collects what an accessibility check needs: inputs, labels, headings, landmarks."""

    def __init__(self):
        super().__init__()
        self.inputs, self.labels, self.headings, self.tags = [], set(), [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.add(tag)
        if tag in ("input", "select", "textarea") and attrs.get("type") != "hidden":
            self.inputs.append(attrs)
        if tag == "label" and "for" in attrs:
            self.labels.add(attrs["for"])
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))


@pytest.mark.parametrize("backend", ["sqlite"])
def test_every_generated_form_of_every_shipped_tenant_is_accessible(tmp_path, backend):
    from engine.storage.databases import Storage

    app = make_app(SHIPPED, Storage(str(tmp_path / "data")))
    registry = app.extensions["formwork"].registry
    checked = 0
    for tenant in registry.tenants.values():
        users.add_user(tenant, "ann", "admin", "correct horse battery")
        browser = Browser(app, tenant.spec.name)
        browser.login("ann")
        for entity in tenant.entities:
            audit = _Audit()
            audit.feed(browser.get(f"/{entity}/new").get_data(as_text=True))
            unlabelled = [i for i in audit.inputs if i.get("id") not in audit.labels]
            assert unlabelled == [], (tenant.spec.name, entity, unlabelled[:3])
            assert {"main", "header", "nav"} <= audit.tags
            assert audit.headings[0] == 1
            assert all(b - a <= 1 for a, b in zip(audit.headings, audit.headings[1:], strict=False))
            checked += 1
    assert checked >= 60


def test_line_errors_stay_on_their_row_when_an_earlier_row_is_empty(ann):
    response = ann.post(
        "/account/new",
        {
            "name": "Acme",
            "branches-0-city": "",
            "branches-1-city": "Oslo",
            "branches-1-staff": "-4",
        },
    )
    page = response.get_data(as_text=True)
    assert '<a href="#field-branches-0-staff">Staff must be at least 0.</a>' in page
    assert re.search(r'id="field-branches-0-staff" name="branches-0-staff" value="-4"', page)
    assert 'id="field-branches-0-city" name="branches-0-city" value="Oslo"' in page
    assert page.count('name="branches-1-city"') == 1  # one blank row to fill, not two
    assert 'name="branches-2-city"' not in page


def test_errors_on_pages_are_pages_not_json(app):
    vic = Browser(app, "t")
    vic.login("vic")
    response = vic.get("/account/new")
    assert response.status_code == 403 and response.mimetype == "text/html"
    assert "<h1>Not allowed</h1>" in response.get_data(as_text=True)
    missing = vic.get("/nothing_here/")
    assert missing.status_code == 404 and "<h1>Not found</h1>" in missing.get_data(as_text=True)


def test_a_label_holding_html_renders_as_text(tree, storage):
    hostile = FILES["entities/account.yaml"].replace(
        "label: Name, input_type: text", "label: \"<script>alert('x')</script>\", input_type: text"
    )
    app = make_app(tree({**FILES, "entities/account.yaml": hostile}), storage)
    users.add_user(
        app.extensions["formwork"].registry.tenant("t"), "ann", "editor", "correct horse battery"
    )
    browser = Browser(app, "t")
    browser.login("ann")
    page = browser.get("/account/new").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page


def test_a_save_leads_to_the_record_saying_saved_without_rewriting_the_session(ann):
    created = ann.post("/account/new", {"name": "Acme"})
    assert created.status_code == 302 and created.headers["Location"] == "/t/account/1?notice=saved"
    assert "Set-Cookie" not in created.headers  # the notice is in the address, not the cookie
    shown = ann.client.get(created.headers["Location"])
    assert (
        '<p class="flash info" role="status" data-notice>Account Acme saved.</p>'
        in shown.get_data(as_text=True)
    )
    assert "Set-Cookie" not in shown.headers
    edited = ann.post("/account/1/edit", {"name": "Acme Ltd", "rev_number": "1"})
    assert edited.headers["Location"] == "/t/account/1?notice=saved"
    # the page read again, or with a notice it does not know, says nothing of a save
    assert "saved." not in ann.get("/account/1").get_data(as_text=True)
    hostile = ann.get("/account/1?notice=%3Cscript%3Ealert(1)%3C/script%3E").get_data(as_text=True)
    assert "saved." not in hostile and "<script>alert(1)" not in hostile


def test_save_and_add_another_opens_a_new_form_that_names_the_record_saved(ann):
    created = ann.post("/account/new", {"name": "Acme", "then": "new"})
    assert created.status_code == 302 and created.headers["Location"] == "/t/account/new?saved=1"
    page = ann.client.get(created.headers["Location"]).get_data(as_text=True)
    assert '<p class="flash info" role="status" data-notice>Account Acme saved.</p>' in page
    assert "<h1>New Account</h1>" in page and 'value="Acme"' not in page
    edited = ann.post("/account/1/edit", {"name": "Acme Ltd", "rev_number": "1", "then": "new"})
    page = ann.client.get(edited.headers["Location"]).get_data(as_text=True)
    assert "Account Acme Ltd saved." in page
    # a URL naming no record there is, or no record at all, says nothing
    for wrong in ("999", "abc", ""):
        response = ann.get(f"/account/new?saved={wrong}")
        assert response.status_code == 200 and "data-notice" not in response.get_data(as_text=True)
