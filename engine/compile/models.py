"""Compile an entity into a Peewee model class, bound late to its tenant's database."""

from __future__ import annotations

import peewee

from engine.spec import EntitySpec, FieldSpec

_MODEL_ATTRIBUTES = frozenset(dir(peewee.Model))


class RecordIdField(peewee.BigAutoField):
    """A record's id, never given to another record: PostgreSQL's sequence never goes
    back; on SQLite, AUTOINCREMENT keeps the largest id ever used, where a plain integer
    key would give a deleted record's id (and its history) to the next one."""

    def ddl(self, ctx: peewee.Context) -> peewee.NodeList:
        """The column's definition, with AUTOINCREMENT on SQLite."""
        node = super().ddl(ctx)
        database = self.model._meta.database
        if isinstance(getattr(database, "obj", database), peewee.SqliteDatabase):
            return peewee.NodeList((node, peewee.SQL("AUTOINCREMENT")))
        return node


def _system_columns(entity: EntitySpec) -> dict[str, peewee.Field]:
    columns: dict[str, peewee.Field] = {"id": RecordIdField()}
    if entity.statuses:
        columns["status"] = peewee.CharField(
            max_length=64, index=True, default=entity.statuses.initial
        )
    if entity.delete == "never":
        columns["active"] = peewee.BooleanField(default=True, index=True)
    if entity.delete == "soft":
        columns["deleted"] = peewee.BooleanField(default=False, index=True)
    columns.update(
        rev_number=peewee.IntegerField(default=1),
        created_by=peewee.CharField(max_length=150, null=True),
        creation_date=peewee.DateTimeField(null=True),
        last_updated_by=peewee.CharField(max_length=150, null=True),
        last_update_date=peewee.DateTimeField(null=True),
    )
    return columns


def attribute_name(column: str) -> str:
    """The model attribute of a column; a name Peewee uses itself gets a trailing _."""
    return f"{column}_" if column in _MODEL_ATTRIBUTES else column


def _column(field: FieldSpec) -> peewee.Field:
    column = field.type.column(field)
    column.column_name = field.name
    column.unique = field.unique
    column.index = column.index or field.index or field.searchable
    return column


def build_model(
    entity: EntitySpec, database: peewee.DatabaseProxy, schema: str | None = None
) -> type[peewee.Model]:
    """A model class for the entity: system columns, then one column per stored field."""
    attributes: dict[str, object] = {}
    for name, column in _system_columns(entity).items():
        column.column_name = name
        attributes[attribute_name(name)] = column
    for field in entity.fields:
        if field.stored:
            attributes[attribute_name(field.name)] = _column(field)
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
