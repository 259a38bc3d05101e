"""A line row's editor rendered from pieces cut once per compiled entity.

A row's editor (webui.line_editor) is every field of the child rendered by the field_block
macro under the row's input names (`sites-0-city`), inside the groups macro. Rendered once
with probe texts in place of the row's index, its number and each field's value (or, for
a field shown read-only, its text), those macros' HTML is cut where the texts went and
checked against the macros' own HTML for other texts, hostile ones included
(webui.prerender); a row then only escapes its texts into place; a lookup's texts are
its value and the linked record's title. A field with an error, and a field whose macro
cannot be cut, are rendered by their macro on every row, as before.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from engine.caching import BoundedCache
from engine.records.target import Target
from engine.spec import FieldSpec
from webui import prerender
from webui.display import display, locality, lookup_title, page_title, shown_text
from webui.forms import edit_text
from webui.page_links import PageLinks, page_links
from webui.views import views
from webui.widget_entries import lookup_render, row_input_view

# The switch of the rows' pieces: False, every row's fields are rendered by their macros (the
# plain path, which tests/test_line_pieces.py compares them with).
REUSE_ROWS = True
# The switch of the empty fields' HTML: False, a field holding nothing is rendered from its
# texts on every row like any other (the plain path, which tests/test_row_nones.py
# compares it with); True, once per row place and field.
REUSE_NONES = True
_UNASKED = object()  # the page's links, not looked up yet
PLACES = 256  # row places (index, number) per lines field whose pieces are kept bound
# a field's text of its value (escaped) at a row place, or its whole HTML where the field
# is not rendered as one text between two pieces; None: its macro renders it
ValueRender = Callable[[Any], "str | None"]


@dataclass(frozen=True)
class FieldAt:
    """A field's HTML at a row place: `text`'s answer for a value between `before` and
    `after` (both empty where `text` answers the whole HTML)."""

    before: str
    after: str
    text: ValueRender
    # whether the text of a value is the same for every row of a page (a linked record's
    # title, shown read-only): written once per page and value, `text` then taking the
    # page's links (webui.page_links) beside the value
    per_page: bool = False


# a field's render at the row place (index, number): its pieces bound once per place
RowRender = Callable[[str, str], FieldAt]


@dataclass(frozen=True)
class RowField:
    """A field of the row's editor: editable or shown read-only, how it shows a stored
    value for editing, and how it is rendered from the row's texts (None: by its macro)."""

    spec: FieldSpec
    editable: bool
    text_of: Callable[[Any], Any]
    render: RowRender | None

    @functools.cached_property
    def stored_as(self) -> str:
        """The name of the row's stored value: a system column's, else the field's."""
        return self.spec.system or self.spec.name


