"""A list's pages: how many records a page shows (`size` in the URL, bounded), where the
page starts, and the links to the first, previous, numbered, next and last pages, each
keeping the search, the filters and the sort of the URL.

The first FIRST_PAGES pages are reached by their number (`offset`: the database skips the
records before). Past them a page is found from a record, as the API's `next` is: `after`
or `before` a cursor naming the record the link was made from (webui.cursors), or the
`last` page, read from the list's end. Each costs what the first page does, however deep.
"""

from __future__ import annotations

from dataclasses import dataclass

import peewee
from flask import flash, request, url_for
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from engine.records.keyset import Key
from engine.records.reading import RecordReader
from engine.records.search import COUNT_UP_TO, SEARCH_COUNT_UP_TO
from engine.records.target import Target
from webui import chrome, urls
from webui.cursors import CursorRefused, make_cursor, read_cursor
from webui.views import views

SIZES = (25, 50, 100)  # the choices a list offers; a URL may ask for any size up to the last
WINDOW = 2  # page numbers shown on each side of the current page
FIRST_PAGES = 5  # the pages reached by number; the records before a deeper one are not skipped
CURSORS = ("after", "before", "last")  # the URL's arguments that find a page from a record
STALE = "That page link is out of date or was changed: showing the first page."
DEEP = (
    f"Pages past page {FIRST_PAGES} are reached by Next, Previous and Last: showing the first page."
)


@dataclass(frozen=True)
class PageSize:
    """The page size a list uses, and what to tell the person when the URL asked for
    one it cannot have."""

    size: int
    problem: str | None = None


def first_value(args: MultiDict[str, str], name: str) -> str | None:
    """The first value of `name` in the URL's `args`, as MultiDict.get gives it, without
    the KeyError it raises and catches for a name the URL leaves out."""
    return args[name] if name in args else None  # noqa: SIM401 (get raises and catches)


def requested_size() -> PageSize:
    """The page size the URL asks for (`size`): a whole number from 1 to the largest
    choice; another value gets the nearest size that is, and says so."""
    text = first_value(request.args, "size")
    if not text:
        return PageSize(SIZES[0])
    try:
        size = int(text)
    except ValueError:
        return PageSize(
            SIZES[0], f"{text!r} is not a number of records a page can show: showing {SIZES[0]}."
        )
    if size < 1:
        return PageSize(SIZES[0], f"A page shows at least 1 record: showing {SIZES[0]}.")
    if size > SIZES[-1]:
        return PageSize(
            SIZES[-1], f"A page shows at most {SIZES[-1]} records: showing {SIZES[-1]}."
        )
    return PageSize(size)


@dataclass(frozen=True)
class PagePlace:
    """Where a list page starts: at an `offset` among the first pages, or after the record
    of `key` (before it, `backward`; the last page, `backward` without a key); and what to
    tell the person when the URL named a place the list cannot show."""

    offset: int = 0
    key: Key | None = None
    backward: bool = False
    problem: str | None = None


def requested_place(
    tenant: str, entity: str, q: str, filters: dict[str, str], sort: str | None, size: int,
    offset: int,
) -> PagePlace:  # fmt: skip
    """The place the URL asks for: `last`, `after` or `before` a cursor this list made for
    this search, filters and sort, or its `offset` (list_query.requested_offset) within
    the first FIRST_PAGES pages. Anything else gets the first page, and says why."""
    args = request.args
    if first_value(args, "last"):
        return PagePlace(backward=True)
    for name in ("after", "before"):
        if cursor := first_value(args, name):
            try:
                key = read_cursor(cursor, tenant, entity, q or None, filters, sort)
            except CursorRefused:
                return PagePlace(problem=STALE)
            return PagePlace(key=key, backward=name == "before")
    if offset >= size * FIRST_PAGES:
        return PagePlace(problem=DEEP)
    return PagePlace(offset=offset)


def read_page(
    service: RecordReader,
    tenant: str,
    entity: str,
    query: tuple[str, dict[str, str], str | None],
    size: int,
    place: PagePlace,
    columns: list[str],
) -> dict:
    """The page at `place` as RecordReader.list_table answers it; a page found from a
    record also has the keys of its `first` and `last` records. A page read backward that
    nothing comes before is the first page, read by number so that it is whole; the last
    numbered page has the key of its last record, where the pages by record begin."""
    q, filters, sort = query
    up_to = SEARCH_COUNT_UP_TO if q else COUNT_UP_TO
    if place.key is not None or place.backward:
        try:
            page = service.list_table_after(
                tenant, entity, q or None, filters, sort, size, place.key, place.backward,
                columns, up_to,
            )  # fmt: skip
        except peewee.DataError:  # a key of a column whose type changed since the link
            flash(STALE, "error")
            page = {"before": False}
        if page["before"]:
            return page
        place = PagePlace()
    page = service.list_table(
        tenant, entity, q or None, filters, sort, size, place.offset, columns, up_to
    )
    if place.offset + size >= size * FIRST_PAGES and len(page["ids"]) == size:
        last = service.key_at(tenant, entity, q or None, filters, sort, place.offset + size - 1)
        page = {**page, "last": last}
    return page


