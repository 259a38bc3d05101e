"""A line row's editor drawn from pieces cut once per compiled entity.

A row's editor (webui.line_editor) is every field of the child drawn by the field_block
macro under the row's input names (`sites-0-city`), inside the groups macro. Drawn once
with probe texts in place of the row's index, its number and each field's value (or, for
a field shown read-only, its text), those macros' HTML is cut where the texts went and
checked against the macros' own HTML for other texts, hostile ones included
(webui.prerender); a row then only escapes its texts into place; a lookup's texts are
its value and the linked record's title. A field with an error, and a field whose macro
cannot be cut, are drawn by their macro on every row, as before.
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
from webui.display import display, locality, shown_text
from webui.forms import edit_text
from webui.views import views
from webui.widget_entries import lookup_draw, row_input_view

# The switch of the rows' pieces: False, every row's fields are drawn by their macros (the
# plain path, which tests/test_line_pieces.py compares them with).
REUSE_ROWS = True
PLACES = 256  # row places (index, number) per lines field whose pieces are kept bound
# a field's HTML for its value or text, escaped, at a row place; None: its macro's
ValueDraw = Callable[[Any], "str | None"]
# a field's draw at the row place (index, number): the pieces bound once per place
RowDraw = Callable[[str, str], ValueDraw]


@dataclass(frozen=True)
class RowField:
    """A field of the row's editor: editable or shown read-only, how it shows a stored
    value for editing, and how it is drawn from the row's texts (None: by its macro)."""

    spec: FieldSpec
    editable: bool
    text_of: Callable[[Any], Any]
    draw: RowDraw | None

    @functools.cached_property
    def stored_as(self) -> str:
        """The name of the row's stored value: a system column's, else the field's."""
        return self.spec.system or self.spec.name


@dataclass(frozen=True)
class RowDrawer:
    """A lines field's row editors: its fields in the editor's order, and the groups
    macro's HTML around them, for a stored row and for a new one (which leaves out the
    fields shown read-only); their pieces with a row place's index and number in place,
    by (index, number, stored)."""

    fields: tuple[RowField, ...]
    frames: dict[bool, prerender.Slots]  # by whether the row is stored
    places: BoundedCache = dataclasses.field(
        default_factory=lambda: BoundedCache(PLACES), compare=False
    )

    def draw(self, row: Any, field_html: Callable[[FieldSpec, bool], Markup]) -> Markup:
        """The row's editor (row: webui.line_editor's); `field_html` draws a field, editable
        or not, by its macro."""
        stored, typed, prefix = row.stored, row.typed, f"{row.line.name}-{row.index}-"
        key = (row.index, row.position, bool(stored))
        placed = self.places.get(key)
        if placed is None:
            placed = self.places[key] = self._place(*key)
        frame, shown = placed
        checked = bool(row.errors)  # no error anywhere on the form: none to look for
        htmls = []
        for field, spec, draw in shown:
            html = None
            if draw is not None and not (checked and row.error(spec) is not None):
                kept = stored.get(field.stored_as)
                if not field.editable:
                    html = draw(kept)
                elif typed and (typed_key := prefix + spec.name) in typed:
                    html = draw(typed[typed_key])
                else:
                    html = draw(field.text_of(kept))
            htmls.append(str(field_html(spec, field.editable)) if html is None else html)
        return Markup(frame.joined(*htmls))

    def _place(self, index: int, position: int, stored: bool) -> tuple:
        """The frame and each field's draw, with the row's index and number in place, of
        the fields a row (stored or new) shows."""
        texts = str(index), str(position + 1)
        shown = [
            (field, field.spec, None if field.draw is None else field.draw(*texts))
            for field in self.fields
            if field.editable or stored
        ]
        return self.frames[stored].bound(texts[0]), shown


def cached_row_drawer(
    target: Target, line: FieldSpec, members: Callable[[], list[tuple[dict, list]]],
    writable: set[str], macros: Any, field_item: Callable[..., dict],
) -> RowDrawer | None:  # fmt: skip
    """row_drawer's answer for the target's lines field, built once per compiled entity
    and widgets template (`members` answers the row's groups only then)."""
    drawers = views(target).form.row_drawers
    key = (macros, line.name)
    if key not in drawers:
        child = target.child(line)
        drawers[key] = row_drawer(child, line, members(), writable, macros, field_item)
    return drawers[key]


