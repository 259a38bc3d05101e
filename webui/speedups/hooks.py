"""Flask's ensure_sync, asked once per function instead of on every call.

Flask passes every view, request hook, teardown and template context processor through
`app.ensure_sync` each time it calls one, and ensure_sync asks `inspect` whether the
function is a coroutine function: some ten times per request, five calls each. Whether a
function is a coroutine function never changes, so this one remembers the functions
found plain (an `async def` one is handed to Flask's own ensure_sync every time), by weak
reference: a function made for one request (`after_this_request`) and its closure go
with it.
Flask's documentation names ensure_sync as the method to override; the stock one is the
oracle of tests/test_request_shortcuts.py.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable
from typing import Any

from flask import Flask

MAX_REMEMBERED = 4096  # functions; an app calls a fixed few, so this is never reached


def install(app: Flask) -> None:
    """Make `app.ensure_sync` remember the plain functions it was asked about."""
    plain = app.ensure_sync
    synchronous: weakref.WeakSet[Any] = weakref.WeakSet()

    def ensure_sync(func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            if func in synchronous:
                return func
        except TypeError:  # a callable that cannot be hashed: Flask's answer each time
            return plain(func)
        checked = plain(func)
        if checked is func and len(synchronous) < MAX_REMEMBERED:
            with contextlib.suppress(TypeError):  # no weak reference to it: asked each time
                synchronous.add(func)
        return checked

    app.ensure_sync = ensure_sync  # type: ignore[method-assign]
