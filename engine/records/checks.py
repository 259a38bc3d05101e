"""The checks of a save that the compiled schema cannot make: read-only, set-once and
locked fields, decimal places, unique values, files that are kept, values no column can
hold, revisions.
Each returns every problem it finds, as RecordError items in the form's order."""

from __future__ import annotations

import decimal
from collections.abc import Callable
from typing import Any

import peewee

from engine.compile.validator import RecordError
from engine.errors import Conflict, RecordInvalid
from engine.records.files import (
    IMAGE_SUFFIXES,
    StoredFiles,
    attachments,
    is_image,
    stored_name,
)
from engine.records.target import Target
from engine.spec import FieldSpec
from engine.types import SYSTEM_COLUMNS


def field_error(field: FieldSpec | None, name: str, code: str, message: str) -> RecordError:
    """A problem of a field (named by its label) or of a name no field has."""
    return RecordError(name, field.label if field else name, code, message)


def schema_errors(target: Target, record: dict, line_values: dict) -> list[RecordError]:
    """The compiled validator over the record as it will be stored, lines included."""
    system = frozenset(target.spec.system_columns)
    document = {k: v for k, v in record.items() if k not in system}
    for line in target.lines():
        left_out = ("id", line.lines.link)  # a line's own id and its link: not its values
        document[line.name] = [
            {k: v for k, v in row.items() if k not in left_out} if isinstance(row, dict) else row
            for row in line_values.get(line.name, [])
        ]
    errors = target.entity.validator.errors(document)
    return errors + unstorable_errors(target, document, {e.field for e in errors})


def unstorable_errors(target: Target, document: dict, reported: set[str]) -> list[RecordError]:
    """Valid values no column can hold (a date and time whose UTC falls past year 9999),
    for fields with no other problem: the schema cannot tell, the database would fail."""
    found = []
    rows = [("", target, document)] + [
        (f"{line.name}[{index}].", target.child(line), values)
        for line in target.lines()
        for index, values in enumerate(document.get(line.name) or [])
        if isinstance(values, dict)
    ]
    for prefix, owner, values in rows:
        for field, fits in owner.bounded():
            value = values.get(field.name)
            if value is None:
                continue
            name = prefix + field.name
            if name in reported:
                continue
            if not fits(value):
                message = f"{field.label} is out of the range that can be stored."
                found.append(field_error(field, name, "range", message))
    return found


def unknown_errors(target: Target, payload: dict) -> list[RecordError]:
    """A change naming no field of the entity is refused, as a new record's would be: a
    misspelt name must not pass for a change that was saved."""
    known = {f.name for f in target.stored()} | {f.name for f in target.lines()}
    return [
        RecordError(name, name, "unknown_field", f"'{name}' is not a field of {target.spec.label}.")
        for name in payload
        if name not in known and name not in target.spec.system_columns
    ]


def in_form_order(target: Target, errors: list[RecordError]) -> list[RecordError]:
    """The errors without repeats, in the order the form shows their fields."""
    unique = list(dict.fromkeys(errors))
    return sorted(unique, key=target.entity.validator.form_order)


def read_only_errors(
    target: Target, payload: dict, before: dict | None, prefix: str
) -> list[RecordError]:
    """A value sent for a field the system fills in."""
    errors = []
    for field in target.stored_where("read_only"):
        if field.name in payload:
            old = before.get(field.name) if before else None
            if payload[field.name] != old:
                errors.append(
                    field_error(
                        field,
                        prefix + field.name,
                        "read_only",
                        f"{field.label} is filled in by the system.",
                    )
                )
    return errors


def decimal_places(value: int | float) -> int:
    """The places after the point a number needs: none for an int; for a float, those of
    its shortest form (what JSON wrote), read off its repr unless that is in exponent form."""
    if value.__class__ is int:
        return 0
    text = repr(value)
    if "e" in text or "n" in text:  # 1e-07, inf, nan: as Decimal counts them
        return max(-decimal.Decimal(text).normalize().as_tuple().exponent, 0)
    return len(text.partition(".")[2].rstrip("0"))


def file_errors(
    target: Target, record: dict, before: dict | None, prefix: str, files: StoredFiles | None
) -> list[RecordError]:
    """A new or changed value of a file or image field names a file uploaded for the
    tenant: the reference an upload answered (/TENANT/files/NAME), of a file still kept,
    and for an image, of a PNG, JPEG or GIF image. Without `files` (a service that keeps
    none, in tools and tests) the form of the reference alone is checked. A value kept
    as it was stays valid."""
    errors = []
    tenant = target.tenant.spec.name
    for field, images in attachments(target):
        value = record.get(field.name)
        if not isinstance(value, str) or (before and before.get(field.name) == value):
            continue  # none, kept, or of a type the schema reports
        problem = _file_problem(tenant, images, value, files)
        if problem:
            message = f"{field.label} {problem}"
            errors.append(field_error(field, prefix + field.name, "file", message))
    return errors


