"""HTML drawn once by a macro with its values left open, then filled in per request.

The macros stay the one definition of the HTML. A macro's output for probe values is
cut where the values went, and checked against the macro's own output for other
values, hostile ones included; a request then only escapes its values into place, as
Jinja's autoescape would. When a check fails (a macro that uses a value in some other
way), the caller draws with the macro on every request, as before.

What is cut here is kept by the callers in the compiled entity's memo: a metadata
reload builds new entities, and with them new pieces.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape

Draw = Callable[[Any], Markup | None]  # a value → the HTML; None: use the macro
Macro = Callable[[Any], Markup]  # a value → the macro's HTML for it
Fill = Callable[..., Markup]  # texts → the HTML with them in place

# How a widget's macro uses its value when not as escaped text in one place: by its
# truth (a checkbox) or compared, as text, with the option values (a select). None: the
# HTML depends on more than the value (a lookup's choices come with the data), or the
# value is not text (a multiselect's list, a file's link).
VALUE_USE: dict[str, str | None] = {
    "switch": "truth",
    "select": "option",
    "multiselect": None,
    "lookup": None,
    "file": None,
    "image": None,
}
_HOSTILE = "<b title='x'>&amp; \"quoted\"</b>"  # a value that escaping must change


def prerendered(widget: str, option_values: list[str], macro: Macro) -> Draw | None:
    """How to draw a field of `widget` from its value alone, or None when it cannot be."""
    use = VALUE_USE.get(widget, "text")
    if use == "text":
        return _around_text(macro)
    if use == "truth":
        return _by_truth(macro)
    if use == "option":
        return by_option(option_values, macro)
    return None


def text_slots(macro: Fill, count: int) -> Fill | None:
    """How to draw `macro` for any `count` texts: its HTML cut around probe texts."""
    marks = markers(count)
    pieces = cut(str(macro(*marks)), marks)
    if pieces is None:
        return None

    first, rest = pieces[0], pieces[1:]

    def fill(*texts: str) -> Markup:
        parts = [first]
        for text, piece in zip(texts, rest, strict=True):
            parts.append(escaped(text))
            parts.append(piece)
        # str.join, not +: str + Markup would escape the HTML around the values
        return Markup("".join(parts))

    checks = ([""] * count, [f"{_HOSTILE}{i}" for i in range(count)], markers(count))
    if any(str(macro(*texts)) != fill(*texts) for texts in checks):
        return None
    return fill


def by_option(option_values: list[str], macro: Macro) -> Draw | None:
    """How to draw `macro` for a value it only compares, as text, with `option_values`:
    its HTML for each option, and for any other value (None included)."""
    other = macro(_probe())  # a value that is no option: none is chosen
    if any(macro(value) != other for value in (_probe(), _HOSTILE, None)):
        return None
    if "" not in option_values and macro("") != other:
        return None
    chosen = {value: macro(value) for value in option_values}

    def draw(value: Any) -> Markup | None:
        if value is None:
            return other
        if not isinstance(value, str):
            return None
        return chosen.get(value, other)

    return draw


def escaped(value: Any) -> str:
    """A value as Jinja's autoescape writes it: markupsafe's escape, whose text this is
    for a plain str without building a Markup object for each value."""
    if value.__class__ is not str:
        return str(escape(value))
    return (
        value.replace("&", "&amp;")
        .replace(">", "&gt;")
        .replace("<", "&lt;")
        .replace("'", "&#39;")
        .replace('"', "&#34;")
    )


def markers(count: int) -> list[str]:
    """`count` distinct probe texts, none the beginning of another."""
    token = _probe()
    return [f"{token}-{index}-" for index in range(count)]


def cut(html: str, marks: list[str]) -> list[str] | None:
    """The HTML around each mark, which must come once each and in order; else None."""
    pieces = []
    rest = html
    for mark in marks:
        before, found, rest = rest.partition(mark)
        if not found or mark in rest:
            return None
        pieces.append(before)
    pieces.append(rest)
    return pieces


def _probe() -> str:
    """A value no metadata can hold by chance: it marks where the macro put the value."""
    return f"probe{secrets.token_hex(8)}"


def _around_text(macro: Macro) -> Draw | None:
    fill = text_slots(macro, 1)
    if fill is None:
        return None
    return lambda value: fill(value) if isinstance(value, str) else None


def _by_truth(macro: Macro) -> Draw | None:
    on, off = macro(True), macro(False)
    if any(macro(value) != on for value in ("on", _probe())):
        return None
    if any(macro(value) != off for value in ("", None)):
        return None
    return lambda value: on if value else off
