import json

import jsonschema
from click.testing import CliRunner
from conftest import SHIPPED

from engine.cli import main


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_check_of_the_shipped_metadata_summarises_each_tenant():
    result = run("check", str(SHIPPED))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[-1] == "OK: 5 tenant(s) checked."
    assert any(line.startswith("production: ") and "custom" in line for line in lines)


def test_check_of_broken_metadata_lists_every_problem_and_exits_1(tree):
    root = tree(
        {
            "entities/a.yaml": (
                "entity: a\nlabel: A\nplural: As\nfields:\n"
                "  - {name: x, sequence: 1, label: X, input_type: swich, group: MAIN}\n"
                "  - {name: y, sequence: 2, lable: Y, input_type: text, group: MAIN}\n"
            ),
            "entities/b.yaml": "entity: b\nlabel: [\n",
        }
    )
    result = run("check", str(root))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"{root}/entities/a.yaml:5: a.x.input_type: unknown input type 'swich' " in (
        result.output
    )
    assert f"{root}/entities/a.yaml:6: a.y.lable: unknown key 'lable' (did you mean 'label'?)" in (
        result.output
    )
    assert f"{root}/entities/b.yaml:" in result.output
    assert result.output.splitlines()[-1] == "3 problem(s) found."


def test_check_of_a_missing_directory_is_a_clear_error(tmp_path):
    result = run("check", str(tmp_path / "nope"))
    assert result.exit_code == 1
    assert "does not exist" in result.output


def test_schema_prints_the_compiled_json_schema():
    result = run("schema", "distribution", "customer", "--metadata", str(SHIPPED))
    assert result.exit_code == 0
    schema = json.loads(result.output)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["currency"]["title"] == "Currency"


def test_schema_of_an_unknown_tenant_or_entity_suggests_the_right_name():
    result = run("schema", "distributon", "customer", "--metadata", str(SHIPPED))
    assert result.exit_code == 2
    assert "did you mean 'distribution'?" in result.output
    result = run("schema", "distribution", "custmer", "--metadata", str(SHIPPED))
    assert "did you mean 'customer'?" in result.output


def test_show_prints_groups_fields_and_where_customized_properties_came_from():
    result = run("show", "production", "customer", "--metadata", str(SHIPPED))
    assert result.exit_code == 0
    output = result.output
    assert "[ENTITY]" in output
    code = next(line for line in output.splitlines() if " customer_number " in line)
    assert "Customer Code" in code
    assert f"from {SHIPPED}/tenants/production/entities/customer.yaml:" in output
    assert f"from {SHIPPED}/entities/customer.yaml:" in output


def test_metaschema_command_prints_the_language_schema():
    result = run("metaschema")
    assert json.loads(result.output)["title"] == "Formwork metadata"