def pager_html(
    target: Target, query: tuple[str, dict[str, str], str | None], offset: int, size: int,
    page: dict,
) -> Markup:  # fmt: skip
    """The list's page links and page sizes, rendered by the `pager` macro of
    pages/list_parts.html. A page by number is rendered once per query and total and held
    by the entity's list view; one found from a record links to the records around it."""
    macro = chrome.macros("pages/list_parts.html").pager
    names = (target.tenant.spec.name, target.spec.name)
    if "first" in page or "last" in page:
        return macro(pager_by_key(*names, query, offset, size, page), size)
    total, exact = page["total"], page.get("total_exact", True)
    args = tuple(request.args.items(multi=True))
    key = (macro, urls.origin(), args, offset, size, total, exact)
    cache = views(target).list.pagers
    found = cache.get(key)
    if found is None:
        found = cache[key] = macro(pager(*names, offset, size, total, exact), size)
    return found


def pager(tenant: str, entity: str, offset: int, size: int, total: int, exact: bool = True) -> dict:
    """The page links of a page by number: `pages` (number, link, whether current) around
    the current page, `first`, `previous`, `next`, `last` (None where there is none), and
    `sizes` (size, link, whether current), each link keeping the URL's other arguments.
    Pages past FIRST_PAGES have no number: the `last` of a longer list, or of one not
    counted whole, is read from its end (and `next` from the last numbered page comes from
    pager_by_key)."""
    args = page_args()
    here = {"tenant": tenant, "entity": entity}

    def link(start: int) -> str:
        return url_for("pages.list_page", **here, **dict(args, offset=start))

    count = max((total + size - 1) // size, 1)
    if not exact:  # at least one page more than counted, and the one asked for
        count = max(count, offset // size + 1) + 1
    current = min(offset // size, count - 1) + 1
    numbered = min(count, FIRST_PAGES)
    low, high = max(current - WINDOW, 1), min(current + WINDOW, numbered)
    pages = [(n, link((n - 1) * size), n == current) for n in range(low, high + 1)]
    more = offset + size < total or not exact
    if count <= FIRST_PAGES and exact:
        last = link((count - 1) * size) if current < count else None
    else:
        last = by_key_link(args, here, "last", "1") if more else None
    return {
        "pages": pages if count > 1 else [],
        "first": link(0) if current > 1 else None,
        "previous": link(max(offset - size, 0)) if offset > 0 else None,
        "next": link(offset + size) if more else None,
        "last": last,
        **_sizes(args, here, size, total),
    }


def pager_by_key(
    tenant: str, entity: str, query: tuple[str, dict[str, str], str | None], offset: int,
    size: int, page: dict,
) -> dict:  # fmt: skip
    """The page links of a page found from a record (or the last numbered page): the
    first page, the pages before its first record and after its last, and the last page;
    as `pager` answers them, without page numbers past the first pages."""
    if "first" not in page:  # the last numbered page (at `offset`): a next by record
        links = pager(tenant, entity, offset, size, page["total"], page.get("total_exact", True))
        if links["next"] and page["last"] is not None:
            links["next"] = _cursor_link(tenant, entity, query, "after", page["last"])
        return links
    args, here = page_args(), {"tenant": tenant, "entity": entity}
    return {
        "pages": [],
        "first": url_for("pages.list_page", **here, **args),
        "previous": _cursor_link(tenant, entity, query, "before", page["first"])
        if page["before"] and page["first"] is not None
        else None,
        "next": _cursor_link(tenant, entity, query, "after", page["last"])
        if page["after"] and page["last"] is not None
        else None,
        "last": by_key_link(args, here, "last", "1") if page["after"] else None,
        **_sizes(args, here, size, page["total"]),
    }


def _cursor_link(
    tenant: str, entity: str, query: tuple[str, dict[str, str], str | None], name: str, key: Key
) -> str:
    q, filters, sort = query
    cursor = make_cursor(key, tenant, entity, q or None, filters, sort)
    return by_key_link(page_args(), {"tenant": tenant, "entity": entity}, name, cursor)


def by_key_link(args: dict, here: dict, name: str, value: str) -> str:
    """The list's link to the page `name` (a cursor argument) names by `value`."""
    return url_for("pages.list_page", **here, **args, **{name: value})


def page_args() -> dict[str, str]:
    """The URL's arguments less those that say where the page starts: what every link
    of the list keeps (the search, the filters, the sort, the page size)."""
    args = request.args
    if not args:  # the list as it opens, asked most often
        return {}
    return {k: v for k, v in args.to_dict().items() if k not in CURSORS and k != "offset"}


def _sizes(args: dict, here: dict, size: int, total: int) -> dict:
    sizes = [
        (
            choice,
            url_for("pages.list_page", **here, **dict(args, size=choice, offset=0)),
            choice == size,
        )
        for choice in SIZES
    ]
    return {
        "sizes": sizes,
        "many": total > SIZES[0],  # more than the smallest page: the sizes are worth a choice
    }
