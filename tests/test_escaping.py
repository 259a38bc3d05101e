"""A text escaped for a page by markupsafe's C code, without its Markup
(webui.speedups.escaping), against markupsafe.escape, the oracle, on both of its paths."""

import markupsafe
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from webui import prerender
from webui.speedups import escaping

HOSTILE = "<script>alert('x')</script>&amp;\"\x00\ud7ff\U0001f600"
PATHS = {"c": escaping.c_escape, "replaces": escaping.replaced}


def test_this_markupsafe_has_the_c_escape_the_speedup_calls():
    assert escaping.c_escape is not None  # else the speedup never runs: see escaping.py


@pytest.mark.parametrize("path", PATHS)
@given(text=st.text())
@example(text=HOSTILE)
@example(text="")
def test_a_text_is_escaped_as_markupsafe_escapes_it(path, text):
    escaped = PATHS[path](text)
    assert escaped == str(markupsafe.escape(text))
    assert type(escaped) is str  # no Markup: the pieces join plain text


@pytest.mark.parametrize("on", [True, False])
@given(value=st.one_of(st.text(), st.integers(), st.floats(), st.booleans(), st.none()))
@example(value=HOSTILE)
def test_a_page_writes_every_value_as_autoescape_does(on, value):
    chosen = escaping.escape_text
    escaping.install(on)
    try:
        assert prerender.escaped(value) == str(markupsafe.escape(value))
    finally:
        escaping.escape_text = chosen
