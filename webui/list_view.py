"""The parts of a list page: its head (search form, filters, tools), links and rows.

All are rendered by the macros of pages/list_parts.html. What follows from the query
alone (the head, the table's head, the links) is rendered once per compiled entity and
query; the filters' selects and the rows come from pieces cut once per compiled entity
(webui.prerender), so a request only escapes its values into place. A filter whose
choices come with the data (a lookup) is rendered by its macro every time, and so is a
head holding one. All of it is held by the entity's list view (webui.views), so a
metadata reload builds it again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import url_for
from markupsafe import Markup

from engine.records.checks import system_label
from engine.records.list_filters import LIST_FILTERS, filter_candidates
from engine.records.search import unindexed_filters
from engine.records.target import Target
from engine.spec import FieldSpec
from engine.types import SYSTEM_COLUMNS
from engine.types.base import InputType
from webui import chrome, pager, prerender, urls
from webui.display import amounts_in, display, locality, lookup_choices, time_html
from webui.views import views

# The switch of the cache of whole pages of rows: False, a page's rows are looked up row
# by row (the plain path, which tests/test_list_shortcuts.py compares it with).
CACHE_PAGES = True


def filters(target: Target) -> list[dict]:
    """The list's filters: status, then selects, switches and lookups (to a small table),
    each as a list of (value, text) choices."""
    found: list[dict] = []
    for spec in _filter_specs(target):
        if len(found) == LIST_FILTERS:
            break
        options = _lookup_options(target, spec["lookup"]) if spec["lookup"] else spec["options"]
        if options is not None:
            found.append({**spec, "options": options})
    return found


def _filter_specs(target: Target) -> list[dict]:
    """The filters that can be, once per compiled entity; a lookup's choices come later."""
    view = views(target).list
    if view.filter_specs is None:
        specs = [_filter_spec(target, candidate) for candidate in filter_candidates(target.spec)]
        slow = set(unindexed_filters(target, [spec["name"] for spec in specs]))
        view.filter_specs = [
            {"lookup": None, **spec, "unindexed": spec["name"] in slow} for spec in specs
        ]
    return view.filter_specs


def _filter_spec(target: Target, candidate: str | FieldSpec) -> dict:
    if candidate == "status":
        options = [(s.name, s.label) for s in target.spec.statuses.states.values()]
        return {"name": "status", "label": "Status", "options": options}
    if candidate == "active":  # deactivated, not deleted: both kinds
        options = [("true", "Active"), ("false", "Inactive")]
        return {"name": "active", "label": system_label(target, "active"), "options": options}
    spec = {"name": candidate.name, "label": candidate.label}
    choices = candidate.type.filter_choices(candidate)
    if choices is not None:
        return {**spec, "options": choices}
    return {**spec, "lookup": candidate, "options": None}


def _lookup_options(target: Target, field: FieldSpec) -> list[tuple[str, str]] | None:
    choices = lookup_choices(target, field)
    return None if choices is None else [(str(k), str(title)) for k, title in choices]


def filters_html(target: Target, found: list[dict], chosen: dict[str, str]) -> Markup:
    """The filters' labelled selects, each with its chosen value selected."""
    macro = _macros().filter_select
    rendered = []
    for spec in found:
        render = _filter_render(target, spec, macro) if spec["name"] in _static(target) else None
        value = chosen.get(spec["name"])
        html = render(value) if render else None
        rendered.append(html if html is not None else macro(spec, value))
    return Markup("".join(f"\n  {html}\n  " for html in rendered))


def _static(target: Target) -> frozenset[str]:
    """The filters whose choices never change while the entity is compiled."""
    view = views(target).list
    if view.static_filters is None:
        view.static_filters = frozenset(s["name"] for s in _filter_specs(target) if not s["lookup"])
    return view.static_filters


def _filter_render(target: Target, spec: dict, macro: Any) -> prerender.Render | None:
    renders, key = views(target).list.filter_renders, (spec["name"], macro)
    if key not in renders:
        values = [value for value, _ in spec["options"]]
        renders[key] = prerender.by_option(values, lambda value: macro(spec, value))
    return renders[key]


def page_parts(
    target: Target, query: dict[str, Any], found: list[dict], can_write: bool
) -> dict[str, Any]:
    """What of the page follows from the query alone (and whether the user may write): its
    links, its head (title, search form, tools) and its table's head. Built once per
    compiled entity and query (wherever in the list the page is), unless a filter's
    choices come with the data."""
    macros = _macros()
    args = pager.page_args()
    key = (macros, urls.origin(), tuple(args.items()), can_write)
    cache = views(target).list.parts
    cached = cache.get(key)  # read once: another thread may drop it meanwhile
    if cached is not None:
        return cached
    links = _links(target, query["tenant"], query["entity"], args)
    sort = query["sort"]
    filters = filters_html(target, found, query["chosen"])
    parts = {
        "links": links,
        "head_html": macros.page_head(target.spec, query["q"], filters, sort, can_write, links),
        "thead_html": macros.table_head(columns(target), sort, links),
    }
    if all(spec["name"] in _static(target) for spec in found):
        cache[key] = parts
    return parts


