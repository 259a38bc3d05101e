"""The list page's shortcuts serve the page their plain paths serve: the cached choice of
a page's language (webui.language), the template modules kept by the app (webui.chrome)
and the cached rows of a whole page (webui.list_view), for every shipped tenant × entity,
on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from conftest import SHIPPED
from sample_records import create_sample

from engine import users
from engine.registry import build_registry
from webui import chrome, language, list_view

REGISTRY = build_registry(str(SHIPPED))
PAIRS = [(t, e) for t, tenant in REGISTRY.tenants.items() for e in sorted(tenant.entities)]
PATHS = ["", "?size=2", "?size=2&offset=2", "?size=2&last=1", "?q=a&size=50", "?sort=-id"]
LANGUAGES = ["en", "de-DE,de;q=0.9", "fr", ""]  # "": the browser says nothing
SWITCHES = [
    (language, "CACHE_CHOICES"),
    (chrome, "CACHE_MODULES"),
    (list_view, "CACHE_PAGES"),
]


def served(person, entity, monkeypatch, shortcuts):
    """Every path in every language, as the page is served with the shortcuts or without."""
    for module, name in SWITCHES:
        monkeypatch.setattr(module, name, shortcuts)
    pages = []
    for accept in LANGUAGES:
        for path in PATHS:
            url = f"/{person.tenant}/{entity}/{path}"
            response = person.client.get(url, headers={"Accept-Language": accept})
            assert response.status_code == 200, url
            pages.append(response.get_data(as_text=True))
    return pages


@pytest.mark.parametrize("tenant,entity", PAIRS)
def test_a_list_page_is_served_alike_with_and_without_its_shortcuts(
    shipped_site, clerks, monkeypatch, tenant, entity
):
    service, person = shipped_site.extensions["formwork"], clerks[tenant]
    for _ in range(3):
        create_sample(service, tenant, entity)
    plain = served(person, entity, monkeypatch, False)
    first = served(person, entity, monkeypatch, True)  # the caches filled
    again = served(person, entity, monkeypatch, True)  # and read
    assert first == plain
    assert again == plain
    assert any("<tbody>\n    <tr>" in page or "<tr>" in page for page in plain)


def test_a_page_in_another_language_follows_the_browser_and_the_users_choice(
    shipped_site, clerks, monkeypatch
):
    """The cached choice of a language follows what it is chosen from: the browser's
    Accept-Language, and the language the user picked, which wins."""
    tenant, compiled = next(
        (t, c) for t, c in REGISTRY.tenants.items() if len(c.spec.translations.languages) > 1
    )
    person, entity = clerks[tenant], sorted(compiled.entities)[0]
    source = compiled.spec.translations.source
    other = next(code for code in compiled.spec.translations.languages if code != source)
    monkeypatch.setitem(shipped_site.config, "FORMWORK_USER_RECHECK_SECONDS", 0)

    def page_language(accept):
        page = person.client.get(f"/{tenant}/{entity}/", headers={"Accept-Language": accept})
        return page.get_data(as_text=True).split('<html lang="')[1].split('"')[0]

    assert page_language(source) == source
    assert page_language(other) == other.replace("_", "-")
    assert page_language(source) == source  # asked again: not the language chosen last
    live = shipped_site.extensions["formwork"].registry.tenant(tenant)
    users.set_language(live, "clerk", other)
    try:
        assert page_language(source) == other.replace("_", "-")
    finally:
        users.set_language(live, "clerk", None)
    assert page_language(source) == source
