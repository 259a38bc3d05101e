"""Form fields drawn once per compiled entity, with their value left open.

The macros of widgets.html stay the one definition of every widget. For each field,
`prerendered` calls the `field_block` macro with probe values and cuts its output
where the value went, so a request only escapes the value into its place instead of
running the macros. When the probes disagree with the cut (a widget that uses its value
in some other way), the field is left to its macro on every request, as before.

Only a field shown for editing without an error is drawn this way. The caller keeps the
result in the compiled entity's memo: a metadata reload builds new entities, and with
them new pieces.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape

Draw = Callable[[Any], Markup | None]  # a value → the field's HTML; None: use the macro
Macro = Callable[[Any], Markup]  # a value → the field_block macro's HTML for it

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
        return _by_option(option_values, macro)
    return None


def _probe() -> str:
    """A value no metadata can hold by chance: it marks where the macro put the value."""
    return f"probe{secrets.token_hex(8)}"


def _around_text(macro: Macro) -> Draw | None:
    probe = _probe()
    before, found, after = str(macro(probe)).partition(probe)
    if not found or probe in after:
        return None
    for value in ("", _probe(), _HOSTILE):
        if str(macro(value)) != "".join((before, escape(value), after)):
            return None

    def draw(value: Any) -> Markup | None:
        if not isinstance(value, str):
            return None
        # str.join, not +: str + Markup would escape the HTML around the value
        return Markup("".join((before, escape(value), after)))

    return draw


def _by_truth(macro: Macro) -> Draw | None:
    on, off = macro(True), macro(False)
    if any(macro(value) != on for value in ("on", _probe())):
        return None
    if any(macro(value) != off for value in ("", None)):
        return None
    return lambda value: on if value else off


def _by_option(option_values: list[str], macro: Macro) -> Draw | None:
    other = macro(_probe())  # a value that is no option: none is selected
    if any(macro(value) != other for value in (_probe(), _HOSTILE)):
        return None
    if "" not in option_values and macro("") != other:
        return None
    chosen = {value: macro(value) for value in option_values}

    def draw(value: Any) -> Markup | None:
        if not isinstance(value, str):
            return None
        return chosen.get(value, other)

    return draw


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
