"""HTML rendered once by a macro with its values left open, then filled in per request.

The macros stay the one definition of the HTML. A macro's output for probe values is
cut where the values went, and checked against the macro's own output for other
values, hostile ones included; a request then only escapes its values into place, as
Jinja's autoescape would. When a check fails (a macro that uses a value in some other
way), the caller renders with the macro on every request, as before.

What is cut here is cached by the callers in the entity's views (webui.views): a
metadata reload builds new entities, and with them new views and new pieces.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from webui.speedups import escaping

Render = Callable[[Any], Markup | None]  # a value → the HTML; None: use the macro
Macro = Callable[[Any], Markup]  # a value → the macro's HTML for it
Fill = Callable[..., Markup]  # texts → the HTML with them in place

_HOSTILE = "<b title='x'>&amp; \"quoted\"</b>"  # a value that escaping must change


def prerendered(use: str | None, option_values: list[str], macro: Macro) -> Render | None:
    """How to render a field from its value alone, or None when it cannot be. `use` is how
    its macro uses the value, as the field's input type says (InputType.value_use): as
    escaped text in one place, by its truth (a checkbox), or compared, as text, with
    `option_values` (a select); None, in some other way."""
    if use == "text":
        return _around_text(macro)
    if use == "truth":
        return _by_truth(macro)
    if use == "option":
        return by_option(option_values, macro)
    return None


@dataclass(frozen=True)
class Slots:
    """A macro's HTML cut around the texts it was given."""

    pieces: tuple[str, ...]
    order: tuple[int, ...]  # which text goes between each piece and the next
    # the HTML rendered n times in a row, as a list of pieces with a None in each text's
    # place, by (n, before, after)
    _repeated: dict[tuple, list] = field(default_factory=dict, compare=False, repr=False)
    # the HTML rendered once, and whether its texts come in the order given: fill_escaped's
    _once: list = field(init=False, compare=False, repr=False)
    _in_order: bool = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_once", self._repeated_parts(1, "", ""))  # frozen otherwise
        object.__setattr__(self, "_in_order", self.order == tuple(range(len(self.order))))

    def fill(self, *texts: Any) -> Markup:
        """The HTML with `texts` escaped into place, as the macro would write it."""
        return self.fill_escaped(*map(escaped, texts))

    def fill_escaped(self, *texts: str) -> Markup:
        """The HTML with `texts`, escaped already, in place: fill_many's for one row,
        without its look-up of the pieces (a row's fields are filled hundreds of times
        a page)."""
        parts = self._once.copy()
        parts[1::2] = texts if self._in_order else [texts[i] for i in self.order]
        return Markup("".join(parts))

    def joined(self, *texts: str) -> str:
        """fill_escaped's HTML as a plain str, for HTML that goes into more HTML (a row's
        field, into its editor) rather than into a template."""
        pieces = self.pieces
        if len(pieces) == 2:  # one text, the most common: no list to build
            return pieces[0] + texts[0] + pieces[1]
        parts = self._once.copy()
        parts[1::2] = texts if self._in_order else [texts[i] for i in self.order]
        return "".join(parts)

    def bound(self, *first: str) -> Slots:
        """These slots with their first texts (escaped already) in place, for the texts
        left, renumbered from 0: a line row's index and number, the same for all of its
        fields, put in once per row place rather than once per field and row."""
        count = len(first)
        pieces, order, current = [], [], self.pieces[0]
        for text, piece in zip(self.order, self.pieces[1:], strict=True):
            if text < count:
                current += first[text] + piece
            else:
                pieces.append(current)
                order.append(text - count)
                current = piece
        pieces.append(current)
        return Slots(tuple(pieces), tuple(order))

    def fill_many(self, rows: list[Sequence[str]], before: str = "", after: str = "") -> Markup:
        """The HTML once for each row of texts (escaped already), each between `before`
        and `after`, joined in one go."""
        # str.join, not +: str + Markup would escape the HTML around the texts
        return Markup(self.joined_many(rows, before, after))

    def joined_many(
        self, rows: list[Sequence[str]], before: str = "", after: str = "", head: str = "",
        foot: str = "",
    ) -> str:  # fmt: skip
        """fill_many's HTML as a plain str, between `head` and `foot`: a grid's rows go
        into the grid in the same join, not copied into a Markup of their own first."""
        parts = self._repeated_parts(len(rows), before, after).copy()
        order = self.order
        if order == tuple(range(len(order))):
            parts[1::2] = [text for row in rows for text in row]
        else:
            parts[1::2] = [row[index] for row in rows for index in order]
        parts[0] = head + parts[0]
        parts[-1] += foot  # the same part as the first where there is no row
        return "".join(parts)

    def _repeated_parts(self, count: int, before: str, after: str) -> list:
        key = (count, before, after)
        if key not in self._repeated:
            parts: list = [before + self.pieces[0]] if count else [""]
            for row in range(count):
                for piece in self.pieces[1:]:
                    parts += (None, piece)
                # one piece from the end of a row to the start of the next, texts alternating
                parts[-1] += after + (before + self.pieces[0] if row < count - 1 else "")
            self._repeated[key] = parts
        return self._repeated[key]


