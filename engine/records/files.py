"""Files attached to records: where a tenant's uploads are kept, and the references to
them that `file` and `image` fields hold.

An uploaded file is kept as DATA/uploads/<tenant>/<token>.<suffix>, the token random, and a
record holds the reference /<tenant>/files/<token>.<suffix>, which is also the URL the
tenant's users fetch it from. A value of a file or image field is only ever such a
reference to a file kept for the same tenant, so no record can point a page's link or
image at anything else (a `javascript:` URL, another site, another tenant's file).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

from engine.records.target import Target
from engine.spec import FieldSpec

# the formats a browser shows safely, by the bytes a file of each starts with
IMAGE_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "png",
    b"\xff\xd8\xff": "jpg",
    b"GIF87a": "gif",
    b"GIF89a": "gif",
}
IMAGE_SUFFIXES = frozenset(IMAGE_SIGNATURES.values())
UPLOADS = "uploads"  # the folder of the data directory that holds them
STORED_NAME = re.compile(r"[0-9a-f]{32}\.[a-z0-9]{1,10}")
# any tenant's reference, for a page that only needs to know a value is one
_ANY_REFERENCE = re.compile(r"/[a-z][a-z0-9_]{0,62}/files/[0-9a-f]{32}\.[a-z0-9]{1,10}")


def reference(tenant: str, name: str) -> str:
    """The value a record holds for the stored file `name` of `tenant`."""
    return f"/{tenant}/files/{name}"


def stored_name(tenant: str, value: Any) -> str | None:
    """The stored file's name a value of `tenant` refers to, or None when the value is
    not such a reference."""
    if not isinstance(value, str):
        return None
    prefix = f"/{tenant}/files/"
    name = value[len(prefix) :]
    return name if value.startswith(prefix) and STORED_NAME.fullmatch(name) else None


def is_reference(value: Any) -> bool:
    """Whether a value has the form of a stored file's reference, of whichever tenant."""
    return isinstance(value, str) and _ANY_REFERENCE.fullmatch(value) is not None


def image_kind(head: bytes) -> str | None:
    """png, jpg or gif, by a file's first bytes; None for any other content."""
    return next((kind for sig, kind in IMAGE_SIGNATURES.items() if head.startswith(sig)), None)


class StoredFiles:
    """The uploads of every tenant of a deployment, under one folder (DATA/uploads)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def folder(self, tenant: str) -> Path:
        """The tenant's own folder, made on first use."""
        folder = self.root / tenant
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def path(self, tenant: str, value: Any) -> Path | None:
        """The file a value of `tenant` refers to, if it is kept; None otherwise."""
        name = stored_name(tenant, value)
        if name is None:
            return None
        path = self.root / tenant / name
        return path if path.is_file() else None


def is_image(path: Path) -> bool:
    """Whether a kept file is an image a browser shows safely, by its content."""
    with path.open("rb") as handle:
        return image_kind(handle.read(16)) is not None


def attachments(target: Target) -> list[tuple[FieldSpec, bool]]:
    """The stored fields holding a file, each with whether it takes images only; listed
    once per compiled entity."""
    memo, key = target.entity.memo, ("records", "attachments")
    if key not in memo:
        memo[key] = [(f, f.type.images_only) for f in target.stored() if f.type.attachment]
    return memo[key]


def held_by_records(targets: Iterable[Target], references: Collection[str]) -> set[str]:
    """Which of the references some record of the targets holds, deleted softly or not."""
    held: set[str] = set()
    wanted = list(references)
    for target in targets:
        for field, _ in attachments(target):
            column = target.column(field.name)
            for start in range(0, len(wanted), 500):  # within any database's parameters
                chunk = wanted[start : start + 500]
                query = target.model.select(column).where(column.in_(chunk)).distinct()
                held.update(value for (value,) in query.tuples())
    return held
