"""The broken-metadata corpus: each case reports exactly the problems it expects.

Every directory under tests/corpus/ is a metadata tree with one deliberate fault and
an expected.txt listing the problem lines `formwork check` must print for it, with
file paths relative to the case directory (see tests/corpus/README.md).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.errors import MetadataError
from engine.resolve import load_and_resolve

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(path for path in CORPUS.iterdir() if path.is_dir())
# A schema error, two faults in two files, a fault that used to crash `check`, an alias
# bomb that used to end it in a MemoryError, and a syntax error that used to bring the
# errors that follow from it.
CLI_CASES = (
    "11_unknown_input_type",
    "42_two_faults_two_files",
    "61_lines_type_as_field",
    "68_yaml_alias_bomb",
    "71_yaml_error_in_lines_entity",
)
PROBLEM_LINE = re.compile(r"^[^\s:][^:]*\.ya?ml:[1-9][0-9]*: \S.*$")


def relative(text: str, case: Path) -> str:
    """Text with the case directory taken off every path in it.

    Messages may name a file too ("first declared at FILE:LINE"), so the prefix is
    removed everywhere, not only from the problem's own file.
    """
    return text.replace(f"{case}{os.sep}", "")


def expected_lines(case: Path) -> list[str]:
    text = (case / "expected.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip()]


def reported_lines(case: Path) -> list[str]:
    with pytest.raises(MetadataError) as caught:
        load_and_resolve(str(case))
    return [relative(str(problem), case) for problem in caught.value.problems]


def test_corpus_has_enough_cases() -> None:
    assert len(CASES) >= 30, [case.name for case in CASES]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_expected_file_is_well_formed(case: Path) -> None:
    lines = expected_lines(case)
    assert lines, f"{case.name}/expected.txt lists no problem"
    malformed = [line for line in lines if not PROBLEM_LINE.match(line)]
    assert not malformed, "not in the form 'file.yaml:LINE: ...'"
    assert len(set(lines)) == len(lines), "a problem is listed twice"


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_case_reports_exactly_the_expected_problems(case: Path) -> None:
    assert sorted(reported_lines(case)) == sorted(expected_lines(case))


@pytest.mark.parametrize("name", CLI_CASES)
def test_cli_check_prints_the_expected_problems(name: str) -> None:
    case = CORPUS / name
    result = CliRunner().invoke(main, ["check", str(case)])
    # CliRunner catches an exception instead of printing its traceback: fail on it
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"`formwork check` crashed: {result.exception!r}")
    output = relative(result.output, case)
    assert "Traceback" not in output
    assert result.exit_code == 1, output
    *problems, summary = output.splitlines()
    expected = expected_lines(case)
    assert sorted(problems) == sorted(expected)
    assert summary == f"{len(expected)} problem(s) found."
