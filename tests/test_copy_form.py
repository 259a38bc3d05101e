"""Copy in the web pages, as the seed's "copy an existing customer" flow: a new form filled
with the copied values, lines included, and nothing saved until the person saves. On the
shipped standard tenant, on both backends."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from sample_records import with_lines
from test_pages import Browser

from engine import users


class _Form(HTMLParser):
    """What a browser submits of a form: each input's value (a box's only when it is
    ticked), each select's chosen options (its first when none is), each text area's text."""

    def __init__(self):
        super().__init__()
        self.pairs, self._select, self._first, self._chosen, self._area = [], None, None, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("file", "submit"):
            box = attrs.get("type") in ("checkbox", "radio")
            if not box or "checked" in attrs:
                self.pairs.append((name, attrs.get("value", "on" if box else "")))
        elif tag == "select":
            self._select, self._first, self._chosen = name, None, []
        elif tag == "option" and self._select:
            value = attrs.get("value", "")
            self._first = value if self._first is None else self._first
            if "selected" in attrs:
                self._chosen.append(value)
        elif tag == "textarea":
            self._area = [name, ""]

    def handle_data(self, data):
        if self._area:
            self._area[1] += data

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            for value in self._chosen or [self._first or ""]:
                self.pairs.append((self._select, value))
            self._select = None
        elif tag == "textarea" and self._area:
            self.pairs.append(tuple(self._area))
            self._area = None


def submitted(html):
    """The form's fields as a browser would send them, first value of each name."""
    parser = _Form()
    parser.feed(html)
    fields = {}
    for name, value in parser.pairs:
        fields.setdefault(name, value)
    return fields


def clerk(shipped_api):
    registry = shipped_api.service.registry
    users.add_user(registry.tenant("standard"), "ann", "editor", "correct horse battery")
    browser = Browser(shipped_api.application, "standard")
    browser.login("ann")
    return browser


def count(service, entity):
    return service.list("standard", entity, limit=1)["total"]


def test_copy_opens_a_filled_new_form_and_saves_nothing_until_saved(shipped_api):
    service = shipped_api.service
    original = with_lines(service, "standard", "customer", 2)
    ann = clerk(shipped_api)
    record_page = ann.get(f"/customer/{original['id']}").get_data(as_text=True)
    link = re.search(r'href="(/standard/customer/new\?copy_of=\d+)">Copy</a>', record_page)
    assert link, "the record page links to a copy's form"
    before = (count(service, "customer"), count(service, "customer_site"))

    form = ann.client.get(link.group(1)).get_data(as_text=True)
    assert f"New Customer (a copy of Customer {original['id']})" in form
    name = original["customer_name"]
    assert f'value="{name}"' in form
    for site in original["sites"]:
        assert f'value="{site["customer_site_name"]}"' in form
    # the copy's lines are new lines: no line id on the form
    assert set(re.findall(r'name="(?:sites|business_units)-\d+-id" value="(\d*)"', form)) == {""}
    # the copy gets its own number
    assert f'name="customer_number" value="{original["customer_number"]}"' not in form
    assert (count(service, "customer"), count(service, "customer_site")) == before

    fields = submitted(form)
    fields["customer_name"] = "The Copy"
    saved = ann.post("/customer/new", {k: v for k, v in fields.items() if k != "csrf_token"})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    copy_id = int(re.search(r"/customer/(\d+)", saved.headers["Location"]).group(1))
    copy = service.read("standard", "customer", copy_id)
    assert copy["customer_name"] == "The Copy"
    assert copy["customer_number"] != original["customer_number"]
    assert [s["customer_site_name"] for s in copy["sites"]] == [
        s["customer_site_name"] for s in original["sites"]
    ]
    assert {s["ar_customer_id"] for s in copy["sites"]} == {copy_id}
    history = service.history("standard", "customer", copy_id)
    assert [e["action"] for e in history] == ["create", "copy"]
    assert history[1]["changes"] == {"copied_from": [None, original["id"]]}
    # the original is as it was
    assert service.read("standard", "customer", original["id"]) == original


def test_a_copy_of_a_record_that_does_not_exist_is_not_found(shipped_api):
    ann = clerk(shipped_api)
    assert ann.get("/customer/new?copy_of=999999").status_code == 404