def text_slots(macro: Fill, count: int) -> Slots | None:
    """How to render `macro` for any `count` texts: its HTML cut around probe texts."""
    marks = markers(count)
    found = cut(str(macro(*marks)), marks)
    if found is None:
        return None
    slots = Slots(tuple(found[0]), tuple(found[1]))
    checks = ([""] * count, [f"{_HOSTILE}{i}" for i in range(count)], markers(count))
    if any(str(macro(*texts)) != slots.fill(*texts) for texts in checks):
        return None
    return slots


def repeated_slots(macro: Fill, count: int, empty: bool = True) -> Slots | None:
    """How to render `macro` for any `count` texts, each of which it may write any number
    of times (a line row's index, in each of its inputs' names): its HTML cut around
    probe texts, checked against its own HTML for other texts, hostile ones and, unless
    `empty` is False (a macro that writes something else for nothing), empty ones."""
    marks = markers(count)
    found = cut_repeated(str(macro(*marks)), marks)
    slots = Slots(tuple(found[0]), tuple(found[1]))
    checks = [[f"{_HOSTILE}{i}" for i in range(count)], markers(count)]
    if empty:
        checks.append([""] * count)
    if any(str(macro(*texts)) != slots.fill(*texts) for texts in checks):
        return None
    return slots


def by_option(option_values: list[str], macro: Macro) -> Render | None:
    """How to render `macro` for a value it only compares, as text, with `option_values`:
    its HTML for each option, and for any other value (None included)."""
    other = macro(_probe())  # a value that is no option: none is chosen
    if any(macro(value) != other for value in (_probe(), _HOSTILE, None)):
        return None
    if "" not in option_values and macro("") != other:
        return None
    chosen = {value: macro(value) for value in option_values}

    def render(value: Any) -> Markup | None:
        if value is None:
            return other
        if not isinstance(value, str):
            return None
        return chosen.get(value, other)

    return render


# what a field holding nothing shows: an em dash, written as a character reference, so a
# page whose texts are ASCII stays ASCII, which Python encodes to UTF-8 by copying; one
# character beyond ASCII and the whole page is encoded character by character (some 55 µs
# for a 100 KB page, against 2)
DASH = "&#8212;"


def escaped_or_dash(text: Any) -> str:
    """`text` escaped, or the dash where it is empty or None."""
    return escaped(text) if text else DASH


def escaped(value: Any) -> str:
    """A value as Jinja's autoescape writes it: markupsafe's escape, whose text this is
    for a plain str without building a Markup object for each value."""
    if value.__class__ is str:
        return escaping.escape_text(value)
    if value.__class__ is int:  # digits and a sign: nothing to escape (a row's index)
        return str(value)
    return str(escape(value))


def escaped_all(texts: list[str]) -> list[str]:
    """Each of `texts` (plain str) escaped as escaped() does, in one pass over them all:
    joined by a character escaping leaves alone, escaped, split again."""
    joined = "\x00".join(texts)
    if joined.count("\x00") != len(texts) - 1:  # a text holding the joiner itself
        return [escaped(text) for text in texts]
    return escaped(joined).split("\x00")


def markers(count: int) -> list[str]:
    """`count` distinct probe texts, none the beginning of another."""
    token = _probe()
    return [f"{token}-{index}-" for index in range(count)]


def cut(html: str, marks: list[str]) -> tuple[list[str], list[int]] | None:
    """The HTML around the marks, each of which must come exactly once: the pieces in
    order, and the index of the mark that came between each piece and the next."""
    places = []
    for index, mark in enumerate(marks):
        at = html.find(mark)
        if at < 0 or html.find(mark, at + 1) >= 0:
            return None
        places.append((at, index))
    places.sort()
    pieces, start = [], 0
    for at, index in places:
        if at < start:
            return None  # marks overlapping: not a value each
        pieces.append(html[start:at])
        start = at + len(marks[index])
    pieces.append(html[start:])
    return pieces, [index for _, index in places]


def cut_repeated(html: str, marks: list[str]) -> tuple[list[str], list[int]]:
    """The HTML around the marks, each of which may come any number of times: the pieces
    in order, and the index of the mark that came between each piece and the next."""
    index = {mark: number for number, mark in enumerate(marks)}
    pieces, order, start = [], [], 0
    for found in re.finditer("|".join(map(re.escape, marks)), html):
        pieces.append(html[start : found.start()])
        order.append(index[found.group()])
        start = found.end()
    pieces.append(html[start:])
    return pieces, order


def _probe() -> str:
    """A value no metadata can hold by chance: it marks where the macro put the value."""
    return f"probe{secrets.token_hex(8)}"


def _around_text(macro: Macro) -> Render | None:
    slots = text_slots(macro, 1)
    if slots is None:
        return None
    before, after = slots.pieces

    def render(value: Any) -> Markup | None:
        if value.__class__ is not str:
            return None
        return Markup(before + escaped(value) + after)  # all str: nothing escaped twice

    return render


def _by_truth(macro: Macro) -> Render | None:
    on, off = macro(True), macro(False)
    if any(macro(value) != on for value in ("on", _probe())):
        return None
    if any(macro(value) != off for value in ("", None)):
        return None
    return lambda value: on if value else off
