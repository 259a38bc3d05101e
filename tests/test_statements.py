"""Statements whose SQL is built once write and find what Peewee's own would."""

import datetime as dt
import uuid

import peewee
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


# property tests: Peewee's own statements are the oracle

DATABASE = peewee.DatabaseProxy()  # as the compiled models' databases are
DATABASE.initialize(peewee.SqliteDatabase(":memory:"))


class Row(peewee.Model):
    """A row of every column class the compiled models use, some with defaults."""

    text = peewee.CharField(null=True, max_length=64)
    note = peewee.TextField(null=True)
    count = peewee.IntegerField(null=True)
    big = peewee.BigIntegerField(null=True)
    flag = peewee.BooleanField(null=True)
    day = peewee.DateField(null=True)
    moment = peewee.DateTimeField(null=True)
    hour = peewee.TimeField(null=True)
    amount = peewee.DecimalField(null=True, max_digits=12, decimal_places=2)
    status = peewee.CharField(max_length=64, default="draft")
    active = peewee.BooleanField(default=True)
    rev_number = peewee.IntegerField(default=1)

    class Meta:
        database = DATABASE


ROW_FIELDS = [name for name in Row._meta.fields if name != "id"]
# values of every class the records service writes, and of some it never should
ANY_VALUE = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.sampled_from(["2024-01-05", "2024-01-05 10:11:12", "10:11:12", "12", "1.5", "true"]),
    st.integers(-(2**63), 2**63 - 1),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(
        allow_nan=False, allow_infinity=False, places=2, max_value=10**9, min_value=-(10**9)
    ),
    st.dates(),
    st.datetimes(),
    st.times(),
)
ROW_VALUES = st.dictionaries(st.sampled_from(ROW_FIELDS), ANY_VALUE, max_size=len(ROW_FIELDS))
# text as the records service lets it through (no NUL, no half of a character pair)
STORED_TEXT = st.characters(exclude_characters="\x00", exclude_categories=("Cs",))
MEMO: dict = {}  # one for every example: a statement built once serves the next ones


def stored(row_id):
    """The row as the database holds it, before Peewee reads it back."""
    columns = ", ".join(f'"{name}"' for name in ROW_FIELDS)
    return DATABASE.execute_sql(f'SELECT {columns} FROM "row" WHERE id = ?', (row_id,)).fetchone()


def outcome(write):
    try:
        return stored(write())
    except Exception as error:  # whatever Peewee refuses, the reused statement refuses
        return type(error)


@pytest.fixture(scope="module", autouse=True)
def row_table():
    DATABASE.create_tables([Row])
    yield
    DATABASE.drop_tables([Row])


@settings(max_examples=500, deadline=None)
@given(ROW_VALUES)
def test_an_insert_writes_what_peewees_own_writes(values):
    expected = outcome(lambda: Row.insert(**values).execute())
    assert outcome(lambda: statements.insert(MEMO, Row, values)) == expected


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(ROW_FIELDS), ANY_VALUE)
def test_a_look_for_a_value_finds_what_peewees_own_finds(name, value):
    column = getattr(Row, name)
    try:
        expected = Row.select().where(column == value).exists()
    except Exception as error:
        with pytest.raises(type(error)):
            statements.exists(MEMO, Row, column, value)
        return
    assert statements.exists(MEMO, Row, column, value) == expected


def test_switched_off_peewee_builds_every_statement(monkeypatch):
    monkeypatch.setattr(statements, "REUSE_SQL", False)
    memo: dict = {}
    values = {"text": "Acme", "count": 3, "day": dt.date(2024, 1, 5)}
    first, second = statements.insert(memo, Row, values), statements.insert(memo, Row, values)
    assert stored(first) == stored(second)
    assert statements.exists(memo, Row, Row.text, "Acme")
    assert not statements.exists(memo, Row, Row.text, "no such text")
    assert memo == {}  # nothing built was cached


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.text(STORED_TEXT, min_size=1, max_size=30),
    credit_limit=st.one_of(st.none(), st.floats(0, 1e9), st.integers(0, 10**9)),
    opened=st.one_of(st.none(), st.dates()),
    note=st.one_of(st.none(), st.text(STORED_TEXT, max_size=50)),
)
def test_an_entitys_insert_writes_what_peewees_own_writes(
    service, name, credit_limit, opened, note
):
    target = service.target("t", "account")
    model, memo = target.model, target.entity.memo
    values = {"credit_limit": credit_limit, "opened": opened, "note": note, "kind": "person"}
    values |= {"created_by": "ann", "creation_date": dt.datetime(2024, 1, 2)}
    unique = uuid.uuid4().hex[:8]  # the number is unique, and the name with the date
    reused = statements.insert(
        memo, model, {**values, "number": f"R-{unique}", "name": f"R{unique}{name}"}
    )
    by_peewee = model.insert(**values, number=f"P-{unique}", name=f"P{unique}{name}").execute()

    def written(row_id):  # the number and the name less their first letter, R or P
        row = row_values(model, row_id)
        return {**row, "number": row["number"][1:], "name": row["name"][1:]}

    assert written(reused) == written(by_peewee)
