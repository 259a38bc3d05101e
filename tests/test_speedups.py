"""The switch of the shortcuts past the libraries' own code: each one on or off, alone.

Each shortcut is compared with the code it replaces in its own tests (test_form_data.py,
test_csrf_tokens.py, test_sessions.py, test_request_shortcuts.py); these check that the
switch picks one or the other, and that `hooks` answers as Flask's ensure_sync.
"""

import gc
import re
import weakref

import pytest
from flask import Flask, Request
from flask_wtf.csrf import CSRFProtect, generate_csrf
from records_metadata import FILES
from test_pages import make_app

from webui import speedups
from webui.sessions import CookieSessions
from webui.speedups import csrf, escaping, form_data, hooks, sessions


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("on", {"form_data", "csrf", "sessions", "hooks", "escaping"}),
        ("ON ", {"form_data", "csrf", "sessions", "hooks", "escaping"}),
        ("off", set()),
        ("csrf", {"csrf"}),
        ("form_data, sessions", {"form_data", "sessions"}),
    ],
)
def test_a_value_names_the_speedups_it_turns_on(value, names):
    assert speedups.chosen(value) == names


@pytest.mark.parametrize("value", ["", "yes", "csrf,fast", ",", "all"])
def test_a_value_that_names_none_is_refused_saying_what_is_allowed(value):
    with pytest.raises(ValueError, match="must be on, off, or some of form_data, csrf"):
        speedups.chosen(value)


def test_by_default_the_app_uses_every_shortcut(tree, storage):
    app = make_app(tree(FILES), storage)
    assert app.config["FORMWORK_SPEEDUPS"] == "on"
    assert app.request_class is form_data.QuickFormRequest
    assert isinstance(app.extensions["csrf"], csrf.CachedCSRFProtect)
    assert app.jinja_env.globals["csrf_token"] is csrf.csrf_token
    assert isinstance(app.session_interface, sessions.VerifiedCookieSessions)
    assert "ensure_sync" in vars(app)


def test_off_the_app_runs_the_libraries_own_code(tree, storage, monkeypatch):
    monkeypatch.setenv("FORMWORK_SPEEDUPS", "off")
    app = make_app(tree(FILES), storage)
    assert app.request_class is Request
    assert type(app.extensions["csrf"]) is CSRFProtect
    assert app.jinja_env.globals["csrf_token"] is generate_csrf
    assert type(app.session_interface) is CookieSessions
    assert "ensure_sync" not in vars(app)  # Flask's own method
    assert escaping.escape_text is escaping.replaced


@pytest.mark.parametrize("name", speedups.NAMES)
def test_each_one_is_switched_alone(tree, storage, monkeypatch, name):
    monkeypatch.setenv("FORMWORK_SPEEDUPS", name)
    app = make_app(tree(FILES), storage)
    assert (app.request_class is form_data.QuickFormRequest) == (name == "form_data")
    assert isinstance(app.extensions["csrf"], csrf.CachedCSRFProtect) == (name == "csrf")
    verified = isinstance(app.session_interface, sessions.VerifiedCookieSessions)
    assert verified == (name == "sessions")
    assert ("ensure_sync" in vars(app)) == (name == "hooks")
    assert (escaping.escape_text is escaping.c_escape) == (name == "escaping")


def test_hooks_answer_as_flasks_ensure_sync_for_plain_and_async_functions():
    def plain_view():
        return "plain"

    async def async_view():
        return "async"

    class Unhashable:
        __hash__ = None

        def __call__(self):
            return "called"

    stock, remembering = Flask(__name__), Flask(__name__)
    hooks.install(remembering)
    for func in (plain_view, plain_view, Unhashable()):  # asked twice: remembered
        assert remembering.ensure_sync(func) is stock.ensure_sync(func) is func
    for _ in range(2):  # an async view is run as Flask runs it (or refused alike)
        try:
            expected = stock.ensure_sync(async_view)()
        except RuntimeError as error:  # Flask without its async extra
            with pytest.raises(RuntimeError, match=re.escape(str(error))):
                remembering.ensure_sync(async_view)()
        else:
            assert remembering.ensure_sync(async_view)() == expected


def test_hooks_keep_no_function_made_for_one_request():
    """A function registered for one request (after_this_request), and what its closure
    holds, goes with the request; one that takes no weak reference is asked each time."""
    remembering = Flask(__name__)
    hooks.install(remembering)
    payload = ["a request's data"]

    def for_one_request(response):
        return payload and response

    assert remembering.ensure_sync(for_one_request) is for_one_request
    gone = weakref.ref(for_one_request)
    del for_one_request
    gc.collect()
    assert gone() is None
    assert remembering.ensure_sync(len) is len  # a builtin: no weak reference to it
    assert remembering.ensure_sync(len) is len
