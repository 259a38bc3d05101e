"""A line row's editor drawn from pieces cut once per compiled entity.

A row's editor (webui.line_editor) is every field of the child drawn by the field_block
macro under the row's input names (`sites-0-city`), inside the groups macro. Drawn once
with probe texts in place of the row's index, its number and each field's value (or, for
a field shown read-only, its text), those macros' HTML is cut where the texts went and
checked against the macros' own HTML for other texts, hostile ones included
(webui.prerender); a row then only escapes its texts into place. A field whose HTML
changes with the data (a lookup: its choices, the linked title), a field with an error,
and a field whose macro cannot be cut are drawn by their macro on every row, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from engine.records.target import Target
from engine.spec import FieldSpec
from webui import prerender
from webui.display import display, locality
from webui.forms import edit_text
from webui.views import views
from webui.widget_entries import row_input_view

# a field's HTML for (value or text, row index, row number), escaped; None: its macro's
RowDraw = Callable[[Any, str, str], "str | None"]


@dataclass(frozen=True)
class RowField:
    """A field of the row's editor: editable or shown read-only, how it shows a stored
    value for editing, and how it is drawn from the row's texts (None: by its macro)."""

    spec: FieldSpec
    editable: bool
    text_of: Callable[[Any], Any]
    draw: RowDraw | None


@dataclass(frozen=True)
class RowDrawer:
    """A lines field's row editors: its fields in the editor's order, and the groups
    macro's HTML around them, for a stored row and for a new one (which leaves out the
    fields shown read-only)."""

    fields: tuple[RowField, ...]
    frames: dict[bool, prerender.Slots]  # by whether the row is stored

    def draw(self, row: Any, field_html: Callable[[FieldSpec, bool], Markup]) -> Markup:
        """The row's editor (row: webui.line_editor's); `field_html` draws a field, editable
        or not, by its macro."""
        index, number = str(row.index), str(row.position + 1)
        stored, typed, prefix = row.stored, row.typed, f"{row.line.name}-{row.index}-"
        htmls = []
        for field in self.fields:
            if not field.editable and not stored:
                continue
            spec = field.spec
            html = None
            if field.draw is not None and row.error(spec) is None:
                key = prefix + spec.name
                kept = stored.get(spec.system or spec.name)
                if not field.editable:
                    html = field.draw(kept, index, number)
                elif key in typed:
                    html = field.draw(typed[key], index, number)
                else:
                    html = field.draw(field.text_of(kept), index, number)
            htmls.append(str(field_html(spec, field.editable)) if html is None else html)
        return self.frames[bool(stored)].fill_escaped(index, *htmls)


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
) -> Callable[[str, str, Any], Markup]:  # fmt: skip
    """The field_block macro of the field as the input of the row (index, number), for a
    value; a field shown read-only shows that value as its text."""

    def macro(index: str, number: str, value: Any) -> Markup:
        named = row_input_view(view, f"{line.name}-{index}-{spec.name}", line.label, number)
        item = field_item(child, spec, named, value, None, editable, None)
        if not editable:
            item = {**item, "display": value}
        return macros.field_block(item)

    return macro


def _value_draw(
    child: Target, line: FieldSpec, spec: FieldSpec, view: dict, macros: Any,
    field_item: Callable[..., dict],
) -> RowDraw | None:  # fmt: skip
    """How an editable field is drawn from its value: escaped into place when its macro
    writes it as text, else the macro's HTML for its truth or its option, cut around the
    row's index and number."""
    use = spec.type.value_use
    if use is None or spec.lookup:
        return None  # its HTML changes with more than the value
    macro = _field_macro(child, line, spec, view, macros, field_item, editable=True)
    if use == "text":
        slots = prerender.repeated_slots(macro, 3)
        if slots is None:
            return None
        escaped = prerender.escaped

        def draw_text(value: Any, index: str, number: str) -> str | None:
            if value.__class__ is not str:
                return None
            return slots.fill_escaped(index, number, escaped(value))

        return draw_text
    return _chosen_draw(use, spec, view, macro)


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

    def draw_chosen(value: Any, index: str, number: str) -> str | None:
        html = choose(value)
        slots = None if html is None else variants.get(str(html))
        return None if slots is None else slots.fill_escaped(index, number)

    return draw_chosen


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

    def draw_shown(value: Any, index: str, number: str) -> str:
        text = display(child, spec, value) or "—"
        return slots.fill_escaped(index, number, escaped(text))

    return draw_shown


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
