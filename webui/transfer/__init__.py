"""Import and export of records in the web UI: exports of what a list shows."""

from webui.transfer.exports import blueprint as exports_blueprint

__all__ = ["exports_blueprint"]