def row_drawer(
    child: Target, line: FieldSpec, members: list[tuple[dict, list]], writable: set[str],
    macros: Any, field_item: Callable[..., dict],
) -> RowDrawer | None:  # fmt: skip
    """The row editors of `line`, from the child's groups with (field, widget entry) of
    their `members`; None when the groups macro cannot be cut."""
    place = locality(child)
    fields = []
    for _, group_members in members:
        for spec, view in group_members:
            editable = spec.name in writable
            build = _value_draw if editable else _shown_draw
            draw = build(child, line, spec, view, macros, field_item)
            fields.append(RowField(spec, editable, edit_text(spec, place), draw))
    frames = {}
    for stored in (True, False):
        frame = _frame(line, members, writable, stored, macros)
        if frame is None:
            return None
        frames[stored] = frame
    return RowDrawer(tuple(fields), frames)


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


def _value_draw(
    child: Target, line: FieldSpec, spec: FieldSpec, view: dict, macros: Any,
    field_item: Callable[..., dict],
) -> RowDraw | None:  # fmt: skip
    """How an editable field is drawn from its value: escaped into place when its macro
    writes it as text, else the macro's HTML for its truth or its option, cut around the
    row's index and number."""
    macro = _field_macro(child, line, spec, view, macros, field_item, editable=True)
    if spec.lookup:
        return _lookup_draw(child, spec, macro)
    use = spec.type.value_use
    if use is None:
        return None  # its HTML changes with more than the value
    if use == "text":
        slots = prerender.repeated_slots(macro, 3)
        if slots is None:
            return None
        escaped = prerender.escaped

        def text_at(index: str, number: str) -> ValueDraw:
            placed = slots.bound(index, number)

            def draw_text(value: Any) -> str | None:
                if value.__class__ is not str:
                    return None
                return placed.joined(escaped(value))

            return draw_text

        return text_at
    return _chosen_draw(use, spec, view, macro)


def _lookup_draw(child: Target, spec: FieldSpec, macro: Callable[..., Markup]) -> RowDraw | None:
    """How a lookup is drawn from its value: the value and the title of the record it
    names escaped into place, cut from the macro with a title and without one."""
    untitled = prerender.repeated_slots(lambda i, n, value: macro(i, n, value, ""), 3)
    titled = prerender.repeated_slots(macro, 4, empty=False)  # no title: another HTML
    if untitled is None or titled is None:
        return None

    def lookup_at(index: str, number: str) -> ValueDraw:
        return lookup_draw(child, spec, untitled.bound(index, number), titled.bound(index, number))

    return lookup_at


def _chosen_draw(use: str, spec: FieldSpec, view: dict, macro: Callable) -> RowDraw | None:
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

    def chosen_at(index: str, number: str) -> ValueDraw:
        placed = {html: slots.joined(index, number) for html, slots in variants.items()}

        def draw_chosen(value: Any) -> str | None:
            html = choose(value)
            return None if html is None else placed.get(str(html))

        return draw_chosen

    return chosen_at


def _shown_draw(
    child: Target, line: FieldSpec, spec: FieldSpec, view: dict, macros: Any,
    field_item: Callable[..., dict],
) -> RowDraw | None:  # fmt: skip
    """How a field shown read-only is drawn from its stored value: its text as the page
    shows it (or a dash for none), escaped into place."""
    macro = _field_macro(child, line, spec, view, macros, field_item, editable=False)
    slots = prerender.repeated_slots(macro, 3, empty=False)  # nothing shows as a dash
    if slots is None:
        return None
    escaped = prerender.escaped
    if spec.lookup:  # a linked record's title: read for each page

        def linked_at(index: str, number: str) -> ValueDraw:
            placed = slots.bound(index, number)
            return lambda value: placed.joined(escaped(display(child, spec, value) or "—"))

        return linked_at
    # any other value's text depends on the value alone: each written once per entity
    written = shown_text(child, spec)

    def text_of(value: Any) -> str:
        return escaped(written(value, None) or "—")

    def shown_at(index: str, number: str) -> ValueDraw:
        placed = slots.bound(index, number)
        return lambda value: placed.joined(text_of(value))

    return shown_at


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
        drawn = []
        for (group, _), specs in zip(members, shown, strict=True):
            if specs:
                code = f"{line.name}-{index}-{group['code']}"
                # a field's HTML as the text it is escaped from: cut, it goes in escaped
                fields_html = [{"html": escape(next(fields))} for _ in specs]
                section = {"code": code, "layout": "section", "tab_set": None}
                drawn.append({**group, **section, "fields": fields_html, "collapsed": False})
        return macros.groups(drawn)

    return prerender.repeated_slots(groups, 1 + count, empty=False)  # a field is never empty
