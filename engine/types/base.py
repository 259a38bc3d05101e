"""What an input type answers, and the answers most types give.

`InputType` is the interface: every caller asks a type object, never a type's name.
A family of types (text, numbers, moments, choices, links) is a subclass that changes
the hooks it needs, as a WTForms field changes its widget or its `process_formdata`;
one instance of a family is one row of the table in engine.types.table.

`store` and `load` are plain functions held by the row, not methods: types that convert
alike share one function, so a fast path may tell by identity that two columns convert
the same way (engine.records.page_sql reads text and dates without a call).
"""

from __future__ import annotations

import decimal
import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import peewee

from engine.types.cells import Converter, read_text

if TYPE_CHECKING:
    from engine.bulk.lookups import LookupIndex
    from engine.locales import Locality
    from engine.spec import FieldSpec

ColumnReader = Callable[[Sequence[str]], list[Any]]
Texts = Callable[[list[Any]], list[str]]

TEXT_KEYS = frozenset({"min_length", "max_length", "pattern"})
NUMBER_KEYS = frozenset({"min", "max"})
CHOICE_KEYS = frozenset({"options"})
STORE_ERRORS = (ValueError, TypeError, OverflowError, decimal.InvalidOperation)


def as_it_is(value: Any) -> Any:
    """A value that needs no conversion between JSON and its column."""
    return value


def show_plain(value: Any) -> str:
    """A value as its text; nothing for None."""
    return "" if value is None else str(value)


