"""Each tenant's locale, time zone and currency: the checker's word on them, pages that
write numbers, amounts, percentages, dates and moments the tenant's way (Babel's own
formatting is the oracle), forms that read numbers typed the locale's way, and an API
that stays locale-neutral. Over every shipped tenant × entity, on both backends."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from decimal import Decimal
from html import unescape

import pytest
from babel import Locale, dates, numbers
from sample_records import sample_payload
from test_copy_form import submitted
from test_pages import Browser

from engine import users
from engine.errors import MetadataError
from engine.resolve import load_and_resolve
from webui import create_app

SHIPPED = "metadata"
PASSWORD = "correct horse battery"
MOMENT = "2024-03-05T23:30:00+00:00"  # the next day east of UTC, the same day west of it
DAY = "2024-03-05"

# checker: a tenant's locale, time zone and currency, good and bad


def _tenant(tree, extra: str):
    return tree({"tenants/t/tenant.yaml": f"tenant: t\nlabel: T\n{extra}"})


def test_a_tenant_declares_its_locale_time_zone_and_currency(tree):
    root = _tenant(tree, "locale: de_DE\ntimezone: Europe/Berlin\ncurrency: EUR\n")
    locality = load_and_resolve(str(root))["t"].locality
    assert (locality.locale, locality.timezone, locality.currency) == (
        "de_DE",
        "Europe/Berlin",
        "EUR",
    )


def test_a_tenant_without_them_is_english_utc_with_no_currency(tree):
    locality = load_and_resolve(str(_tenant(tree, "")))["t"].locality
    assert (locality.locale, locality.timezone, locality.currency) == ("en", "UTC", None)


def test_an_unknown_locale_time_zone_and_currency_are_reported_where_written(tree):
    root = _tenant(tree, "locale: xx_QQ\ntimezone: Europe/Atlantis\ncurrency: EUX\n")
    with pytest.raises(MetadataError) as raised:
        load_and_resolve(str(root))
    reported = sorted(str(p).split("metadata/", 1)[1] for p in raised.value.problems)
    assert reported == [
        "tenants/t/tenant.yaml:3: t.locale: unknown locale 'xx_QQ'; "
        "write a CLDR locale such as en, de or de_CH",
        "tenants/t/tenant.yaml:4: t.timezone: unknown time zone 'Europe/Atlantis'; "
        "write an IANA name such as UTC or Europe/Berlin",
        "tenants/t/tenant.yaml:5: t.currency: unknown currency 'EUX'; "
        "write an ISO 4217 code such as EUR or USD",
    ]


def test_a_currency_not_written_as_a_code_fails_the_metadata_schema(tree):
    root = _tenant(tree, "currency: euro\n")
    with pytest.raises(MetadataError) as raised:
        load_and_resolve(str(root))
    (problem,) = raised.value.problems
    assert problem.line == 3 and "euro" in problem.message


SALE = """\
entity: sale
label: Sale
plural: Sales
fields:
  - {name: code, sequence: 10, label: Code, input_type: text, group: MAIN}
  - {name: total, sequence: 20, label: Total, input_type: currency, group: MAIN, %s}
  - {name: placed, sequence: 30, label: Placed, input_type: date, group: MAIN}
  - {name: tags, sequence: 40, label: Tags, input_type: multiselect, group: MAIN,
     options: [a, b]}
