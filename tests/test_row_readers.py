"""The row readers generated once per read statement (engine.records.read_statements'
RowReader, switched by GENERATED_READERS) against the plain loop over each row's values:
every column of every shipped tenant × entity and of an entity with a field of every input
type, given every class of value a backend gives back (None, numbers, decimals, texts of
dates and of anything else, moments), answers the same record or raises the same error;
SQLite's text of a datetime loads as load_datetime loads what Peewee reads of it; and
every record read, on SQLite and PostgreSQL, with odd and bad values stored, is the same
either way."""

import datetime as dt
from decimal import Decimal
from typing import Any

import peewee
import pytest
import test_lines_form
from conftest import SHIPPED
from hypothesis import given, settings
from hypothesis import strategies as st
from page_costs import ENTITIES
from test_input_types import FILES, IMAGES, METADATA, compiled_tenant
from test_joint_reads import _wanted
from test_pages import make_app
from test_read_statements import everything

from engine.records import read_statements, statements
from engine.records.read_statements import RowReader
from engine.records.reading import _all
from engine.records.target import Target
from engine.registry import build_registry
from engine.types.moments import load_datetime, load_datetime_text

demo_app = test_lines_form.demo_app  # the shipped metadata with its demo data, each backend

# every class of value a backend's driver gives back, and text a column should not hold
SAMPLES = [
    None, True, False, 0, 1, -7, 2**62, 1.5, -0.25, 1e20, float("nan"),
    Decimal("1.50"), Decimal("2"), Decimal("-0"), Decimal("1E+3"), Decimal("NaN"),
    "", " ", "abc", "12", "-3", "1.50", "1e3", "NaN", "true", "0", '["a", "b"]', '{"x": 1}',
    "2024-01-05", "2024-01-05 10:00:00", "2024-01-05 10:00:00.123456",
    "2024-01-05 10:00:00.000000", "2024-01-05 10:00:00.5", "2024-01-05T10:00:00",
    "2024-01-05 10:00:00Z", "2024-01-05 10:00:00+02:00", "2024-02-30 10:00:00",
    "0000-01-05 10:00:00", "2024-01-05 24:00:00", "2024-1-5 10:00:00", "2024-01-05  10:00:00",
    "\u0662\u0660\u0662\u0664-01-05 10:00:00", "0999-12-31 23:59:59.999999", "10:30", "10:30:15",
    dt.datetime(2024, 1, 5, 10), dt.datetime(2024, 1, 5, 10, 0, 0, 7),
    dt.datetime(2024, 1, 5, 10, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    dt.date(2024, 1, 5), dt.time(10, 30), b"bytes",
]  # fmt: skip


def _outcome(read: Any, rows: list) -> Any:
    """What reading `rows` answers, each value with its class (1, 1.0 and True differ,
    NaN is itself), or the error it raises."""
    try:
        found = read(rows)
    except Exception as error:  # the same error, raised either way
        return ("raises", type(error), str(error))
    return [
        [[(name, type(value), repr(value)) for name, value in r.items()] for r in records]
        for records in found
    ]


@pytest.fixture(scope="module")
def every_type(tmp_path_factory):
    """A tenant whose entities have a field of every input type (test_input_types')."""
    return compiled_tenant(tmp_path_factory)


@pytest.fixture(scope="module")
def shipped_tenants():
    return build_registry(str(SHIPPED)).tenants


def _reader(target: Target, numbered: bool) -> tuple[RowReader, int]:
    """A reader of every column the entity's records hold, one place each (after the
    entity's number), and how many places a row has."""
    columns = _all(target)
    start = 1 if numbered else 0
    values = [
        (name, start + place, getattr(target.model, attribute), load)
        for place, (name, attribute, load) in enumerate(columns)
    ]
    entities = [values[:1], values] if numbered else [values]  # the second one read
    return RowReader(entities, numbered), start + len(values)


def _assert_reads_alike(target: Target) -> None:
    for numbered in (False, True):
        reader, width = _reader(target, numbered)
        for place in range(1 if numbered else 0, width):
            for sample in SAMPLES:
                row = [None] * width
                row[place] = sample
                if numbered:
                    row[0] = 1
                rows = [tuple(row), tuple(row)]
                assert _outcome(reader.generated, rows) == _outcome(reader.read_plainly, rows), (
                    target.spec.name,
                    place,
                    sample,
                )


@pytest.mark.parametrize(("tenant", "entity"), ENTITIES)
def test_every_value_of_a_shipped_entity_s_columns_reads_as_the_plain_loop_reads_it(
    shipped_tenants, tenant, entity
):
    compiled = shipped_tenants[tenant]
    _assert_reads_alike(Target(compiled, compiled.entity(entity)))


def test_every_value_of_every_input_type_s_column_reads_as_the_plain_loop_reads_it(every_type):
    types = set()
    for entity in every_type.entities:
        target = Target(every_type, every_type.entity(entity))
        types |= {field.input_type for field in target.spec.fields}
        _assert_reads_alike(target)
    from engine.types import TYPES

    assert types == set(TYPES)


def test_the_switch_picks_the_plain_loop(every_type, monkeypatch):
    target = Target(every_type, every_type.entity("specimen"))
    reader, width = _reader(target, numbered=False)
    rows = [tuple([1] + [None] * (width - 1))]
    calls = []
    monkeypatch.setattr(reader, "read_plainly", lambda rows: calls.append(rows) or [[]])
    assert reader(rows) != [[]] and not calls
    monkeypatch.setattr(read_statements, "GENERATED_READERS", False)
    assert reader(rows) == [[]] and calls == [rows]


def test_a_generated_reader_is_written_of_indices_and_repr_d_names_only(every_type):
    target = Target(every_type, every_type.entity("specimen"))
    reader, _ = _reader(target, numbered=True)
    for name, _, _ in _all(target):
        assert repr(name) in reader.source
    odd = [("x' + __import__('os').getcwd() + '", 0, target.model.id, None)]
    assert RowReader([odd], numbered=False).generated([(5,)]) == [[{odd[0][0]: 5}]]
    with pytest.raises(TypeError):
        RowReader([[(1, 0, target.model.id, None)]], numbered=False)


# SQLite's text of a datetime

_DATETIME = peewee.DateTimeField(null=True)


def _plain_load(text: str) -> Any:
    try:
        return load_datetime(_DATETIME.python_value(text))
    except Exception as error:
        return ("raises", type(error), str(error))


def _fast_load(text: str) -> Any:
    reader = RowReader([[("moment", 0, _DATETIME, load_datetime)]], numbered=False)
    try:
        return reader.generated([(text,)])[0][0]["moment"]
    except Exception as error:
        return ("raises", type(error), str(error))


@settings(max_examples=300, deadline=None)
@given(st.datetimes(dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31, 23, 59, 59, 999999)))
def test_sqlite_s_text_of_a_naive_datetime_loads_from_its_digits_as_load_datetime_loads_it(
    moment,
):
    text = str(moment)  # what Peewee writes to SQLite
    assert load_datetime_text(text) == load_datetime(moment) == _plain_load(text)
    assert _fast_load(text) == _plain_load(text)


