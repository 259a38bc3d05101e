"""A lines field on a form: a compact grid of its rows, each row with an editor that lays
out every field of the child by group and sequence, as the parent form does.

The grid shows a few columns: the lines declaration's `columns`, else the child's
`in_list` fields, else its first required fields. Each row's editor is a <details>
below its grid row: a new row's holds every field, a stored row's is served closed
(webui.closed_rows) and its fields come when it is opened, from pages.row_fields
(stored_row_editor), or, without JavaScript, in the form served again with that row
open; formwork.js adds the row buttons (add, copy, move, remove). Inputs
keep the names the server reads (`sites-0-customer_site_name`), and the editor's fields
are rendered by the same field_block and groups macros as the parent form's, mostly from
pieces of their HTML cut once per compiled entity (webui.row_rendering); the grid, from
the lines macro's (webui.line_grid). A form first shown (nothing typed, no error) writes
its grids straight from the stored rows (lines_html). A row's place, values and layout
are webui.line_rows'.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup

from engine.records.target import Target
from engine.spec import FieldSpec
from webui import closed_rows, line_grid, prerender, row_rendering, urls
from webui.display import display, locality, shown_text
from webui.forms import Submission
from webui.line_rows import FieldRendering, Row, RowEntries, RowLayout, row_layout
from webui.page_links import read_links, remember_records
from webui.views import views as entity_views

# The switch of the first view's grid: False, a form first shown builds every row's item
# for line_grid, as a form shown again does (the plain path, which
# tests/test_line_pieces.py compares it with).
FIRST_VIEW = True
# The switch of the narrow read of stored rows: False, an edit form reads every column
# of its lines, as the record's own read does (the plain path, which
# tests/test_narrow_rows.py compares it with).
NARROW_ROWS = True


def lines_item(
    target: Target,
    line: FieldSpec,
    entry: dict,
    values: dict,
    submission: Submission,
    errors: dict[str, str],
    macros: Any,
    rendering: FieldRendering,
) -> dict:
    """What the lines macro renders: the grid's columns, and each row (those typed or
    stored, then one empty row to fill unless max_rows are there, when it is the
    `blank` row instead) with its cells, problems and editor, and the words on the
    number of rows allowed."""
    child = target.child(line)
    layout = row_layout(target, child, line)
    writable, columns = layout.writable, layout.columns
    typed_rows = submission.typed.get(f"{line.name}-rows")
    stored_rows = values.get(line.name, []) or []
    if typed_rows is not None:  # a form shown again: each typed row with its stored line
        by_id = {str(row.get("id")): row for row in stored_rows}
        sources = [
            (index, by_id.get(str(submission.typed.get(f"{line.name}-{index}-id"))))
            for index in typed_rows
        ]
    else:
        sources = list(enumerate(stored_rows))
    blank = max((index for index, _ in sources), default=-1) + 1
    limit = line.lines.max_rows
    # at max_rows no empty row is served to fill, but formwork.js still needs one to add
    # after a removal: it is served apart, in a <template>
    full = limit is not None and len(sources) >= limit
    place = locality(child)  # how the tenant's people write numbers and moments
    entries = RowEntries(child, layout, rendering)
    renderer = None
    if row_rendering.REUSE_ROWS:
        renderer = row_rendering.cached_row_renderer(
            target, line, entries.views, writable, macros, rendering.field_item
        )
    titles: dict = {}  # the linked records' titles written for one row, for the others
    typed_in = closed_rows.typed_rows(submission.typed, line)
    edit_url = _edit_url(target, values) if stored_rows else ""

    def row_item(position: int, index: int, stored: dict | None) -> dict:
        row = Row(line, index, position, stored, submission, errors, place)
        problems = row.problems()
        asked = (
            stored is not None and closed_rows.opened_key(line, row.line_id) in submission.opened
        )
        if stored and not problems and not asked and index not in typed_in and edit_url:
            url = closed_rows.row_url(edit_url, line, row.line_id)
            fields = closed_rows.closed_html(
                target, line, index, position + 1, url, row.line_id, macros
            )
        else:
            fields = _row_fields(child, entries, writable, row, macros, rendering, renderer, titles)
        return {
            "index": index,
            "number": position + 1,
            "id": row.line_id,
            "cells": [_cell(child, spec, row) for spec in columns],
            "errors": problems,
            "fields": fields,
            "no_copy": layout.no_copy,
            "open": asked,
        }

    empty = [] if full else [(blank, None)]
    rows = [row_item(at, index, stored) for at, (index, stored) in enumerate([*sources, *empty])]
    return {
        "entry": entry,
        "spec": line,
        "lines": {"columns": columns, "rows": rows},
        "blank": row_item(len(sources), blank, None) if full else None,
        "error": errors.get(line.name),
        "limits": line_grid.rows_limits(line),
    }


def lines_html(
    target: Target, line: FieldSpec, entry: dict, values: dict, submission: Submission,
    errors: dict[str, str], macros: Any, rendering: FieldRendering,
) -> Markup:  # fmt: skip
    """The lines field's grid on the form: line_grid's HTML of lines_item's item, or,
    for a form first shown, the same HTML written straight from the grid's pieces."""
    if FIRST_VIEW and not (submission.typed or submission.opened or errors):
        found = _first_view_html(target, line, values, submission, macros, rendering)
        if found is not None:
            return found
    item = lines_item(target, line, entry, values, submission, errors, macros, rendering)
    return line_grid.grid_html(target, item, macros)


