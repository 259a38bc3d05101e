import peewee
import pytest

from engine.registry import build_registry

ENTITY = """\
entity: item
label: Item
plural: Items
statuses:
  initial: draft
  states: {draft: {label: Draft}, done: {label: Done, locked: all}}
  actions: {finish: {from: [draft], to: done}}
delete: never
unique_together: [[code, region]]
fields:
  - {name: code, sequence: 1, label: Code, input_type: text, group: MAIN, unique: true,
     max_length: 20}
  - {name: region, sequence: 2, label: Region, input_type: text, group: MAIN, index: true}
  - {name: price, sequence: 3, label: Price, input_type: currency, group: MAIN}
  - {name: weight, sequence: 4, label: Weight, input_type: decimal, group: MAIN, precision: 3}
  - {name: parent, sequence: 5, label: Parent, input_type: lookup, group: MAIN,
     lookup: {entity: item}}
  - {name: tags, sequence: 6, label: Tags, input_type: multiselect, group: MAIN, options: [a]}
  - {name: copy, sequence: 7, label: Copy, input_type: switch, group: MAIN}
  - {name: item_id, system: id, sequence: 8, label: Item Id, group: MAIN}
"""


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    root = tmp_path_factory.mktemp("meta")
    (root / "entities").mkdir()
    (root / "tenants" / "t").mkdir(parents=True)
    (root / "groups.yaml").write_text("groups:\n  MAIN: {label: Main, order: 1}\n")
    (root / "entities" / "item.yaml").write_text(ENTITY)
    (root / "tenants" / "t" / "tenant.yaml").write_text("tenant: t\nlabel: T\n")
    tenant = build_registry(str(root)).tenant("t")
    tenant.database.initialize(peewee.SqliteDatabase(":memory:"))
    return tenant.entity("item").model


def test_columns_are_system_columns_then_declared_fields(model):
    assert [f.column_name for f in model._meta.sorted_fields] == [
        "id", "status", "active", "rev_number", "created_by", "creation_date",
        "last_updated_by", "last_update_date",
        "code", "region", "price", "weight", "parent", "tags", "copy",
    ]  # fmt: skip


def test_column_types_follow_the_type_table(model):
    columns = model._meta.columns
    assert isinstance(columns["code"], peewee.CharField) and columns["code"].max_length == 20
    assert isinstance(columns["price"], peewee.DecimalField)
    assert columns["price"].decimal_places == 2 and columns["weight"].decimal_places == 3
    assert isinstance(columns["parent"], peewee.BigIntegerField)
    assert isinstance(columns["tags"], peewee.TextField)
    assert isinstance(columns["copy"], peewee.BooleanField)
    assert columns["status"].default == "draft" and columns["active"].default is True


def test_a_field_named_like_a_model_method_keeps_its_column_name(model):
    assert model._meta.columns["copy"].name == "copy_"
    assert callable(model.copy)


def test_constraints_reach_the_database(model):
    model.create_table()
    model.create(code="A", region="north")
    with pytest.raises(peewee.IntegrityError):
        model.create(code="A", region="south")  # unique
    indexes = {
        tuple(i.columns): i.unique for i in model._meta.database.get_indexes(model._meta.table_name)
    }
    assert indexes[("code",)] is True
    assert indexes[("region",)] is False
    assert indexes[("parent",)] is False
    assert indexes[("code", "region")] is True