def _links(target: Target, tenant: str, entity: str, args: dict[str, str]) -> dict:
    sort = args.get("sort") or ""
    here = {"tenant": tenant, "entity": entity}
    return {
        "new": url_for("pages.new", **here),
        "import": url_for("imports.upload", **here),
        "export": url_for("exports.csv", **here, **args),
        "xlsx": url_for("exports.xlsx", **here, **args),
        "json": url_for("exports.json", **here, **args),
        "template": url_for("exports.template", **here),
        "sort": [
            url_for("pages.list_page", **here, **dict(args, sort=_sorted_by(c, sort), offset=0))
            for c in columns(target)
        ],
    }


def columns(target: Target) -> list[FieldSpec]:
    """The fields the list shows: those marked in_list (system columns shown by a field
    too), else the title and four more; then the status, where the entity has statuses,
    and whether a record is active, where the entity is deactivated rather than deleted."""
    view = views(target).list
    if view.columns is None:
        shown = [f for f in target.spec.fields if (f.stored or f.system) and not f.hidden]
        chosen = [f for f in shown if f.in_list]
        if not chosen:
            stored = [f for f in shown if f.stored]
            title = [f for f in stored if f.name == target.spec.title_field]
            chosen = title + [f for f in stored if f not in title][:4]
        if target.spec.statuses and all(f.system != "status" for f in chosen):
            label = system_label(target, "status")  # where a record stands, by its label
            shown_as = SYSTEM_COLUMNS["status"].type.name
            chosen.append(FieldSpec("status", 0, label, shown_as, "", system="status"))
        if "active" in target.spec.system_columns and all(f.system != "active" for f in chosen):
            label = system_label(target, "active")
            shown_as = SYSTEM_COLUMNS["active"].type.name
            chosen.append(FieldSpec("active", 0, label, shown_as, "", system="active"))
        view.columns = chosen
    return view.columns


def _sorted_by(field: FieldSpec, sort: str) -> str:
    """A column header's sort: by the column, or the other way round when it is already."""
    name = column_name(field)
    return f"-{name}" if sort == name else name


def column_name(field: FieldSpec) -> str:
    """The column a list's field reads and sorts by: its own, or the system column it
    shows."""
    return field.system or field.name


def rows_html(target: Target, page: dict[str, Any], list_url: str) -> Markup:
    """The table's rows of a page of RecordService.list_table, the record's link on its
    title, where people look for the record's name.

    A row's HTML follows from its id, its values and the list's URL alone, unless a
    column shows a linked record's title, read again each time: so each rendered row is
    cached, per compiled entity, under exactly those, and a row whose values changed is
    a row not rendered yet. The rows of a whole page are cached too, under all of its
    ids and values (CACHE_PAGES), as the first page is asked for again and again."""
    shown, ids = columns(target), page["ids"]
    if any(c.lookup or c.currency_field for c in shown):
        return _rows_rendered(target, shown, page, list_url)
    macro = _macros().record_row
    values = [page["values"][column_name(c)] for c in shown]
    if not CACHE_PAGES:
        return _rows_cached(target, shown, page, list_url, macro, values)
    pages = views(target).list.pages
    try:
        key = (macro, list_url, tuple(ids), *map(tuple, values))
        found = pages.get(key)
    except TypeError:  # a value that cannot be a key (a multiple select's list)
        return _rows_rendered(target, shown, page, list_url)
    if found is None:
        found = pages[key] = _rows_cached(target, shown, page, list_url, macro, values)
    return found


def _rows_cached(
    target: Target, shown: list[FieldSpec], page: dict[str, Any], list_url: str, macro: Any,
    values: list[list[Any]],
) -> Markup:  # fmt: skip
    """The rows of the page, each from the entity's cache of rendered rows or rendered."""
    cache, ids = views(target).list.rows, page["ids"]
    keys = [(macro, list_url, *row) for row in zip(ids, *values, strict=True)]
    try:
        rows = [cache.get(key) for key in keys]
    except TypeError:  # a value that cannot be a key (a multiple select's list)
        return _rows_rendered(target, shown, page, list_url)
    missing = [place for place, row in enumerate(rows) if row is None]
    if missing:
        chosen = {"ids": [ids[p] for p in missing]}
        chosen["values"] = {
            column_name(c): [page["values"][column_name(c)][p] for p in missing] for c in shown
        }
        rendered = _rows_rendered(target, shown, chosen, list_url, each=True)
        for place, html in zip(missing, rendered, strict=True):
            rows[place] = cache[keys[place]] = html
    return Markup("".join(rows))