@dataclass(frozen=True)
class RowRenderer:
    """A lines field's row editors: its fields in the editor's order, and the groups
    macro's HTML around them, for a stored row and for a new one (which leaves out the
    fields shown read-only); at a row place, the whole row's pieces in one list with a
    gap for each field's text, by (index, number, stored)."""

    fields: tuple[RowField, ...]
    frames: dict[bool, prerender.Slots]  # by whether the row is stored
    places: BoundedCache = dataclasses.field(
        default_factory=lambda: BoundedCache(PLACES), compare=False
    )

    def kept_new_row(self, index: int) -> Markup | None:
        """The editor of a new row at `index` (its position too), nothing typed and no
        error on the form, where render has kept it whole; else None."""
        placed = self.places.get((index, index, False)) if REUSE_NONES else None
        whole = placed[2].get(None) if placed is not None else None
        return None if whole is None else Markup(whole)

    def render(
        self, row: Any, field_html: Callable[[FieldSpec, bool], Markup], page: dict | None = None
    ) -> Markup:
        """The row's editor (row: webui.line_editor's); `field_html` renders a field, editable
        or not, by its macro. `page` keeps, for the page's other rows, the texts of linked
        records' titles written for this one."""
        stored, typed, prefix = row.stored, row.typed, f"{row.line.name}-{row.index}-"
        key = (row.index, row.position, bool(stored))
        placed = self.places.get(key)
        if placed is None:
            placed = self.places[key] = self._place(*key)
        pieces, shown, nones = placed
        parts, links = pieces.copy(), _UNASKED
        checked = bool(row.errors)  # no error anywhere on the form: none to look for
        # a field holding nothing, nothing typed and no error on the form: its HTML at this
        # place is the same on every page (most of a row's fields, and all of a new row's)
        blank = REUSE_NONES and not typed and not checked
        if blank and not stored and (whole := nones.get(None)) is not None:
            return Markup(whole)  # a new row, each of its fields kept: kept whole
        for at, spec, text, per_page, name, editable, text_of in shown:
            html = None
            if text is not None and not (checked and row.error(spec) is not None):
                kept = stored.get(name)
                if kept is None and blank:
                    html = nones.get(at)
                    if html is None:
                        html = text(None) if not editable else text(text_of(None))
                        if html is not None and not spec.currency_field:
                            nones[at] = html
                elif per_page and page is not None and kept.__class__ is int:
                    html = page.get((spec.name, kept))
                    if html is None:
                        if links is _UNASKED:  # asked once a row, not once a field
                            links = page_links()
                        html = page[spec.name, kept] = text(kept, links)
                elif not editable:
                    html = text(kept)
                elif typed and (typed_key := prefix + spec.name) in typed:
                    html = text(typed[typed_key])
                else:
                    html = text(text_of(kept))
            if html is None:  # rendered whole by its macro, without the pieces around its text
                parts[at - 1] = parts[at + 1] = ""
                html = str(field_html(spec, editable))
            parts[at] = html
        rendered = "".join(parts)
        if blank and not stored and len(nones) == len(shown):
            nones[None] = rendered
        return Markup(rendered)

    def _place(self, index: int, position: int, stored: bool) -> tuple[list, list, dict]:
        """The row's pieces, with the row's index and number in place, of the fields a row
        (stored or new) shows: the frame's and each field's around its text, in one list
        with a gap (None) for each text; each field with the place of its gap; and, filled
        as they are rendered, the texts of the fields holding nothing, by that place (and a
        new row's whole HTML under None, once each of its fields is kept)."""
        texts = str(index), str(position + 1)
        frame = self.frames[stored].bound(texts[0])
        pieces, shown = [frame.pieces[0]], []
        rendered = (field for field in self.fields if field.editable or stored)
        for field, after_field in zip(rendered, frame.pieces[1:], strict=True):
            at = field.render and field.render(*texts)
            text, per_page = (at.text, at.per_page) if at else (None, False)
            # what the row's loop reads of the field, in the order it reads them
            read = (field.spec, text, per_page, field.stored_as, field.editable, field.text_of)
            shown.append((len(pieces) + 1, *read))
            pieces += (at.before if at else "", None, at.after if at else "", after_field)
        return pieces, shown, {}


def cut_row_renderer(target: Target, line: FieldSpec, macros: Any) -> RowRenderer | None:
    """The lines field's row renderer where a form has cut it already, else None."""
    return views(target).form.row_renderers.get((macros, line.name))


def cached_row_renderer(
    target: Target, line: FieldSpec, members: Callable[[], list[tuple[dict, list]]],
    writable: set[str], macros: Any, field_item: Callable[..., dict],
) -> RowRenderer | None:  # fmt: skip
    """row_drawer's answer for the target's lines field, built once per compiled entity
    and widgets template (`members` answers the row's groups only then)."""
    renderers = views(target).form.row_renderers
    key = (macros, line.name)
    if key not in renderers:
        child = target.child(line)
        renderers[key] = row_renderer(child, line, members(), writable, macros, field_item)
    return renderers[key]


def row_renderer(
    child: Target, line: FieldSpec, members: list[tuple[dict, list]], writable: set[str],
    macros: Any, field_item: Callable[..., dict],
) -> RowRenderer | None:  # fmt: skip
    """The row editors of `line`, from the child's groups with (field, widget entry) of
    their `members`; None when the groups macro cannot be cut."""
    place = locality(child)
    fields = []
    for _, group_members in members:
        for spec, view in group_members:
            editable = spec.name in writable
            build = _value_render if editable else _shown_render
            render = build(child, line, spec, view, macros, field_item)
            fields.append(RowField(spec, editable, edit_text(spec, place), render))
    frames = {}
    for stored in (True, False):
        frame = _frame(line, members, writable, stored, macros)
        if frame is None or not _fields_in_order(frame):
            return None
        frames[stored] = frame
    return RowRenderer(tuple(fields), frames)