def _first_view_html(
    target: Target, line: FieldSpec, values: dict, submission: Submission, macros: Any,
    rendering: FieldRendering,
) -> Markup | None:  # fmt: skip
    """The grid as a form first shown has it (nothing typed, no error, no row asked to
    open): each stored row closed, its texts written into the grid's row pieces with no
    row item between, then lines_item's empty row. None where that grid is not the one
    to show (at max_rows, or a record not stored yet with rows) or its pieces are not
    cut yet (lines_item's first grid cuts them)."""
    stored_rows = values.get(line.name) or []
    limit = line.lines.max_rows
    grid = line_grid.cut_renderer(target, line, macros)
    full = limit is not None and len(stored_rows) >= limit
    edit_url = _edit_url(target, values) if stored_rows else ""
    if grid is None or full or (stored_rows and not edit_url):
        return None
    child = target.child(line)
    layout = row_layout(target, child, line)
    no_copy = prerender.escaped(layout.no_copy)
    texts = _closed_texts(target, child, line, layout, no_copy, stored_rows, edit_url, macros)
    if texts is None:
        return None
    blank = len(stored_rows)
    fields = _new_row_fields(target, child, line, layout, blank, submission, macros, rendering)
    dashes = [prerender.DASH] * len(layout.columns)
    texts.append((str(blank), no_copy, str(blank + 1), "", fields, *dashes))
    return grid.render_texts(texts)


def _closed_texts(
    target: Target, child: Target, line: FieldSpec, layout: RowLayout, no_copy: str,
    stored_rows: list, edit_url: str, macros: Any,
) -> list[tuple[str, ...]] | None:  # fmt: skip
    """Each stored row's texts for its grid row, served closed (`no_copy` escaped
    already); None where a row has no id (it cannot be opened by its URL)."""
    if not stored_rows:
        return []
    texts = []
    closed = closed_rows.closed_writer(target, line, macros)
    cells_of = [(spec.system or spec.name, shown_text(child, spec)) for spec in layout.columns]
    for position, stored in enumerate(stored_rows):
        line_id = stored.get("id")
        if not line_id:
            return None
        url = closed_rows.row_url(edit_url, line, line_id)
        cells = [_stored_cell(stored.get(name), text) for name, text in cells_of]
        number = str(position + 1)
        fields = closed(position, position + 1, url, line_id)
        texts.append((str(position), no_copy, number, prerender.escaped(line_id), fields, *cells))
    return texts


def _new_row_fields(
    target: Target, child: Target, line: FieldSpec, layout: RowLayout, index: int,
    submission: Submission, macros: Any, rendering: FieldRendering,
) -> Markup:  # fmt: skip
    """The editor of the empty row at `index` of a form first shown: as its row renderer
    kept it, else rendered as lines_item renders it."""
    renderer = None
    if row_rendering.REUSE_ROWS:
        renderer = row_rendering.cut_row_renderer(target, line, macros)
        kept = renderer.kept_new_row(index) if renderer is not None else None
        if kept is not None:
            return kept
    entries = RowEntries(child, layout, rendering)
    if row_rendering.REUSE_ROWS:
        renderer = row_rendering.cached_row_renderer(
            target, line, entries.views, layout.writable, macros, rendering.field_item
        )
    row = Row(line, index, index, None, submission, {}, locality(child))
    return _row_fields(child, entries, layout.writable, row, macros, rendering, renderer, {})


def _stored_cell(value: Any, text: Callable[[Any, dict | None], str]) -> str:
    """A closed stored row's grid cell, escaped: _cell's text of its stored `value` (the
    field's display.shown_text gives display's), or the dash."""
    if value in (None, ""):
        return prerender.DASH
    return prerender.escaped_or_dash(text(value, None))


