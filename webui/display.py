"""Record values as people read them: option labels, the titles of linked records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from markupsafe import Markup, escape

from engine.caching import BoundedCache
from engine.locales import Locality, currency_problem
from engine.records.target import Target
from engine.spec import EntitySpec, FieldSpec
from webui.page_links import (
    PageLinks,
    once_per_page,
    page_links,
    page_record,
    remember_records,
)
from webui.services import record_service
from webui.views import views

LOOKUP_CHOICES = 200  # up to this many targets, a list filter by a lookup is a select
SHOWN_TEXTS = 1024  # texts of a field's values kept, per compiled entity
# The switch of the kept texts: False, every value shown is written anew (the plain path,
# which tests/test_line_pieces.py compares them with).
REUSE_TEXTS = True
# the classes of the values whose texts are kept: hashable, their texts the same each time
_HASHABLE = frozenset({str, int, float, bool, Decimal, dt.date, dt.datetime, dt.time, type(None)})


def display(
    target: Target, field: FieldSpec, value: Any, record: dict[str, Any] | None = None
) -> str:
    """A value as a page shows it: an option by its label, a lookup by the linked title,
    an amount in the currency its `record` names (see amounts_in)."""
    if field.lookup and isinstance(value, int):
        return lookup_title(target.tenant.spec.name, field, value)
    if field.currency_field and record is not None and value is not None:
        return amounts_in(target, field, [value], [record.get(field.currency_field)])[0]
    return _texts(target, field)([value])[0]


def shown_text(target: Target, field: FieldSpec) -> Callable[[Any, dict | None], str]:
    """display for the field: a value's text, as `record` says, written once per compiled
    entity where it follows from the value (and the record's currency) alone; a date's
    or an amount's is written by babel, slow. A linked record's title is read for each
    page, and so is an amount's in a currency a lookup names."""
    if not REUSE_TEXTS:
        return lambda value, record=None: display(target, field, value, record)
    built = views(target).shown_texts
    if field.name not in built:
        built[field.name] = _shown_text(target, field)
    return built[field.name]


def _shown_text(target: Target, field: FieldSpec) -> Callable[[Any, dict | None], str]:
    currency = field.currency_field
    if field.lookup:
        return lambda value, record=None: display(target, field, value, record)
    if currency and target.spec.field(currency).lookup:
        return _amount_text(target, field)
    texts: BoundedCache[tuple, str] = BoundedCache(SHOWN_TEXTS)

    def text(value: Any, record: dict | None = None) -> str:
        code = record.get(currency) if currency and record is not None else None
        if value.__class__ not in _HASHABLE or code.__class__ not in _HASHABLE:
            return display(target, field, value, record)
        key = (value.__class__, value, code.__class__, code)  # 1 and True: equal, not alike
        found = texts.get(key)
        if found is None:
            found = texts[key] = display(target, field, value, record)
        return found

    return text


def _amount_text(target: Target, field: FieldSpec) -> Callable[[Any, dict | None], str]:
    """display for an amount in the currency a lookup names: the linked record's title
    read for each page, the amount's text in that currency written once per entity."""
    named = target.spec.field(field.currency_field)
    tenant = target.tenant.spec.name
    texts: BoundedCache[tuple, str] = BoundedCache(SHOWN_TEXTS)

    def text(value: Any, record: dict | None = None) -> str:
        if record is None or value is None:
            return display(target, field, value, record)
        code = record.get(named.name)
        if code.__class__ is int:
            code = lookup_title(tenant, named, code)  # the code amounts_in would find
        if value.__class__ not in _HASHABLE or code.__class__ not in _HASHABLE:
            return display(target, field, value, record)
        key = (value.__class__, value, code.__class__, code)
        found = texts.get(key)
        if found is None:
            found = texts[key] = amounts_in(target, field, [value], [code])[0]
        return found

    return text


def amounts_in(target: Target, field: FieldSpec, values: list[Any], codes: list[Any]) -> list[str]:
    """A currency field's amounts, each in the currency its record's `currency_field`
    holds (`codes`: the stored values, a lookup's ids too); in the tenant's where a
    record names none, or a code CLDR does not know."""
    named = target.spec.field(field.currency_field)
    places, place = field.precision or 0, locality(target)
    tenant_texts = _texts(target, field)
    shown = []
    for value, code in zip(values, codes, strict=True):
        if named.lookup and isinstance(code, int):
            code = lookup_title(target.tenant.spec.name, named, code)
        if value is None or not isinstance(code, str) or currency_problem(code):
            shown.append(tenant_texts([value])[0])
        else:
            shown.append(place.amount(value, places, code))
    return shown


def display_html(
    target: Target, field: FieldSpec, value: Any, record: dict[str, Any] | None = None
) -> Markup:
    """A value as a page shows it, in HTML: a moment (date, date and time, time of day) in
    a <time> whose datetime machines read, the text people read inside; an amount as
    `record` says (see display)."""
    text = display(target, field, value, record)
    machine = None if field.lookup else field.type.machine_text(value, locality(target))
    return escape(text) if machine is None else time_html(machine, text)


def time_html(machine: str, text: str) -> Markup:
    """<time datetime="machine">text</time>, both escaped."""
    return Markup('<time datetime="{}">{}</time>').format(machine, text)


def _texts(target: Target, field: FieldSpec) -> Callable[[list[Any]], list[str]]:
    """How the field's type shows its values, chosen once per compiled entity."""
    texts = views(target).texts
    if field.name not in texts:
        texts[field.name] = field.type.list_texts(field, locality(target))
    return texts[field.name]


def locality(target: Target) -> Locality:
    """Where the target's tenant is: how its pages write numbers, amounts and moments."""
    return target.tenant.spec.locality


def lookup_title(tenant: str, field: FieldSpec, value: int) -> str:
    """The linked record's shown field; in words, never a bare id, when the record is gone
    or its shown field is empty. Written once per page and record where the page's links
    are kept (webui.page_links)."""
    return page_title(page_links(), tenant, field, value)


def page_title(links: PageLinks | None, tenant: str, field: FieldSpec, value: int) -> str:
    """lookup_title's answer, `links` being this request's (page_links's answer), for a
    caller that titles many links and asks for them once."""
    entity = field.lookup.entity
    if links is None:
        return title_of(tenant, field, page_record(None, tenant, entity, value))
    key = (tenant, entity, field.lookup.show, not field.view, value)  # what title_of reads
    title = links.titles.get(key)
    if title is None:
        linked = page_record(links, tenant, entity, value)
        title = links.titles[key] = title_of(tenant, field, linked)
    return title


def title_of(tenant: str, field: FieldSpec, linked: dict | None) -> str:
    """lookup_title's answer for the `linked` record (None: gone), read already."""
    if linked is not None:
        shown = linked.get(field.lookup.show)
        if shown not in (None, ""):
            return str(shown)  # as titled() has it, without reading the entity
        if field.view:
            return ""  # a view value shows one column of the record: empty, it shows nothing
    linked_target = record_service().target(tenant, field.lookup.entity)
    if linked is None:
        return missing_title(linked_target.spec)
    return titled(linked_target.spec, field.lookup.show, linked)


def missing_title(entity: EntitySpec) -> str:
    """What a link to a record that no longer exists shows."""
    return f"{entity.label} no longer exists"


def titled(entity: EntitySpec, show: str, record: dict[str, Any]) -> str:
    """A linked record as people read it: its `show` field, else its number, else words
    saying it has none (an id means nothing to a person)."""
    shown = record.get(show)
    if shown not in (None, ""):
        return str(shown)
    if entity.numbering and record.get(entity.numbering.field) not in (None, ""):
        return str(record[entity.numbering.field])
    named = entity.field(show).label if show in _field_names(entity) else "title"
    return f"{entity.label} without {named}"


def _field_names(entity: EntitySpec) -> set[str]:
    return {f.name for f in entity.fields}


def active_only(tenant: str, entity: str) -> dict[str, str]:
    """The list filter that keeps the records a new link may name: the active ones, where
    the entity is deactivated rather than deleted (soft-deleted ones are never listed)."""
    spec = record_service().target(tenant, entity).spec
    return {"active": "true"} if "active" in spec.system_columns else {}


def lookup_choices(target: Target, spec: FieldSpec) -> list[tuple[int, Any]] | None:
    """A lookup's targets as (id, title), every one, when there are few enough for a list
    filter's select; None when there are more."""
    tenant = target.tenant.spec.name
    entity = spec.lookup.entity
    # one read per linked entity and page, whichever field of the linked record it shows
    items = once_per_page(("choices", tenant, entity), lambda: _read_choices(tenant, entity))
    if items is None:
        return None
    linked, show = record_service().target(tenant, entity).spec, spec.lookup.show
    return [(r["id"], titled(linked, show, r)) for r in items]


def _read_choices(tenant: str, entity: str) -> list[dict] | None:
    """The records a list filter offers, or None when there are too many for a select: one
    query, which reads one record more than a select holds to know."""
    items = record_service().few_records(tenant, entity, LOOKUP_CHOICES)
    if items is None:
        return None
    remember_records(tenant, entity, items)  # their titles need no query of their own
    return items