def _field_macro(
    child: Target, line: FieldSpec, spec: FieldSpec, view: dict, macros: Any,
    field_item: Callable[..., dict], editable: bool,
) -> Callable[..., Markup]:  # fmt: skip
    """The field_block macro of the field as the input of the row (index, number), for a
    value (a lookup's, with the linked record's `title` given); a field shown read-only
    shows that value as its text."""

    def macro(index: str, number: str, value: Any, title: str | None = None) -> Markup:
        named = row_input_view(view, f"{line.name}-{index}-{spec.name}", line.label, number)
        item = field_item(child, spec, named, value, None, editable, None)
        if not editable:
            item = {**item, "display": value}
        if title is not None:
            item = {**item, "entry": {**item["entry"], "title": title}}
        return macros.field_block(item)

    return macro


def _value_render(
    child: Target, line: FieldSpec, spec: FieldSpec, view: dict, macros: Any,
    field_item: Callable[..., dict],
) -> RowRender | None:  # fmt: skip
    """How an editable field is rendered from its value: escaped into place when its macro
    writes it as text, else the macro's HTML for its truth or its option, cut around the
    row's index and number."""
    macro = _field_macro(child, line, spec, view, macros, field_item, editable=True)
    if spec.lookup:
        return _lookup_render(child, spec, macro)
    use = spec.type.value_use
    if use is None and spec.type.holds_lists:
        return _listed_render(macro)
    if use is None:
        return None  # its HTML changes with more than the value
    if use == "text":
        slots = prerender.repeated_slots(macro, 3)
        if slots is None:
            return None

        def text_at(index: str, number: str) -> FieldAt:
            return around(slots.bound(index, number), _text_escaped)

        return text_at
    return _chosen_render(use, spec, view, macro)


def _listed_render(macro: Callable[..., Markup]) -> RowRender:
    """How a field whose value is a list of options is rendered: its macro's HTML for each
    list (or text) at each row place, kept once rendered, as it follows from them alone."""
    rendered: BoundedCache = BoundedCache(PLACES)

    def listed_at(index: str, number: str) -> FieldAt:
        def render_listed(value: Any) -> str | None:
            key = _list_key(value)
            if key is None:
                return None
            found = rendered.get((index, number, key))
            if found is None:
                found = rendered[index, number, key] = str(macro(index, number, value))
            return found

        return FieldAt("", "", render_listed)

    return listed_at


def _list_key(value: Any) -> tuple | None:
    """What tells a list of texts (or a text, or nothing) from any other as the macro
    compares options with it; None for a value of another kind."""
    if value is None or value.__class__ is str:
        return (value.__class__, value)
    if value.__class__ in (list, tuple) and all(item.__class__ is str for item in value):
        return (list, *value)
    return None


def _lookup_render(
    child: Target, spec: FieldSpec, macro: Callable[..., Markup]
) -> RowRender | None:
    """How a lookup is rendered from its value: the value and the title of the record it
    names escaped into place, cut from the macro with a title and without one."""
    untitled = prerender.repeated_slots(lambda i, n, value: macro(i, n, value, ""), 3)
    titled = prerender.repeated_slots(macro, 4, empty=False)  # no title: another HTML
    if untitled is None or titled is None:
        return None

    def lookup_at(index: str, number: str) -> FieldAt:
        placed = untitled.bound(index, number), titled.bound(index, number)
        return FieldAt("", "", lookup_render(child, spec, *placed))

    return lookup_at


