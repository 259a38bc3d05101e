"""The admins' pages: the tenant's effective metadata with its provenance, reload, previews."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask.blueprints import BlueprintSetupState
from markupsafe import Markup

from engine.errors import NotFound, Source
from engine.records.target import Target
from engine.registry import CompiledEntity
from engine.resolve import ENTITY_KEYS
from engine.spec import EntitySpec, FieldSpec, Lines, Lookup, Numbering, Option, Rule, Statuses
from webui import reload
from webui.auth import login_required

# the form-building helpers of the new-record page, so a preview is that very form
from webui.form_fields import fields_html
from webui.forms import Submission
from webui.services import record_service

blueprint = Blueprint("admin", __name__)

# how a saved YAML file reaches this page, by how the server notices changes
_NOTICING = {
    "watch": "A change saved to the YAML files is loaded as it is saved.",
    "poll": (
        f"A change saved to the YAML files is loaded within a second: the server looks at "
        f"them every {reload.POLL_SECONDS} s, as this system does not report file changes."
    ),
    "off": "A change saved to the YAML files is loaded when Reload is pressed "
    "(FORMWORK_RELOAD is off).",
}
# what a field's row shows elsewhere, or what is not a property an admin writes
_NOT_PROPERTIES = {"name", "custom", "origins"}


@blueprint.record_once
def _watch_metadata(state: BlueprintSetupState) -> None:
    """The admin area shows reload problems, so it owns the watcher that finds them."""
    reload.init_app(state.app)


# the metadata page


@blueprint.get("/<tenant>/admin/metadata")
@login_required("admin")
def metadata(tenant: str) -> Any:
    """The index of the tenant's metadata: every entity, each linked to its own page and
    listing its fields, with the state of the metadata served."""
    watcher = reload.metadata_watcher()
    compiled = record_service().registry.tenant(tenant)
    entities = sorted(compiled.entities.values(), key=lambda e: e.spec.name)
    return render_template(
        "admin/metadata.html",
        tenant=tenant,
        title=f"{compiled.spec.label}: metadata",
        label=compiled.spec.label,
        loaded_at=_when(watcher.loaded_at),
        noticing=_NOTICING[watcher.noticing],
        trouble=_trouble(watcher, tenant),
        unserved=_unserved(tenant),
        entities=[_entity_index(entity, watcher.root) for entity in entities],
    )


@blueprint.get("/<tenant>/admin/metadata/<entity>")
@login_required("admin")
def entity_metadata(tenant: str, entity: str) -> Any:
    """One entity's properties and every field's, each with where it was written."""
    watcher = reload.metadata_watcher()
    compiled = record_service().registry.tenant(tenant)
    if entity not in compiled.entities:
        abort(404)
    view = _entity_view(compiled.entities[entity], watcher.root)
    return render_template(
        "admin/entity_metadata.html",
        tenant=tenant,
        title=f"{compiled.spec.label}: metadata of {view['label']}",
        label=compiled.spec.label,
        trouble=_trouble(watcher, tenant),
        entity=view,
    )


def _unserved(tenant: str) -> int:
    """How many other tenants of the server are set aside: their database cannot be used.
    Their names and reasons are their business and the log's, as their metadata's are."""
    unavailable = current_app.extensions["formwork_storage"].unavailable
    return len([name for name in unavailable if name != tenant])


@blueprint.post("/<tenant>/admin/reload")
@login_required("admin")
def reload_metadata(tenant: str) -> Any:
    """Check the metadata on disk now, changed or not, and swap it in if it is valid."""
    if reload.metadata_watcher().reload(tenant):
        flash("The metadata was reloaded from disk.", "info")
    else:
        flash("The metadata on disk was not loaded: its problems are listed below.", "error")
    return redirect(url_for("admin.metadata", tenant=tenant))


def _trouble(watcher: reload.MetadataWatcher, tenant: str) -> dict | None:
    """The banner's content when the last reload was refused, None when all is well."""
    failure = watcher.failure
    if failure is None:
        return None
    shown = failure.visible_to(tenant)
    return {
        "count": len(failure.problems),
        "found_at": _when(failure.at),
        "problems": shown,
        "elsewhere": len(failure.problems) - len(shown),
    }


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _entity_index(entity: CompiledEntity, root: str) -> dict:
    """An entity's entry in the index: its names, marks and fields, without properties."""
    spec = entity.spec
    customized = spec.origins.get("customized")
    return {
        "name": spec.name,
        "label": spec.label,
        "own": spec.custom,
        "customized": _where(customized, root) if customized else None,
        "fields": [{"name": f.name, "label": f.label, "custom": f.custom} for f in spec.fields],
    }