def _file_problem(tenant: str, images: bool, value: str, files: StoredFiles | None) -> str | None:
    shown = repr(value if len(value) <= 80 else value[:77] + "...")
    name = stored_name(tenant, value)
    if name is None or (images and name.rsplit(".", 1)[1] not in IMAGE_SUFFIXES):
        what = "an image" if images else "a file"
        return (
            f"must name {what} uploaded to this tenant, as /{tenant}/files/NAME; "
            f"{shown} is not one."
        )
    if files is None:
        return None
    path = files.path(tenant, value)
    if path is None:
        return f"names no file kept here: {shown} was never uploaded, or is gone; upload it again."
    if images and not is_image(path):
        return f"must be a PNG, JPEG or GIF image; {shown} is not one."
    return None


def rule_errors(target: Target, record: dict, before: dict, current: dict) -> list[RecordError]:
    """Set-once fields, and fields locked by the record's status."""
    errors = []
    statuses = target.spec.statuses
    state = statuses.states.get(current.get("status")) if statuses else None
    locked = state.locked if state else ()
    for field in target.stored():
        if record.get(field.name) == before.get(field.name):
            continue
        if field.set_once and before.get(field.name) is not None:
            errors.append(
                field_error(
                    field, field.name, "set_once", f"{field.label} cannot be changed once saved."
                )
            )
        elif locked == "all" or field.name in locked:
            errors.append(
                field_error(
                    field,
                    field.name,
                    "locked",
                    f"{field.label} cannot change while the {target.spec.label} is {state.label}.",
                )
            )
    return errors


def check_revision(target: Target, row: peewee.Model, revision: int) -> None:
    """Conflict unless the row is still at the revision the caller read."""
    if row.rev_number != revision:
        when = SYSTEM_COLUMNS["last_update_date"].load(row.last_update_date)
        _stale(target, row.id, revision, row.rev_number, row.last_updated_by, when)


def _stale(
    target: Target, record_id: int, sent: int, stored: int, changed_by: str, changed_at: str
) -> None:
    raise Conflict(
        f"{target.spec.label} {record_id} was changed by {changed_by} at {changed_at} "
        f"(revision {stored}, you sent {sent}); reload it and apply your changes again",
        code="stale",
        changed_by=changed_by,
        changed_at=changed_at,
        rev_number=stored,
    )


def system_label(target: Target, name: str) -> str:
    """How a system column is named to people: by the field that shows it, if any."""
    shown = next((f for f in target.spec.fields if f.system == name), None)
    return shown.label if shown else SYSTEM_COLUMNS[name].label


def system_errors(
    target: Target, values: dict, stored: dict | None, prefix: str
) -> list[RecordError]:
    """System columns sent with a record or a line: the system fills them, so a value is
    taken back as it was answered (ignored when unchanged, and on a new record or line,
    which has none yet) and refused when it differs. A line's `rev_number` other than the
    stored one means the line changed since it was read: a conflict, not a field error."""
    if stored is None:
        return []
    errors = []
    for name in target.spec.system_columns:
        if name not in values or values[name] == stored.get(name):
            continue
        if name == "rev_number" and prefix:
            _stale(
                target, stored["id"], values[name], stored[name],
                stored["last_updated_by"], stored["last_update_date"],
            )  # fmt: skip
        if name == "rev_number":
            continue  # the record's own revision is checked before anything else
        label = system_label(target, name)
        errors.append(
            RecordError(
                prefix + name,
                label,
                "read_only",
                f"{label} is filled in by the system and cannot be changed here.",
            )
        )
    return errors


def link_errors(
    child: Target, line: FieldSpec, values: dict, parent_id: int | None, prefix: str
) -> list[RecordError]:
    """A line sent with a record belongs to that record: its link, if sent, names it."""
    link = child.spec.field(line.lines.link)
    value = values.get(link.name)
    if value is None or value == parent_id:
        return []
    return [
        field_error(
            link,
            prefix + link.name,
            "read_only",
            f"{link.label} of a line of {line.label} names the record the line is sent with; "
            "it cannot name another one.",
        )
    ]


def guarded_write(target: Target, prefix: str, statement: Callable[[], Any]) -> Any:
    """Run an INSERT or UPDATE in the caller's transaction; a unique violation that slipped
    past the checks is a field error. The error leaves that transaction, which then rolls
    back whole: no savepoint around the statement is needed."""
    try:
        return statement()
    except peewee.IntegrityError as error:
        raise RecordInvalid([integrity_error(target, prefix, str(error))]) from None


def integrity_error(target: Target, prefix: str, message: str) -> RecordError:
    """Name the fields behind a unique violation from the database's own message."""
    for names in target.spec.unique_together:
        if all(name in message for name in names):
            labels = " and ".join(target.spec.field(name).label for name in names)
            return RecordError(
                prefix + names[0],
                target.spec.field(names[0]).label,
                "unique",
                f"Another {target.spec.label} has the same {labels}.",
            )
    for field in target.stored():
        if field.unique and (f".{field.name}" in message or f"_{field.name}" in message):
            return field_error(
                field,
                prefix + field.name,
                "unique",
                f"{field.label} is already used by another {target.spec.label}.",
            )
    return RecordError(
        prefix.rstrip("."),
        target.spec.label,
        "unique",
        f"Another {target.spec.label} has the same values.",
    )