def _chosen_render(use: str, spec: FieldSpec, view: dict, macro: Callable) -> RowRender | None:
    """A checkbox's or a select's HTML, one per truth or option chosen, each cut around
    the row's index and number and checked against the macro for other ones."""
    options = [value for value, _, _ in view["option_tags"]]
    marks = prerender.markers(2)
    choose = prerender.prerendered(use, options, lambda value: macro(*marks, value))
    if choose is None:
        return None
    samples = [True, False] if use == "truth" else [*options, None]
    variants: dict[str, prerender.Slots] = {}
    for value in samples:
        found = prerender.cut_repeated(str(choose(value)), marks)
        slots = prerender.Slots(tuple(found[0]), tuple(found[1]))
        if str(macro("7", "8", value)) != slots.fill("7", "8"):
            return None
        variants[str(choose(value))] = slots

    def chosen_at(index: str, number: str) -> FieldAt:
        placed = {html: slots.joined(index, number) for html, slots in variants.items()}

        def render_chosen(value: Any) -> str | None:
            html = choose(value)
            return None if html is None else placed.get(str(html))

        return FieldAt("", "", render_chosen)

    return chosen_at


def _shown_render(
    child: Target, line: FieldSpec, spec: FieldSpec, view: dict, macros: Any,
    field_item: Callable[..., dict],
) -> RowRender | None:  # fmt: skip
    """How a field shown read-only is rendered from its stored value: its text as the page
    shows it (or a dash for none), escaped into place."""
    macro = _field_macro(child, line, spec, view, macros, field_item, editable=False)
    slots = prerender.repeated_slots(macro, 3, empty=False)  # nothing shows as a dash
    if slots is None:
        return None
    escaped_or_dash = prerender.escaped_or_dash
    if spec.lookup:  # a linked record's title: read for each page
        tenant = child.tenant.spec.name

        def title_of(value: Any, links: PageLinks | None = None) -> str:
            if value.__class__ is not int:
                return escaped_or_dash(display(child, spec, value))
            # a stored link: display's answer, without asking it
            if links is None:
                return escaped_or_dash(lookup_title(tenant, spec, value))
            return escaped_or_dash(page_title(links, tenant, spec, value))

        return lambda index, number: around(slots.bound(index, number), title_of, per_page=True)
    # any other value's text depends on the value alone: each written once per entity
    written = shown_text(child, spec)

    def text_of(value: Any) -> str:
        return escaped_or_dash(written(value, None))

    return lambda index, number: around(slots.bound(index, number), text_of)


def around(placed: prerender.Slots, text: ValueRender, per_page: bool = False) -> FieldAt:
    """A field at a row place rendered as `placed` with `text`'s answer in place: the two
    pieces around it, where the text goes in once, else the whole HTML."""
    if len(placed.pieces) == 2:
        return FieldAt(placed.pieces[0], placed.pieces[1], text, per_page)

    def whole(value: Any) -> str | None:
        found = text(value)
        return None if found is None else placed.joined(found)

    return FieldAt("", "", whole)


def _text_escaped(value: Any) -> str | None:
    """A value typed or shown for editing, escaped; None for one that is no text."""
    return prerender.escaped(value) if value.__class__ is str else None


def _fields_in_order(frame: prerender.Slots) -> bool:
    """Whether the frame, its row's index in place, holds each field once, in order."""
    order = frame.bound("0").order
    return order == tuple(range(len(order)))


def _frame(
    line: FieldSpec, members: list[tuple[dict, list]], writable: set[str], stored: bool,
    macros: Any,
) -> prerender.Slots | None:  # fmt: skip
    """The groups macro's HTML around a row's fields, cut around the row's index and each
    field's HTML."""
    shown = [
        [spec for spec, _ in group_members if stored or spec.name in writable]
        for _, group_members in members
    ]
    count = sum(map(len, shown))

    def groups(index: str, *htmls: Any) -> Markup:
        fields = iter(htmls)
        rendered = []
        for (group, _), specs in zip(members, shown, strict=True):
            if specs:
                code = f"{line.name}-{index}-{group['code']}"
                # a field's HTML as the text it is escaped from: cut, it goes in escaped
                fields_html = [{"html": escape(next(fields))} for _ in specs]
                section = {"code": code, "layout": "section", "tab_set": None}
                rendered.append({**group, **section, "fields": fields_html, "collapsed": False})
        return macros.groups(rendered)

    return prerender.repeated_slots(groups, 1 + count, empty=False)  # a field is never empty