_DIGITS = st.sampled_from("0123456789")


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(max_size=40),
        st.text(st.sampled_from("0123456789 -:.TZ+"), max_size=32),
        st.tuples(*([_DIGITS] * 4), *([_DIGITS] * 4), *([_DIGITS] * 6), *([_DIGITS] * 6)).map(
            lambda d: (
                f"{''.join(d[:4])}-{''.join(d[4:6])}-{''.join(d[6:8])} "
                f"{''.join(d[8:10])}:{''.join(d[10:12])}:{''.join(d[12:14])}.{''.join(d[14:])}"
            )
        ),
    )
)
def test_any_text_in_a_datetime_column_loads_or_fails_as_the_plain_path_s(text):
    fast = load_datetime_text(text)
    assert fast is None or fast == _plain_load(text)
    assert _fast_load(text) == _plain_load(text)


# every record read, on each backend


def _reads(service) -> Any:
    """Every record of every tenant × entity as read, read_many and read_linked answer."""
    linked = {tenant: service.read_linked(tenant, _wanted(service, tenant, [2**40]))
              for tenant in service.registry.tenants}  # fmt: skip
    return everything(service), linked


def test_records_read_by_the_generated_readers_equal_the_plain_loop_s(demo_app, monkeypatch):
    service = demo_app.extensions["formwork"]
    generated = _reads(service)
    monkeypatch.setattr(read_statements, "GENERATED_READERS", False)
    assert _reads(service) == generated
    monkeypatch.setattr(statements, "REUSE_SQL", False)  # Peewee's own reads
    assert _reads(service) == generated


