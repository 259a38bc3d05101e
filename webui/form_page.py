"""A record's form page, new or edited, as the pages show it and as a failed save shows
it again (webui/faults.py), with what was typed and every problem found."""

from __future__ import annotations

from typing import Any

from flask import render_template

from engine.records.target import Target
from webui.form_fields import fields_html
from webui.forms import Submission


def render_form(
    target: Target,
    values: dict,
    record: dict | None,
    submission: Submission,
    status: int,
    copy_of: int | None = None,
    stale: dict | None = None,
    notice: str | None = None,
    revision: int | None = None,
) -> Any:
    """The form page and its status: a new record's (`record` None; a copy of `copy_of`)
    or `record`'s, filled with `values` and what `submission` holds, and, when the record
    changed meanwhile, the newer version (`stale`); `notice` says what was just done.
    `revision`: the record's revision the form was first read at, kept (else the one of
    `stale`, or of `record`)."""
    creating = record is None
    title = f"New {target.spec.label}" if creating else f"Edit {record_title(target, record)}"
    if copy_of is not None:
        title += f" (a copy of {target.spec.label} {copy_of})"
    return render_template(
        "pages/form.html",
        tenant=target.tenant.spec.name,
        entity=target.spec,
        fields=fields_html(target, values, record, submission),
        record=record,
        title=title,
        errors=submission.errors,
        stale=stale,
        rev_number=revision or (stale["rev_number"] if stale else (record or {}).get("rev_number")),
        copy_of=copy_of,
        kept=uploaded_files(submission, record),
        notice=notice,
    ), status


def record_title(target: Target, record: dict) -> str:
    """How a page names a record: its entity and its title field, or its id."""
    title = record.get(target.spec.title_field or "")
    return f"{target.spec.label} {title}" if title else f"{target.spec.label} #{record['id']}"


def uploaded_files(submission: Submission, record: dict | None) -> list[str]:
    """The labels of the fields whose file this form uploaded (now or at a try before) and
    the record does not hold yet: the form shown again keeps them for the next save."""
    stored = record or {}
    return [
        spec.label
        for spec in submission.files
        if spec.name in submission.typed and submission.typed[spec.name] != stored.get(spec.name)
    ]