@dataclass(frozen=True, kw_only=True, eq=False)
class InputType:
    """One input type: everything the engine needs to know about it.

    The fields are what differs between the types of one family; the class attributes
    (ClassVar) are what a family answers alike; the methods are the hooks callers ask.
    A method's `field` is a FieldSpec, or anything with its constraint attributes."""

    name: str
    aliases: tuple[str, ...] = ()
    expects: str  # finishes "… must be …" in messages
    widget: str = ""  # the macro of webui/templates/widgets.html; its name by default
    keys: frozenset[str] = frozenset()  # the constraint keys a field of the type may declare
    default_max_length: int | None = None
    default_precision: int | None = None
    free_text: bool = False  # any text is a value of it, so a numbering pattern may fill it
    # between a validated JSON value and what the column holds
    store: Callable[[Any], Any] = as_it_is
    load: Callable[[Any], Any] = as_it_is

    numeric: ClassVar[bool] = False  # a number people type, with a step and decimal places
    whole_numbers: ClassVar[bool] = False  # every value is a whole number (a line's place)
    attachment: ClassVar[bool] = False  # a value is the reference of an uploaded file
    images_only: ClassVar[bool] = False  # … of an image a browser shows safely
    holds_lists: ClassVar[bool] = False  # a value is a list, kept as JSON text
    written_as_field: ClassVar[bool] = True  # declared under fields: (lines are not)
    # keys a field of the type cannot do without, each with what it gives
    needs: ClassVar[Mapping[str, str]] = {}
    # How the widget's macro uses its value (webui.prerender): "text", escaped into one
    # place; "truth", as a checkbox; "option", compared with the options' values; None,
    # in some other way, so the macro renders the field on every request.
    value_use: ClassVar[str | None] = "text"
    # an empty input sends nothing (an unticked checkbox, a multiple select with nothing
    # chosen): the form names such a field in `_shown`, so that nothing means empty
    empty_sends_nothing: ClassVar[bool] = False
    html_required: ClassVar[bool] = True  # a required checkbox would have to be ticked
    filter_by_equality: ClassVar[bool] = True  # a list filter is column = value (see matches)

    def __post_init__(self) -> None:
        if not self.widget:
            object.__setattr__(self, "widget", self.name)

    # what a value is, and where it is kept

    def schema(self, field: FieldSpec) -> dict:
        """The JSON Schema fragment of a value of the field."""
        raise NotImplementedError(f"{self.name} has no schema")

    def column(self, field: FieldSpec) -> peewee.Field:
        """The Peewee column that keeps the field's values. A type whose values keep no
        column of their own (lines) has None here instead of the method, so that
        `row.column is None` tells it."""
        raise NotImplementedError(f"{self.name} has no column")

    def column_range(self, field: FieldSpec | None) -> tuple[Any, Any] | None:
        """The smallest and largest number the column holds; None for a column that is
        not numeric. `field` is None for a system column."""
        return None

    def fits(self, field: FieldSpec | None, value: Any) -> bool:
        """Whether the column can hold the value, so that a query may compare the column
        with it: a value of the wrong kind, or a number out of the column's range, is an
        error in the database rather than a row that does not match."""
        if isinstance(value, list | dict) and not self.holds_lists:
            return False
        limits = self.column_range(field)
        if limits is not None:
            if isinstance(value, bool) or not isinstance(value, int | float | decimal.Decimal):
                return False
            if not decimal.Decimal(value).is_finite():
                return False
            low, high = limits
            if not low <= value <= high:
                return False
        try:
            self.store(value)
        except STORE_ERRORS:
            return False
        return True

    def fits_check(self, field: FieldSpec | None) -> Callable[[Any], bool]:
        """`fits` for one field, as a callable built once: its range looked up once, and a
        value of the usual classes (text; a whole number or a float, for a numeric
        column) checked without `fits`' general tests. Any other value, and any type that
        has its own `fits`, goes to `fits`, the oracle of this shortcut."""
        if type(self).fits is not InputType.fits:
            return functools.partial(self.fits, field)
        limits = self.column_range(field)
        store, fits = self.store, self.fits
        low, high = limits if limits is not None else (0, 0)

        def check(value: Any) -> bool:
            kind = value.__class__
            if limits is None and kind is not str:
                return fits(field, value)
            if limits is not None:
                if kind is float and not math.isfinite(value):
                    return False
                if kind is not int and kind is not float:
                    return fits(field, value)
                if not low <= value <= high:
                    return False
            try:
                store(value)
            except STORE_ERRORS:
                return False
            return True

        return check

    @property
    def always_fits(self) -> bool:
        """Whether the column holds every value the schema lets through (text kept as it
        is, in no range), so that `fits` need not be asked of a valid value."""
        return self.store is as_it_is and self.column_range(None) is None

    # text people type: forms and filters

    def parse(self, text: str) -> Any:
        """A typed text (a form's input, a list filter) as a value; ValueError (or
        decimal.InvalidOperation) when it is none."""
        return text.strip()

    def form_input(self, form: Any, first: Mapping[str, Any], key: str) -> Any:
        """What a submitted form holds for the input `key`, as it is shown again:
        `first` is each name's first value, `form` the MultiDict with every value."""
        return first.get(key, "")

    def form_value(self, raw: Any, locality: Locality | None = None) -> Any:
        """The value of what `form_input` read: nothing typed is None. `locality` says
        how its people type numbers."""
        return None if raw == "" else self.parse(raw)

    def form_text(self, value: Any) -> Any:
        """A stored value as the widget shows it for editing."""
        return "" if value is None else str(value)

    def local_form_text(self, value: Any, locality: Locality) -> Any:
        """A stored value as the widget shows it for editing to people of `locality`, as
        `form_value` with that locality reads it back."""
        return self.form_text(value)

    def form_text_for(self, locality: Locality) -> Callable[[Any], Any]:
        """`local_form_text` for one locality, as a callable a form calls per field; the
        plain `form_text` itself where the type writes every locality's values alike."""
        if type(self).local_form_text is InputType.local_form_text:
            return self.form_text
        return functools.partial(self.local_form_text, locality=locality)

    def html_attributes(self, field: FieldSpec) -> dict[str, Any]:
        """The HTML attributes that state the field's constraints in the browser."""
        attrs: dict[str, Any] = {}
        if field.required and not field.visible_if and self.html_required:
            attrs["required"] = True
        if field.max_length is not None:
            attrs["maxlength"] = field.max_length
        if field.min_length is not None:
            attrs["minlength"] = field.min_length
        if field.min is not None:
            attrs["min"] = field.min
        if field.max is not None:
            attrs["max"] = field.max
        if field.pattern is not None:
            attrs["pattern"] = field.pattern
        step = self.html_step(field)
        if step is not None:
            attrs["step"] = step
        if field.placeholder:
            attrs["placeholder"] = field.placeholder
        if field.read_only:
            attrs["readonly"] = True
        return attrs

    def html_step(self, field: FieldSpec) -> str | None:
        """The step of a number input; None for other inputs."""
        return None

    # list filters

    def filter_value(self, field: FieldSpec | None, text: str) -> Any:
        """A list filter's text as the column's value; ValueError for what the column
        cannot hold, which the database would answer with an error, not with no rows."""
        value = self.parse(text)
        if not self.fits(field, value):
            raise ValueError(f"{text!r} is out of range")
        return self.store(value)

    def matches(self, column: peewee.Field, value: Any) -> peewee.Expression:
        """The condition a list filter puts on the column, given `filter_value`'s value."""
        return column == value

    def filter_schema(self, field: FieldSpec) -> dict:
        """What a list filter on the field accepts (its OpenAPI parameter): a value of the
        field's type, as text."""
        written = self.schema(field)
        if "enum" in written:
            return {"enum": [str(v) for v in written["enum"]]}
        if "type" not in written:
            return {"type": "string"}
        kept = {k: written[k] for k in ("type", "format") if k in written}
        limits = self.column_range(field)
        if limits is not None:
            kept["minimum"], kept["maximum"] = limits
        return kept

    def filter_choices(self, field: FieldSpec) -> list[tuple[str, str]] | None:
        """The (value, label) choices of the list page's filter select; None: no such
        filter."""
        return None

    def filter_indexed(self, field: FieldSpec) -> bool:
        """Whether the list page's filter on the field is answered from an index on its
        column, which the schema sync then builds: every field with a filter select whose
        filter is an equality gets one."""
        return self.filter_by_equality and self.filter_choices(field) is not None

    # values shown

    def show(self, value: Any) -> str:
        """A value as people read it, without the field (options show by value)."""
        return show_plain(value)

    def display(self, field: FieldSpec, value: Any, locality: Locality | None = None) -> str:
        """A value of the field as a page shows it (an option by its label): what
        `list_texts` writes for it."""
        return self.list_texts(field, locality)([value])[0]

    def machine_text(self, value: Any, locality: Locality) -> str | None:
        """The value as machines read it beside the text people read, for a page's
        <time datetime>: a moment's ISO text; None for a type that is no moment."""
        return None

    def list_texts(self, field: FieldSpec, locality: Locality | None = None) -> Texts:
        """The function a list page turns a column of the field's values into texts with:
        chosen once per field, then called on each page. With a `locality`, numbers and
        moments are written as its people read them; without, as plain text."""
        show = self.show
        # text, as most values are, is shown as it is: no call for it
        return lambda values: [v if v.__class__ is str else show(v) for v in values]

    # spreadsheet cells: imports, exports and templates

    def cell_reader(
        self, field: FieldSpec, lookup: LookupIndex | None = None, decimal_comma: bool = False
    ) -> Converter:
        """The function that turns a non-empty cell of the field's column into its value;
        it raises ValueError (or a kin) for a cell that is no value of the field.
        `lookup` resolves a linked record's number or title; `decimal_comma` reads
        1234,5 as a number, in a file not delimited by commas."""
        return read_text

    def column_reader(self, field: FieldSpec) -> ColumnReader | None:
        """For a CSV column of the field, a function converting the whole column in one
        pass at C speed, or raising (ValueError, TypeError, KeyError) at the first cell
        that is not plain, for `cell_reader` to take over; None where there is none."""
        return None

    def cell_text(self, field: FieldSpec, value: Any) -> Any:
        """A value as the cell an export writes: `cell_reader` reads it back to `value`."""
        return "" if value is None else self.show(value)

    def template_choices(self, field: FieldSpec) -> list[str] | None:
        """The drop-down list of a template's column for the field; None for none."""
        return None

    def cell_hint(self, field: FieldSpec) -> str | None:
        """What a template's note says of the field's cells beyond what it expects."""
        return None


def show_each(show: Callable[[Any], str]) -> Texts:
    """List texts that call `show` on every value: for types that show no value as its
    own text."""
    return lambda values: list(map(show, values))
