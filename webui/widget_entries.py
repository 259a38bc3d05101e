"""A field's widget entry: its layout entry with the HTML of it that never changes while
its entity is compiled (label, help, attributes, options), built once per entity and
cached by the entity's form view (webui.views); a lookup's adds where the browser
searches its records as the user types (none is rendered into the page); a line row's
input names its row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, request, url_for
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup, escape

from engine.records.target import Target
from engine.spec import FieldSpec
from webui import prerender
from webui.display import locality, title_of
from webui.page_links import PageLinks, page_links, page_record
from webui.prerender import Slots
from webui.views import views


def widget_entry(target: Target, spec: FieldSpec, entry: dict, source: str = "layout") -> dict:
    """The layout entry with its static HTML; a lookup's also says where the browser
    searches its records (by the URLs of the app as served)."""
    view = _static_view(target, spec, entry, source)
    if not spec.lookup:
        return view
    key = (source, spec.name, request.script_root)  # its URLs: where the app is served
    return views(target).form.lookup_views.get_or_build(
        key, lambda: _build_lookup_view(target, spec, entry, view)
    )


def _build_lookup_view(target: Target, spec: FieldSpec, entry: dict, view: dict) -> dict:
    """A lookup's entry: where the browser searches its records and reads what a chosen
    one fills in."""
    tenant = target.tenant.spec.name
    url = url_for("pages.lookup", tenant=tenant, entity=spec.lookup.entity, show=spec.lookup.show)
    # where the browser reads what a chosen record fills in, as people read it
    fetched = url_for("pages.fetched", tenant=tenant, entity=target.spec.name, field=spec.name)
    # a number input that searches: its attributes name where
    searching = {
        "data-lookup": url,
        "data-fetch": view["fetch_json"] or None,
        "data-fetched": fetched if view["fetch_json"] else None,
    }
    return {
        **view,
        "lookup_url": url,
        "fetched_url": fetched,
        "search_attrs_html": attributes_html({**entry["attrs"], **searching}),
    }


def shown_title(target: Target, spec: FieldSpec, value: Any) -> str:
    """The title a lookup shows beside its value (a stored id, or typed text): the linked
    record's, with `(inactive)` after it where that record was deactivated since (a new
    link may no longer name it); nothing for a value that names no record. Written once
    per page and record where the page's links are kept (webui.page_links)."""
    text = str(value or "")
    if not text.isdigit():
        return ""
    tenant, entity = target.tenant.spec.name, spec.lookup.entity
    links = page_links()
    if links is None:
        return _shown_title(None, tenant, spec, int(text))
    key = ("shown", tenant, entity, spec.lookup.show, not spec.view, text)  # what it reads
    title = links.titles.get(key)
    if title is None:
        title = links.titles[key] = _shown_title(links, tenant, spec, int(text))
    return title


def _shown_title(links: PageLinks | None, tenant: str, spec: FieldSpec, record_id: int) -> str:
    linked = page_record(links, tenant, spec.lookup.entity, record_id)
    title = title_of(tenant, spec, linked)
    if linked is not None and linked.get("active") is False:
        return f"{title} (inactive)"
    return title


def lookup_render(
    target: Target, spec: FieldSpec, untitled: Slots, titled: Slots
) -> Callable[[Any], str | None]:
    """A lookup's HTML for its value (None for a value that is no text): `untitled`'s
    pieces with the value escaped into place, or, where it names a record, `titled`'s
    with the record's title too."""
    escaped = prerender.escaped

    def render(value: Any) -> str | None:
        if value.__class__ is not str:
            return None
        title = shown_title(target, spec, value)
        if not title:
            return untitled.joined(escaped(value))
        return titled.joined(escaped(value), escaped(title))

    return render


