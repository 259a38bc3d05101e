"""A stored line row shown closed: its grid row and summary, without its editor's fields.

A record may have dozens of lines, each with dozens of fields: rendering every stored
row's editor on every edit page made the page grow by some 13 KB a row of 45 fields,
and its rendering with it. A stored row's editor is rendered only
when the row is opened: formwork.js loads it from the row's own URL (pages.row_fields)
when its <details> opens; without script, the row's button asks for the form again
with that row open (Submission.opened), what was typed kept. A closed row sends its id
alone when the form is saved, and a line sent with its id alone keeps its stored values
(engine.records.incoming).

A row is rendered open when it has a problem, when the form shown again holds what was
typed in it, when it is new, or when it was asked to be opened.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup

from engine.records.target import Target
from engine.spec import FieldSpec
from webui import prerender
from webui.views import views

# The switch of the closed rows' pieces: False, each closed row is rendered by its macro
# (the plain path, which tests/test_closed_rows.py compares them with).
REUSE_CLOSED = True


def typed_rows(typed: dict[str, Any], line: FieldSpec) -> frozenset[int]:
    """The indexes of the rows of `line` in which the form shown again holds typed fields
    (their id aside)."""
    if not typed:
        return frozenset()
    prefix, found = f"{line.name}-", set()
    for key in typed:
        if key.startswith(prefix):
            parts = key.split("-")
            if len(parts) == 3 and parts[1].isdigit() and parts[2] != "id":
                found.add(int(parts[1]))
    return frozenset(found)


def opened_key(line: FieldSpec, line_id: Any) -> str:
    """How the form names a stored row asked to be opened (the open_row button's value)."""
    return f"{line.name}:{line_id}"


def row_url(edit_url: str, line: FieldSpec, line_id: Any) -> str:
    """Where formwork.js loads the fields of a stored row of the record edited at
    `edit_url` (pages.row_fields; it adds `?row=` and the row's index)."""
    return f"{edit_url}/{line.name}/{line_id}"


def closed_html(
    target: Target, line: FieldSpec, index: int, number: int, url: str, line_id: Any,
    macros: Any,
) -> Markup:  # fmt: skip
    """The closed row's place for its fields: the closed_row macro's HTML."""
    return closed_writer(target, line, macros)(index, number, url, line_id)


def closed_writer(
    target: Target, line: FieldSpec, macros: Any
) -> Callable[[int, int, str, Any], Markup]:
    """closed_html for the rows of one lines field: (index, number, url, line id) → the
    closed row's HTML, its pieces looked up once."""
    slots = _slots(target, line, macros) if REUSE_CLOSED else None

    def closed(index: int, number: int, url: str, line_id: Any) -> Markup:
        texts = (str(index), str(number), url, opened_key(line, line_id))
        if slots is None:
            return macros.closed_row(*texts, line.label, line.name)
        return slots.fill(*texts)

    return closed


def _slots(target: Target, line: FieldSpec, macros: Any) -> prerender.Slots | None:
    """The closed_row macro's HTML for the lines field, cut around its texts once per
    compiled entity and widgets template (None: its macro renders every closed row)."""
    cut = views(target).form.closed_rows
    key = (macros, line.name)
    if key not in cut:

        def closed(index: str, number: str, url: str, opened: str) -> Markup:
            return macros.closed_row(index, number, url, opened, line.label, line.name)

        cut[key] = prerender.repeated_slots(closed, 4, empty=False)
    return cut[key]