def closed_row_columns(target: Target) -> dict[str, tuple[str, ...]] | None:
    """By lines field, the columns a closed stored row shows (its grid's cells): all an
    edit form reads of its lines when every stored row is served closed, as when it is
    first shown. None with the switch off: every column is read."""
    if not NARROW_ROWS:
        return None
    view = entity_views(target).form
    if view.closed_columns is None:
        view.closed_columns = {
            line.name: tuple(
                spec.system or spec.name
                for spec in row_layout(target, target.child(line), line).columns
            )
            for line in target.lines()
        }
    return view.closed_columns


def stored_row_editor(
    target: Target, line: FieldSpec, values: dict, line_id: int, index: int, macros: Any,
    rendering: FieldRendering,
) -> Markup | None:  # fmt: skip
    """The editor of the record's stored line `line_id` as the row at `index`, as an open
    row of lines_item's shows it; None when the record holds no such line."""
    stored = next((r for r in values.get(line.name) or [] if r.get("id") == line_id), None)
    if stored is None:
        return None
    child = target.child(line)
    # the titles of what the row links to, in one query; its link to the record, known
    remember_records(target.tenant.spec.name, target.spec.name, [values])
    read_links(child, [stored])
    layout = row_layout(target, child, line)
    entries = RowEntries(child, layout, rendering)
    renderer = None
    if row_rendering.REUSE_ROWS:
        renderer = row_rendering.cached_row_renderer(
            target, line, entries.views, layout.writable, macros, rendering.field_item
        )
    row = Row(line, index, index, stored, Submission(), {}, locality(child))
    return _row_fields(child, entries, layout.writable, row, macros, rendering, renderer, {})


def _row_fields(
    child: Target, entries: RowEntries, writable: set[str], row: Row, macros: Any,
    rendering: FieldRendering, renderer: Any, titles: dict,
) -> Markup:  # fmt: skip
    """Every field of an open row's editor: from the row's pieces where they were cut,
    else by the macros."""
    if renderer is None:
        return _editor_html(child, entries.views(), writable, row, macros, rendering)
    return renderer.render(
        row,
        lambda spec, editable: _field_html(
            child, entries.entry(spec), editable, row, macros, rendering, spec
        ),
        titles,
    )


def _edit_url(target: Target, values: dict) -> str:
    """The edit page's URL of the record holding `values` ("" for one not stored yet)."""
    record_id = values.get("id")
    if record_id is None:
        return ""
    # the list's URL, remembered per entity, and the record's place under it (as
    # pages._saved builds a record's page): url_for per record costs more than a row
    tenant, entity = target.tenant.spec.name, target.spec.name
    return f"{urls.url_for('pages.list_page', tenant=tenant, entity=entity)}{record_id}/edit"


def _cell(child: Target, spec: FieldSpec, row: Row) -> dict:
    """A grid cell: the field's value as people read it."""
    key = row.key(spec.name) if row.typed else None  # nothing typed: no input to look for
    if key in row.typed:
        value = row.typed[key]
        if spec.lookup and isinstance(value, str) and value.isdigit():
            value = int(value)
        text = display(child, spec, value) if value not in (None, "", []) else ""
    else:
        stored = row.stored_value(spec)
        text = display(child, spec, stored) if stored not in (None, "") else ""
    return {"name": spec.name, "label": spec.label, "text": text}


def _editor_html(
    child: Target,
    views: list,
    writable: set[str],
    row: Row,
    macros: Any,
    rendering: FieldRendering,
) -> Markup:
    """Every field of the row by group and sequence, rendered as the parent form's are. A
    new row shows no read-only field: nothing is stored there to show."""
    groups = []
    for group, members in views:
        rendered = []
        for spec, view in members:
            editable_here = spec.name in writable
            if not editable_here and not row.stored:
                continue
            html = _field_html(child, view, editable_here, row, macros, rendering, spec)
            rendered.append({"html": html})
        if rendered:
            code = f"{row.line.name}-{row.index}-{group['code']}"
            # open sections only: tabs, or disclosures, in a row's editor (itself a
            # disclosure) would be tabs within tabs
            section = {"code": code, "layout": "section", "tab_set": None, "fields": rendered}
            section["collapsed"] = False
            groups.append({**group, **section})
    return macros.groups(groups)


def _field_html(
    child: Target, view: dict, editable: bool, row: Row, macros: Any, rendering: FieldRendering,
    spec: FieldSpec,
) -> Markup:  # fmt: skip
    """A field of the row as the field_block macro renders it."""
    named = rendering.named_view(child, view, row.key(spec.name), row.line.label, row.position)
    item = rendering.field_item(
        child, spec, named, row.value(spec), row.error(spec), editable, row.stored_value(spec)
    )
    return macros.field_block(item)