def named_view(target: Target, view: dict, key: str, line_label: str, position: int) -> dict:
    """A field's widget entry as the input of a line row, named `key`: its label also
    says, to a screen reader, which row it belongs to (formwork.js renumbers it). Built
    once per compiled entity and row input."""
    cache_key = (view["name"], key, line_label, position)
    return views(target).form.named_views.get_or_build(
        cache_key, lambda: row_input_view(view, key, line_label, str(position + 1))
    )


def row_input_view(view: dict, key: str, line_label: str, number: str) -> dict:
    """A field's widget entry as the input of a line row named `key`, the row `number`
    (its place from 1, as text), built anew: named_view caches it per row input."""
    named = _build_static_view({**view, "name": key})
    required = (
        Markup(' <span class="required" aria-hidden="true">*</span>') if view["required"] else ""
    )
    named["label_tag_html"] = Markup(
        '<label for="field-{}">{}<span class="visually-hidden row-of"> ({} row {})</span>{}</label>'
    ).format(key, view["label"], line_label, number, required)
    return named


def _static_view(target: Target, spec: FieldSpec, entry: dict, source: str) -> dict:
    """The entry plus the HTML of it that never changes while the entity is compiled,
    escaped once here rather than on every request. `source` tells a layout entry from
    the plain entry a line's cell uses: a numbering field's two differ."""
    built, key = views(target).form.static_views, (source, spec.name)
    if key not in built:
        built[key] = _build_static_view(_typed_as_text(target, spec, entry))
    return built[key]


def _typed_as_text(target: Target, spec: FieldSpec, entry: dict) -> dict:
    """A number input as a text input with a decimal keyboard, where the tenant's locale
    writes its fraction after another symbol than the dot, which a number input refuses;
    the bounds and the step are the server's to check then."""
    if not spec.type.numeric or not locality(target).typed_as_text:
        return entry
    attrs = {k: v for k, v in entry["attrs"].items() if k not in ("min", "max", "step")}
    return {**entry, "attrs": {**attrs, "inputmode": "decimal"}, "typed_as_text": True}


def _build_static_view(entry: dict) -> dict:
    name = entry["name"]
    required = (
        Markup(' <span class="required" aria-hidden="true">*</span>') if entry["required"] else ""
    )
    help_text = entry["help"]
    fetch = entry.get("lookup", {}).get("fetch")  # what a chosen lookup fills in
    return {
        **entry,
        "dom_id": f"field-{name}",
        "attrs_html": attributes_html(entry["attrs"]),
        "rules_html": _rules_html(entry),
        "label_tag_html": Markup('<label for="field-{}">{}</label>').format(
            name, escape(entry["label"]) + required
        ),
        "help_id": f"help-{name}" if help_text else "",
        "help_html": (
            Markup('<p class="help" id="help-{}">{}</p>').format(name, help_text)
            if help_text
            else ""
        ),
        "option_tags": [
            (str(o["value"]), Markup('<option value="{}"').format(o["value"]), o["label"])
            for o in entry.get("options", ())
        ],
        "fetch_json": _json_attribute(fetch) if fetch else "",
    }


def attributes_html(attrs: dict[str, Any]) -> Markup:
    """HTML attributes as the input tag takes them: a true flag by its name alone, a value
    escaped, None left out."""
    parts = []
    for key, value in attrs.items():
        if value is True:
            parts.append(Markup(" {}").format(key))
        elif value is not None:
            parts.append(Markup(' {}="{}"').format(key, value))
    return Markup("").join(parts)


def _rules_html(entry: dict) -> Markup:
    """The conditions the browser evaluates, as data attributes of the field's block."""
    parts = []
    for key, attribute in (("visible_if", "data-visible-if"), ("required_if", "data-required-if")):
        if entry.get(key):
            parts.append(Markup(' {}="{}"').format(attribute, _json_attribute(entry[key])))
    return Markup("").join(parts)


def _json_attribute(value: Any) -> str:
    """JSON for an attribute value, as the templates' `tojson|forceescape` writes it."""
    return str(htmlsafe_json_dumps(value, dumps=current_app.json.dumps))
