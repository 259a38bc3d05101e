"""The language a page speaks: the person's, among the tenant's languages, and the
tenant's entities with their texts in it.

The language is the one the signed-in user chose (`formwork user language`), else the
browser's Accept-Language, limited to the languages the tenant has (its locale's, its
metadata's own and one per translation file), else the tenant's locale's. Each
language's entities are compiled entities of their own, sharing the model and validator
but with their own texts, layout and memo: so every cache a page fills (webui.views,
webui.prerender) is per entity × language, and a metadata reload drops them all. They
are held in a bounded cache per compiled tenant.

Which language a request gets follows from the user's own choice and the browser's
Accept-Language alone, so it is worked out once per compiled tenant and such pair and
cached (`CACHE_CHOICES`; False, the plain path, works it out on every request).
"""

from __future__ import annotations

import dataclasses
import threading

from flask import Response, after_this_request, g, request

from engine.caching import BoundedCache
from engine.compile.layout import build_layout
from engine.records.target import Target
from engine.registry import CompiledTenant
from engine.spec import TenantSpec
from engine.translations import translated_entity
from webui.signed_in import current_user

MAX_LANGUAGES = 16  # translated copies kept per compiled tenant
MAX_CHOICES = 256  # (user's language, Accept-Language) pairs cached per compiled tenant
_BUILDING = threading.Lock()

# The switch of the cached choice of a page's language: False, each request parses its
# Accept-Language (the plain path, which tests/test_list_shortcuts.py compares it with).
CACHE_CHOICES = True


def page_language(tenant: TenantSpec) -> str:
    """The language of this request's pages for the tenant's people."""
    translations = tenant.translations
    if translations is None:
        return tenant.locality.locale.replace("_", "-").split("-")[0]
    offered = translations.languages
    user = current_user(tenant.name)
    if user and user.get("language") in offered:  # the user's choice, where still offered
        return user["language"]
    chosen = request.accept_languages.best_match([code.replace("_", "-") for code in offered])
    return chosen.replace("-", "_") if chosen else offered[0]


def in_page_language(target: Target) -> Target:
    """The target with its tenant's texts in this request's language (itself where the
    tenant has no translations)."""
    spec = target.tenant.spec
    if spec.translations is None:
        return target
    language, varies, chain = _choice(target.tenant) if CACHE_CHOICES else _choose(spec)
    g.language = language
    if varies:
        after_this_request(_varies_by_language)
    if not chain:
        return target  # the metadata's own texts
    tenant = _translated_tenant(target.tenant, language, chain)
    return Target(tenant, tenant.entity(target.spec.name))


def _choose(tenant: TenantSpec) -> tuple[str, bool, list]:
    """This request's language, whether pages vary by language at all (one language: the
    page is the same for all), and the translations to read its texts from."""
    translations = tenant.translations
    assert translations is not None
    language = page_language(tenant)
    return language, len(translations.languages) > 1, translations.chain(language)


def _choice(tenant: CompiledTenant) -> tuple[str, bool, list]:
    """_choose's answer, cached per compiled tenant under all it follows from."""
    choices = tenant.memo.get(_choice)
    if choices is None:
        with _BUILDING:
            choices = tenant.memo.setdefault(_choice, BoundedCache(MAX_CHOICES))
    user = current_user(tenant.spec.name)
    key = (user and user.get("language"), request.environ.get("HTTP_ACCEPT_LANGUAGE"))
    found = choices.get(key)
    if found is None:
        found = choices[key] = _choose(tenant.spec)
    return found


def _varies_by_language(response: Response) -> Response:
    """A shared cache keeps one copy of the page per language."""
    response.vary.add("Accept-Language")
    return response


def _translated_tenant(tenant: CompiledTenant, language: str, chain: list) -> CompiledTenant:
    copies = tenant.memo.get(_translated_tenant)
    if copies is None:
        with _BUILDING:
            copies = tenant.memo.setdefault(_translated_tenant, BoundedCache(MAX_LANGUAGES))
    return copies.get_or_build(language, lambda: _translate(tenant, chain))


def _translate(tenant: CompiledTenant, chain: list) -> CompiledTenant:
    entities = {}
    for name, compiled in tenant.entities.items():
        spec = translated_entity(compiled.spec, chain)
        entities[name] = dataclasses.replace(
            compiled, spec=spec, layout=build_layout(spec), memo={}
        )
    spec = dataclasses.replace(tenant.spec, entities={n: e.spec for n, e in entities.items()})
    return dataclasses.replace(tenant, spec=spec, entities=entities, memo={})
