"""A record as a request sends it, checked: the record as a batch of one of the records
pipeline, then its lines as a batch per lines field. A line comes as the record answered
it, with its id, its system columns and its link, or with its id and only the fields it
changes: a stored line, like its record, keeps the values of the fields left out. A line
without an id is a new line, checked whole."""

from __future__ import annotations

from typing import Any

from engine.compile.validator import RecordError
from engine.records.checks import field_error, link_errors, system_errors
from engine.records.files import StoredFiles
from engine.records.pipeline import Batch, Draft, run_checks
from engine.records.target import Target
from engine.records.values import is_id, without
from engine.spec import FieldSpec


def check_record(
    target: Target,
    draft: Draft,
    record_id: int | None,
    line_values: dict,
    current_lines: dict,
    files: StoredFiles | None,
) -> list[RecordError]:
    """The pipeline's checks over the record, a batch of one, then over its lines, a
    batch per lines field; answers every problem found."""
    run_checks(Batch(target, [draft], files=files))
    errors = list(draft.errors)
    for line in target.lines():
        errors += _check_lines(target, line, draft, record_id, line_values, current_lines, files)
    return errors


def _check_lines(
    target: Target,
    line: FieldSpec,
    record: Draft,
    record_id: int | None,
    line_values: dict,
    current_lines: dict,
    files: StoredFiles | None,
) -> list[RecordError]:
    """The record's lines of one lines field as a batch; lines are one level deep, so a
    line's problems are named `line[index].field`. A stored line (sent with its id) is
    checked as it will be stored: its stored values with the fields sent changed (a null
    sent clears a field; a field left out keeps its value). Its system columns and link
    are taken back as read, never as values; the line keeps only its fields."""
    child = target.child(line)
    link = line.lines.link
    existing = {r["id"]: r for r in current_lines.get(line.name, [])}
    rows = line_values.get(line.name, [])
    errors, drafts = [], []
    for index, values in enumerate(rows):
        where = f"{line.name}[{index}]."
        if not isinstance(values, dict):
            continue  # the schema reports it
        line_id = values.get("id")
        problem = _line_id_problem(line, line_id, existing, where)
        if problem:
            errors.append(problem)
            continue
        stored = existing[line_id] if line_id is not None else None
        errors += system_errors(child, values, stored, where)
        errors += link_errors(child, line, values, record_id, where)
        before = without(stored, "id", *child.spec.system_columns) if stored else None
        sent = {k: v for k, v in values.items() if k not in (*child.spec.system_columns, link)}
        # a stored line changes as its record does: a field left out keeps its value
        kept = {**before, **sent} if before is not None else sent
        if record_id is not None:  # the link names the record the line is sent with
            kept[link] = record_id
        values = rows[index] = kept | ({"id": line_id} if line_id is not None else {})
        drafts.append(Draft(values, before, where=where, parent=record))
    inherited = child.spec.field(link).lookup.fetch
    run_checks(Batch(child, drafts, link=link, inherited=dict(inherited), files=files))
    return errors + [error for draft in drafts for error in draft.errors]


def _line_id_problem(
    line: FieldSpec, line_id: Any, existing: dict, where: str
) -> RecordError | None:
    """What is wrong with the id a line was sent with, if anything."""
    if line_id is None:
        return None
    if not is_id(line_id):
        message = f"{line.label}: a line's id must be the whole number it was read with."
        return field_error(line, f"{where}id", "type", message)
    if line_id not in existing:
        message = f"{line.label}: line {line_id} is not a line of this record."
        return field_error(line, f"{where}id", "not_found", message)
    return None
