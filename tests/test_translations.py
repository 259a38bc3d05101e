"""A tenant's texts in other languages (translations/<locale>.yaml): the checker's word on
the files, pages in the language the browser asks for with the tenant's locale and then
the metadata's own text as fallbacks, and pre-rendered pages per language that match the
pages drawn by their macros."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
import yaml
from records_metadata import FILES
from test_pages import Browser, make_app

from engine import users
from engine.errors import MetadataError
from engine.resolve import load_and_resolve
from webui import prerender

TENANT = "tenant: t\nlabel: T\nlocale: de_DE\nsource_language: en\nsettings: {license: '3897'}\n"
GERMAN = """\
translations: de
groups: {MAIN: Allgemein}
entities:
  account:
    label: Konto
    plural: Konten
    fields:
      name: {label: Kontoname, help: Wie das Konto heißt.}
      kind: {label: Art, options: {company: Firma, person: Person}}
"""
FRENCH = """\
translations: fr
groups: {MAIN: Général}
entities:
  account:
    label: Compte
    plural: Comptes
    fields:
      name: {label: Nom du compte, help: Le nom du compte.}
      kind: {label: Type, options: {company: Société, person: Personne}}
"""


def _files(**more):
    return {**FILES, "tenants/t/tenant.yaml": TENANT, **more}


def _problems(tree, **more) -> list[str]:
    with pytest.raises(MetadataError) as raised:
        load_and_resolve(str(tree(_files(**more))))
    return sorted(str(p).split("metadata/", 1)[1] for p in raised.value.problems)


# the checker


def test_translation_files_give_the_tenant_its_languages(tree):
    root = tree(
        _files(
            **{"tenants/t/translations/de.yaml": GERMAN, "tenants/t/translations/fr.yaml": FRENCH}
        )
    )
    translations = load_and_resolve(str(root))["t"].translations
    assert translations.languages == ("de", "en", "fr")  # the locale's first
    assert translations.texts["fr"]["entities"]["account"]["label"] == "Compte"


def test_a_text_translated_in_one_language_but_not_another_is_reported(tree):
    french = FRENCH.replace("      name: {label: Nom du compte, help: Le nom du compte.}\n", "")
    problems = _problems(
        tree,
        **{"tenants/t/translations/de.yaml": GERMAN, "tenants/t/translations/fr.yaml": french},
    )
    assert problems == [
        "tenants/t/translations/de.yaml:8: entities.account.fields.name.help: "
        "translated into de but not into fr (fr.yaml)",
        "tenants/t/translations/de.yaml:8: entities.account.fields.name.label: "
        "translated into de but not into fr (fr.yaml)",
    ]


def test_texts_of_what_the_tenant_does_not_have_are_reported_where_written(tree):
    wrong = (
        GERMAN.replace("groups: {MAIN:", "groups: {MIAN:").replace(
            "company: Firma", "corporation: Firma"
        )
        + "  acount: {label: Konto}\n    \n"
    )
    wrong = wrong.replace("      name: {label", "      nmae: {label")
    problems = _problems(tree, **{"tenants/t/translations/de.yaml": wrong})
    assert problems == [
        "tenants/t/translations/de.yaml:10: entities.acount: the tenant has no entity 'acount'",
        "tenants/t/translations/de.yaml:2: groups.MIAN: the tenant has no group 'MIAN'",
        "tenants/t/translations/de.yaml:8: entities.account.fields.nmae: "
        "'account' has no field 'nmae'",
        "tenants/t/translations/de.yaml:9: entities.account.fields.kind.options.corporation: "
        "'account.kind' has no option 'corporation'",
    ]


def test_a_translation_file_not_named_for_a_locale_is_reported(tree):
    problems = _problems(
        tree,
        **{
            "tenants/t/translations/xx_QQ.yaml": GERMAN.replace(
                "translations: de", "translations: xx_QQ"
            ),
            "tenants/t/translations/fr.yaml": FRENCH.replace(
                "translations: fr", "translations: de"
            ),
        },
    )
    assert problems == [
        "tenants/t/translations/fr.yaml:1: translations: translations 'de' must match its "
        "file name 'fr'",
        "tenants/t/translations/xx_QQ.yaml:1: translations: the file's name: unknown locale "
        "'xx_QQ'; write a CLDR locale such as en, de or de_CH",
    ]


def test_an_unknown_source_language_is_reported(tree):
    tenant = TENANT.replace("source_language: en", "source_language: english")
    assert _problems(tree, **{"tenants/t/tenant.yaml": tenant}) == [
        "tenants/t/tenant.yaml:4: source_language: unknown locale 'english'; "
        "write a CLDR locale such as en, de or de_CH",
    ]


def test_a_misspelt_key_of_a_translation_file_is_reported(tree):
    misspelt = GERMAN.replace("label: Konto\n", "lable: Konto\n")
    assert _problems(tree, **{"tenants/t/translations/de.yaml": misspelt}) == [
        "tenants/t/translations/de.yaml:5: entities.account.lable: unknown key 'lable' "
        "(did you mean 'label'?)",
    ]


# pages


@pytest.fixture
def translated_app(tree, storage):
    root = tree(
        _files(
            **{"tenants/t/translations/de.yaml": GERMAN, "tenants/t/translations/fr.yaml": FRENCH}
        )
    )
    app = make_app(root, storage)
    users.add_user(
        app.extensions["formwork"].registry.tenant("t"), "ann", "editor", "correct horse battery"
    )
    return app


def _page(browser, path, language):
    headers = {"Accept-Language": language} if language else {}
    response = browser.client.get(f"/t{path}", headers=headers)
    assert "Accept-Language" in response.headers.get("Vary", "")
    return unescape(response.get_data(as_text=True))


def test_a_tenant_of_one_language_sends_pages_that_do_not_vary_by_language(tree, storage):
    plain = TENANT.replace("locale: de_DE\nsource_language: en\n", "")  # en, no translations
    app = make_app(tree({**FILES, "tenants/t/tenant.yaml": plain}), storage)
    users.add_user(
        app.extensions["formwork"].registry.tenant("t"), "ann", "editor", "correct horse battery"
    )
    browser = Browser(app, "t")
    browser.login("ann")
    page = browser.client.get("/t/account/", headers={"Accept-Language": "fr"})
    assert "Accept-Language" not in page.headers.get("Vary", "")
    assert '<html lang="en"' in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("language", "wanted"),
    [
        ("fr-CA,fr;q=0.9", ("fr", "Comptes", "Nom du compte", "Le nom du compte.", "Société")),
        ("de", ("de", "Konten", "Kontoname", "Wie das Konto heißt.", "Firma")),
        ("en-GB,en;q=0.5", ("en", "Accounts", "Name", None, "company")),
        ("ja", ("de", "Konten", "Kontoname", "Wie das Konto heißt.", "Firma")),  # not offered
        (None, ("de", "Konten", "Kontoname", "Wie das Konto heißt.", "Firma")),  # the locale's
    ],
)
def test_pages_speak_the_browsers_language_among_the_tenants(translated_app, language, wanted):
    browser = Browser(translated_app, "t")
    browser.login("ann")
    service = translated_app.extensions["formwork"]
    service.create("t", "account", {"name": "Acme", "kind": "company"}, "ann")
    lang, plural, name_label, help_text, company = wanted
    listing = _page(browser, "/account/", language)
    assert f'<html lang="{lang}"' in listing and f"<h1>{plural}</h1>" in listing
    assert f">{company}<" in listing  # the option, in the list
    form = _page(browser, "/account/new", language)
    assert re.search(rf'<label for="field-name">{re.escape(name_label)}\b', form)
    if help_text:
        assert f">{help_text}</p>" in form
    assert re.search(r'<label for="field-credit_limit">Credit Limit\b', form)  # untranslated
    record = _page(browser, "/account/1", language)
    assert f"<dt>{name_label}</dt>" in record and f"<dd>{company}</dd>" in record


def test_the_shipped_german_tenant_shows_its_customer_in_german_and_english(tmp_path):
    from engine.storage.databases import Storage

    app = make_app("metadata", Storage(str(tmp_path / "data")))
    tenant = app.extensions["formwork"].registry.tenant("production")
    users.add_user(tenant, "ann", "editor", "correct horse battery")
    texts = yaml.safe_load(
        Path("metadata/tenants/production/translations/de.yaml").read_text("utf-8")
    )
    german = texts["entities"]["customer"]["fields"]
    browser = Browser(app, "production")
    browser.login("ann")
    for language, translated in [("de-DE", True), ("en-US", False)]:
        form = unescape(
            browser.client.get(
                "/production/customer/new", headers={"Accept-Language": language}
            ).get_data(as_text=True)
        )
        for field in tenant.spec.entities["customer"].fields:
            if f'for="field-{field.name}"' not in form:
                continue
            shown = german.get(field.name, {}).get("label") if translated else None
            wanted = shown or field.label  # untranslated: the metadata's own
            assert re.search(rf'<label for="field-{field.name}">{re.escape(wanted)}\b', form), (
                language,
                field.name,
            )


def test_states_and_actions_speak_the_language_too(tree, storage):
    german = GERMAN + "    states: {draft: Entwurf}\n    actions: {confirm: Bestätigen}\n"
    root = tree(_files(**{"tenants/t/translations/de.yaml": german}))
    app = make_app(root, storage)
    service = app.extensions["formwork"]
    users.add_user(service.registry.tenant("t"), "ann", "editor", "correct horse battery")
    service.create("t", "account", {"name": "Acme", "kind": "company"}, "ann")
    browser = Browser(app, "t")
    browser.login("ann")
    listing = _page(browser, "/account/", "de")  # the status filter's choices
    assert re.search(r"<option[^>]*>Entwurf</option>", listing) and ">Draft<" not in listing
    record = _page(browser, "/account/1", "de")
    assert "Entwurf" in record and "Draft" not in record  # the record's state
    assert re.search(r"<button[^>]*>\s*Bestätigen\s*</button>", record)
    assert "Draft" in _page(browser, "/account/1", "en")


def test_states_and_actions_the_entity_does_not_have_are_reported(tree):
    german = GERMAN + "    states: {drafted: Entwurf}\n    actions: {confrim: Bestätigen}\n"
    assert _problems(tree, **{"tenants/t/translations/de.yaml": german}) == [
        "tenants/t/translations/de.yaml:10: entities.account.states.drafted: "
        "'account' has no state 'drafted'",
        "tenants/t/translations/de.yaml:11: entities.account.actions.confrim: "
        "'account' has no action 'confrim'",
    ]


# the user's own language


def test_a_users_chosen_language_wins_over_the_browsers_until_they_choose_the_browser(
    translated_app, storage
):
    from click.testing import CliRunner

    from engine.cli import main

    root = translated_app.config["FORMWORK_METADATA"]
    place = ["--database", storage.database_url] if storage.database_url else []
    place = place or ["--data", str(storage.data_dir)]

    def choose(language):
        arguments = ["user", "language", "t", "ann", language, "--metadata", root, *place]
        return CliRunner().invoke(main, arguments)

    browser = Browser(translated_app, "t")
    browser.login("ann")
    assert "<h1>Konten</h1>" in _page(browser, "/account/", "de")
    assert choose("fr").exit_code == 0
    translated_app.config["FORMWORK_USER_RECHECK_SECONDS"] = 0  # no wait for the change
    assert "<h1>Comptes</h1>" in _page(browser, "/account/", "de")
    assert "<h1>Comptes</h1>" in _page(browser, "/account/", None)
    refused = choose("ja")
    assert refused.exit_code != 0
    assert "tenant 't' has no language 'ja'; choose one of de, en, fr" in refused.output
    assert "<h1>Comptes</h1>" in _page(browser, "/account/", "de")  # the choice kept
    assert choose("browser").exit_code == 0
    assert "<h1>Konten</h1>" in _page(browser, "/account/", "de")


# pre-rendered pages, per language, against the macros


def test_prerendered_pages_per_language_render_what_the_macros_render(tree, storage, monkeypatch):
    root = tree(
        _files(
            **{"tenants/t/translations/de.yaml": GERMAN, "tenants/t/translations/fr.yaml": FRENCH}
        )
    )

    def pages(app):
        browser = Browser(app, "t")
        browser.login("ann")
        rendered = []
        for language in ["de", "fr", "en", "de", "fr"]:  # each twice or more: cached pieces
            for path in ["/account/new", "/account/", "/account/1", "/account/1/edit"]:
                response = browser.client.get(f"/t{path}", headers={"Accept-Language": language})
                text = response.get_data(as_text=True)
                rendered.append(re.sub(r'csrf_token" value="[^"]+"', "", text))
        return rendered

    app = make_app(root, storage)
    service = app.extensions["formwork"]
    users.add_user(service.registry.tenant("t"), "ann", "editor", "correct horse battery")
    service.create("t", "account", {"name": "Acme", "kind": "person", "nickname": "A"}, "ann")
    rendered = pages(app)
    assert (
        "Kontoname" in rendered[0]
        and "Nom du compte" in rendered[4]
        and "Kontoname" in rendered[12]
    )
    monkeypatch.setattr(prerender, "prerendered", lambda *args: None)
    monkeypatch.setattr(prerender, "cut", lambda *args: None)
    assert pages(make_app(root, storage)) == rendered
