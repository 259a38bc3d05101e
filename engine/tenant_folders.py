"""Tenants as folders of the metadata tree: adding one from a template or empty, listing
them, archiving one and restoring it.

A tenant is the folder `tenants/NAME` with its `tenant.yaml`. Archiving moves the folder
to `archive/NAME`, which no loader reads: the tenant's pages then answer 404 while its
records stay in its database, ready for a restore. Each change is one rename of a whole
folder, so a server watching the tree sees the tenant whole or not at all.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from engine.errors import EngineError, did_you_mean

TENANTS, ARCHIVE = "tenants", "archive"
NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")  # the metaschema's identifier
_KEY_LINE = r"^{key}:[^\n]*$"  # a top-level key of tenant.yaml, on one line


@dataclass(frozen=True)
class TenantFolder:
    """One tenant of the tree as `formwork tenant list` shows it."""

    name: str
    label: str
    archived: bool
    own_entities: int  # entity files of its own (new entities and customizations)


def tenant_folders(root: Path) -> list[TenantFolder]:
    """Every tenant of the tree, served ones first, each group by name."""
    _check_root(root)
    found = []
    for archived, where in ((False, TENANTS), (True, ARCHIVE)):
        for folder in sorted(p for p in (root / where).glob("*") if p.is_dir()):
            entities = folder / "entities"
            own = len([*entities.glob("*.yaml"), *entities.glob("*.yml")])
            found.append(TenantFolder(folder.name, _label(folder), archived, own))
    return found


def add_tenant(root: Path, name: str, template: str | None, label: str | None) -> Path:
    """Make `tenants/NAME`: a copy of the template tenant's folder under the new name, or
    a tenant.yaml alone (the base entities, unchanged). Returns the new folder."""
    _check_root(root)
    if not NAME.fullmatch(name):
        raise EngineError(
            f"'{name}' cannot name a tenant: use lowercase letters, digits and _, starting "
            "with a letter, at most 63 characters (it names the tenant's database and URLs)"
        )
    _refuse_taken(root, name)
    label = label if label and label.strip() else name.replace("_", " ").title()
    # staged beside the tree and renamed into it whole: never half a tenant on disk
    staging = Path(tempfile.mkdtemp(prefix=f".new-tenant-{name}-", dir=root))
    try:
        folder = staging / name
        if template is None:
            folder.mkdir()
            (folder / "tenant.yaml").write_text(
                f"tenant: {name}\nlabel: {json.dumps(label, ensure_ascii=False)}\n",
                encoding="utf-8",
            )
        else:
            shutil.copytree(_served(root, template), folder)
            _rename(folder / "tenant.yaml", name, label)
        target = root / TENANTS / name
        target.parent.mkdir(exist_ok=True)
        folder.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def archive_tenant(root: Path, name: str) -> Path:
    """Move `tenants/NAME` to `archive/NAME`; its data stays where it is."""
    _check_root(root)
    folder = _served(root, name)
    target = root / ARCHIVE / name
    if target.exists():
        raise EngineError(
            f"an archived tenant '{name}' is already kept in {target}; rename or remove it first"
        )
    target.parent.mkdir(exist_ok=True)
    folder.rename(target)
    return target


def restore_tenant(root: Path, name: str) -> Path:
    """Move `archive/NAME` back to `tenants/NAME`, to be served again with its data."""
    _check_root(root)
    folder = root / ARCHIVE / name
    if not folder.is_dir():
        archived = [f.name for f in tenant_folders(root) if f.archived]
        hint = did_you_mean(name, archived)
        raise EngineError(f"there is no archived tenant '{name}'{hint}")
    target = root / TENANTS / name
    if target.exists():
        raise EngineError(f"a tenant '{name}' is served already ({target}); archive it first")
    folder.rename(target)
    return target


def _check_root(root: Path) -> None:
    if not root.is_dir():
        raise EngineError(
            f"metadata directory '{root}' does not exist; pass --metadata DIR or set "
            "FORMWORK_METADATA"
        )


def _served(root: Path, name: str) -> Path:
    """The folder of the served tenant `name`; an error naming the nearest when none."""
    folder = root / TENANTS / name
    if not (folder / "tenant.yaml").is_file():
        served = [f.name for f in tenant_folders(root) if not f.archived]
        raise EngineError(f"there is no tenant '{name}'{did_you_mean(name, served)}")
    return folder


def _refuse_taken(root: Path, name: str) -> None:
    if (root / TENANTS / name).exists():
        raise EngineError(f"a tenant '{name}' exists already")
    if (root / ARCHIVE / name).exists():
        raise EngineError(
            f"a tenant '{name}' is archived (its data is kept under that name); "
            f"restore it with `formwork tenant restore {name}`, or choose another name"
        )


def _rename(tenant_file: Path, name: str, label: str) -> None:
    """Give a copied tenant.yaml the new name and label, keeping the rest as written."""
    text = tenant_file.read_text(encoding="utf-8")
    for key, value in (("tenant", name), ("label", json.dumps(label, ensure_ascii=False))):
        text, count = re.subn(
            _KEY_LINE.format(key=key), f"{key}: {value}", text, count=1, flags=re.M
        )
        if count == 0:
            text = f"{key}: {value}\n{text}"
    try:  # a label written over several lines keeps lines the rewrite did not see
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        data = None
    if not isinstance(data, dict) or (data.get("tenant"), data.get("label")) != (name, label):
        raise EngineError(
            f"{tenant_file.name} of the template could not be given the new name and label; "
            "write its tenant: and label: on one line each"
        )
    tenant_file.write_text(text, encoding="utf-8")


def _label(folder: Path) -> str:
    """The tenant's label as its tenant.yaml gives it; '' when the file is unreadable."""
    try:
        data = yaml.safe_load((folder / "tenant.yaml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return ""
    label = data.get("label") if isinstance(data, dict) else None
    return label if isinstance(label, str) else ""
