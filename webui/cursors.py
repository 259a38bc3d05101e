"""The API's list cursors: the key of a page's last record (engine.records.keyset), signed
with the app's secret key and tied to the query it was made for, so a cursor that was
changed, or is sent with another search, filter or sort, is refused with a 400 rather
than answered with other records."""

from __future__ import annotations

from collections.abc import Mapping

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from engine.records.keyset import Key, key_from_text, key_text

SALT = "formwork.list-cursor"


class CursorRefused(ValueError):
    """A cursor that is not one this app made for this query; its message says which."""


def _query_of(
    tenant: str, entity: str, q: str | None, filters: Mapping[str, str], sort: str | None
) -> list:
    return [tenant, entity, q or "", [list(pair) for pair in sorted(filters.items())], sort or ""]


def make_cursor(
    key: Key, tenant: str, entity: str, q: str | None, filters: Mapping[str, str], sort: str | None
) -> str:
    """The cursor of the page after `key`, for this query."""
    signer = URLSafeSerializer(current_app.secret_key, salt=SALT)
    return signer.dumps(
        {"key": key_text(key), "query": _query_of(tenant, entity, q, filters, sort)}
    )


def read_cursor(
    text: str, tenant: str, entity: str, q: str | None, filters: Mapping[str, str], sort: str | None
) -> Key:
    """The key a cursor holds; CursorRefused for one changed, or made for another query."""
    signer = URLSafeSerializer(current_app.secret_key, salt=SALT)
    try:
        found = signer.loads(text)
        key = key_from_text(found["key"])
    except (BadSignature, ValueError, KeyError, TypeError):
        raise CursorRefused(
            "after is not a cursor this list gave: use the `next` of the page before, "
            "or start again from the first page."
        ) from None
    if found.get("query") != _query_of(tenant, entity, q, filters, sort):
        raise CursorRefused(
            "after is the cursor of another search, filter or sort: send it with the query "
            "it came with, or start again from the first page."
        )
    return key
