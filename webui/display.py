"""Record values as people read them: option labels, the titles of linked records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.errors import NotFound
from engine.locales import Locality
from engine.records.target import Target
from engine.spec import FieldSpec
from webui.services import record_service
from webui.views import views

LOOKUP_CHOICES = 200  # up to this many targets, a lookup is a plain select


def display(target: Target, field: FieldSpec, value: Any) -> str:
    """A value as a page shows it: an option by its label, a lookup by the linked title."""
    if field.lookup and isinstance(value, int):
        return lookup_title(target.tenant.spec.name, field, value)
    return _texts(target, field)([value])[0]


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
    """The linked record's shown field, or its id when it has none."""
    try:
        linked = record_service().read(tenant, field.lookup.entity, value)
    except NotFound:
        return f"#{value} (missing)"
    shown = linked.get(field.lookup.show)
    return f"{shown}" if shown not in (None, "") else f"#{value}"


def active_only(tenant: str, entity: str) -> dict[str, str]:
    """The list filter that keeps the records a new link may name: the active ones, where
    the entity is deactivated rather than deleted (soft-deleted ones are never listed)."""
    spec = record_service().target(tenant, entity).spec
    return {"active": "true"} if "active" in spec.system_columns else {}


def lookup_choices(
    target: Target, spec: FieldSpec, selectable: bool = True
) -> list[tuple[int, Any]] | None:
    """A lookup's targets as (id, title), when there are few enough for a select: those a
    new link may name, or with `selectable=False` every one (a list's filter)."""
    tenant = target.tenant.spec.name
    entity = spec.lookup.entity
    filters = active_only(tenant, entity) if selectable else {}
    page = record_service().list(tenant, entity, filters=filters, limit=LOOKUP_CHOICES)
    if page["total"] > LOOKUP_CHOICES:
        return None
    show = spec.lookup.show
    return [
        (r["id"], r.get(show) if r.get(show) not in (None, "") else f"#{r['id']}")
        for r in page["items"]
    ]
