"""A record as its page reads it: its groups in order, each field's value as people read
it, and each lines field as the form's grid shows it (webui.line_grid.grid_columns),
each row opening on every field of the line by group and sequence, read-only.
"""

from __future__ import annotations

from engine import conditions
from engine.records.target import Target
from engine.spec import FieldSpec
from webui.display import display_html
from webui.line_grid import grid_columns


def record_groups(target: Target, record: dict) -> list[dict]:
    """The record's groups in layout order, each with its fields' texts; a field hidden by
    its condition is left out, as on the form."""
    return [
        {
            "label": group["label"],
            "layout": group["layout"],
            "collapsed": group["collapsed"],
            "fields": _fields(target, group["fields"], record),
        }
        for group in target.entity.layout["groups"]
    ]


def _fields(target: Target, entries: list[dict], record: dict, skip: str | None = None) -> list:
    fields = []
    for entry in entries:
        spec = target.spec.field(entry["name"])
        if spec.name == skip:
            continue
        if spec.lines:
            fields.append({"spec": spec, "lines": lines_view(target, spec, record)})
        elif not spec.visible_if or conditions.evaluate(spec.visible_if.tree, record):
            value = record.get(spec.system or spec.name)
            fields.append({"spec": spec, "text": display_html(target, spec, value, record)})
    return fields


def lines_view(target: Target, line: FieldSpec, record: dict) -> dict:
    """A lines field on the record's page: the grid's columns, and each row with its
    cells and its groups of every field (the link to the record left out)."""
    child = target.child(line)
    columns = grid_columns(child, line)
    rows = []
    for row in record.get(line.name) or []:
        groups = []
        for group in child.entity.layout["groups"]:
            fields = _fields(child, group["fields"], row, skip=line.lines.link)
            fields = [field for field in fields if "text" in field]  # no lines within lines
            if fields:
                groups.append({"label": group["label"], "fields": fields})
        cells = [
            display_html(child, column, row.get(column.system or column.name), row)
            for column in columns
        ]
        rows.append({"cells": cells, "groups": groups})
    return {"columns": columns, "rows": rows}
