"""A page's own texts are ASCII: the dash a field holding nothing shows is written as a
character reference, and a time with a plain space before its AM or PM, where CLDR puts
a narrow no-break space. So a page of records in ASCII, in a locale that writes numbers
and amounts in ASCII, is ASCII, which Python encodes by copying it, where one character
beyond ASCII has the whole page encoded character by character. Every page of every
shipped tenant × entity with the demo data (list, new form, record page, edit form, a
failed save), on SQLite and PostgreSQL."""

import html

import pytest
from page_costs import ENTITIES, logged_in
from test_page_links import pages

from engine.locales import Locality

OWN = {"\u2014", "\u202f"}  # the dash; CLDR's narrow no-break space before AM or PM
ASCII_TENANTS = {"standard"}  # English, in dollars, its demo records in ASCII


@pytest.mark.parametrize(("tenant", "entity"), ENTITIES)
def test_pages_write_their_own_texts_in_ascii(demo_site, tenant, entity):
    service = demo_site.extensions["formwork"]
    client = logged_in(demo_site, tenant)
    for kind, page in pages(client, service, tenant, entity).items():
        beyond = {char for char in page if not char.isascii()}
        assert not beyond & OWN, kind
        if tenant in ASCII_TENANTS:
            assert not beyond, (kind, sorted(beyond))


def test_a_field_holding_nothing_reads_as_a_dash(demo_site):
    service = demo_site.extensions["formwork"]
    client = logged_in(demo_site, "standard")
    shown = pages(client, service, "standard", "customer")
    empty = 'class="cell-value">&#8212;</span>'  # a line row's cell holding nothing
    assert any(empty in page for page in shown.values())
    assert any("\u2014" in html.unescape(page) for page in shown.values())  # as people read it


def test_times_are_written_with_a_plain_space_before_am_or_pm():
    english = Locality("en", "UTC")
    assert english.moment("2026-12-05T18:54:37+00:00") == "Dec 5, 2026, 6:54:37 PM"
    assert english.time_of_day("18:54") == "6:54 PM"
    # a locale that writes no AM or PM is as CLDR has it
    assert Locality("de", "Europe/Berlin").moment("2026-12-05T18:54:37+00:00") == (
        "05.12.2026, 19:54:37"
    )
