"""The switch of the shortcuts past the libraries' own code: each one on or off, alone.

Each shortcut is compared with the code it replaces in its own tests (test_form_data.py,
test_csrf_tokens.py, test_sessions.py); these check that the switch picks one or the other.
"""

import pytest
from flask import Request
from flask_wtf.csrf import CSRFProtect, generate_csrf
from records_metadata import FILES
from test_pages import make_app

from webui import speedups
from webui.sessions import CookieSessions
from webui.speedups import csrf, form_data, sessions


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("on", {"form_data", "csrf", "sessions"}),
        ("ON ", {"form_data", "csrf", "sessions"}),
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


def test_off_the_app_runs_the_libraries_own_code(tree, storage, monkeypatch):
    monkeypatch.setenv("FORMWORK_SPEEDUPS", "off")
    app = make_app(tree(FILES), storage)
    assert app.request_class is Request
    assert type(app.extensions["csrf"]) is CSRFProtect
    assert app.jinja_env.globals["csrf_token"] is generate_csrf
    assert type(app.session_interface) is CookieSessions


@pytest.mark.parametrize("name", speedups.NAMES)
def test_each_one_is_switched_alone(tree, storage, monkeypatch, name):
    monkeypatch.setenv("FORMWORK_SPEEDUPS", name)
    app = make_app(tree(FILES), storage)
    assert (app.request_class is form_data.QuickFormRequest) == (name == "form_data")
    assert isinstance(app.extensions["csrf"], csrf.CachedCSRFProtect) == (name == "csrf")
    verified = isinstance(app.session_interface, sessions.VerifiedCookieSessions)
    assert verified == (name == "sessions")
