"""A tenant's locale and time zone: how its pages write numbers, amounts and moments for
people, and how its forms read the numbers people type.

Every format is CLDR's, through Babel: nothing here spells a separator or a date order.
The JSON API and the exports never come here; they stay locale-neutral (JSON numbers,
ISO 8601 text).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import babel
from babel import dates, numbers

DEFAULT_LOCALE = "en"
DEFAULT_TIMEZONE = "UTC"
# ISO 4217: three capital letters, checked against CLDR's list of currencies
CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")
# CLDR (since 42) puts a narrow no-break space between a time and its AM or PM; times are
# written with a plain space, as before: such a time copied into a search box, a
# spreadsheet or strptime reads back, and a page of English text stays ASCII
NARROW_SPACE = "\u202f"


def locale_problem(text: str) -> str | None:
    """Why `text` names no locale Babel knows (None when it names one)."""
    try:
        babel.Locale.parse(text, sep="_" if "_" in text else "-")
    except (ValueError, TypeError, babel.UnknownLocaleError):
        return f"unknown locale '{text}'; write a CLDR locale such as en, de or de_CH"
    return None


def timezone_problem(text: str) -> str | None:
    """Why `text` names no IANA time zone (None when it names one)."""
    try:
        zoneinfo.ZoneInfo(text)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        return f"unknown time zone '{text}'; write an IANA name such as UTC or Europe/Berlin"
    return None


def currency_problem(text: str) -> str | None:
    """Why `text` is no ISO 4217 currency code CLDR knows (None when it is one)."""
    if not CURRENCY_CODE.match(text) or not numbers.is_currency(text):
        return f"unknown currency '{text}'; write an ISO 4217 code such as EUR or USD"
    return None


@dataclass(frozen=True)
class Locality:
    """Where a tenant's people are: their locale (a CLDR name such as de_DE), their time
    zone (an IANA name) and the currency amounts are in when a record names none."""

    locale: str = DEFAULT_LOCALE
    timezone: str = DEFAULT_TIMEZONE
    currency: str | None = None

    @functools.cached_property
    def babel_locale(self) -> babel.Locale:
        """The locale as Babel reads it."""
        return babel.Locale.parse(self.locale, sep="_" if "_" in self.locale else "-")

    @functools.cached_property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The time zone moments are shown in."""
        return zoneinfo.ZoneInfo(self.timezone)

    @functools.cached_property
    def decimal_symbol(self) -> str:
        """The character between a number's whole part and its fraction."""
        return numbers.get_decimal_symbol(self.babel_locale)

    @property
    def typed_as_text(self) -> bool:
        """Whether a number input must be a text input: a browser's number input takes
        only the dot before the fraction."""
        return self.decimal_symbol != "."

    # numbers and moments as people read them

    def number(self, value: Any) -> str:
        """A number with the locale's grouping and decimal symbol, every digit kept."""
        return numbers.format_decimal(value, locale=self.babel_locale, decimal_quantization=False)

    def amount(self, value: Any, places: int, currency: str | None = None) -> str:
        """An amount in `currency` (the record's), else in the locality's; with no
        currency known, a number of `places` decimals."""
        currency = currency or self.currency
        if currency:
            return numbers.format_currency(value, currency, locale=self.babel_locale)
        pattern = "#,##0." + "0" * places if places else "#,##0"
        return numbers.format_decimal(value, pattern, locale=self.babel_locale)

    def percent(self, value: Any) -> str:
        """A percentage as stored (12.5 is 12.5 %), written the locale's way."""
        share = Decimal(str(value)) / 100
        return numbers.format_percent(share, locale=self.babel_locale, decimal_quantization=False)

    def date(self, value: str | dt.date) -> str:
        """A date (ISO text or a date) in the locale's medium format."""
        day = dt.date.fromisoformat(value) if isinstance(value, str) else value
        return dates.format_date(day, "medium", locale=self.babel_locale)

    def moment(self, value: str | dt.datetime) -> str:
        """An instant (ISO text with its offset, or naive UTC) in the tenant's time zone,
        in the locale's medium format."""
        text = dates.format_datetime(self.local(value), "medium", locale=self.babel_locale)
        return text.replace(NARROW_SPACE, " ")

    def time_of_day(self, value: str | dt.time) -> str:
        """A time of day (ISO text or a time) in the locale's format, with its seconds
        where it has some."""
        time = dt.time.fromisoformat(value) if isinstance(value, str) else value
        width = "medium" if time.second or time.microsecond else "short"
        return dates.format_time(time, width, locale=self.babel_locale).replace(NARROW_SPACE, " ")

    def iso_moment(self, value: str | dt.datetime) -> str:
        """An instant as ISO text on the tenant's clock, to the second, with its offset:
        what HTML's <time datetime> takes."""
        return self.local(value).isoformat(timespec="seconds")

    def local(self, value: str | dt.datetime) -> dt.datetime:
        """An instant as the tenant's clock shows it."""
        moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(self.zone)

    # numbers as people type them

    def parse_number(self, text: str) -> Decimal:
        """A number typed the locale's way (1.234,5 in German), grouping checked;
        ValueError for anything else, such as 1234.5 where the dot groups digits."""
        try:
            return numbers.parse_decimal(text.strip(), locale=self.babel_locale, strict=True)
        except numbers.NumberFormatError as error:
            raise ValueError(str(error)) from error

    def typed_number(self, value: Any) -> str:
        """A stored number as a text input shows it for editing: the locale's decimal
        symbol, no grouping (what parse_number reads back)."""
        if value is None:
            return ""
        return str(value).replace(".", self.decimal_symbol)


ENGLISH_UTC = Locality()
