"""Link types: a lookup names another record, a file or an image a stored upload, and
lines the child records edited inside their parent."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import peewee

from engine.types.base import InputType, Texts, show_each
from engine.types.cells import Converter
from engine.types.numeric import INT64_MAX, INT64_MIN, parse_integer

if TYPE_CHECKING:
    from collections.abc import Mapping

    from engine.bulk.lookups import LookupIndex
    from engine.locales import Locality
    from engine.spec import FieldSpec

REFERENCE_LENGTH = 500  # the longest reference of a stored file


@dataclass(frozen=True, kw_only=True, eq=False)
class LookupType(InputType):
    """The id of a record of `lookup.entity`, chosen by its title on forms and named by
    its number or title in files."""

    keys: frozenset[str] = frozenset({"lookup"})
    needs: ClassVar[Mapping[str, str]] = {"lookup": "{entity: …}, the entity it points at"}
    value_use: ClassVar[str | None] = None  # its choices come with the data

    def schema(self, field: FieldSpec) -> dict:
        """A record id."""
        return {"type": "integer", "minimum": 1, "maximum": INT64_MAX}

    def column(self, field: FieldSpec) -> peewee.Field:
        """A 64-bit integer column, indexed: records are found by what they link to."""
        return peewee.BigIntegerField(null=True, index=True)

    def column_range(self, field: FieldSpec | None) -> tuple[int, int]:
        """A 64-bit integer's range."""
        return INT64_MIN, INT64_MAX

    def parse(self, text: str) -> int:
        """A typed id."""
        return parse_integer(text)

    def cell_reader(
        self, field: FieldSpec, lookup: LookupIndex | None = None, decimal_comma: bool = False
    ) -> Converter:
        """The linked record's number or title, found in `lookup`; without one, its id."""

        def read(cell: Any) -> int:
            if lookup is None:  # no index: the cell must be an id
                return int(str(cell).lstrip("#"))
            if isinstance(cell, float) and cell.is_integer():
                cell = int(cell)
            return lookup.resolve(cell)

        return read

    def cell_hint(self, field: FieldSpec) -> str:
        """How a file names the linked record."""
        return "Name the record by its number or its title."


@dataclass(frozen=True, kw_only=True, eq=False)
class AttachmentType(InputType):
    """The reference of a file uploaded for the tenant (engine.records.files)."""

    attachment: ClassVar[bool] = True
    value_use: ClassVar[str | None] = None  # only a stored file's reference is linked

    def schema(self, field: FieldSpec) -> dict:
        """A reference's text."""
        return {"type": "string", "maxLength": REFERENCE_LENGTH}

    def column(self, field: FieldSpec) -> peewee.Field:
        """A varchar as long as a reference."""
        return peewee.CharField(max_length=field.max_length or REFERENCE_LENGTH, null=True)

    def html_attributes(self, field: FieldSpec) -> dict[str, Any]:
        """None: a file input is not required even of a required field, since the file
        it holds is sent by a hidden input beside it, and it has no placeholder."""
        return {}


@dataclass(frozen=True, kw_only=True, eq=False)
class ImageType(AttachmentType):
    """The reference of an uploaded PNG, JPEG or GIF image, which browsers show safely."""

    images_only: ClassVar[bool] = True


@dataclass(frozen=True, kw_only=True, eq=False)
class LinesType(InputType):
    """Child records edited inside their parent: rows of the child's table, not a column."""

    written_as_field: ClassVar[bool] = False  # declared under the entity's lines:
    column: ClassVar[None] = None  # no column: the lines live in the child's table
    value_use: ClassVar[str | None] = None  # rendered as a table by the lines macro

    def schema(self, field: FieldSpec) -> dict:
        """A list (of the child's records: the validator adds their schema)."""
        return {"type": "array"}

    def parse(self, text: str) -> Any:
        """A JSON list."""
        return json.loads(text)

    def show(self, value: Any) -> str:
        """How many lines."""
        return f"{len(value or [])} lines"

    def list_texts(self, field: FieldSpec, locality: Locality | None = None) -> Texts:
        """How many lines, each."""
        return show_each(self.show)
