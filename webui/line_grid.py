"""A lines field's grid rendered from pieces cut once per compiled entity.

The lines macro (widgets.html) renders a grid: its head (legend, limits, column headers),
then one <tbody> per row (its index, its number, its cells' texts, its id and its
editor's HTML), then its foot. Rendered with no row and with one row of probe texts, its
HTML is cut into the head and foot around the rows and a row's pieces around its texts,
and checked against the macro's own HTML for other rows, hostile texts included
(webui.prerender); a request then only escapes each row's texts into place (a form
first shown writes them straight from its stored rows: webui.line_editor.lines_html). A
grid with an error, on itself or on a row, is rendered by its macro, as before. Which
of the child's fields a grid shows (grid_columns) and the words on the number of rows
it takes (rows_limits, in its head) are here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from engine.compile.layout import form_fields
from engine.records.target import Target
from engine.spec import FieldSpec
from webui import prerender
from webui.views import views

GRID_FALLBACK = 3  # the required fields a grid shows when nothing says which
_FIXED = 5  # a row's texts before its cells': index, copy list, number, id, editor
# The switch of the grids' pieces: False, every grid is rendered by the lines macro (the
# plain path, which tests/test_line_pieces.py compares them with).
REUSE_GRID = True


@dataclass(frozen=True)
class GridRenderer:
    """A lines field's grid without errors: its HTML before and after the rows, and a
    row's, cut around its texts."""

    head: str
    row: prerender.Slots
    foot: str

    def render(self, rows: list[dict]) -> Markup:
        """The grid of `rows` (webui.line_editor's, none with an error)."""
        return self.render_texts([row_texts(row) for row in rows])

    def render_texts(self, rows: list[tuple[str, ...]]) -> Markup:
        """The grid of rows given as their texts, escaped already (row_texts's)."""
        return Markup(self.row.joined_many(rows, head=self.head, foot=self.foot))


def row_texts(row: dict) -> tuple[str, ...]:
    """A row's texts as its grid row shows them, escaped: its index, the fields a copy
    leaves empty, its number, its id, its editor's HTML (escaped already), then each
    cell's text, or the dash where it is empty."""
    escaped, line_id = prerender.escaped, row["id"]
    return (
        escaped(row["index"]),
        escaped(row["no_copy"]),
        escaped(row["number"]),
        "" if not line_id else escaped(line_id),
        row["fields"],
        *[prerender.escaped_or_dash(cell["text"]) for cell in row["cells"]],
    )


def grid_columns(child: Target, line: FieldSpec) -> list[FieldSpec]:
    """The child's fields the grid shows, in the order of the child's form."""
    shown = [f for f in form_fields(child.spec) if f.name != line.lines.link and not f.lines]
    if line.lines.columns:
        by_name = {f.name: f for f in shown}
        return [by_name[name] for name in line.lines.columns if name in by_name]
    listed = [f for f in shown if f.in_list]
    return listed or [f for f in shown if f.required][:GRID_FALLBACK]


def grid_html(target: Target, item: dict, macros: Any) -> Markup:
    """The lines field's grid of `item` (webui.line_editor.lines_item's): from its pieces
    when neither it nor a row has an error, no row was asked to be open and no empty row
    is served apart (at max_rows), else by its macro."""
    renderer = None
    if (
        REUSE_GRID
        and item["error"] is None
        and item["blank"] is None
        and not any(row["errors"] or row["open"] for row in item["lines"]["rows"])
    ):
        renderer = _cached_renderer(target, item, macros)
    if renderer is None:
        return macros.lines(item)
    return renderer.render(item["lines"]["rows"])


def cut_renderer(target: Target, line: FieldSpec, macros: Any) -> GridRenderer | None:
    """The lines field's grid renderer where a form has cut it already, else None."""
    if not REUSE_GRID:
        return None
    return views(target).form.grid_renderers.get((macros, line.name))


def _cached_renderer(target: Target, item: dict, macros: Any) -> GridRenderer | None:
    """grid_drawer's answer for the item's lines field, once per compiled entity and
    widgets template."""
    renderers = views(target).form.grid_renderers
    key = (macros, item["spec"].name)
    if key not in renderers:
        renderers[key] = grid_renderer(item, macros)
    return renderers[key]


def grid_renderer(item: dict, macros: Any) -> GridRenderer | None:
    """The grid of the lines field of `item`, cut from its macro; None when the macro
    does not cut (it uses a row's texts in some other way)."""
    columns = item["lines"]["columns"]
    frame = {**item, "error": None, "blank": None, "lines": {"columns": columns, "rows": []}}

    def grid(*rows: tuple) -> str:
        rendered = [_probe_row(columns, texts) for texts in rows]
        return str(macros.lines({**frame, "lines": {"columns": columns, "rows": rendered}}))

    empty = grid()
    count = _FIXED + len(columns)
    one = grid(tuple(prerender.markers(count)))
    start = _common_prefix(empty, one)
    foot = empty[start:]  # what follows the head in the grid without rows
    if not one.endswith(foot):
        return None

    def one_row(*texts: str) -> Markup:
        html = grid(texts)
        return Markup(html[start : len(html) - len(foot)])

    row = prerender.repeated_slots(one_row, count, empty=False)
    if row is None:
        return None
    renderer = GridRenderer(empty[:start], row, foot)
    if not _agrees(renderer, grid, count):
        return None
    return renderer


def _probe_row(columns: list[FieldSpec], texts: tuple) -> dict:
    """A row for the lines macro holding `texts`: its editor's HTML given as the text it
    is escaped from (cut, it goes in escaped), so that both are checked alike."""
    index, no_copy, number, line_id, fields, *cells = texts
    return {
        "index": index,
        "id": line_id,
        "number": number,
        "cells": [
            {"name": spec.name, "label": spec.label, "text": text}
            for spec, text in zip(columns, cells, strict=True)
        ],
        "errors": [],
        "fields": escape(fields),
        "no_copy": no_copy,
        "open": False,
    }


def _agrees(renderer: GridRenderer, grid: Any, count: int) -> bool:
    """Whether the pieces render grids of two rows, and of none, as the macro does: a row
    of hostile texts, and a row of a new line (no id, nothing left out of a copy)."""
    hostile = tuple(f"<b title='x'>&amp; \"{i}\"</b>" for i in range(count))
    new = ("3", "", "2", "", "<p>", *["—"] * (count - _FIXED))
    rows = []
    for texts in (hostile, new):
        index, no_copy, number, line_id, fields, *cells = texts
        rows.append(
            {
                "index": index,
                "no_copy": no_copy,
                "number": number,
                "id": line_id,
                "fields": prerender.escaped(fields),
                "cells": [{"text": text} for text in cells],
            }
        )
    return renderer.render(rows) == grid(hostile, new) and renderer.render([]) == grid()


def _common_prefix(first: str, second: str) -> int:
    """The length of the text both begin with."""
    pairs = zip(first, second, strict=False)
    return next((at for at, (a, b) in enumerate(pairs) if a != b), min(len(first), len(second)))


def rows_limits(line: FieldSpec) -> str | None:
    """What the form says of the lines' min_rows and max_rows, where they have some."""
    least, most = line.lines.min_rows, line.lines.max_rows
    if least and most is not None:
        return f"{line.label} takes {least} to {_rows(most)}."
    if least:
        return f"{line.label} needs at least {_rows(least)}."
    if most is not None:
        return f"{line.label} takes at most {_rows(most)}."
    return None


def _rows(count: int) -> str:
    return f"{count} row{'s' if count != 1 else ''}"
