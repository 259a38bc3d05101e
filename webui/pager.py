"""A list's pages: how many records a page shows (`size` in the URL, bounded) and the
links to the first, previous, nearby, next and last pages, each keeping the search,
the filters and the sort of the URL."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, url_for
from markupsafe import Markup

from engine.records.target import Target
from webui import urls
from webui.views import views

SIZES = (25, 50, 100)  # the choices a list offers; a URL may ask for any size up to the last
WINDOW = 2  # page numbers shown on each side of the current page


@dataclass(frozen=True)
class PageSize:
    """The page size a list uses, and what to tell the person when the URL asked for
    one it cannot have."""

    size: int
    problem: str | None = None


def requested_size() -> PageSize:
    """The page size the URL asks for (`size`): a whole number from 1 to the largest
    choice; another value gets the nearest size that is, and says so."""
    text = request.args.get("size")
    if text is None or text == "":
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


def pager_html(target: Target, offset: int, size: int, total: int, exact: bool = True) -> Markup:
    """The list's page links and page sizes, drawn by the `pager` macro of
    pages/list_parts.html once per query and total and held by the entity's list view.
    A total not `exact` is a lower bound: more records follow it."""
    macro = current_app.jinja_env.get_template("pages/list_parts.html").module.pager
    args = tuple(request.args.items(multi=True))
    key = (macro, urls.origin(), args, offset, size, total, exact)
    cache = views(target).list.pagers
    found = cache.get(key)
    if found is None:
        links = pager(target.tenant.spec.name, target.spec.name, offset, size, total, exact)
        found = cache[key] = macro(links, size)
    return found


def pager(tenant: str, entity: str, offset: int, size: int, total: int, exact: bool = True) -> dict:
    """The page links of a list: `pages` (number, link, whether current) around the
    current page, `first`, `previous`, `next`, `last` (None where there is none), and
    `sizes` (size, link, whether current), each link keeping the URL's other arguments.
    Past a total not `exact` the number of pages is unknown: no last page, always a next."""
    args = request.args.to_dict()
    here = {"tenant": tenant, "entity": entity}

    def link(start: int) -> str:
        return url_for("pages.list_page", **here, **dict(args, offset=start))

    count = max((total + size - 1) // size, 1)
    if not exact:  # at least one page more than counted, and the one asked for
        count = max(count, offset // size + 1) + 1
    current = min(offset // size, count - 1) + 1
    low, high = max(current - WINDOW, 1), min(current + WINDOW, count)
    pages = [(n, link((n - 1) * size), n == current) for n in range(low, high + 1)]
    sizes = [
        (
            choice,
            url_for("pages.list_page", **here, **dict(args, size=choice, offset=0)),
            choice == size,
        )
        for choice in SIZES
    ]
    return {
        "pages": pages if count > 1 else [],
        "first": link(0) if current > 1 else None,
        "previous": link(max(offset - size, 0)) if offset > 0 else None,
        "next": link(offset + size) if offset + size < total or not exact else None,
        "last": link((count - 1) * size) if current < count and exact else None,
        "sizes": sizes,
        "many": total > SIZES[0],  # more than the smallest page: the sizes are worth a choice
    }
