"""Moment types: date, datetime and time, ISO 8601 text in JSON, typed columns."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import peewee

from engine.types.base import ColumnReader, InputType, Texts
from engine.types.cells import Converter, stripped

if TYPE_CHECKING:
    from engine.bulk.lookups import LookupIndex
    from engine.locales import Locality
    from engine.spec import FieldSpec

TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"
# what str() writes of a naive datetime, as SQLite keeps one: to the second or microsecond
_NAIVE_TEXT = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?", re.ASCII)


def load_isoformat(value: Any) -> str | None:
    """A date or time column's value as ISO text."""
    return value if value is None or isinstance(value, str) else value.isoformat()


def store_datetime(value: str) -> dt.datetime:
    """Stored as naive UTC, so every backend keeps the same instant."""
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def load_datetime(value: Any) -> str | None:
    """A naive UTC column value as ISO text with its offset."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return None if value is None else value.replace(tzinfo=dt.UTC).isoformat()


def load_datetime_text(text: str) -> str | None:
    """load_datetime's answer for the naive datetime that `text` writes as str() does,
    with no datetime made (its replace and isoformat cost microseconds): the same digits,
    T between date and time, UTC's offset after; None for any other text."""
    if _NAIVE_TEXT.fullmatch(text) is None or text.endswith(".000000"):
        return None  # isoformat leaves out a fraction of none
    iso = f"{text[:10]}T{text[11:]}"
    try:
        dt.datetime.fromisoformat(iso)  # a day and time that exist
    except ValueError:
        return None
    return f"{iso}+00:00"


def _store_date(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def _store_time(value: str) -> dt.time:
    return dt.time.fromisoformat(value)


@dataclass(frozen=True, kw_only=True, eq=False)
class DateType(InputType):
    """A calendar date, YYYY-MM-DD."""

    store: Callable[[Any], Any] = _store_date
    load: Callable[[Any], Any] = load_isoformat

    def schema(self, field: FieldSpec) -> dict:
        """A string of the date format."""
        return {"type": "string", "format": "date"}

    def column(self, field: FieldSpec) -> peewee.Field:
        """A date column."""
        return peewee.DateField(null=True)

    def list_texts(self, field: FieldSpec, locality: Locality | None = None) -> Texts:
        """Dates in the locality's medium format; ISO text without one."""
        if locality is None:
            return super().list_texts(field)
        return lambda values: ["" if v is None else locality.date(v) for v in values]

    def machine_text(self, value: Any, locality: Locality) -> str | None:
        """The date as ISO text, YYYY-MM-DD."""
        return None if value in (None, "") else load_isoformat(value)[:10]

    def parse(self, text: str) -> str:
        """A typed date, checked, as ISO text."""
        return dt.date.fromisoformat(text.strip()).isoformat()

    def cell_reader(
        self, field: FieldSpec, lookup: LookupIndex | None = None, decimal_comma: bool = False
    ) -> Converter:
        """An XLSX date, or a text the validator checks, as it does for the API."""
        return self._read

    def _read(self, cell: Any) -> str:
        if cell.__class__ is str:
            return cell.strip()  # the validator checks the format: no second parse here
        if isinstance(cell, dt.datetime):
            return cell.date().isoformat()
        if isinstance(cell, dt.date):
            return cell.isoformat()
        return self.parse(str(cell))

    def column_reader(self, field: FieldSpec) -> ColumnReader:
        """Texts trimmed, all at once: the validator checks each."""
        return stripped


@dataclass(frozen=True, kw_only=True, eq=False)
class DateTimeType(InputType):
    """An instant: a date and time with its offset, kept as UTC."""

    store: Callable[[Any], Any] = store_datetime
    load: Callable[[Any], Any] = load_datetime

    def schema(self, field: FieldSpec) -> dict:
        """A string of the date-time format."""
        return {"type": "string", "format": "date-time"}

    def column(self, field: FieldSpec) -> peewee.Field:
        """A timestamp column, UTC."""
        return peewee.DateTimeField(null=True)

    def list_texts(self, field: FieldSpec, locality: Locality | None = None) -> Texts:
        """Instants in the locality's time zone and medium format; ISO text without."""
        if locality is None:
            return super().list_texts(field)
        return lambda values: ["" if v is None else locality.moment(v) for v in values]

    def machine_text(self, value: Any, locality: Locality) -> str | None:
        """The instant on the tenant's clock, to the second, with that clock's offset."""
        return None if value in (None, "") else locality.iso_moment(value)

    def parse(self, text: str) -> str:
        """A typed date and time as ISO text; without an offset, as a form's
        datetime-local input sends it, taken as UTC."""
        moment = dt.datetime.fromisoformat(text.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return moment.isoformat()

    def form_text(self, value: Any) -> Any:
        """The browser's datetime-local input has no seconds or offset."""
        if isinstance(value, str):
            return value[:16]
        return super().form_text(value)

    def local_form_text(self, value: Any, locality: Locality) -> Any:
        """On the locality's clock: what its people read on the record's page."""
        if isinstance(value, str):
            return locality.local(value).strftime("%Y-%m-%dT%H:%M")
        return self.form_text(value)

    def form_value(self, raw: Any, locality: Locality | None = None) -> Any:
        """A form's date and time, without an offset, is on the locality's clock (UTC's
        without one)."""
        if raw == "" or locality is None:
            return super().form_value(raw)
        moment = dt.datetime.fromisoformat(raw.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=locality.zone)
        return moment.isoformat()

    def cell_reader(
        self, field: FieldSpec, lookup: LookupIndex | None = None, decimal_comma: bool = False
    ) -> Converter:
        """An XLSX date and time (taken as UTC), or a text read as a form's."""
        return self._read

    def _read(self, cell: Any) -> str:
        if isinstance(cell, dt.datetime):
            moment = cell if cell.tzinfo else cell.replace(tzinfo=dt.UTC)
            return moment.isoformat()
        return self.parse(str(cell))


@dataclass(frozen=True, kw_only=True, eq=False)
class TimeType(InputType):
    """A time of day, HH:MM or HH:MM:SS."""

    store: Callable[[Any], Any] = _store_time
    load: Callable[[Any], Any] = load_isoformat

    def schema(self, field: FieldSpec) -> dict:
        """A string of the time pattern."""
        return {"type": "string", "pattern": TIME_PATTERN}

    def column(self, field: FieldSpec) -> peewee.Field:
        """A time column."""
        return peewee.TimeField(null=True)

    def list_texts(self, field: FieldSpec, locality: Locality | None = None) -> Texts:
        """Times of day in the locality's format; ISO text without one."""
        if locality is None:
            return super().list_texts(field)
        return lambda values: ["" if v in (None, "") else locality.time_of_day(v) for v in values]

    def machine_text(self, value: Any, locality: Locality) -> str | None:
        """The time of day as ISO text, HH:MM:SS (or HH:MM as typed)."""
        return None if value in (None, "") else load_isoformat(value)

    def cell_reader(
        self, field: FieldSpec, lookup: LookupIndex | None = None, decimal_comma: bool = False
    ) -> Converter:
        """An XLSX time, or a trimmed text the validator checks."""
        return _read_time


def _read_time(cell: Any) -> str:
    if isinstance(cell, dt.time | dt.datetime):
        return cell.strftime("%H:%M:%S")
    return str(cell).strip()
