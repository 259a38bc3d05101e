"""The shipped metadata: the seed field tables, the seed tenants, the design's invariants."""

import subprocess
from pathlib import Path

import jsonschema
import pytest
from conftest import ROOT, SHIPPED

from engine.types import canonical

SEED_ROWS = [
    [cell.strip() for cell in line.split("|")]
    for line in (Path(__file__).parent / "data" / "seed_fields.txt").read_text().splitlines()
    if not line.startswith("#")
]
# Rows whose meaning Formwork models differently from the seed's input type: system
# columns (their type is the engine's) and a record's own number and name (the source
# system's search box over its own records is the list page's search here).
SYSTEM_NAMES = {"status", "rev_number", "created_by", "creation_date", "last_updated_by",
                "last_update_date"}  # fmt: skip
OWN_KEYS = {"customer_number", "customer_name", "customer_site_number", "customer_site_name"}


@pytest.mark.parametrize("row", SEED_ROWS, ids=lambda r: f"{r[0]}.{r[2]}")
def test_every_seed_field_is_in_the_base_with_its_sequence_label_type_and_group(shipped, row):
    entity, sequence, name, label, input_type, group = row
    field = shipped.tenant("standard").entity(entity).spec.field(name)
    assert (field.sequence, field.label, field.group) == (int(sequence), label, group)
    if field.system:
        assert name in SYSTEM_NAMES or name.endswith("_id")
    elif name in OWN_KEYS:
        assert field.input_type == "text"
    else:
        assert field.input_type == canonical(input_type)


def test_the_standard_tenant_serves_the_base_unchanged(shipped):
    standard = shipped.tenant("standard").spec
    assert not any(e.custom for e in standard.entities.values())
    assert not any(f.custom for e in standard.entities.values() for f in e.fields)
    customer = standard.entities["customer"]
    assert {f.name for f in customer.fields if f.lines} == {"sites", "business_units"}


def test_every_compiled_schema_is_valid_draft_2020_12(shipped):
    count = 0
    for tenant in shipped.tenants.values():
        for compiled in tenant.entities.values():
            jsonschema.Draft202012Validator.check_schema(compiled.schema)
            count += 1
    assert len(shipped.tenants) == 5 and count >= 60


def test_licence_prefixed_customer_codes(shipped):
    production = shipped.tenant("production").spec
    assert production.settings["license"] == "3897"
    numbering = production.entities["customer"].numbering
    assert numbering.pattern == "{tenant.license}-{seq}"
    assert numbering.pattern.format(tenant=type("T", (), production.settings), seq=5) == "3897-5"
    customer = production.entities["customer"]
    assert customer.field(numbering.field).label == "Customer Code"


def test_distribution_currency_is_fixed_once_saved(shipped):
    customer = shipped.tenant("distribution").spec.entities["customer"]
    currency = customer.field("currency")
    assert currency.set_once and currency.required


def test_trade_customers_are_deactivated_not_deleted(shipped):
    customer = shipped.tenant("trade").spec.entities["customer"]
    assert customer.delete == "never" and "active" in customer.system_columns
    required = {f.name for f in customer.fields if f.required}
    assert {"currency", "customer_category", "default_sales_rep", "terms"} <= required


def test_retail_price_levels_and_required_home_location(shipped):
    customer = shipped.tenant("retail").spec.entities["customer"]
    levels = [o.value for f in customer.fields if f.name == "price_level" for o in f.options]
    assert levels == ["A", "B", "C"]
    assert customer.field("home_location").required


def test_no_engine_code_names_a_shipped_entity():
    """DESIGN.md invariant 1: metadata is the only source of entity knowledge."""
    names = {path.stem for path in SHIPPED.rglob("entities/*.yaml")}
    found = subprocess.run(
        ["grep", "-rnwI", "--include=*.py", "--include=*.html", "--include=*.js",
         *[arg for name in sorted(names) for arg in ("-e", name)], "engine", "webui"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert found.stdout == ""