def _rows_rendered(
    target: Target, shown: list[FieldSpec], page: dict[str, Any], list_url: str, each: bool = False
) -> Any:
    """The rows rendered from their values: all in one Markup, or `each` row's on its own."""
    ids = page["ids"]
    if not shown:
        return _rows_by_macro(ids, [[] for _ in ids], list_url, 0, each)
    link_at = next((i for i, c in enumerate(shown) if c.name == target.spec.title_field), 0)
    # column by column, every cell's text (a moment's in its <time>, HTML already)
    texts = [_column_texts(target, c, page["values"]) for c in shown]
    texts = [
        _moments_html(target, c, page["values"][column_name(c)], column)
        for c, column in zip(shown, texts, strict=True)
    ]
    cells = [list(row) for row in zip(*texts, strict=True)]
    for row, record_id in zip(cells, ids, strict=True):
        row[link_at] = row[link_at] or f"#{record_id}"
    slots = _row_slots(target, len(shown), link_at)
    if slots is None:
        return _rows_by_macro(ids, cells, list_url, link_at, each)
    width = len(shown)
    # every plain text escaped in one pass; the moments' HTML as it is
    flat = [text for row in cells for text in row]
    plain = [place for place, text in enumerate(flat) if text.__class__ is str]
    for place, html in zip(plain, prerender.escaped_all([flat[p] for p in plain]), strict=True):
        flat[place] = html
    url_html = prerender.escaped(list_url)
    rows = [
        (f"{url_html}{record_id}", *flat[i * width : (i + 1) * width])
        for i, record_id in enumerate(ids)
    ]
    if each:
        return [slots.fill_many([row], "\n    ", "\n    ") for row in rows]
    return slots.fill_many(rows, "\n    ", "\n    ")


def _rows_by_macro(
    ids: list[int], cells: list[list[str]], list_url: str, link_at: int, each: bool = False
) -> Any:
    macro = _macros().record_row
    rendered = [
        Markup(f"\n    {macro(f'{list_url}{record_id}', row, link_at)}\n    ")
        for record_id, row in zip(ids, cells, strict=True)
    ]
    return rendered if each else Markup("".join(rendered))


def _row_slots(target: Target, count: int, link_at: int) -> prerender.Slots | None:
    macro = _macros().record_row
    slots = views(target).list.row_slots  # by macro: new macros, new pieces
    if macro not in slots:
        slots[macro] = prerender.text_slots(
            lambda url, *cells: macro(url, list(cells), link_at), 1 + count
        )
    return slots[macro]


def fetched_columns(target: Target) -> list[str]:
    """The columns a page of the list reads: those it shows, and the currency of each
    amount it shows in its record's currency."""
    listed = columns(target)
    shown = [column_name(c) for c in listed]
    currencies = [c.currency_field for c in listed if c.currency_field]
    return shown + [name for name in dict.fromkeys(currencies) if name not in shown]


def _column_texts(target: Target, field: FieldSpec, values: dict[str, list[Any]]) -> list[str]:
    """A shown column's texts, from the page's `values` by column."""
    if field.currency_field:
        return amounts_in(target, field, values[field.name], values[field.currency_field])
    return _cell_texts(target, field, values[column_name(field)])


def _cell_texts(target: Target, field: FieldSpec, values: list[Any]) -> list[str]:
    """A column's values as display() shows them; the way chosen once per compiled entity."""
    chosen = views(target).list.cell_texts
    if field.name not in chosen:
        chosen[field.name] = _choose_cell_texts(target, field)
    return chosen[field.name](values)


def _moments_html(
    target: Target, field: FieldSpec, values: list[Any], texts: list[str]
) -> list[Any]:
    """A column of moments (dates, date-times, times of day) as <time> elements; any other
    column's texts as they are."""
    if field.lookup or type(field.type).machine_text is InputType.machine_text:
        return texts  # no moment: no call per cell
    place = locality(target)
    machine = field.type.machine_text
    return [
        text if (stamp := machine(value, place)) is None else time_html(stamp, text)
        for value, text in zip(values, texts, strict=True)
    ]


_ACTIVE = {True: "Active", False: "Inactive"}


def _choose_cell_texts(target: Target, field: FieldSpec) -> Callable[[list[Any]], list[str]]:
    if field.lookup:  # the linked record's title, read now
        return lambda values: [display(target, field, value) for value in values]
    if field.system == "active":
        return lambda values: [_ACTIVE.get(value, "") for value in values]
    if field.system == "status" and target.spec.statuses:
        states = target.spec.statuses.states
        return lambda values: [states[v].label if v in states else v or "" for v in values]
    return field.type.list_texts(field, locality(target))


def _macros() -> Any:
    return chrome.macros("pages/list_parts.html")
