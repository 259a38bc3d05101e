"""The web side of one compiled entity: what its pages build once, and the bounded caches
of what they render, held by typed views rather than under keys of a shared dict.

`views(target)` answers them. They live as long as the compiled entity they belong to, so
a metadata reload, which compiles new entities, builds new views: nothing a page cached
outlives the metadata it was built from. Each cache is an engine.caching.BoundedCache.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.caching import BoundedCache
from engine.records.target import Target

MAX_QUERIES = 256  # list queries per entity whose page parts are cached
MAX_ROWS = 4096  # rendered list rows per entity
MAX_PAGES = 64  # rendered pages of list rows per entity, by their ids and values
MAX_FRESH = 64  # new forms per entity, by starting values (a copy starts from its own)
_CREATING = threading.Lock()


@dataclass(eq=False)
class ListView:
    """A list page's: its filters and columns, built once; its page parts per query and
    its rendered rows, cached."""

    filter_specs: list[dict] | None = None  # the filters that can be, their choices aside
    static_filters: frozenset[str] | None = None  # those whose choices never change
    columns: list | None = None  # the fields the table shows
    filter_renders: dict[tuple, Any] = dataclasses.field(default_factory=dict)  # (name, macro)
    row_slots: dict[Any, Any] = dataclasses.field(default_factory=dict)  # by row macro
    cell_texts: dict[str, Callable] = dataclasses.field(default_factory=dict)  # by field
    parts: BoundedCache = dataclasses.field(default_factory=lambda: BoundedCache(MAX_QUERIES))
    rows: BoundedCache = dataclasses.field(default_factory=lambda: BoundedCache(MAX_ROWS))
    pages: BoundedCache = dataclasses.field(default_factory=lambda: BoundedCache(MAX_PAGES))
    # page links per query and total (webui.pager)
    pagers: BoundedCache = dataclasses.field(default_factory=lambda: BoundedCache(MAX_QUERIES))


@dataclass(eq=False)
class FormView:
    """A form page's: its fields in order and which may be edited, built once; the HTML
    around and of its fields, cut once per template (webui.prerender)."""

    layout_fields: list | None = None  # (field, layout entry) of every field, in order
    form_texts: list | None = None  # how each of them shows a stored value for editing
    shown_texts: list | None = None  # and how each shows a value read-only
    writable: dict[bool, frozenset[str]] = dataclasses.field(default_factory=dict)  # creating?
    frames: dict[Any, Any] = dataclasses.field(default_factory=dict)  # by macro, fields shown
    left_out: frozenset[str] | None = None  # left out of a new record's form while empty
    renders: dict[Any, list] = dataclasses.field(default_factory=dict)  # by widgets module
    shown_renders: dict[Any, list] = dataclasses.field(default_factory=dict)  # read-only, same
    static_views: dict[tuple, dict] = dataclasses.field(default_factory=dict)  # (source, name)
    # a lookup's entry, by (source, field, the app's URL root)
    lookup_views: BoundedCache = dataclasses.field(
        default_factory=lambda: BoundedCache(MAX_QUERIES)
    )
    row_layouts: dict[str, list] = dataclasses.field(default_factory=dict)  # by lines field
    closed_columns: dict[str, tuple] | None = None  # what closed rows show, by lines field
    row_renderers: dict[tuple, Any] = dataclasses.field(default_factory=dict)  # (macros, lines)
    grid_renderers: dict[tuple, Any] = dataclasses.field(default_factory=dict)  # (macros, lines)
    closed_rows: dict[tuple, Any] = dataclasses.field(default_factory=dict)  # (macros, lines)
    # a line row's input entries, by (field, input name, lines label, row position)
    named_views: BoundedCache = dataclasses.field(default_factory=lambda: BoundedCache(MAX_ROWS))
    # a new record's fields, nothing typed yet, by (widgets module, starting values)
    fresh: BoundedCache = dataclasses.field(default_factory=lambda: BoundedCache(MAX_FRESH))


@dataclass(eq=False)
class EntityViews:
    """Every view of one compiled entity, and how each field's values read as text."""

    list: ListView = dataclasses.field(default_factory=ListView)
    form: FormView = dataclasses.field(default_factory=FormView)
    texts: dict[str, Callable] = dataclasses.field(default_factory=dict)  # by field
    shown_texts: dict[str, Callable] = dataclasses.field(default_factory=dict)  # by field
    link_fields: tuple | None = None  # its lookups and its lines fields (webui.page_links)
    title_columns: tuple | None = None  # what a page reads of a record a link names (same)


def views(target: Target) -> EntityViews:
    """The views of the target's compiled entity, made on first use."""
    memo = target.entity.memo
    found = memo.get(EntityViews)
    if found is None:
        with _CREATING:  # two first requests at once share one
            found = memo.setdefault(EntityViews, EntityViews())
    return found