"""


def test_an_amount_names_the_field_holding_its_currency(tree):
    root = tree({"entities/sale.yaml": SALE % "currency_field: code"})
    total = load_and_resolve(str(root))["t"].entities["sale"].field("total")
    assert total.currency_field == "code"


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("currency_field: kode", "'kode' is not a field of 'sale' (did you mean 'code'?)"),
        ("currency_field: placed", "'placed' cannot hold a currency code"),
        ("currency_field: tags", "'tags' cannot hold a currency code"),
    ],
)
def test_a_currency_field_that_holds_no_code_is_reported_where_written(tree, key, message):
    root = tree({"entities/sale.yaml": SALE % key})
    with pytest.raises(MetadataError) as raised:
        load_and_resolve(str(root))
    (problem,) = raised.value.problems
    assert (
        str(problem)
        .split("metadata/", 1)[1]
        .startswith(f"entities/sale.yaml:6: sale.total.currency_field: {message}")
    )


def test_only_an_amount_takes_a_currency_field(tree):
    text = SALE.replace("input_type: currency", "input_type: decimal") % "currency_field: code"
    with pytest.raises(MetadataError) as raised:
        load_and_resolve(str(tree({"entities/sale.yaml": text})))
    (problem,) = raised.value.problems
    assert "'currency_field' applies to currency fields, not to decimal" in str(problem)


def test_the_shipped_tenants_speak_more_than_english(shipped):
    localities = {name: t.spec.locality for name, t in shipped.tenants.items()}
    symbols = {numbers.get_decimal_symbol(p.locale) for p in localities.values()}
    assert "," in symbols  # one tenant writes 1.234,5
    assert {Locale.parse(p.locale).language for p in localities.values()} > {"en"}


# the shipped tenants' pages


@pytest.fixture
def shipped_app(storage):
    app = create_app(
        {
            "TESTING": True,
            "FORMWORK_METADATA": SHIPPED,
            "FORMWORK_DATA": str(storage.data_dir),
            "FORMWORK_DATABASE": storage.database_url,
        }
    )
    for tenant in app.extensions["formwork"].registry.tenants:
        users.add_user(
            app.extensions["formwork"].registry.tenant(tenant), "ann", "editor", PASSWORD
        )
    return app


def _cases(registry):
    for name in sorted(registry.tenants):
        tenant = registry.tenant(name)
        for entity in sorted(tenant.entities):
            yield tenant.spec, entity


def _formatted(field, value, locality, currency=None) -> str | None:
    """What Babel itself writes for a value of a number, date or moment field (an amount
    in `currency`, else the tenant's); None for a field of another type."""
    locale, kind = Locale.parse(locality.locale), field.input_type
    if kind == "currency":
        return numbers.format_currency(value, currency or locality.currency, locale=locale)
    if kind == "percent":
        share = Decimal(str(value)) / 100
        return numbers.format_percent(share, locale=locale, decimal_quantization=False)
    if kind in ("integer", "decimal"):
        return numbers.format_decimal(value, locale=locale, decimal_quantization=False)
    if kind == "date":
        return dates.format_date(dt.date.fromisoformat(value), "medium", locale=locale)
    if kind == "datetime":
        moment = dt.datetime.fromisoformat(value).astimezone(zoneinfo.ZoneInfo(locality.timezone))
        return _plain(dates.format_datetime(moment, "medium", locale=locale))
    return None


def _plain(text: str) -> str:
    """CLDR's text of a time, with the narrow no-break space before AM or PM written as
    the plain space the pages write (engine.locales.NARROW_SPACE)."""
    return text.replace("\u202f", " ")


def _number_value(field) -> int | float:
    """A value with a thousands group and a fraction where the field allows them."""
    whole = field.input_type == "integer" or not field.precision
    value = 12345 if whole else 1234.5
    if field.max is not None and value > field.max:
        value = int(field.max // 2) if whole else field.max / 2 + 0.5
    return value


def _shown_fields(spec):
    """The fields a record page shows as written, whose formats this file checks."""
    for field in spec.fields:
        if field.stored and not field.hidden and not field.read_only and not field.visible_if:
            if field.input_type in ("integer", "decimal", "currency", "percent"):
                yield field, _number_value(field)
            elif field.input_type == "date":
                yield field, DAY
            elif field.input_type == "datetime":
                yield field, MOMENT


def test_record_and_list_pages_write_values_the_tenants_way(shipped_app):
    service = shipped_app.extensions["formwork"]
    checked = set()
    for tenant, entity in _cases(service.registry):
        spec = service.target(tenant.name, entity).spec
        shown = list(_shown_fields(spec))
        if not shown:
            continue
        payload = {
            **sample_payload(service, tenant.name, entity),
            **dict((f.name, v) for f, v in shown),
        }
        record = service.create(tenant.name, entity, payload, "ann")
        browser = Browser(shipped_app, tenant.name)
        browser.login("ann")
        page = unescape(browser.get(f"/{entity}/{record['id']}").get_data(as_text=True))
        shown_html = dict(re.findall(r"<div><dt>(.*?)</dt><dd>(.*?)</dd></div>", page, re.S))
        texts = {label: re.sub(r"<[^>]+>", "", html) for label, html in shown_html.items()}
        listing = unescape(browser.get(f"/{entity}/?sort=-id").get_data(as_text=True))
        for field, value in shown:
            code = _record_currency(service, tenant.name, spec, field, record)
            wanted = _formatted(field, value, tenant.locality, code)
            assert texts[field.label] == wanted, (tenant.name, entity, field.name)
            if field.input_type == "date":  # what machines read beside it
                assert shown_html[field.label].startswith(f'<time datetime="{value}">')
            if field.in_list:
                assert f">{wanted}<" in listing, (tenant.name, entity, field.name)
            checked.add(field.input_type)
    assert checked == {"integer", "decimal", "currency", "percent", "date"}


def _record_currency(service, tenant, spec, field, record) -> str | None:
    """The code of the currency the record names for an amount field, if it names one
    CLDR knows."""
    if not field.currency_field or record.get(field.currency_field) is None:
        return None
    named = spec.field(field.currency_field)
    code = record[field.currency_field]
    if named.lookup:
        code = service.read(tenant, named.lookup.entity, code)[named.lookup.show]
    return code if numbers.is_currency(code) else None


def _amounts_in_record_currencies(registry):
    for tenant, entity in _cases(registry):
        spec = tenant.entities[entity]
        amounts = [f for f in spec.fields if f.currency_field and not f.hidden]
        if amounts:
            yield tenant, entity, amounts


def test_an_amount_is_written_in_the_currency_its_record_names(shipped_app):
    """Two records of each shipped entity whose amounts follow a currency field, in two
    currencies: the record page, its edit form (read-only amounts) and the list write
    each amount in its own record's currency, as Babel writes it."""
    service = shipped_app.extensions["formwork"]
    cases = list(_amounts_in_record_currencies(service.registry))
    assert cases  # the shipped tenants have amounts in their records' currencies
    for tenant, entity, amounts in cases:
        browser = Browser(shipped_app, tenant.name)
        browser.login("ann")
        for code in ("JPY", "CHF"):
            payload = sample_payload(service, tenant.name, entity)
            named = tenant.entities[entity].field(amounts[0].currency_field)
            if named.lookup:
                linked = sample_payload(service, tenant.name, named.lookup.entity)
                linked[named.lookup.show] = code
                payload[named.name] = service.create(
                    tenant.name, named.lookup.entity, linked, "ann"
                )["id"]
            else:
                payload[named.name] = code
            editable = [f for f in amounts if not f.read_only and not f.visible_if]
            payload.update({f.name: 1234.5 for f in editable})
            record = service.create(tenant.name, entity, payload, "ann")
            page = unescape(browser.get(f"/{entity}/{record['id']}").get_data(as_text=True))
            texts = dict(re.findall(r"<div><dt>(.*?)</dt><dd>(.*?)</dd></div>", page, re.S))
            form = unescape(browser.get(f"/{entity}/{record['id']}/edit").get_data(as_text=True))
            listing = unescape(browser.get(f"/{entity}/?sort=-id").get_data(as_text=True))
            history = page.split('class="history', 1)[1]
            for field in amounts:
                if record.get(field.name) is None:
                    continue
                wanted = _formatted(field, record[field.name], tenant.locality, code)
                assert code != tenant.locality.currency and wanted
                assert texts[field.label] == wanted, (tenant.name, entity, field.name, code)
                assert wanted in history, (tenant.name, entity, field.name, code)
                if field.read_only:
                    assert wanted in form, (tenant.name, entity, field.name, code)
                if field.in_list:
                    assert f">{wanted}<" in listing, (tenant.name, entity, field.name, code)


def test_an_amount_whose_record_names_no_known_currency_is_in_the_tenants(tree, storage):
    sale = SALE.replace(
        "  - {name: placed",
        "  - {name: paid, sequence: 35, label: Paid, "
        "input_type: currency, group: MAIN, in_list: true}\n  - {name: placed",
    )
    root = tree(
        {
            "tenants/t/tenant.yaml": "tenant: t\nlabel: T\nlocale: de_DE\ncurrency: EUR\n",
            "entities/sale.yaml": sale % "currency_field: code, in_list: true",
        }
    )
    app = create_app(
        {
            "TESTING": True,
            "FORMWORK_METADATA": str(root),
            "FORMWORK_DATA": str(storage.data_dir),
            "FORMWORK_DATABASE": storage.database_url,
        }
    )
    service = app.extensions["formwork"]
    users.add_user(service.registry.tenant("t"), "ann", "editor", PASSWORD)
    browser = Browser(app, "t")
    browser.login("ann")
    wanted = {"USD": "1.234,50\xa0$", "XQX": "1.234,50\xa0€", None: "1.234,50\xa0€"}
    for code, text in wanted.items():
        record = service.create("t", "sale", {"code": code, "total": 1234.5, "paid": 1}, "ann")
        page = unescape(browser.get(f"/sale/{record['id']}").get_data(as_text=True))
        texts = dict(re.findall(r"<div><dt>(.*?)</dt><dd>(.*?)</dd></div>", page, re.S))
        assert texts["Total"] == text, code
        assert texts["Paid"] == "1,00\xa0€"  # an amount without currency_field: the tenant's
        listing = unescape(browser.get("/sale/?sort=-id").get_data(as_text=True))
        assert f">{text}<" in listing, code


# HTML's <time datetime>: a valid date, time of day, or date and time with its offset
HTML_DATE = r"\d{4}-\d{2}-\d{2}"
HTML_TIME = r"\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?"
HTML_OFFSET = r"(Z|[+-]\d{2}:\d{2})"
TIME_ELEMENT = re.compile(r'<time datetime="([^"]*)">([^<]*)</time>')


def time_problems(page: str, locality) -> tuple[list[str], list[str]]:
    """Each <time> of a page whose datetime is no valid HTML date, time or instant with
    its offset, or whose text is not Babel's for it in the tenant's locale and time zone
    (instants on the tenant's clock); and the datetimes found."""
    locale, zone = Locale.parse(locality.locale), zoneinfo.ZoneInfo(locality.timezone)
    problems, stamps = [], []
    for stamp, text in TIME_ELEMENT.findall(page):
        stamps.append(stamp)
        text = unescape(text)
        if re.fullmatch(HTML_DATE, stamp):
            wanted = dates.format_date(dt.date.fromisoformat(stamp), "medium", locale=locale)
        elif re.fullmatch(f"{HTML_DATE}T{HTML_TIME}{HTML_OFFSET}", stamp):
            moment = dt.datetime.fromisoformat(stamp)
            if moment.utcoffset() != moment.astimezone(zone).utcoffset():
                problems.append(f"{stamp} is not on the tenant's clock ({zone})")
            wanted = _plain(dates.format_datetime(moment.astimezone(zone), "medium", locale=locale))
        elif re.fullmatch(HTML_TIME, stamp):
            time = dt.time.fromisoformat(stamp)
            width = "medium" if time.second else "short"
            wanted = _plain(dates.format_time(time, width, locale=locale))
        else:
            problems.append(f"{stamp!r} is no valid datetime")
            continue
        if text != wanted:
            problems.append(f"{stamp} reads {text!r}, not {wanted!r}")
    return problems, stamps


def test_every_time_on_record_list_and_history_pages_is_machine_readable(shipped_app):
    """Records with their dates, changed once: their pages' every <time> has a valid
    datetime and the tenant's text for it; each date the record has is one of them."""
    service = shipped_app.extensions["formwork"]
    for tenant, entity in _cases(service.registry):
        shown = [(f, v) for f, v in _shown_fields(service.target(tenant.name, entity).spec)]
        days = {f.name: v for f, v in shown if f.input_type == "date"}
        payload = {**sample_payload(service, tenant.name, entity), **days}
        record = service.create(tenant.name, entity, payload, "ann")
        if days:  # a change of date in the history, from one day to the next
            later = {name: "2024-03-06" for name in days}
            changed = {**later, "rev_number": record["rev_number"]}
            record = service.update(tenant.name, entity, record["id"], changed, "ann")
        browser = Browser(shipped_app, tenant.name)
        browser.login("ann")
        for path in (f"/{entity}/{record['id']}", f"/{entity}/?sort=-id"):
            page = browser.get(path).get_data(as_text=True)
            problems, stamps = time_problems(page, tenant.locality)
            assert not problems, (tenant.name, path, problems)
            if path.endswith(str(record["id"])):  # the history's times at least
                assert stamps, (tenant.name, path, "no <time> at all")
                assert stamps.count("2024-03-06") >= len(days), (tenant.name, entity)
                assert stamps.count(DAY) >= len(days), (tenant.name, entity)  # history
            elif listed := [f for f, _ in shown if f.name in days and f.in_list]:
                assert stamps.count("2024-03-06") >= len(listed), (tenant.name, path)


def test_a_time_of_day_is_written_the_tenants_way_with_its_datetime(tree, storage):
    root = tree(
        {
            "tenants/t/tenant.yaml": "tenant: t\nlabel: T\nlocale: de_DE\n",
            "entities/shift.yaml": """\
                entity: shift
                label: Shift
                plural: Shifts
                fields:
                  - {name: title, sequence: 10, label: Title, input_type: text, group: MAIN,
                     in_list: true}
                  - {name: starts, sequence: 20, label: Starts, input_type: time, group: MAIN,
                     in_list: true}
                  - {name: ends, sequence: 30, label: Ends, input_type: time, group: MAIN,
                     in_list: true}
            """,
        }
    )
    app = create_app(
        {
            "TESTING": True,
            "FORMWORK_METADATA": str(root),
            "FORMWORK_DATA": str(storage.data_dir),
            "FORMWORK_DATABASE": storage.database_url,
        }
    )
    service = app.extensions["formwork"]
    users.add_user(service.registry.tenant("t"), "ann", "editor", PASSWORD)
    values = {"title": "Early", "starts": "06:30", "ends": "14:15:30"}
    record = service.create("t", "shift", values, "ann")
    browser = Browser(app, "t")
    browser.login("ann")
    for path in (f"/shift/{record['id']}", "/shift/"):
        page = browser.get(path).get_data(as_text=True)
        times = dict(TIME_ELEMENT.findall(page))
        assert times["06:30:00"] == "06:30", path  # German: 24 hours, no seconds to show
        assert times["14:15:30"] == "14:15:30", path
        assert time_problems(page, service.registry.tenant("t").spec.locality)[0] == []


def test_the_api_answers_json_numbers_and_iso_dates_whatever_the_locale(shipped_app):
    service = shipped_app.extensions["formwork"]
    client = shipped_app.test_client()
    for tenant, entity in _cases(service.registry):
        shown = list(_shown_fields(service.target(tenant.name, entity).spec))
        if not shown:
            continue
        payload = {**sample_payload(service, tenant.name, entity), **{f.name: v for f, v in shown}}
        token = users.issue_token(service.registry.tenant(tenant.name), "ann")
        headers = {"Authorization": f"Bearer {token}"}
        made = client.post(f"/api/{tenant.name}/{entity}", json=payload, headers=headers)
        assert made.status_code == 201, made.json
        read = client.get(f"/api/{tenant.name}/{entity}/{made.json['id']}", headers=headers).json
        for field, value in shown:
            if field.input_type == "datetime":
                assert dt.datetime.fromisoformat(read[field.name]) == dt.datetime.fromisoformat(
                    value
                )
            else:
                assert read[field.name] == value, (tenant.name, entity, field.name)


# forms: numbers typed the locale's way


def _typed(field, value, form_html, locality) -> str:
    """The number as its person types it: the locale's way (grouping and all) into a text
    input, plain digits into a browser's number input."""
    tag = re.search(rf'<input type="(\w+)" id="field-{field.name}"', form_html)
    if tag.group(1) == "number":
        return str(value)
    assert 'inputmode="decimal"' in form_html
    return numbers.format_decimal(value, locale=locality.locale, decimal_quantization=False)


def _record_form(browser, url) -> tuple[str, dict]:
    """The edit form's HTML, and what it submits of the record itself: its blank new line
    rows are left out, as the lines are not what this file checks."""
    html = browser.get(url).get_data(as_text=True)
    data = {k: v for k, v in submitted(html).items() if not re.match(r"\w+-\d+-", k)}
    data.pop("csrf_token", None)
    return html, data


def test_a_form_stores_numbers_typed_with_the_locales_decimal_symbol(shipped_app):
    service = shipped_app.extensions["formwork"]
    typed_as_text = 0
    for tenant, entity in _cases(service.registry):
        spec = service.target(tenant.name, entity).spec
        numeric = [(f, v) for f, v in _shown_fields(spec) if f.type.numeric and not f.set_once]
        if not numeric:
            continue
        record = service.create(
            tenant.name, entity, sample_payload(service, tenant.name, entity), "ann"
        )
        browser = Browser(shipped_app, tenant.name)
        browser.login("ann")
        url = f"/{entity}/{record['id']}/edit"
        form_html, data = _record_form(browser, url)
        for field, value in numeric:
            data[field.name] = _typed(field, value, form_html, tenant.locality)
            typed_as_text += data[field.name] != str(value)
        saved = browser.post(url, data)
        assert saved.status_code == 302, (tenant.name, entity, saved.get_data(as_text=True)[:3000])
        stored = service.read(tenant.name, entity, record["id"])
        for field, value in numeric:
            assert stored[field.name] == value, (tenant.name, entity, field.name)
        # shown again for editing as the locale writes the fraction, and stored unchanged
        again = _record_form(browser, url)[1]
        assert browser.post(url, again).status_code == 302
        assert service.read(tenant.name, entity, record["id"])["rev_number"] == (
            stored["rev_number"] + 1
        )
        for field, value in numeric:
            assert service.read(tenant.name, entity, record["id"])[field.name] == value
    assert typed_as_text > 0  # some tenant's people typed 1.234,5


def test_a_number_typed_the_wrong_way_is_refused_and_shown_again_as_typed(shipped_app):
    service = shipped_app.extensions["formwork"]
    tenant = next(
        t
        for t, _ in _cases(service.registry)
        if numbers.get_decimal_symbol(t.locality.locale) == ","
    )
    entity, field = next(
        (e, f)
        for t, e in _cases(service.registry)
        if t.name == tenant.name
        for f, _ in _shown_fields(service.target(t.name, e).spec)
        if f.input_type != "integer" and f.type.numeric and not f.set_once
    )
    record = service.create(
        tenant.name, entity, sample_payload(service, tenant.name, entity), "ann"
    )
    browser = Browser(shipped_app, tenant.name)
    browser.login("ann")
    url = f"/{entity}/{record['id']}/edit"
    data = _record_form(browser, url)[1]
    data[field.name] = "12.5"  # in German, the dot groups thousands: no number
    answer = browser.post(url, data)
    page = answer.get_data(as_text=True)
    assert answer.status_code in (200, 422)
    assert f"{field.label} must be" in unescape(page)
    assert f'name="{field.name}" value="12.5"' in page
    assert service.read(tenant.name, entity, record["id"])["rev_number"] == record["rev_number"]


# a form's date and time is on the tenant's clock

MEETING = """\
entity: meeting
label: Meeting
plural: Meetings
title_field: topic
fields:
  - {name: topic, sequence: 1, label: Topic, input_type: text, group: MAIN, required: true}
  - {name: starts, sequence: 2, label: Starts, input_type: datetime, group: MAIN}
"""


@pytest.mark.parametrize("zone", ["Asia/Kolkata", "America/Chicago", "UTC"])
def test_a_forms_date_and_time_is_on_the_tenants_clock(tree, storage, zone):
    from test_pages import make_app

    root = tree(
        {
            "tenants/t/tenant.yaml": f"tenant: t\nlabel: T\nlocale: en_IN\ntimezone: {zone}\n",
            "entities/meeting.yaml": MEETING,
        }
    )
    app = make_app(root, storage)
    service = app.extensions["formwork"]
    users.add_user(service.registry.tenant("t"), "ann", "editor", PASSWORD)
    record = service.create("t", "meeting", {"topic": "Plan", "starts": MOMENT}, "ann")
    browser = Browser(app, "t")
    browser.login("ann")
    url = f"/meeting/{record['id']}/edit"
    local = dt.datetime.fromisoformat(MOMENT).astimezone(zoneinfo.ZoneInfo(zone))
    data = _record_form(browser, url)[1]
    assert data["starts"] == local.strftime("%Y-%m-%dT%H:%M")  # as the record page reads
    assert browser.post(url, data).status_code == 302  # saved unchanged: the same instant
    stored = service.read("t", "meeting", record["id"])
    assert dt.datetime.fromisoformat(stored["starts"]) == dt.datetime.fromisoformat(MOMENT)
    data = {**_record_form(browser, url)[1], "starts": "2024-07-01T09:15"}  # summer time
    assert browser.post(url, data).status_code == 302
    typed = dt.datetime(2024, 7, 1, 9, 15, tzinfo=zoneinfo.ZoneInfo(zone))
    stored = service.read("t", "meeting", record["id"])["starts"]
    assert dt.datetime.fromisoformat(stored) == typed
    page = unescape(browser.get(f"/meeting/{record['id']}").get_data(as_text=True))
    assert _plain(dates.format_datetime(typed, "medium", locale="en_IN")) in page
