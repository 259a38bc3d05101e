"""`formwork check` in worker processes against the same check in one process (its oracle),
and `formwork check --tenant T`, which checks the base and T alone."""

import gc
import os
import weakref
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SHIPPED
from records_metadata import FILES

from engine import check_tenants as checking
from engine.check_tenants import check_tenants
from engine.cli import main
from engine.errors import MetadataError, UnknownName
from engine.registry import build_registry

CORPUS = sorted(p for p in (Path(__file__).parent / "corpus").iterdir() if p.is_dir())
TENANT = "tenant: {name}\nlabel: {label}\nsettings: {{license: '5'}}\n"
GADGET = (
    "entity: gadget\nlabel: Gadget\nplural: Gadgets\nfields:\n"
    "  - {name: size, sequence: 1, label: Size, input_type: integer, group: MAIN}\n"
)
# two faults a tenant's own files can have: its schema, and a word only the merge can judge
MISSPELT = GADGET + "  - {name: colour, sequence: 2, label: Colour, input_type: txt, group: MAIN}\n"
NO_GROUP = (
    GADGET + "  - {name: colour, sequence: 2, label: Colour, input_type: text, group: NOPE}\n"
)


def run(*args):
    """(exit code, what was printed on stdout and stderr) of a `formwork` command."""
    result = CliRunner().invoke(main, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


@pytest.fixture
def many(tree):
    """Twelve tenants, three of them broken (t02, t05, t07) and the rest well."""
    files = dict(FILES)
    for number in range(12):
        name = f"t{number:02d}"
        files[f"tenants/{name}/tenant.yaml"] = TENANT.format(name=name, label=name.upper())
        files[f"tenants/{name}/entities/gadget.yaml"] = GADGET
    files["tenants/t02/entities/gadget.yaml"] = MISSPELT
    files["tenants/t05/entities/gadget.yaml"] = NO_GROUP
    files["tenants/t07/tenant.yaml"] = "tenant: t07\nlabl: T07\n"
    return tree(files)


def test_the_shipped_metadata_checks_the_same_in_workers_as_in_one_process():
    serial = run("check", str(SHIPPED), "--jobs", "1")
    assert serial[0] == 0 and serial[1].splitlines()[-1] == "OK: 5 tenant(s) checked."
    for jobs in ("2", "3"):
        assert run("check", str(SHIPPED), "--jobs", jobs) == serial
    assert run("check", str(SHIPPED)) == serial


def test_broken_tenants_are_reported_the_same_in_workers_as_in_one_process(many):
    serial = run("check", str(many), "--jobs", "1")
    assert serial[0] == 1
    problems = serial[1].splitlines()[:-1]
    assert problems == sorted(problems)  # by file then line: by tenant, as the folders sort
    assert {line.split("/tenants/")[1].split("/")[0] for line in problems} == {
        "t02",
        "t05",
        "t07",
    }
    assert "'txt'" in serial[1] and "NOPE" in serial[1] and "labl" in serial[1]
    for jobs in ("2", "3", "12"):
        assert run("check", str(many), "--jobs", jobs) == serial


@pytest.mark.parametrize("case", [*CORPUS, SHIPPED], ids=[p.name for p in [*CORPUS, SHIPPED]])
@pytest.mark.parametrize("jobs", [1, 2])
def test_checking_each_tenant_alone_finds_what_the_whole_build_finds(case, jobs):
    whole = problems_of(lambda: build_registry(str(case)))
    assert problems_of(lambda: check_tenants(str(case), jobs=jobs)) == whole


def problems_of(build):
    try:
        build()
    except MetadataError as error:
        return error.problems
    return []


def test_the_base_is_resolved_once_and_the_tenants_are_shared_among_the_workers(
    many, tmp_path, monkeypatch
):
    for broken in ("t02", "t05", "t07"):
        (many / "tenants" / broken / "entities" / "gadget.yaml").write_text(GADGET, "utf-8")
    (many / "tenants/t07/tenant.yaml").write_text(TENANT.format(name="t07", label="T"), "utf-8")
    resolved, checked_by = [], tmp_path / "checked_by"
    resolve_base, check_tenant = checking.resolve_base, checking.check_tenant

    def counted(root):
        resolved.append(os.getpid())
        return resolve_base(root)

    def noted(base, name):  # runs in a worker: the pid goes to a file
        with open(checked_by, "a") as note:
            note.write(f"{os.getpid()} {name}\n")
        return check_tenant(base, name)

    monkeypatch.setattr(checking, "resolve_base", counted)
    monkeypatch.setattr(checking, "check_tenant", noted)
    assert len(check_tenants(str(many), jobs=2)) == 14
    assert resolved == [os.getpid()]  # the workers start with it, resolved here
    rows = [line.split() for line in checked_by.read_text().splitlines()]
    assert sorted(name for _, name in rows) == sorted(["t", "u", *(f"t{n:02d}" for n in range(12))])
    assert len({pid for pid, _ in rows} - {str(os.getpid())}) == 2


def test_a_tenant_checked_is_not_kept(monkeypatch):
    compiled, compile_tenant = [], checking.compile_tenant

    def kept(spec):
        result = compile_tenant(spec)
        compiled.append(weakref.ref(result))
        return result

    monkeypatch.setattr(checking, "compile_tenant", kept)
    check = checking.check_tenant(checking.resolve_base(str(SHIPPED)), "retail")
    assert check.summary.startswith("retail: 15 entities")
    gc.collect()
    assert compiled and compiled[0]() is None


# --tenant


def test_check_of_one_tenant_checks_the_base_and_that_tenant_alone(many):
    assert run("check", str(many), "--tenant", "t03") == (
        0,
        "t03: 4 entities (1 own), 19 fields (1 custom)\nOK: 1 tenant(s) checked.\n",
    )
    assert run("check", str(many), "--tenant", "t04", "--tenant", "t03", "--tenant", "t04") == (
        0,
        "t04: 4 entities (1 own), 19 fields (1 custom)\n"
        "t03: 4 entities (1 own), 19 fields (1 custom)\nOK: 2 tenant(s) checked.\n",
    )
    code, output = run("check", str(many), "--tenant", "t05", "--jobs", "2")
    assert code == 1
    *problems, summary = output.splitlines()
    assert summary == "1 problem(s) found."
    assert "/tenants/t05/entities/gadget.yaml:6: gadget.colour.group:" in problems[0]


def test_check_of_an_unknown_tenant_names_the_nearest_and_exits_2(many):
    code, output = run("check", str(many), "--tenant", "t3")
    assert (code, output) == (2, "error: there is no tenant 't3' (did you mean 't03'?)\n")
    with pytest.raises(UnknownName, match=r"there is no tenant 'nobody'$"):
        check_tenants(str(many), ["nobody"])


def test_check_of_one_tenant_over_a_broken_base_reports_the_base(many):
    (many / "groups.yaml").write_text("groups:\n  MAIN: {label: Main, ordr: 10}\n", "utf-8")
    code, output = run("check", str(many), "--tenant", "t03")
    assert code == 1
    assert "groups.yaml:2: " in output and "unknown key 'ordr'" in output
    assert "t02" not in output  # no other tenant is looked at
