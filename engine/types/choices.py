"""Choice types: switch (yes or no), select (one option) and multiselect (several).

Options are shown, exported and offered by their labels, and read back by value or
label alike.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import peewee

from engine.cell_text import normalized
from engine.types.base import CHOICE_KEYS, ColumnReader, InputType, Texts, show_each
from engine.types.cells import Converter, mapped, parts

if TYPE_CHECKING:
    from engine.bulk.lookups import LookupIndex
    from engine.locales import Locality
    from engine.spec import FieldSpec

_YES_NO = [("true", "Yes"), ("false", "No")]
_SWITCH_WORDS = {
    word: value
    for words, value in (
        (("yes", "true", "y", "1", "on"), True),
        (("no", "false", "n", "0", "off"), False),
    )
    for plain in words
    for word in (plain, plain.upper(), plain.capitalize())
}
_SWITCH_COLUMN = {**_SWITCH_WORDS, "": None}


@dataclass(frozen=True, kw_only=True, eq=False)
class SwitchType(InputType):
    """Yes or no: a checkbox on forms, Yes/No in files and lists."""

    value_use: ClassVar[str | None] = "truth"
    empty_sends_nothing: ClassVar[bool] = True
    html_required: ClassVar[bool] = False

    def schema(self, field: FieldSpec) -> dict:
        """A JSON boolean."""
        return {"type": "boolean"}

    def column(self, field: FieldSpec) -> peewee.Field:
        """A boolean column."""
        return peewee.BooleanField(null=True)

    def parse(self, text: str) -> bool:
        """yes/no, true/false, on/off, 1/0, y/n, in any case; nothing is no."""
        lowered = text.strip().lower()
        if lowered in {"1", "true", "on", "yes", "y"}:
            return True
        if lowered in {"", "0", "false", "off", "no", "n"}:
            return False
        raise ValueError(f"{text!r} is not yes or no")

    def show(self, value: Any) -> str:
        """Yes or No; nothing for None."""
        return {True: "Yes", False: "No"}.get(value, "")

    def list_texts(self, field: FieldSpec, locality: Locality | None = None) -> Texts:
        """Yes or No, each."""
        return show_each(self.show)

    def form_input(self, form: Any, first: Mapping[str, Any], key: str) -> str:
        """A ticked checkbox sends its value; an unticked one nothing."""
        return "on" if first.get(key) else ""

    def form_value(self, raw: Any, locality: Locality | None = None) -> bool:
        """Ticked or not."""
        return bool(raw)

    def form_text(self, value: Any) -> Any:
        """The value itself: the checkbox is ticked by its truth."""
        return "" if value is None else value

    def filter_choices(self, field: FieldSpec) -> list[tuple[str, str]]:
        """Yes or No."""
        return list(_YES_NO)

    def template_choices(self, field: FieldSpec) -> list[str]:
        """Yes or No."""
        return ["Yes", "No"]

    def cell_reader(
        self, field: FieldSpec, lookup: LookupIndex | None = None, decimal_comma: bool = False
    ) -> Converter:
        """An XLSX boolean, 1 or 0, or a word parse takes."""
        return self._read

    def _read(self, cell: Any) -> bool:
        if cell.__class__ is str and cell in _SWITCH_WORDS:  # the usual spellings, at once
            return _SWITCH_WORDS[cell]
        if isinstance(cell, bool):
            return cell
        if isinstance(cell, int | float) and cell in (0, 1):
            return bool(cell)
        return self.parse(str(cell))

    def column_reader(self, field: FieldSpec) -> ColumnReader:
        """The usual spellings, looked up all at once."""
        return functools.partial(mapped, _SWITCH_COLUMN)


@dataclass(frozen=True, kw_only=True, eq=False)
class ChoiceType(InputType):
    """Values from the field's options, shown by their labels."""

    keys: frozenset[str] = CHOICE_KEYS
    needs: ClassVar[Mapping[str, str]] = {"options": "the values to choose from"}

    def filter_choices(self, field: FieldSpec) -> list[tuple[str, str]]:
        """The options; a multiselect's filter keeps the records whose list holds one."""
        return [(str(o.value), o.label) for o in field.options]

    def list_texts(self, field: FieldSpec, locality: Locality | None = None) -> Texts:
        """Options by their labels; a value no longer an option as it is."""
        labels = {option.value: option.label for option in field.options}
        texts = {value: str(label) for value, label in labels.items()}
        show = self.show

        def by_label(value: Any) -> str:
            if value is None:
                return show(value)
            if isinstance(value, list):
                return ", ".join(str(labels.get(v, v)) for v in value)
            return str(labels.get(value, value))

        # a str or int value that is an option: its label, found without a call
        return lambda values: [
            texts[v] if v.__class__ in (str, int) and v in texts else by_label(v) for v in values
        ]


