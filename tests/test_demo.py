"""The demo data set: users and records for every shipped tenant, loaded once, on both backends."""

import re

import pytest
import yaml
from click.testing import CliRunner
from conftest import SHIPPED

from engine import users
from engine.cli import main
from engine.demo import DATA_DIR, DemoDataError, load_demo, serve_hint
from engine.errors import EngineError
from engine.records.service import RecordService
from engine.registry import build_registry
from engine.storage.sync import sync_registry

TENANTS = ["distribution", "production", "retail", "standard", "trade"]


def data_file(tenant):
    return yaml.safe_load((DATA_DIR / f"{tenant}.yaml").read_text(encoding="utf-8"))["records"]


@pytest.fixture
def demo_service(storage):
    registry = build_registry(str(SHIPPED))
    sync_registry(registry, storage)
    return RecordService(registry)


def count(service, tenant, entity):
    return service.list(tenant, entity, limit=1)["total"]


def test_every_shipped_tenant_has_a_data_file_and_nothing_else():
    assert sorted(p.stem for p in DATA_DIR.glob("*.yaml")) == TENANTS
    for tenant in TENANTS:
        customers = [r for r in data_file(tenant) if r["entity"] == "customer"]
        assert 4 <= len(customers) <= 8


def test_every_tenant_gets_its_users_and_records(demo_service):
    service = demo_service
    report = load_demo(service, service.registry)
    assert [t.tenant for t in report.tenants] == TENANTS
    for tenant in TENANTS:
        result = report.tenant(tenant)
        compiled = service.registry.tenant(tenant)
        assert [(u.username, u.role) for u in result.users] == [
            ("admin", "admin"),
            ("editor", "editor"),
            ("viewer", "viewer"),
        ]
        for user in result.users:
            assert users.authenticate(compiled, user.username, user.password).role == user.role
        records = data_file(tenant)
        assert not result.skipped
        assert set(result.ids) == {r["key"] for r in records}
        # every record of the file, and every line nested in it, is in the database
        for entity, created in result.created.items():
            assert count(service, tenant, entity) == created, (tenant, entity)
        top = {}
        for record in records:
            top[record["entity"]] = top.get(record["entity"], 0) + record.get("count", 1)
        assert all(result.created[entity] == n for entity, n in top.items())
        assert result.records >= len(records)
        last = records[-1]
        assert service.read(tenant, last["entity"], result.ids[last["key"]])["created_by"] == "demo"


def test_a_second_load_adds_nothing(demo_service):
    service = demo_service
    first = load_demo(service, service.registry)
    before = {
        (t.tenant, entity): count(service, t.tenant, entity)
        for t in first.tenants
        for entity in t.created
    }
    second = load_demo(service, service.registry)
    for tenant in second.tenants:
        assert tenant.records == 0 and "already" in tenant.skipped
        assert [u.password for u in tenant.users] == [None, None, None]
    after = {key: count(service, *key) for key in before}
    assert after == before


def test_production_customers_get_licence_prefixed_codes(demo_service):
    service = demo_service
    load_demo(service, service.registry)
    items = service.list("production", "customer", sort="id")["items"]
    assert [c["customer_number"] for c in items] == [f"3897-{n}" for n in range(1, 7)]
    assert items[0]["customer_name"] and items[0]["alt_name"]


@pytest.mark.parametrize("tenant", TENANTS)
def test_actions_of_the_data_file_are_applied(demo_service, tenant):
    service = demo_service
    report = load_demo(service, service.registry)
    ids = report.tenant(tenant).ids
    acted = [r for r in data_file(tenant) if r.get("actions")]
    assert acted, "every tenant shows at least one confirmed or deactivated record"
    for record in acted:
        stored = service.read(tenant, record["entity"], ids[record["key"]])
        spec = service.target(tenant, record["entity"]).spec
        for action in record["actions"]:
            if action in ("activate", "deactivate"):
                assert stored["active"] is (action == "activate"), record["key"]
        steps = [a for a in record["actions"] if a in spec.statuses.actions]
        if steps:
            assert stored["status"] == spec.statuses.actions[steps[-1]].target, record["key"]
    confirmed = [r for r in acted if "confirm" in r["actions"] and len(r["actions"]) == 1]
    assert confirmed
    for record in confirmed:
        assert service.read(tenant, record["entity"], ids[record["key"]])["status"] == "confirmed"
    spec = service.target(tenant, "customer").spec
    if spec.delete == "never":
        inactive = service.list(tenant, "customer", filters={"active": "false"})["items"]
        assert len(inactive) == 1


