"""THE input types, and the system columns: one object each, owning all its behaviour.

engine/types/table.py lists the input types, one row each; base.py is the interface
every type answers (its schema, column, form parsing, cells, filters, display, widget
and HTML attributes); text.py, numeric.py, moments.py, choices.py and links.py are the
families. system.py is the same kind of table for the engine's own columns. Callers
ask a type object (`field.type`), never compare a type's name.
"""

from engine.types.base import CHOICE_KEYS, NUMBER_KEYS, TEXT_KEYS, InputType
from engine.types.moments import TIME_PATTERN
from engine.types.numeric import DECIMAL_DIGITS, INT64_MAX, INT64_MIN
from engine.types.system import SYSTEM_COLUMNS, RecordIdField, SystemColumn, system_columns
from engine.types.table import (
    SPELLINGS,
    TYPES,
    always_fits,
    canonical,
    column_range,
    fits_column,
    owners,
)
from engine.types.text import EMAIL_PATTERN, PHONE_PATTERN, URL_PATTERN

__all__ = [
    "CHOICE_KEYS",
    "DECIMAL_DIGITS",
    "EMAIL_PATTERN",
    "INT64_MAX",
    "INT64_MIN",
    "NUMBER_KEYS",
    "PHONE_PATTERN",
    "SPELLINGS",
    "SYSTEM_COLUMNS",
    "TEXT_KEYS",
    "TIME_PATTERN",
    "TYPES",
    "URL_PATTERN",
    "InputType",
    "RecordIdField",
    "SystemColumn",
    "always_fits",
    "canonical",
    "column_range",
    "fits_column",
    "owners",
    "system_columns",
]