@dataclass(frozen=True, kw_only=True, eq=False)
class SelectType(ChoiceType):
    """One of the options."""

    value_use: ClassVar[str | None] = "option"

    def schema(self, field: FieldSpec) -> dict:
        """One of the options' values."""
        return {"enum": _values(field)}

    def column(self, field: FieldSpec) -> peewee.Field:
        """A varchar."""
        return peewee.CharField(max_length=field.max_length or 255, null=True)

    def cell_reader(
        self, field: FieldSpec, lookup: LookupIndex | None = None, decimal_comma: bool = False
    ) -> Converter:
        """An option by its value or its label, whatever the case and spaces."""
        return _option_picker(field)

    def column_reader(self, field: FieldSpec) -> ColumnReader:
        """Options as the metadata writes them, looked up all at once."""
        return functools.partial(mapped, {**_exact_options(field), "": None})

    def cell_text(self, field: FieldSpec, value: Any) -> Any:
        """The option's label."""
        if value is None:
            return ""
        return {option.value: option.label for option in field.options}.get(value, value)

    def template_choices(self, field: FieldSpec) -> list[str]:
        """The options' labels."""
        return [option.label for option in field.options]


def _store_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _load_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


@dataclass(frozen=True, kw_only=True, eq=False)
class MultiSelectType(ChoiceType):
    """Several of the options, a JSON list in a text column."""

    store: Callable[[Any], Any] = _store_json
    load: Callable[[Any], Any] = _load_json
    holds_lists: ClassVar[bool] = True
    # the filter looks for an option inside each record's list: no index answers it
    filter_by_equality: ClassVar[bool] = False
    value_use: ClassVar[str | None] = None  # its value is a list, not one text
    empty_sends_nothing: ClassVar[bool] = True

    def schema(self, field: FieldSpec) -> dict:
        """A list of distinct options' values."""
        return {"type": "array", "items": {"enum": _values(field)}, "uniqueItems": True}

    def column(self, field: FieldSpec) -> peewee.Field:
        """A text column of JSON."""
        return peewee.TextField(null=True)

    def parse(self, text: str) -> list:
        """Comma-separated values."""
        return parts(text)

    def show(self, value: Any) -> str:
        """The values, comma-separated."""
        return ", ".join(str(v) for v in value or [])

    def matches(self, column: peewee.Field, value: str) -> peewee.Expression:
        """The records whose list holds each of the filter's options: each one's JSON
        text, quotes and all, is an element of the stored list (a quote inside an option
        is escaped there, so the text cannot match inside another)."""
        condition = None
        for option in json.loads(value):
            clause = column.contains(json.dumps(option, ensure_ascii=False))
            condition = clause if condition is None else condition & clause
        return condition if condition is not None else column.is_null(False) | column.is_null()

    def filter_schema(self, field: FieldSpec) -> dict:
        """Options, comma-separated, as text."""
        return {"type": "string"}

    def form_input(self, form: Any, first: Mapping[str, Any], key: str) -> list:
        """Every option chosen."""
        return form.getlist(key)

    def form_value(self, raw: Any, locality: Locality | None = None) -> list:
        """The options chosen, as the form sent them."""
        return raw

    def form_text(self, value: Any) -> Any:
        """The list itself: each option in it is selected."""
        return [] if value is None else value

    def cell_reader(
        self, field: FieldSpec, lookup: LookupIndex | None = None, decimal_comma: bool = False
    ) -> Converter:
        """Comma-separated options, each by its value or its label."""
        pick = _option_picker(field)
        return lambda cell: [pick(part) for part in parts(cell)]

    def cell_text(self, field: FieldSpec, value: Any) -> Any:
        """The options' labels, comma-separated."""
        if value is None:
            return ""
        labels = {option.value: option.label for option in field.options}
        return ", ".join(str(labels.get(v, v)) for v in value)

    def cell_hint(self, field: FieldSpec) -> str:
        """Which options, and how they are separated."""
        labels = ", ".join(option.label for option in field.options)
        return f"Several of {labels}, separated by commas."


def _values(field: FieldSpec) -> list:
    return [option.value for option in field.options]


def _exact_options(field: FieldSpec) -> dict[Any, Any]:
    """Each option by its value and its label, exactly as the metadata writes them."""
    exact: dict[Any, Any] = {}
    for option in field.options:
        exact.setdefault(str(option.value), option.value)
        exact.setdefault(option.label, option.value)
    return exact


def _option_picker(field: FieldSpec) -> Converter:
    """An option by its value or its label; anything else passes on for the validator to
    name the allowed options."""
    options: dict[str, Any] = {}
    for option in field.options:
        options.setdefault(normalized(str(option.value)), option.value)
        options.setdefault(normalized(option.label), option.value)
    exact = _exact_options(field)

    def pick(cell: Any) -> Any:
        if cell in exact:  # as written in the metadata: no need to normalise
            return exact[cell]
        if isinstance(cell, float) and cell.is_integer():
            cell = int(cell)
        return options.get(normalized(str(cell)), cell)

    return pick
