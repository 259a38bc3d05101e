"""Any damage to valid metadata is reported as problems, never as a traceback."""

import random
import shutil

import pytest
import yaml
from conftest import SHIPPED

from engine.errors import MetadataError
from engine.resolve import load_and_resolve

REPLACEMENTS = [None, 0, -1, 10**20, 1.5, True, "", "x y", "UNKNOWN", [], [1], {}, {"a": 1}]


def _paths(data, prefix=()):
    yield prefix
    if isinstance(data, dict | list):
        items = data.items() if isinstance(data, dict) else enumerate(data)
        for key, value in items:
            yield from _paths(value, (*prefix, key))


def _replace(data, path, value):
    if not path:
        return value
    data[path[0]] = _replace(data[path[0]], path[1:], value)
    return data


@pytest.mark.parametrize("seed", range(60))
def test_a_random_damage_gives_problems_not_a_crash(tmp_path, seed):
    rng = random.Random(seed)
    root = tmp_path / "metadata"
    shutil.copytree(SHIPPED, root)
    files = sorted(root.rglob("*.yaml"))
    for path in rng.sample(files, 3):
        data = yaml.safe_load(path.read_text())
        target = rng.choice(list(_paths(data))[1:])
        data = _replace(data, target, rng.choice(REPLACEMENTS))
        path.write_text(yaml.safe_dump(data, sort_keys=False))
    try:
        load_and_resolve(str(root))
    except MetadataError as error:
        assert all(p.file.startswith(str(root)) and p.line >= 1 for p in error.problems)
