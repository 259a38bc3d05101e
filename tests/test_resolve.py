import pytest

from engine.errors import MetadataError, Source
from engine.registry import build_registry
from engine.resolve import load_and_resolve

BASE = """\
entity: thing
label: Thing
plural: Things
title_field: title
fields:
  - {name: title, sequence: 10, label: Title, input_type: textField, group: MAIN, required: true}
  - {name: amount, sequence: 20, label: Amount, input_type: currency, group: MAIN}
  - {name: note, sequence: 30, label: Note, input_type: textarea, group: MORE}
  - {name: code, sequence: 40, label: Code, input_type: text, group: MAIN}
"""
OVERLAY = """\
customize: thing
label: Gadget
groups:
  EXTRA: {label: Extra, order: 5, layout: section}
fields:
  - {name: amount, label: Price, required: true, group: EXTRA}
  - name: note
    hidden: true
  - {name: code, sequence: 5}
add_fields:
  - {name: colour, sequence: 15, label: Colour, input_type: select, group: MAIN,
     options: [red, {value: blue, label: Blue}]}
"""


@pytest.fixture
def tenants(tree):
    root = tree(
        {
            "entities/thing.yaml": BASE,
            "tenants/t/entities/thing.yaml": OVERLAY,
            "tenants/u/tenant.yaml": "tenant: u\nlabel: U\n",
            "tenants/u/entities/widget.yaml": (
                "entity: widget\nlabel: Widget\nplural: Widgets\nfields:\n"
                "  - {name: size, sequence: 1, label: Size, input_type: integer, group: MAIN}\n"
            ),
        }
    )
    return root, load_and_resolve(str(root))


def test_tenant_overrides_base_and_other_tenants_keep_the_base(tenants):
    _, specs = tenants
    gadget, plain = specs["t"].entities["thing"], specs["u"].entities["thing"]
    assert (gadget.label, plain.label) == ("Gadget", "Thing")
    amount = gadget.field("amount")
    assert (amount.label, amount.required, amount.group) == ("Price", True, "EXTRA")
    assert plain.field("amount").label == "Amount" and not plain.field("amount").required
    assert gadget.field("note").hidden and not plain.field("note").hidden
    assert gadget.field("code").sequence == 5


def test_every_property_remembers_where_it_was_written(tenants):
    root, specs = tenants
    amount = specs["t"].entities["thing"].field("amount")
    base_file = str(root / "entities" / "thing.yaml")
    tenant_file = str(root / "tenants" / "t" / "entities" / "thing.yaml")
    assert amount.origins["label"] == Source(tenant_file, 6)
    assert amount.origins["input_type"] == Source(base_file, 7)
    assert specs["t"].entities["thing"].field("note").origins["hidden"] == Source(tenant_file, 8)
    assert specs["t"].entities["thing"].origins["label"] == Source(tenant_file, 2)


def test_custom_fields_and_own_entities_are_marked(tenants):
    _, specs = tenants
    colour = specs["t"].entities["thing"].field("colour")
    assert colour.custom and colour.input_type == "select"
    assert [(o.value, o.label) for o in colour.options] == [("red", "red"), ("blue", "Blue")]
    assert not specs["t"].entities["thing"].field("title").custom
    assert specs["u"].entities["widget"].custom
    assert "widget" not in specs["t"].entities


def test_aliases_resolve_to_one_type_and_type_defaults_apply(tenants):
    _, specs = tenants
    title = specs["u"].entities["thing"].field("title")
    assert (title.input_type, title.max_length) == ("text", 255)
    assert specs["u"].entities["thing"].field("amount").precision == 2


def test_layout_follows_group_order_then_sequence(tenants, tree):
    root, _ = tenants
    registry = build_registry(str(root))
    layout = registry.tenant("t").entity("thing").layout
    assert [(g["code"], [f["name"] for f in g["fields"]]) for g in layout["groups"]] == [
        ("EXTRA", ["amount"]),
        ("MAIN", ["code", "title", "colour"]),
    ]
    plain = registry.tenant("u").entity("thing").layout
    assert [g["code"] for g in plain["groups"]] == ["MAIN", "MORE"]


def test_tenant_groups_can_relabel_shared_groups(tree):
    root = tree(
        {
            "entities/thing.yaml": BASE,
            "tenants/t/tenant.yaml": "tenant: t\nlabel: T\ngroups:\n  MORE: {label: Notes}\n",
        }
    )
    group = load_and_resolve(str(root))["t"].entities["thing"].groups["MORE"]
    assert (group.label, group.order, group.layout) == ("Notes", 20, "tab")


def test_base_problem_is_reported_once_not_per_tenant(tree):
    broken = BASE.replace("group: MORE", "group: MOAR")
    root = tree(
        {
            "entities/thing.yaml": broken,
            "tenants/u/tenant.yaml": "tenant: u\nlabel: U\n",
        }
    )
    with pytest.raises(MetadataError) as raised:
        load_and_resolve(str(root))
    assert [p.message for p in raised.value.problems] == [
        "unknown group 'MOAR' (did you mean 'MORE'?); groups are declared in groups.yaml, "
        "the entity's groups: or the tenant's groups:"
    ]


def test_a_tenant_can_fix_nothing_silently_by_re_adding_a_base_field(tree):
    overlay = "customize: thing\nadd_fields:\n" + (
        "  - {name: amount, sequence: 1, label: A, input_type: integer, group: MAIN}\n"
    )
    root = tree({"entities/thing.yaml": BASE, "tenants/t/entities/thing.yaml": overlay})
    with pytest.raises(MetadataError) as raised:
        load_and_resolve(str(root))
    (problem,) = raised.value.problems
    assert problem.line == 3 and problem.path == "thing.amount"
    assert "change it under fields:" in problem.message


def test_a_file_that_does_not_parse_hides_only_what_follows_from_its_absence(tree):
    thing = BASE.replace(
        "title_field: title\n",
        "title_field: title\nlines:\n"
        "  parts: {entity: part, link: thing_id, label: Parts, sequence: 50, group: MAIN}\n",
    )
    thing += "  - {name: other, sequence: 50, label: Other, input_type: lookup, group: MAIN,\n"
    thing += "     lookup: {entity: othre}}\n"
    overlay = "customize: thing\nnumbering: {field: code, pattern: '{tenant.region}-{seq}'}\n"
    root = tree(
        {
            "entities/thing.yaml": thing,
            "entities/part.yaml": "entity: part\nfields: [\n",
            "tenants/u/tenant.yaml": "tenant: u\nlabel: U\n",
            "tenants/u/entities/thing.yaml": overlay,
        }
    )
    with pytest.raises(MetadataError) as raised:
        load_and_resolve(str(root))
    assert [str(p).replace(f"{root}/", "") for p in raised.value.problems] == [
        # the lines of part, which the unparsable file might declare, are not reported; a
        # lookup to an entity no file declares is, and so is a setting tenant u lacks
        "entities/part.yaml:3: YAML syntax error: did not find expected node content",
        "entities/thing.yaml:13: thing.other.lookup.entity: lookup to unknown entity 'othre'",
        "tenants/u/entities/thing.yaml:2: thing.numbering.pattern: placeholder "
        "{tenant.region} needs the tenant setting 'region', which tenant 'u' does not have",
    ]