def _entity_view(entity: CompiledEntity, root: str) -> dict:
    spec = entity.spec
    customized = spec.origins.get("customized")
    return {
        "name": spec.name,
        "label": spec.label,
        "plural": spec.plural,
        "own": spec.custom,
        "customized": _where(customized, root) if customized else None,
        "properties": _entity_properties(spec, root),
        "sections": _sections(entity, root),
    }


def _entity_properties(spec: EntitySpec, root: str) -> list[dict]:
    return [
        _property(name, getattr(spec, name), spec.origins.get(name), root)
        for name in ENTITY_KEYS
        if name in spec.origins or getattr(spec, name)
    ]


def _sections(entity: CompiledEntity, root: str) -> list[dict]:
    """The fields as the form places them, group by group, then the hidden ones."""
    spec = entity.spec
    sections = [
        {
            "title": f"{group['label']} ({group['code']}, {group['layout']})",
            "fields": [_field_view(spec.field(f["name"]), spec, root) for f in group["fields"]],
        }
        for group in entity.layout["groups"]
    ]
    hidden = [_field_view(f, spec, root) for f in spec.fields if f.hidden]
    if hidden:
        sections.append({"title": "Hidden", "fields": hidden})
    return sections


def _field_view(field: FieldSpec, entity: EntitySpec, root: str) -> dict:
    return {
        "name": field.name,
        "label": field.label,
        "custom": field.custom,
        "properties": [
            _property(name, value, _field_origin(field, name), root, entity.groups)
            for name, value in _field_properties(field)
        ],
    }


def _field_properties(field: FieldSpec) -> list[tuple[str, Any]]:
    """The effective properties: those written in YAML, and those not at their default."""
    found = []
    for spec_field in dataclasses.fields(FieldSpec):
        name = spec_field.name
        if name in _NOT_PROPERTIES:
            continue
        value = getattr(field, name)
        default = spec_field.default
        if default is dataclasses.MISSING or name in field.origins or value != default:
            found.append((name, value))
    return found


def _field_origin(field: FieldSpec, name: str) -> Source | None:
    # a lines field is written as {entity, link, ...}: its origins name those keys
    if name == "lines" and field.lines is not None:
        return field.origins.get("entity")
    return field.origins.get(name)


def _property(
    name: str,
    value: Any,
    source: Source | None,
    root: str,
    groups: Mapping[str, Any] | None = None,
) -> dict:
    """One property's row: its value as text, and the file:line it came from, if any."""
    text = _text(value)
    if name == "group" and groups and value in groups:
        text = f"{value} ({groups[value].label})"
    where = _where(source, root) if source else None
    return {
        "name": name,
        "value": text,
        "source": where,
        "customized": bool(where and where.startswith("tenants/")),
    }


def _where(source: Source, root: str) -> str:
    return f"{reload.shown_path(root, source.file)}:{source.line}"


def _text(value: Any) -> str:
    """A property value as an admin writes it in YAML, more or less."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Rule):
        return value.text
    if isinstance(value, Lookup):
        fetched = ", ".join(f"{mine} ← {theirs}" for mine, theirs in value.fetch.items())
        return f"{value.entity}.{value.show}" + (f"; fetches {fetched}" if fetched else "")
    if isinstance(value, Lines):
        return f"{value.entity} linked by {value.link}"
    if isinstance(value, Numbering):
        return f"{value.field}: {value.pattern}"
    if isinstance(value, Statuses):
        states = ", ".join(value.states)
        return f"{states} (starts as {value.initial}; actions: {', '.join(value.actions)})"
    if isinstance(value, tuple):
        return ", ".join(_item_text(item) for item in value)
    return "—" if value is None else str(value)


def _item_text(item: Any) -> str:
    if isinstance(item, Option):
        return str(item.value) if item.label == str(item.value) else f"{item.value} ({item.label})"
    if isinstance(item, tuple):  # a unique_together set of field names
        return " + ".join(item)
    return str(item)


# the preview


@blueprint.get("/<tenant>/admin/preview/<entity>")
@login_required("admin")
def preview(tenant: str, entity: str) -> Any:
    """The new-record form of an entity as the tenant's users see it, which saves nothing."""
    try:
        target = record_service().target(tenant, entity)
    except NotFound:
        abort(404)
    watcher = reload.metadata_watcher()
    return render_template(
        "admin/preview.html",
        tenant=tenant,
        title=f"Preview: New {target.spec.label}",
        entity=target.spec,
        fields=_preview_fields(target),
        loaded_at=_when(watcher.loaded_at),
        trouble=_trouble(watcher, tenant),
    )


def _preview_fields(target: Target) -> Markup:
    """The groups of the new-record form, filled with the defaults, as that page renders them."""
    defaults = {f.name: f.default for f in target.spec.fields if f.default is not None}
    return fields_html(target, defaults, None, Submission())