def test_a_record_the_metadata_refuses_names_tenant_key_and_errors(demo_service, tmp_path):
    service = demo_service
    (tmp_path / "production.yaml").write_text(
        "records:\n"
        "  - {entity: customer, key: fine, values: {customer_name: Fine, alt_name: F}}\n"
        "  - entity: customer\n"
        "    key: nameless\n"
        "    values: {contact_email: not-an-email}\n",
        encoding="utf-8",
    )
    with pytest.raises(EngineError) as raised:
        load_demo(service, service.registry, data_dir=tmp_path)
    message = str(raised.value)
    assert "production.yaml:3:" in message
    assert "tenant 'production'" in message and "'nameless'" in message
    assert "Business Name" in message and "Customer Alias" in message
    assert "Contact Email must be" in message
    # the tenant's records were one transaction, and no user was added before the failure
    assert count(service, "production", "customer") == 0
    with pytest.raises(users.UnknownUser):
        users.get_user(service.registry.tenant("production"), "admin")


def test_malformed_data_files_report_every_problem_before_writing(demo_service, tmp_path):
    service = demo_service
    (tmp_path / "trade.yaml").write_text(
        "records:\n"
        "  - {entity: custmer, key: a, values: {}}\n"
        "  - {entity: customer, key: b, values: {currency: {ref: later}}, action: [confirm]}\n"
        "  - {entity: currency_code, key: later, values: {}}\n"
        "  - {entity: currency_code, key: later, values: []}\n",
        encoding="utf-8",
    )
    with pytest.raises(DemoDataError) as raised:
        load_demo(service, service.registry, data_dir=tmp_path)
    lines = str(raised.value).splitlines()
    assert len(lines) == 5, lines
    assert "did you mean 'customer'" in lines[0]
    assert any("{ref: later} names no record above this one" in line for line in lines)
    assert any("did you mean 'actions'" in line for line in lines)
    assert any("'later' names an earlier record already" in line for line in lines)
    assert all(re.match(r".*trade\.yaml:\d+: records\[\d\]", line) for line in lines)
    assert count(service, "trade", "currency_code") == 0


def test_a_counted_entry_makes_numbered_records_and_its_mistakes_are_named(demo_service, tmp_path):
    service = demo_service
    (tmp_path / "retail.yaml").write_text(
        "records:\n"
        "  - {entity: location_group, key: g, count: 3,"
        "     values: {code: 'G{n}', name: 'Group {n:02d}'}}\n",
        encoding="utf-8",
    )
    load_demo(service, service.registry, data_dir=tmp_path)
    names = [r["name"] for r in service.list("retail", "location_group", sort="code")["items"]]
    assert names == ["Group 01", "Group 02", "Group 03"]
    (tmp_path / "retail.yaml").unlink()
    (tmp_path / "trade.yaml").write_text(
        "records:\n"
        "  - {entity: currency_code, key: a, count: 0, values: {code: AAA}}\n"
        "  - {entity: currency_code, key: b, count: 2, values: {code: 'B{m}', name: B}}\n",
        encoding="utf-8",
    )
    with pytest.raises(DemoDataError) as raised:
        load_demo(service, service.registry, data_dir=tmp_path)
    lines = str(raised.value).splitlines()
    assert re.match(r".*trade\.yaml:2: records\[0\]\.count: must be a whole number", lines[0])
    assert re.match(r".*trade\.yaml:3: records\[1\]\.values\.code: 'B\{m\}' is no format", lines[1])
    assert count(service, "trade", "currency_code") == 0


def test_serve_hint_repeats_the_options_and_masks_a_password():
    assert serve_hint("metadata", "data", None) == "Serve it with: formwork serve"
    assert serve_hint("meta", "/tmp/d x", None).endswith("--metadata meta --data '/tmp/d x'")
    hint = serve_hint("metadata", "data", "postgresql://app:secret@db.example:5432/forms")
    assert hint.endswith("--database 'postgresql://app:***@db.example:5432/forms'")


def test_demo_command_prints_passwords_once_and_counts(storage):
    if storage.database_url:
        place = ["--database", storage.database_url]
    else:
        place = ["--data", str(storage.data_dir)]
    arguments = ["demo", "--metadata", str(SHIPPED), *place]

    result = CliRunner().invoke(main, arguments, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    passwords = [line for line in lines if "password: " in line]
    assert len(passwords) == 3 * len(TENANTS)
    assert "  6 records created: 6 Customer Profiles" in lines
    assert any(re.fullmatch(r"  \d+ records created: .*6 Customers.*", line) for line in lines)
    assert lines[-1].startswith("Serve it with: formwork serve")
    password = passwords[0].rsplit(" ", 1)[1]
    registry = build_registry(str(SHIPPED))
    sync_registry(registry, storage)
    assert users.authenticate(registry.tenant(TENANTS[0]), "admin", password)

    again = CliRunner().invoke(main, arguments, catch_exceptions=False)
    assert again.exit_code == 0, again.output
    assert "password: " not in again.output
    assert again.output.count("its password cannot be shown again") == 3 * len(TENANTS)
    assert again.output.count("the demo data is there already") == len(TENANTS)
    assert again.output.splitlines()[-1] == lines[-1]
