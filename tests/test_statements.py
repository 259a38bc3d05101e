"""Statements whose SQL is built once write and find what Peewee's own would."""

import datetime as dt

import peewee
import pytest

from engine.records import statements


def row_values(model, row_id):
    row = model.get_by_id(row_id)
    return {name: getattr(row, name) for name in model._meta.fields if name != "id"}


def test_a_kept_insert_writes_what_peewee_writes(service):
    target = service.target("t", "account")
    model, memo = target.model, target.entity.memo
    values = {
        "number": "A-1",
        "name": "Acme <b>",
        "credit_limit": 1250.5,
        "opened": dt.date(2024, 2, 29),
        "kind": "person",
        "created_by": "ann",
        "creation_date": dt.datetime(2024, 1, 2, 3, 4, 5),
    }
    first = statements.insert(memo, model, values)  # Peewee builds the SQL and it is kept
    kept = statements.insert(memo, model, {**values, "number": "A-2", "name": "Acme 2"})
    by_peewee = model.insert(**{**values, "number": "A-3", "name": "Acme 3"}).execute()
    assert len({first, kept, by_peewee}) == 3
    expected = {**row_values(model, by_peewee), "number": "A-2", "name": "Acme 2"}
    assert row_values(model, kept) == expected
    assert [
        key
        for key, plan in memo[("statements", type(model._meta.database.obj))].items()
        if plan is None
    ] == []


def test_a_kept_look_for_a_value_finds_what_peewee_finds(service):
    target = service.target("t", "account")
    model, memo, column = target.model, target.entity.memo, target.column("number")
    service.create("t", "account", {"name": "Acme", "number": "N-1"}, "ann")
    for value in ("N-1", "N-2", "n-1", "N-1 ", "%", "N-1' OR '1'='1"):
        expected = model.select().where(column == value).exists()
        assert statements.exists(memo, model, column, value) == expected
    assert statements.exists(memo, model, column, "N-1")


FIELDS = [
    peewee.CharField(null=True),
    peewee.TextField(null=True),
    peewee.IntegerField(null=True),
    peewee.BigIntegerField(null=True),
    peewee.BooleanField(null=True),
    peewee.DateField(null=True),
    peewee.DateTimeField(null=True),
    peewee.TimeField(null=True),
    peewee.DecimalField(null=True, max_digits=12, decimal_places=2),
]
VALUES = [
    None,
    "",
    "text",
    "2024-01-05",
    "12",
    0,
    7,
    2**70,
    True,
    False,
    1.5,
    dt.date(2024, 1, 5),
    dt.datetime(2024, 1, 5, 1, 2, 3),
    dt.time(1, 2, 3),
]


@pytest.mark.parametrize("field", FIELDS, ids=lambda f: type(f).__name__)
def test_a_value_kept_as_it_is_is_what_db_value_gives(field):
    for value in VALUES:
        if value.__class__ in statements.unchanged_by(field):
            assert field.db_value(value) == value and type(field.db_value(value)) is type(value)
