from records_metadata import SURVEY

from engine.compile.layout import html_attributes
from engine.registry import build_registry
from engine.spec import FieldSpec, Rule


def field(**props):
    base = {"name": "x", "sequence": 1, "label": "X", "input_type": "text", "group": "MAIN"}
    return FieldSpec(**{**base, **props})


def test_constraints_declared_once_become_html_attributes():
    attrs = html_attributes(field(required=True, max_length=20, min_length=2, pattern="[A-Z]+"))
    assert attrs == {"required": True, "maxlength": 20, "minlength": 2, "pattern": "[A-Z]+"}


def test_number_step_comes_from_precision():
    assert html_attributes(field(input_type="currency", precision=2, min=0))["step"] == "0.01"
    assert html_attributes(field(input_type="integer", max=9)) == {"max": 9, "step": "1"}


def test_a_conditionally_visible_field_is_not_required_in_html():
    rule = Rule("a", ["truthy", "a"])
    assert "required" not in html_attributes(field(required=True, visible_if=rule))


def test_shipped_forms_have_groups_in_order_and_fields_by_sequence(shipped):
    for tenant in shipped.tenants.values():
        for compiled in tenant.entities.values():
            layout = compiled.layout
            orders = [compiled.spec.groups[g["code"]].order for g in layout["groups"]]
            assert orders == sorted(orders)
            for group in layout["groups"]:
                sequences = [compiled.spec.field(f["name"]).sequence for f in group["fields"]]
                assert sequences == sorted(sequences)
                assert all(f["widget"] and f["label"] for f in group["fields"])


def test_sections_and_tabs_follow_one_order_and_adjacent_tabs_share_a_tab_set(tree):
    tenant = build_registry(str(tree({"entities/survey.yaml": SURVEY}))).tenant("t")
    groups = tenant.entity("survey").layout["groups"]
    assert [(g["code"], g["layout"], g["tab_set"]) for g in groups] == [
        ("MAIN", "section", None),
        ("EARLY", "tab", 1),
        ("PLANNING", "section", None),
        # the empty section at 85 is not shown, so it does not part the two tabs
        ("LINES", "tab", 2),
        ("REFERENCE", "tab", 2),
    ]