@pytest.fixture
def specimens(tree, storage):
    """The every-type tenant on each backend, with records of every field filled in (two
    moments with and without a fraction of a second) and of every field empty."""
    from sample_records import sample_value

    service = make_app(tree(METADATA), storage).extensions["formwork"]
    uploads = storage.data_dir / "uploads" / "t"
    uploads.mkdir(parents=True)
    (uploads / FILES[0].rsplit("/", 1)[1]).write_bytes(b"%PDF-1.4 or any bytes")
    (uploads / IMAGES[0].rsplit("/", 1)[1]).write_bytes(b"\x89PNG\r\n\x1a\n")
    spec = service.target("t", "specimen").spec
    ids = []
    for moment in ("2024-01-31T10:00:00+00:00", "2024-07-31T23:59:59.123456+02:00"):
        payload = {f.name: sample_value(service, "t", f) for f in spec.fields if f.stored}
        payload |= {f.name: moment for f in spec.fields if f.input_type == "datetime"}
        payload |= {"the_file": FILES[0], "the_image": IMAGES[0]}
        payload["the_lines"] = [{"amount": 1.25, "note": "one"}, {"amount": 3, "note": None}]
        ids.append(service.create("t", "specimen", payload, "ann")["id"])
    ids.append(service.create("t", "specimen", {}, "ann")["id"])
    return service, ids


def _read_each_way(service, ids: list[int], monkeypatch) -> None:
    """Each record read alone, many at once and linked beside the rows and targets, the
    same (or the same error) with the generated readers as with the plain loop and with
    Peewee's own reads."""
    rows = service.list("t", "row", limit=50)["items"]
    targets = service.list("t", "target", limit=50)["items"]

    def reads() -> list:
        wanted = {
            "specimen": (ids, [f.name for f in service.target("t", "specimen").spec.fields]),
            "row": ([r["id"] for r in rows], ["amount", "note", "creation_date"]),
            "target": ([r["id"] for r in targets], ["title"]),
        }
        found = [_outcome(lambda _, i=i: [[service.read("t", "specimen", i)]], []) for i in ids]
        found.append(
            _outcome(lambda _: [list(service.read_many("t", "specimen", ids).values())], [])
        )
        linked = _outcome(
            lambda _: [list(by_id.values()) for by_id in service.read_linked("t", wanted).values()],
            [],
        )
        return [*found, linked]

    generated = reads()
    with monkeypatch.context() as patch:
        patch.setattr(read_statements, "GENERATED_READERS", False)
        assert reads() == generated
        patch.setattr(statements, "REUSE_SQL", False)
        assert reads() == generated


def test_every_input_type_s_values_read_alike_each_way(specimens, monkeypatch):
    service, ids = specimens
    record = service.read("t", "specimen", ids[1])
    assert record["the_datetime"] == "2024-07-31T21:59:59.123456+00:00"
    _read_each_way(service, ids, monkeypatch)


ODD = {  # column → values a database may hold that no save writes
    "the_datetime": ["2024-01-05 10:00:00.000000", "2024-01-05T10:00:00", "garbage", "", 17],
    "creation_date": ["2024-01-05 10:00:00+02:00", "2024-02-30 10:00:00", "0999-01-01 00:00:00"],
    "the_decimal": ["abc", "1.50", 2.5, ""],
    "the_date": ["not a date", "2024-01-05 10:00:00", 3],
    "the_switch": ["yes", 2, ""],
    "the_integer": ["12x", 1.5],
    "the_time": ["25:00", "10:30:15.5"],
    "the_multiselect": ["not json", "[1, 2]"],
}


def test_odd_and_bad_values_stored_on_sqlite_read_alike_each_way(specimens, monkeypatch):
    service, ids = specimens
    target = service.target("t", "specimen")
    if not isinstance(target.tenant.database.obj, peewee.SqliteDatabase):
        pytest.skip("PostgreSQL's typed columns hold no such value")
    database = target.tenant.database
    for column, values in ODD.items():
        for value in values:
            database.execute_sql(
                f'UPDATE "specimen" SET "{column}" = ? WHERE id = ?', (value, ids[0])
            )
            _read_each_way(service, ids, monkeypatch)


def test_edge_values_stored_on_postgresql_read_alike_each_way(specimens, monkeypatch):
    service, ids = specimens
    target = service.target("t", "specimen")
    if isinstance(target.tenant.database.obj, peewee.SqliteDatabase):
        pytest.skip("the SQLite test stores these and worse")
    database = target.tenant.database
    for column, value in [
        ("the_datetime", "2024-01-05 10:00:00"), ("the_datetime", "0001-01-01 00:00:00.000001"),
        ("creation_date", "2024-01-05 10:00:00.5"), ("the_decimal", "0"),
        ("the_decimal", "-12345678901234.5678"), ("the_date", "0001-01-01"),
        ("the_time", "23:59:59.999999"), ("the_switch", "false"),
    ]:  # fmt: skip
        database.execute_sql(
            f'UPDATE "specimen" SET "{column}" = %s WHERE id = %s', (value, ids[0])
        )
        _read_each_way(service, ids, monkeypatch)
