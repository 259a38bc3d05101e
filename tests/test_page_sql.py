"""A list query's SQL built once, and its values read as Peewee and the input types would
read them (engine.records.page_sql)."""

import datetime as dt

import peewee
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.records import page_sql
from engine.records.page_sql import read_column
from engine.types import TYPES

RAW = [
    None,
    "",
    "Acme",
    " spaced ",
    "2024-01-05",
    "2024-02-30",
    "2024-13-01",
    "2024-1-5",
    "0999-01-01",
    "٢٠٢٤-٠١-٠٥",
    "2024-01-05 10:11:12",
    "2024-01-05T10:11:12",
    b"bytes",
    0,
    42,
    1.5,
    True,
    dt.date(2024, 1, 5),
    dt.datetime(2024, 1, 5, 10, 11, 12),
]
COLUMNS = {
    "char": peewee.CharField(null=True),
    "text": peewee.TextField(null=True),
    "date": peewee.DateField(null=True),
    "datetime": peewee.DateTimeField(null=True),
    "integer": peewee.IntegerField(null=True),
}


@pytest.mark.parametrize("type_name", sorted(TYPES))
@pytest.mark.parametrize("column", sorted(COLUMNS))
def test_a_column_reads_as_python_value_and_load_read_it(type_name, column):
    field, load = COLUMNS[column], TYPES[type_name].load
    for raw in RAW:
        try:
            expected = load(field.python_value(raw))
        except Exception as error:  # whatever it raises, the reading must raise too
            with pytest.raises(type(error)):
                read_column(field, load, [raw])
            continue
        [read] = read_column(field, load, [raw])
        assert read == expected and type(read) is type(expected), raw


# property tests: Peewee's python_value and the plain list query are the oracle

RAW_VALUES = st.one_of(
    st.sampled_from(RAW),
    st.text(max_size=12),
    st.dates().map(str),  # the text of a date, as SQLite gives it
    st.from_regex(r"[0-9٠-٩]{4}-[0-9]{1,2}-[0-9]{1,2}( [0-9:]{1,8})?", fullmatch=True),
    st.integers(),
    st.floats(allow_nan=False),
    st.binary(max_size=6),
    st.dates(),
    st.datetimes(),
)


def read_each(field, load, raw):
    """What Peewee and the type make of one raw value, or the class of what they raise."""
    try:
        value = load(field.python_value(raw))
    except Exception as error:
        return type(error)
    return value, type(value)


@settings(max_examples=600, deadline=None)
@given(
    # most often the types whose reading takes the database's text as it is
    type_name=st.one_of(st.sampled_from(["text", "date"]), st.sampled_from(sorted(TYPES))),
    column=st.sampled_from(sorted(COLUMNS)),
    raws=st.lists(RAW_VALUES, max_size=8),
)
def test_any_column_reads_as_python_value_and_load_read_it(type_name, column, raws):
    field, load = COLUMNS[column], TYPES[type_name].load
    expected = [read_each(field, load, raw) for raw in raws]
    if any(isinstance(outcome, type) for outcome in expected):
        with pytest.raises(next(o for o in expected if isinstance(o, type))):
            read_column(field, load, raws)
        return
    read = read_column(field, load, raws)
    assert [(value, type(value)) for value in read] == expected


@pytest.fixture
def accounts(service):
    """Accounts to list, of names, kinds and dates that sort and filter apart."""
    for n in range(23):
        values = {"name": f"{'Acme' if n % 3 else 'Zed'} {n:02d}", "kind": "person"}
        values |= {"nickname": f"n{n}", "opened": f"2024-01-{n % 28 + 1:02d}"}
        if n % 4:
            values["kind"], values["credit_limit"] = "company", n * 10
        service.create("t", "account", values, "ann")
    assert service.list_table("t", "account")["total"] == 23
    return service


LIST_QUERIES = st.fixed_dictionaries(
    {
        "q": st.sampled_from([None, "Acme", "zed", "0", "nothing like it"]),
        "filters": st.sampled_from([{}, {"kind": "person"}, {"kind": "company"}]),
        "sort": st.sampled_from([None, "name", "-name", "opened", "-opened", "-credit_limit"]),
        "limit": st.integers(1, 30),
        "offset": st.integers(0, 30),
        "columns": st.sampled_from([(), ("name",), ("name", "kind", "opened", "credit_limit")]),
    }
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=LIST_QUERIES)
def test_a_list_reads_as_the_plain_list_query_reads_it(accounts, monkeypatch, query):
    reused = [accounts.list_table("t", "account", **query) for _ in range(2)]  # built, then run
    with monkeypatch.context() as switched:
        switched.setattr(page_sql, "REUSE_SQL", False)
        assert page_sql.cached({}, accounts.target("t", "account").tenant.database, ()) is None
        plain = accounts.list_table("t", "account", **query)
    assert reused[0] == reused[1] == plain
