"""Downloads of a list: its records as CSV, XLSX or JSON, and an empty XLSX template to fill.

The files come from engine.bulk.exporter, so what is exported imports back cleanly.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, send_file

from engine.bulk import exporter
from engine.bulk.tables import xlsx_bytes
from webui.auth import login_required
from webui.list_query import list_query  # the list page's reading of its URL
from webui.services import record_service, target_or_404

blueprint = Blueprint("exports", __name__)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@blueprint.get("/<tenant>/<entity>/export.csv")
@login_required()
def csv(tenant: str, entity: str) -> Any:
    """What the list shows (search, filters, sort) as CSV, the file an import reads back."""
    (sheet,) = exporter.export_sheets(record_service(), tenant, entity, _shown(tenant, entity))
    return _download(exporter.csv_bytes(sheet), f"{entity}.csv", "text/csv")


@blueprint.get("/<tenant>/<entity>/export.xlsx")
@login_required()
def xlsx(tenant: str, entity: str) -> Any:
    """What the list shows (search, filters, sort) as a workbook, a sheet per lines field."""
    sheets = exporter.export_sheets(
        record_service(), tenant, entity, _shown(tenant, entity), lines=True
    )
    return _download(exporter.write_sheets(sheets, "xlsx", None), f"{entity}.xlsx", XLSX_TYPE)


@blueprint.get("/<tenant>/<entity>/export.json")
@login_required()
def json(tenant: str, entity: str) -> Any:
    """What the list shows as the API answers it, each record with its lines."""
    data = exporter.export_json(
        record_service(), tenant, entity, _shown(tenant, entity), lines=True
    )
    return _download(data, f"{entity}.json", "application/json")


@blueprint.get("/<tenant>/<entity>/template.xlsx")
@login_required()
def template(tenant: str, entity: str) -> Any:
    """An empty workbook to fill: the columns an import reads, with notes and drop-downs."""
    sheets = exporter.template_sheets(target_or_404(tenant, entity))
    return _download(xlsx_bytes(sheets), f"{entity}-template.xlsx", XLSX_TYPE)


def _shown(tenant: str, entity: str) -> exporter.Selection:
    """The records the list page's URL shows: its search, filters and sort."""
    q, filters, sort = list_query(target_or_404(tenant, entity))
    return exporter.Selection(q or None, filters, sort)


def _download(data: bytes, name: str, mimetype: str) -> Any:
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)
