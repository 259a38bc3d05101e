"""Text types: text, textarea, email, phone and url, a string with a length and a form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import peewee

from engine.types.base import TEXT_KEYS, InputType

if TYPE_CHECKING:
    from engine.spec import FieldSpec

# Patterns rather than JSON Schema "format"s where validators disagree on the
# format's meaning: one regular expression means the same thing everywhere.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
PHONE_PATTERN = r"^\+?\(?[0-9][0-9 ().\/-]{2,31}$"
URL_PATTERN = r"^https?://[^\s/?#]+[^\s]*$"


@dataclass(frozen=True, kw_only=True, eq=False)
class TextType(InputType):
    """A string, at most `default_max_length` characters unless the field says, of the
    type's own form (`pattern`) and the field's (its `pattern` key)."""

    keys: frozenset[str] = TEXT_KEYS
    pattern: str | None = None  # the type's own form, on top of the field's
    long: bool = False  # kept in a column of unbounded text

    def schema(self, field: FieldSpec) -> dict:
        """A string within the field's lengths, of the type's and the field's forms."""
        fragment: dict = {"type": "string"}
        if field.max_length is not None:
            fragment["maxLength"] = field.max_length
        if field.min_length is not None:
            fragment["minLength"] = field.min_length
        if self.pattern:
            fragment["pattern"] = self.pattern
        if field.pattern is not None:
            # a declared pattern matches the whole value, as an HTML pattern does; it sits
            # under allOf so that its errors tell apart from the type's own pattern
            fragment["allOf"] = [{"pattern": f"^(?:{field.pattern})$"}]
        return fragment

    def column(self, field: FieldSpec) -> peewee.Field:
        """A varchar of the field's length, or a text column for long text."""
        if self.long:
            return peewee.TextField(null=True)
        return peewee.CharField(max_length=field.max_length or self.default_max_length, null=True)
