"""Compile an entity into a Peewee model class, bound late to its tenant's database."""

from __future__ import annotations

import peewee

from engine.records.list_filters import filter_indexed_fields
from engine.records.words import search_column
from engine.spec import EntitySpec, FieldSpec
from engine.types import SYSTEM_COLUMNS

_MODEL_ATTRIBUTES = frozenset(dir(peewee.Model))


def _system_columns(entity: EntitySpec) -> dict[str, peewee.Field]:
    """The entity's system columns, in table order, each as its table row builds it."""
    return {name: SYSTEM_COLUMNS[name].column(entity) for name in entity.system_columns}


def attribute_name(column: str) -> str:
    """The model attribute of a column; a name Peewee uses itself gets a trailing _."""
    return f"{column}_" if column in _MODEL_ATTRIBUTES else column


def _column(field: FieldSpec, filtered: frozenset[str]) -> peewee.Field:
    column = field.type.column(field)
    column.column_name = field.name
    column.unique = field.unique
    # a list filter on an unindexed column reads the whole table; an index on a column
    # no list page filters by only costs every write a page more (engine.records.list_filters)
    column.index = column.index or field.index or field.searchable or field.name in filtered
    return column


def build_model(
    entity: EntitySpec, database: peewee.DatabaseProxy, schema: str | None = None
) -> type[peewee.Model]:
    """A model class for the entity: system columns, then one column per stored field."""
    attributes: dict[str, object] = {}
    for name, column in _system_columns(entity).items():
        column.column_name = name
        attributes[attribute_name(name)] = column
    filtered = filter_indexed_fields(entity)
    for field in entity.fields:
        if field.stored:
            attributes[attribute_name(field.name)] = _column(field, filtered)
    words = search_column(entity)
    if words is not None:  # the words of the searchable fields (engine.records.words)
        attributes[words] = peewee.TextField(null=True, column_name=words)
    indexes = tuple(
        (tuple(attribute_name(n) for n in names), True) for names in entity.unique_together
    )
    meta = type(
        "Meta",
        (),
        {
            "database": database,
            "table_name": entity.name,
            "schema": schema,
            "indexes": indexes,
        },
    )
    attributes["Meta"] = meta
    attributes["__module__"] = __name__
    class_name = "".join(part.capitalize() for part in entity.name.split("_"))
    return type(class_name, (peewee.Model,), attributes)
