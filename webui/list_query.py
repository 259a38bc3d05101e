"""What a list page's URL asks for: the search, the filters, the sort and the offset.

The list page and its exports read the URL alike, so an export holds exactly what the
list shows.
"""

from __future__ import annotations

from flask import request

from engine.records.target import Target
from webui import list_view
from webui.pager import first_value


def list_query(
    target: Target, filter_list: list[dict] | None = None
) -> tuple[str, dict[str, str], str | None]:
    """The search text, the filters (by field name) and the sort the URL asks for; the
    filters are those of `filter_list`, the list's own (list_view.filters) when None."""
    if not request.args:  # the list as it opens, asked most often
        return "", {}, None
    # each name's first value, as MultiDict.get gives it, without a KeyError for each
    # name the query leaves out
    args = request.args.to_dict()
    q = args.get("q", "").strip()
    names = {f["name"] for f in filter_list or list_view.filters(target)}
    filters = {k: v for k, v in request.args.items() if k in names and v}
    return q, filters, args.get("sort") or None


def requested_offset() -> int:
    """The offset asked for: a whole number from 0, as request.args.get(type=int) reads it."""
    text = first_value(request.args, "offset")
    try:
        offset = int(text) if text is not None else 0
    except ValueError:
        offset = 0
    return max(offset or 0, 0)
