"""Shared fixtures: the shipped metadata, compiled once, and tiny metadata trees."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from engine.registry import Registry, build_registry

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "metadata"

GROUPS = """\
groups:
  MAIN: {label: Main, order: 10, layout: section}
  MORE: {label: More, order: 20, layout: tab}
"""
TENANT = "tenant: t\nlabel: T\nsettings: {license: '3897'}\n"


@pytest.fixture(scope="session")
def shipped() -> Registry:
    return build_registry(str(SHIPPED))


@pytest.fixture
def tree(tmp_path):
    """Write a metadata tree from {relative path: YAML text}; returns its root."""

    def write(files: dict[str, str]) -> Path:
        files = {"groups.yaml": GROUPS, "tenants/t/tenant.yaml": TENANT, **files}
        for relative, text in files.items():
            path = tmp_path / "metadata" / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return tmp_path / "metadata"

    return write
