"""A str escaped for HTML as markupsafe escapes it, as a str rather than a Markup.

The pages' pieces (webui/prerender.py) write some two hundred values into a page, each
escaped as Jinja's autoescape would. `markupsafe.escape(text)` runs C code and wraps its
answer in a Markup object, which the pieces do not want. `escape_text` calls that C code
directly: markupsafe's private `_speedups._escape_inner`. Where this markupsafe has no
such function, or the speedup is off, it replaces the five characters as markupsafe's
pure-Python code does. markupsafe.escape is the oracle of both (tests/test_escaping.py).
The choice is the process's, made by the app it creates (`install`).
"""

from __future__ import annotations

from collections.abc import Callable


def replaced(text: str) -> str:
    """A str escaped as markupsafe escapes one, character by character."""
    return (
        text.replace("&", "&amp;")
        .replace(">", "&gt;")
        .replace("<", "&lt;")
        .replace("'", "&#39;")
        .replace('"', "&#34;")
    )


try:  # a tenth of the replaces' time
    from markupsafe._speedups import _escape_inner as c_escape
except ImportError:  # markupsafe without its C speedups, or with them named otherwise
    c_escape = None

escape_text: Callable[[str], str] = c_escape or replaced


def install(on: bool) -> None:
    """Escape with markupsafe's C code where it is found (`on`), else by the replaces."""
    global escape_text
    escape_text = c_escape if on and c_escape is not None else replaced
