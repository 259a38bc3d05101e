"""Import and export of records in the web UI: an import page per entity with a preview
and a streamed run, and exports of what a list shows."""

from webui.transfer.exports import blueprint as exports_blueprint
from webui.transfer.imports import blueprint as imports_blueprint

__all__ = ["exports_blueprint", "imports_blueprint"]
