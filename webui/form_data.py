"""Submitted forms read faster: Werkzeug's parser with a quicker urlencoded body.

A saved form sends some forty `name=value` pairs, most with nothing escaped in them.
`urllib.parse.parse_qsl` unquotes every name and value all the same; this reader does
so only where a `%` or a `+` says there is something to undo, and gives the same pairs.
"""

from __future__ import annotations

from typing import IO, Any
from urllib.parse import unquote

from flask import Request
from werkzeug.formparser import FormDataParser


def parse_urlencoded(text: str) -> list[tuple[str, str]]:
    """The pairs of an application/x-www-form-urlencoded body, as `parse_qsl(text,
    keep_blank_values=True, errors="werkzeug.url_quote")` gives them."""
    pairs = []
    for part in text.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        if "%" in part or "+" in part:
            name = unquote(name.replace("+", " "), errors="werkzeug.url_quote")
            value = unquote(value.replace("+", " "), errors="werkzeug.url_quote")
        pairs.append((name, value))
    return pairs


class QuickFormDataParser(FormDataParser):
    """Werkzeug's FormDataParser, with `parse_urlencoded` for urlencoded bodies."""

    def _parse_urlencoded(
        self, stream: IO[bytes], mimetype: str, content_length: int | None, options: dict
    ) -> Any:
        # as Werkzeug's: the stream is limited to max_content_length already
        items = parse_urlencoded(stream.read().decode())
        return stream, self.cls(items), self.cls()


class QuickFormRequest(Request):
    """Flask's Request, reading urlencoded forms with QuickFormDataParser."""

    form_data_parser_class = QuickFormDataParser
