"""How typed numbers are read: the ASCII shortcut of number_text against reading every
character, and the digits of other scripts."""

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.numbers import number_text

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def every_character(text: str) -> str:
    """number_text as it reads text without its shortcut: each character on its own."""

    def ascii_digit(char: str) -> str:
        if char.isascii():
            return char
        digit = unicodedata.decimal(char, None)
        return str(digit) if digit is not None else char

    plain = "".join(
        ascii_digit(c) for c in text.strip().translate({32: None, 160: None, 8239: None})
    )
    if not _NUMBER.fullmatch(plain):
        raise ValueError(f"{text!r} is not a number")
    return plain


def outcome(read, text: str) -> str:
    try:
        return read(text)
    except ValueError:
        return "refused"


TYPED = st.text(alphabet="0123456789+-.eE _,\u00a0\u202f\u0661\u0662\u096a\uff15x", max_size=12)


@given(st.one_of(TYPED, st.text(max_size=12)))
def test_numbers_read_as_reading_every_character_reads_them(text: str):
    assert outcome(number_text, text) == outcome(every_character, text)


@pytest.mark.parametrize(
    ("typed", "read"),
    [("1 200", "1200"), ("\u0661\u0662\u0663", "123"), ("-2.5e3", "-2.5e3"), ("\uff15", "5")],
)
def test_grouped_and_other_script_digits_are_numbers(typed: str, read: str):
    assert number_text(typed) == read


@pytest.mark.parametrize("typed", ["1_000", "NaN", "inf", "1,5", "", "12x"])
def test_what_is_not_a_number_is_refused(typed: str):
    with pytest.raises(ValueError, match="is not a number"):
        number_text(typed)
