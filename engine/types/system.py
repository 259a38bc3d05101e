"""THE table of system columns: the engine's own columns beside an entity's fields.

One object per column owns all that is said of it: whether an entity has it, its model
column, how a row's value loads, its label, the input type a field that shows it has
(`system: NAME`), its value in the API's answers, and how a list filter on it is read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import peewee

from engine.types.base import InputType, as_it_is
from engine.types.numeric import INT64_MAX
from engine.types.table import TYPES

if TYPE_CHECKING:
    from engine.spec import EntitySpec


class RecordIdField(peewee.BigAutoField):
    """A record's id, never given to another record: PostgreSQL's sequence never goes
    back; on SQLite, AUTOINCREMENT keeps the largest id ever used, where a plain integer
    key would give a deleted record's id (and its history) to the next one."""

    def ddl(self, ctx: peewee.Context) -> peewee.NodeList:
        """The column's definition, with what the backend adds (AUTOINCREMENT on SQLite)."""
        from engine.storage.backends import backend_of  # storage builds on the types

        node = super().ddl(ctx)
        extra = backend_of(self.model._meta.database).record_id_ddl()
        return peewee.NodeList((node, peewee.SQL(extra))) if extra else node


@dataclass(frozen=True, kw_only=True, eq=False)
class SystemColumn:
    """One system column. `delete` names the delete rule an entity must have to have it
    (None: every entity has it); `advice` says how to get it, to an author who names it
    without."""

    name: str
    type: InputType  # of a field that shows it
    schema: Mapping[str, Any]  # its value as the API answers it
    filter: InputType  # how a list filter's text is read
    filter_fragment: Mapping[str, Any]  # what such a filter accepts
    build: Callable[[], peewee.Field] | None = None  # its model column
    load: Callable[[Any], Any] = as_it_is
    delete: str | None = None
    advice: str | None = None

    @property
    def label(self) -> str:
        """How the column is named to people when no field shows it."""
        return self.name.replace("_", " ").capitalize()

    def present(self, has_statuses: bool, delete: str | None) -> bool:
        """Whether an entity with (or without) statuses and this delete rule has it."""
        return self.delete is None or delete == self.delete

    def column(self, entity: EntitySpec) -> peewee.Field:
        """The model column of the entity (named by the model's builder)."""
        assert self.build is not None, f"{self.name} builds its own column"
        return self.build()

    def filter_schema(self, entity: EntitySpec) -> dict:
        """What a list filter on the column accepts (its OpenAPI parameter)."""
        return dict(self.filter_fragment)


@dataclass(frozen=True, kw_only=True, eq=False)
class StatusColumn(SystemColumn):
    """The record's status, one of the states the entity declares."""

    def present(self, has_statuses: bool, delete: str | None) -> bool:
        """Only an entity that declares statuses has one."""
        return has_statuses

    def column(self, entity: EntitySpec) -> peewee.Field:
        """A varchar, new records in the initial state."""
        return peewee.CharField(max_length=64, index=True, default=entity.statuses.initial)

    def filter_schema(self, entity: EntitySpec) -> dict:
        """One of the entity's states."""
        if entity.statuses:
            return {"type": "string", "enum": list(entity.statuses.states)}
        return dict(self.filter_fragment)


_TEXT = {"type": "string"}
_WHOLE = {"type": "integer", "minimum": 1, "maximum": INT64_MAX}
_MOMENT = {"type": "string", "format": "date-time"}
_BOOLEAN = {"type": "boolean"}
_WHO = {"build": lambda: peewee.CharField(max_length=150, null=True), "filter_fragment": _TEXT}
_WHEN = {
    "build": lambda: peewee.DateTimeField(null=True),
    "filter_fragment": _MOMENT,
    "load": TYPES["datetime"].load,
}

# In table order: the columns of an entity's table, and of its records, come so.
_COLUMNS = (
    SystemColumn(
        name="id", type=TYPES["integer"], filter=TYPES["integer"], filter_fragment=_WHOLE,
        schema={"type": "integer", "minimum": 1, "description": "The record's id."},
        build=RecordIdField,
    ),
    StatusColumn(
        name="status", type=TYPES["select"], filter=TYPES["text"], filter_fragment=_TEXT,
        schema={"type": "string", "description": "The record's status."},
        advice="declare statuses: to have one",
    ),
    SystemColumn(
        name="active", type=TYPES["switch"], filter=TYPES["switch"], filter_fragment=_BOOLEAN,
        schema={"type": "boolean", "description": "False once deactivated."},
        build=lambda: peewee.BooleanField(default=True, index=True),
        delete="never", advice="set delete: never to have one",
    ),
    SystemColumn(
        name="deleted", type=TYPES["switch"], filter=TYPES["switch"], filter_fragment=_BOOLEAN,
        schema={"type": "boolean", "description": "Deleted records are never answered."},
        build=lambda: peewee.BooleanField(default=False, index=True),
        delete="soft", advice="set delete: soft to have one",
    ),
    SystemColumn(
        name="rev_number", type=TYPES["integer"], filter=TYPES["integer"],
        filter_fragment=_WHOLE,
        schema={
            "type": "integer", "minimum": 1,
            "description": "The revision: send it back with a change (or as If-Match).",
        },
        build=lambda: peewee.IntegerField(default=1),
    ),
    SystemColumn(
        name="created_by", type=TYPES["text"], filter=TYPES["text"], **_WHO,
        schema={"type": ["string", "null"], "description": "Who created the record."},
    ),
    SystemColumn(
        name="creation_date", type=TYPES["datetime"], filter=TYPES["datetime"], **_WHEN,
        schema={"type": ["string", "null"], "format": "date-time"},
    ),
    SystemColumn(
        name="last_updated_by", type=TYPES["text"], filter=TYPES["text"], **_WHO,
        schema={"type": ["string", "null"], "description": "Who changed it last."},
    ),
    SystemColumn(
        name="last_update_date", type=TYPES["datetime"], filter=TYPES["datetime"], **_WHEN,
        schema={"type": ["string", "null"], "format": "date-time"},
    ),
)  # fmt: skip

SYSTEM_COLUMNS: dict[str, SystemColumn] = {column.name: column for column in _COLUMNS}


def system_columns(has_statuses: bool, delete: str | None) -> tuple[str, ...]:
    """The system columns of an entity with (or without) statuses and this delete rule,
    in table order."""
    return tuple(c.name for c in _COLUMNS if c.present(has_statuses, delete))
