"""The databases' limits, checked at `formwork check` time: each just under (the metadata
checks clean and the database takes it) and just over (the check refuses it, located,
and the database would refuse it too)."""

from __future__ import annotations

import datetime as dt
import decimal

import peewee
import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.registry import build_registry, compile_tenant
from engine.resolve import load_and_resolve
from engine.storage import limits
from engine.storage.databases import Storage
from engine.storage.sync import sync_registry, sync_tenant
from engine.types import TYPES

SYSTEM_COLUMNS = 6  # id, rev_number and the four audit columns of an entity without switches
FIX = "move fields into an entity of their own, linked by a lookup or edited as lines"


def wide(name: str, kinds: list[str], extra: str = "") -> str:
    """An entity file with one field per kind, in order, each on its own line."""
    fields = "".join(
        f"  - {{name: f{i}, sequence: {i}, label: F{i}, input_type: {kind}, group: MAIN}}\n"
        for i, kind in enumerate(kinds)
    )
    return f"entity: {name}\nlabel: Wide\nplural: Wides\n{extra}fields:\n{fields}"


def check(tree, files: dict[str, str]) -> tuple[int, list[str]]:
    """`formwork check` of a tree: its exit code and its lines, paths relative to the tree."""
    root = tree(files)
    result = CliRunner().invoke(main, ["check", str(root)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result
    return result.exit_code, result.output.replace(f"{root}/", "").splitlines()


@pytest.fixture
def postgresql(postgres_url, tmp_path):
    """Storage on PostgreSQL alone, for what only PostgreSQL refuses; its tenant schema is
    dropped afterwards."""
    storage = Storage(str(tmp_path), postgres_url)
    yield storage
    storage.database("t").execute_sql("DROP SCHEMA IF EXISTS t CASCADE")
    storage.close()


def unchecked_tenant(tree, files: dict[str, str], storage):
    """Tenant t compiled without the limits check, its tables made on `storage`: what
    migrate would do to metadata nobody checked."""
    tenant = compile_tenant(load_and_resolve(str(tree(files)))["t"])
    database = storage.database("t")
    tenant.database.initialize(database)
    sync_tenant(tenant, database, storage.schema("t"))
    return tenant


# columns per table


def test_a_table_of_1600_columns_checks_clean_and_is_made(tree, storage):
    files = {"entities/wide.yaml": wide("wide", ["switch"] * (1600 - SYSTEM_COLUMNS))}
    registry = build_registry(str(tree(files)))
    sync_registry(registry, storage)
    columns = storage.database("t").get_columns("wide", schema=storage.schema("t"))
    assert len(columns) == 1600


def test_a_table_of_1601_columns_is_refused_at_check_time(tree):
    files = {"entities/wide.yaml": wide("wide", ["switch"] * (1601 - SYSTEM_COLUMNS))}
    assert check(tree, files) == (
        1,
        [
            "entities/wide.yaml:1: wide: its table would have 1,601 columns (1,595 fields and "
            f"6 system columns), and a table may have at most 1,600 in PostgreSQL; {FIX}",
            "1 problem(s) found.",
        ],
    )


def test_postgresql_refuses_a_table_of_1601_columns(tree, postgresql):
    files = {"entities/wide.yaml": wide("wide", ["switch"] * (1601 - SYSTEM_COLUMNS))}
    with pytest.raises(peewee.OperationalError, match="at most 1600 columns"):
        unchecked_tenant(tree, files, postgresql)


def test_sqlite_takes_its_own_limit_of_columns_and_refuses_one_more(tree, tmp_path):
    limit = limits.sqlite_max_columns()
    assert limit == 2000  # SQLITE_MAX_COLUMN as SQLite is built by default
    files = {"entities/wide.yaml": wide("wide", ["switch"] * (limit - SYSTEM_COLUMNS))}
    unchecked_tenant(tree, files, Storage(str(tmp_path / "under")))
    over = {"entities/wide.yaml": wide("wide", ["switch"] * (limit + 1 - SYSTEM_COLUMNS))}
    with pytest.raises(peewee.OperationalError, match="too many columns"):
        unchecked_tenant(tree, over, Storage(str(tmp_path / "over")))


def test_past_the_sqlite_limit_the_check_names_both_databases(tree):
    files = {"entities/wide.yaml": wide("wide", ["switch"] * (2001 - SYSTEM_COLUMNS))}
    code, lines = check(tree, files)
    assert code == 1
    assert lines[0] == (
        "entities/wide.yaml:1: wide: its table would have 2,001 columns (1,995 fields and "
        f"6 system columns), and a table may have at most 1,600 in PostgreSQL and 2,000 in "
        f"SQLite; {FIX}"
    )


def test_a_tenant_whose_fields_pass_the_limit_is_told_at_its_own_file(tree):
    base = wide("wide", ["switch"] * (1600 - SYSTEM_COLUMNS))
    overlay = (
        "customize: wide\nadd_fields:\n"
        "  - {name: one_more, sequence: 1, label: One More, input_type: switch, group: MAIN}\n"
    )
    code, lines = check(tree, {"entities/wide.yaml": base, "tenants/t/entities/wide.yaml": overlay})
    assert (code, lines[0]) == (
        1,
        "tenants/t/entities/wide.yaml:1: wide: in tenant 't', its table would have 1,601 "
        "columns (1,595 fields and 6 system columns), and a table may have at most 1,600 in "
        f"PostgreSQL; {FIX}",
    )


# the largest row, on PostgreSQL

# a switch and a whole number in turn: the number is aligned on 8 bytes, so each pair
# takes 16 bytes; the system columns take 80 (72 when the creation date is missing, the
# widest a row with a missing value can be), and a row missing a value has a bitmap of
# its columns in its header: 152 bytes for up to 1,032 columns
PAIRS_UNDER = (8160 - 152 - 72) // 16  # 496 pairs: 8,160 bytes
# texts of 23 characters: 24 bytes each, not aligned
TEXTS_UNDER = (8160 - 72 - 72) // 24  # 334 texts: 8,160 bytes


def widest_values(tenant, table: str) -> dict:
    """A record of the table with every value at its widest."""
    values = {}
    for field in tenant.entities[table].model._meta.sorted_fields[1:]:
        values[field.name] = {
            "BIGINT": 2**62,
            "INT": 2**30,
            "BOOL": True,
            "VARCHAR": "x" * 23,
            "TEXT": "x" * 23,
            "DATETIME": dt.datetime(2024, 1, 31, 12),
            "DATE": dt.date(2024, 1, 31),
            "TIME": dt.time(12),
            "DECIMAL": decimal.Decimal("9" * 18 + ".99"),
        }[field.field_type]
    return values


def insert_widest_rows(tenant, table: str) -> None:
    """Insert the widest record, and the widest with a value missing."""
    model = tenant.entities[table].model
    values = widest_values(tenant, table)
    with tenant.database.atomic():
        model.insert(values).execute()
        model.insert({**values, "creation_date": None}).execute()


@pytest.mark.parametrize(
    ("kinds", "size"),
    [(["switch", "integer"] * PAIRS_UNDER, 8160), (["text"] * TEXTS_UNDER, 8160)],
    ids=["numbers", "texts"],
)
def test_a_row_of_8160_bytes_checks_clean_and_postgresql_takes_it(tree, postgresql, kinds, size):
    files = {"entities/wide.yaml": wide("wide", kinds)}
    registry = build_registry(str(tree(files)))
    assert limits.largest_row(registry.tenant("t").entity("wide").model) == size
    insert_widest_rows(unchecked_tenant(tree, files, postgresql), "wide")


@pytest.mark.parametrize(
    ("kinds", "size"),
    [
        (["switch", "integer"] * (PAIRS_UNDER + 1), 8176),
        (["text"] * (TEXTS_UNDER + 1), 8184),
    ],
    ids=["numbers", "texts"],
)
def test_a_row_over_8160_bytes_is_refused_at_check_time_as_postgresql_would(
    tree, postgresql, kinds, size
):
    files = {"entities/wide.yaml": wide("wide", kinds)}
    code, lines = check(tree, files)
    assert (code, lines) == (
        1,
        [
            f"entities/wide.yaml:1: wide: a record can take {size:,} bytes in a row, more than "
            "the 8,160 a PostgreSQL row may have (numbers, dates and times take up to 8 bytes "
            f"each, texts up to 24); {FIX}",
            "1 problem(s) found.",
        ],
    )
    tenant = unchecked_tenant(tree, files, postgresql)
    with pytest.raises(peewee.DatabaseError, match=f"row is too big: size {size}"):
        insert_widest_rows(tenant, "wide")


# the most bytes a value of each input type takes in a PostgreSQL row
IN_ROW = {
    "text": 13,  # max_length 3 below: 3 characters of up to 4 bytes, after a 1-byte header
    "textarea": 24,
    "email": 24,
    "phone": 24,
    "url": 24,
    "integer": 8,
    "decimal": 13,  # 20 digits, 4 after the point: 5 groups of 4, after 3 bytes of header
    "currency": 15,  # 2 after the point: 16 digits in 5 groups (not 4), and 1 group
    "percent": 15,
    "date": 4,
    "datetime": 8,
    "time": 8,
    "switch": 1,
    "select": 24,
    "multiselect": 24,
    "lookup": 8,
    "file": 24,
    "image": 24,
}


@pytest.mark.parametrize("kind", [name for name, row in TYPES.items() if row.column])
def test_every_input_type_has_a_size_in_a_row(tree, kind):
    extra = {
        "select": ", options: [a]",
        "multiselect": ", options: [a]",
        "lookup": ", lookup: {entity: wide}",
        "text": ", max_length: 3",
    }.get(kind, "")
    files = {"entities/wide.yaml": wide("wide", [kind] * 8).replace("}\n", f"{extra}}}\n")}
    model = build_registry(str(tree(files))).tenant("t").entity("wide").model
    size = IN_ROW[kind]
    # 80 bytes of system columns, then eight values, after a header of 24 bytes; or of 32
    # when a value is missing (a bitmap of the 14 columns): the creation date's 8 bytes,
    # or one of the eight values
    widest = max(24 + 80 + 8 * size, 32 + 72 + 8 * size, 32 + 80 + 7 * size)
    assert limits.largest_row(model) == -(-widest // 8) * 8


# names of tables and indexes

PART = """\
entity: part
label: Part
plural: Parts
fields:
  - {name: kind, sequence: 1, label: Kind, input_type: text, group: MAIN, index: true}
"""
PART_KIND = """\
entity: part_kind
label: Part Kind
plural: Part Kinds
fields:
  - {name: code, sequence: 1, label: Code, input_type: text, group: MAIN}
"""


def test_an_index_named_like_a_table_is_refused_at_check_time(tree, storage):
    files = {"entities/part.yaml": PART, "entities/part_kind.yaml": PART_KIND}
    assert check(tree, files) == (
        1,
        [
            "entities/part.yaml:5: part.kind: the index of 'part.kind' would be named "
            "'part_kind', which is already the name of the table of entity 'part_kind'; "
            "rename the field or the entity",
            "1 problem(s) found.",
        ],
    )
    # unchecked, SQLite refuses the second of the two; PostgreSQL skips it (IF NOT EXISTS),
    # and the entity is left without its table
    if storage.backend == "sqlite":
        with pytest.raises(peewee.DatabaseError, match="already an index named part_kind"):
            unchecked_tenant(tree, files, storage)
    else:
        unchecked_tenant(tree, files, storage)
        assert "part_kind" not in storage.database("t").get_tables(schema="t")


def test_an_index_named_unlike_any_table_checks_clean(tree, storage):
    files = {
        "entities/part.yaml": PART,
        "entities/part_kinds.yaml": PART_KIND.replace("entity: part_kind", "entity: part_kinds"),
    }
    assert check(tree, files)[0] == 0
    sync_registry(build_registry(str(tree(files))), storage)


def long_names(length: int) -> dict[str, str]:
    """Two indexed fields whose index names, 'pad_' and the field's name, are `length`
    characters long and differ in their last one only."""
    names = ["x" * (length - 5) + last for last in "ab"]
    fields = "".join(
        f"  - {{name: {name}, sequence: {i}, label: F{i}, input_type: text, group: MAIN, "
        "index: true}\n"
        for i, name in enumerate(names)
    )
    return {"entities/pad.yaml": f"entity: pad\nlabel: Pad\nplural: Pads\nfields:\n{fields}"}


def test_index_names_of_63_bytes_check_clean_and_postgresql_keeps_them_apart(tree, postgresql):
    files = long_names(63)
    assert check(tree, files)[0] == 0
    sync_registry(build_registry(str(tree(files))), postgresql)
    assert len(postgresql.database("t").get_indexes("pad", schema="t")) == 3  # and the key's


def test_index_names_alike_in_their_first_63_bytes_are_refused_as_postgresql_would(
    tree, postgresql
):
    files = long_names(64)
    index_a, index_b = "pad_" + "x" * 59 + "a", "pad_" + "x" * 59 + "b"
    code, lines = check(tree, files)
    assert (code, lines) == (
        1,
        [
            f"entities/pad.yaml:6: pad.{index_b[4:]}: the index of 'pad.{index_b[4:]}' would "
            f"be named '{index_b}' (PostgreSQL keeps its first 63 bytes, '{index_b[:63]}'), "
            f"which is already the name of the index of 'pad.{index_a[4:]}'; rename the field "
            "or the entity",
            "1 problem(s) found.",
        ],
    )
    # PostgreSQL takes the second index for the first, already there, and skips it
    unchecked_tenant(tree, files, postgresql)
    assert len(postgresql.database("t").get_indexes("pad", schema="t")) == 2


def test_an_entity_named_like_an_engine_table_is_refused(tree):
    files = {"entities/formwork_user.yaml": PART.replace("entity: part", "entity: formwork_user")}
    code, lines = check(tree, files)
    assert (code, lines[0]) == (
        1,
        "entities/formwork_user.yaml:1: formwork_user: the table of entity 'formwork_user' "
        "would be named 'formwork_user', which is already the name of one of the engine's "
        "own tables; choose another entity name",
    )
