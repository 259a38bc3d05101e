"""The `formwork` command, pyproject.toml's console script.

Its group is engine.commands.base.main. Each module of engine.commands adds its commands to
it when imported, which is all this module does; other packages add theirs through the
`formwork.commands` entry points (webui: `serve` and `openapi`).
"""

from __future__ import annotations

from engine.commands import access, bulk, data, metadata, tenants  # noqa: F401  (each adds commands)
from engine.commands.base import main

__all__ = ["main"]
