import pytest

from engine.records.words import search_column
from engine.registry import build_registry
from engine.storage.sync import UnsafeChange, sync_registry

ENTITY = """\
entity: item
label: Item
plural: Items
fields:
  - {name: code, sequence: 1, label: Code, input_type: text, group: MAIN, unique: true}
  - {name: qty, sequence: 2, label: Quantity, input_type: integer, group: MAIN}
  - {name: price, sequence: 3, label: Price, input_type: currency, group: MAIN}
  - {name: note, sequence: 4, label: Note, input_type: text, group: MAIN, max_length: 20}
"""


def steps(plans):
    return [str(step) for plan in plans for step in plan.steps]


def build(tree, entity=ENTITY):
    return build_registry(str(tree({"entities/item.yaml": entity})))


def columns(storage, table="item"):
    database = storage.database("t")
    return [c.name for c in database.get_columns(table, schema=storage.schema("t"))]


def test_first_sync_creates_tables_and_a_second_changes_nothing(tree, storage):
    registry = build(tree)
    plans = sync_registry(registry, storage)
    assert "create table item: 10 columns" in steps(plans)
    assert steps(sync_registry(registry, storage, dry_run=True)) == []
    assert "price" in columns(storage)


def test_dry_run_changes_nothing(tree, storage):
    plans = sync_registry(build(tree), storage, dry_run=True)
    assert "create table item: 10 columns" in steps(plans)
    assert "item" not in storage.database("t").get_tables(schema=storage.schema("t"))


def test_new_field_adds_a_column_with_its_index_and_old_values_stay(tree, storage):
    registry = build(tree)
    sync_registry(registry, storage)
    registry.tenant("t").entity("item").model.create(code="A1", qty=3)
    added = ENTITY + (
        "  - {name: colour, sequence: 5, label: Colour, input_type: text, group: MAIN,"
        " searchable: true}\n"
    )
    registry = build(tree, added)
    words = search_column(registry.tenant("t").entity("item").spec)
    assert steps(sync_registry(registry, storage)) == [
        "add column item.colour: text, indexed",
        f"add column item.{words}: search words",  # the words of the searchable fields
        f"fill search words item.{words}: of the searchable fields",
        f"build search index item.{words}: of the searchable fields",
    ]
    indexes = storage.database("t").get_indexes("item", schema=storage.schema("t"))
    assert ["colour"] in [index.columns for index in indexes]
    row = registry.tenant("t").entity("item").model.get()
    assert (row.code, row.qty, row.colour) == ("A1", 3, None)


def test_removed_field_keeps_its_column_and_values(tree, storage):
    registry = build(tree)
    sync_registry(registry, storage)
    registry.tenant("t").entity("item").model.create(code="A1", qty=3)
    without_qty = ENTITY.replace(
        "  - {name: qty, sequence: 2, label: Quantity, input_type: integer, group: MAIN}\n", ""
    )
    registry = build(tree, without_qty)
    assert steps(sync_registry(registry, storage)) == []
    assert "qty" in columns(storage)
    cursor = storage.database("t").execute_sql("SELECT qty FROM item")
    assert cursor.fetchall() == [(3,)]


def test_renamed_from_renames_the_column_and_keeps_values(tree, storage):
    registry = build(tree)
    sync_registry(registry, storage)
    registry.tenant("t").entity("item").model.create(code="A1", qty=3)
    renamed = ENTITY.replace("{name: qty,", "{name: quantity, renamed_from: qty,")
    registry = build(tree, renamed)
    assert steps(sync_registry(registry, storage)) == ["rename column item.quantity: from qty"]
    assert registry.tenant("t").entity("item").model.get().quantity == 3
    assert "qty" not in columns(storage)


def test_lossy_type_change_is_refused_naming_field_and_both_types(tree, storage):
    sync_registry(build(tree), storage)
    lossy = ENTITY.replace("label: Price, input_type: currency", "label: Price, input_type: date")
    with pytest.raises(UnsafeChange) as raised:
        sync_registry(build(tree, lossy), storage)
    assert str(raised.value) == (
        "t.item.price: changing the type from currency to date could lose data "
        "(DECIMAL values into a DATE column); keep currency, or add a new field and copy "
        "the values"
    )


def test_widening_changes_are_applied(tree, storage):
    registry = build(tree)
    sync_registry(registry, storage)
    wider = ENTITY.replace("input_type: integer", "input_type: decimal").replace(
        "max_length: 20", "max_length: 200"
    )
    registry = build(tree, wider)
    assert steps(sync_registry(registry, storage)) == [
        "widen column item.qty: integer → decimal",
        "widen column item.note: text → text",
    ]
    registry.tenant("t").entity("item").model.create(code="B", qty=1.5, note="x" * 150)
    row = registry.tenant("t").entity("item").model.get()
    assert float(row.qty) == 1.5 and len(row.note) == 150


def test_lowering_precision_is_refused(tree, storage):
    sync_registry(build(tree), storage)
    narrower = ENTITY.replace("input_type: currency", "input_type: currency, precision: 1")
    with pytest.raises(UnsafeChange, match="lowering precision from 2 to 1"):
        sync_registry(build(tree, narrower), storage)


def test_the_shipped_metadata_syncs_on_every_tenant(shipped, storage):
    plans = sync_registry(shipped, storage)
    assert {plan.tenant for plan in plans} == set(shipped.tenants)
    assert steps(sync_registry(shipped, storage, dry_run=True)) == []


def test_making_a_field_unique_over_repeated_values_is_refused(tree, storage):
    registry = build(tree)
    sync_registry(registry, storage)
    model = registry.tenant("t").entity("item").model
    model.create(code="A", qty=1)
    model.create(code="B", qty=1)
    unique_qty = ENTITY.replace(
        "input_type: integer, group: MAIN}", "input_type: integer, group: MAIN, unique: true}"
    )
    with pytest.raises(UnsafeChange) as raised:
        sync_registry(build(tree, unique_qty), storage)
    assert str(raised.value) == (
        "t.item.qty: cannot be made unique: several records share (1,); change those records first"
    )
