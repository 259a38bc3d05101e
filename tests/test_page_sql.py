"""A list query's values read as Peewee and the input types would read them."""

import datetime as dt

import peewee
import pytest

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
