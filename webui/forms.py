"""Between HTML forms and records: submitted strings → typed values, and values → strings.

What the user typed is kept as typed, so a form shown again after an error shows
exactly it, whatever the error was.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import FileStorage, MultiDict

from engine.caching import BoundedCache
from engine.compile.validator import RecordError
from engine.locales import Locality
from engine.numbers import OutOfRange, json_number
from engine.records.files import is_reference
from engine.spec import EntitySpec, FieldSpec

# An unticked checkbox and an empty multiple select send nothing: the form names them here.
SHOWN = "_shown"
# The switch: False, each parse picks the entity's editable fields again (the plain path,
# which tests/test_form_parsing.py compares this with)
REUSE_EDITABLE = True
MAX_CACHED = 512  # entity specs (× new or edited) whose editable fields are kept
# a field, its name, whether it takes a file, whether it sends nothing when empty, and
# its type's form_input and form_value
_Input = tuple[FieldSpec, str, bool, bool, Callable[..., Any], Callable[..., Any]]
_EDITABLE: BoundedCache[tuple[int, bool], tuple[EntitySpec, list[FieldSpec], list[_Input]]] = (
    BoundedCache(MAX_CACHED)
)


@dataclass
class Submission:
    """A parsed form: the record to save, the parse errors, and the raw text to show again."""

    payload: dict[str, Any] = field(default_factory=dict)
    errors: list[RecordError] = field(default_factory=list)
    typed: dict[str, Any] = field(default_factory=dict)
    # the fields given a file by this form (uploaded now, or kept from a try that failed)
    files: list[FieldSpec] = field(default_factory=list)
    # the stored lines whose fields the person asked to see, as `<lines field>:<line id>`
    opened: frozenset[str] = frozenset()


def editable(entity: EntitySpec, creating: bool) -> list[FieldSpec]:
    """The stored fields a person may fill in: shown, not read-only, set-once only at first."""
    return [
        f
        for f in entity.fields
        if f.stored and not f.hidden and not f.read_only and (creating or not f.set_once)
    ]


def _editable_fields(entity: EntitySpec, creating: bool) -> list[FieldSpec]:
    """`editable(entity, creating)`, picked once per entity spec (do not change the list)."""
    return _editable(entity, creating)[1]


def _editable(
    entity: EntitySpec, creating: bool
) -> tuple[EntitySpec, list[FieldSpec], list[_Input]]:
    """The editable fields and what parsing each asks of its type, looked up once per
    entity spec: specs are immutable, and a form is parsed far more often than its
    metadata changes."""
    if not REUSE_EDITABLE:
        return _editable_now(entity, creating)
    key = (id(entity), creating)
    cached = _EDITABLE.get(key)
    # the entry keeps its spec alive, so no other spec can have its id while it is cached
    if cached is None or cached[0] is not entity:
        cached = _EDITABLE[key] = _editable_now(entity, creating)
    return cached


def _editable_now(
    entity: EntitySpec, creating: bool
) -> tuple[EntitySpec, list[FieldSpec], list[_Input]]:
    fields = editable(entity, creating)
    inputs = [
        (f, f.name, f.type.attachment, f.type.empty_sends_nothing, f.type.form_input,
         f.type.form_value)
        for f in fields
    ]  # fmt: skip
    return entity, fields, inputs


def parse_form(
    entity: EntitySpec,
    children: dict[str, EntitySpec],
    form: MultiDict,
    creating: bool,
    save_file: Callable[[FileStorage, bool], str] | None = None,
    files: MultiDict | None = None,
    locality: Locality | None = None,
) -> Submission:
    """Read a submitted form into a payload, collecting every value that does not parse.
    An uploaded file is kept by `save_file`, and its reference becomes the value; without
    one, the reference the form holds (the stored file's, or one kept from a try that
    failed) is the value. Numbers are read as the `locality`'s people type them."""
    submission = Submission()
    submitted = _Submitted(form, locality)
    first, shown = submitted.first, submitted.shown
    payload, typed = submission.payload, submission.typed
    for spec, key, attachment, empty_sends_nothing, form_input, form_value in _editable(
        entity, creating
    )[2]:
        if attachment:
            _take_file(spec, files or MultiDict(), submitted, save_file, submission)
        elif key in first or (empty_sends_nothing and key in shown):
            # _parse_field's steps, inline: a form's forty-odd fields take this path
            raw = typed[key] = form_input(form, first, key)
            try:
                value = form_value(raw, locality)
                # _plain, inline: a call per field costs more than the test
                payload[key] = json_number(value) if isinstance(value, decimal.Decimal) else value
            except (OutOfRange, ValueError, decimal.InvalidOperation):
                _parse_field(spec, submitted, key, key, payload, submission)  # its error
    for line in (f for f in entity.fields if f.lines and not f.hidden):
        rows = _parse_lines(line, children[line.name], submitted, submission)
        submission.payload[line.name] = rows
    return submission


class _Submitted:
    """A submitted form read as plain dicts: each name's first value, and the names the
    form says it showed; a name's every value is asked of the form itself."""

    def __init__(self, form: MultiDict, locality: Locality | None = None) -> None:
        self.form = form
        self.locality = locality
        self.first: dict[str, Any] = form.to_dict()
        self.shown = frozenset(form.getlist(SHOWN))


def _parse_field(
    spec: FieldSpec, submitted: _Submitted, key: str, where: str, into: dict, submission: Submission
) -> None:
    kind = spec.type
    first = submitted.first
    if key not in first and not (kind.empty_sends_nothing and key in submitted.shown):
        return  # not on the submitted form: leave the stored value alone
    raw = kind.form_input(submitted.form, first, key)
    submission.typed[key] = raw
    try:
        into[spec.name] = _plain(kind.form_value(raw, submitted.locality))
    except OutOfRange:
        message = f"{spec.label} is out of the range that can be stored."
        submission.errors.append(RecordError(where, spec.label, "range", message))
    except (ValueError, decimal.InvalidOperation):
        submission.errors.append(
            RecordError(where, spec.label, "type", f"{spec.label} must be {kind.expects}.")
        )


def _take_file(
    spec: FieldSpec,
    files: MultiDict,
    submitted: _Submitted,
    save_file: Callable | None,
    submission: Submission,
) -> None:
    """A new upload, else the reference the form holds; the records service checks that
    a reference names a file kept for the tenant."""
    upload = files.get(spec.name)
    if upload is not None and upload.filename and save_file is not None:
        try:
            value = save_file(upload, spec.type.images_only)
        except ValueError as refusal:
            submission.errors.append(
                RecordError(spec.name, spec.label, "format", f"{spec.label} {refusal}.")
            )
            return
    else:
        value = submitted.first.get(spec.name, "")
        if not value:
            return  # nothing chosen, nothing held: the stored file stays
    submission.payload[spec.name] = value
    submission.files.append(spec)
    if is_reference(value):  # shown again, kept, if the save fails
        submission.typed[spec.name] = value


def _plain(value: Any) -> Any:
    """Decimals as JSON numbers, the form the validator checks (OutOfRange for one no
    float holds)."""
    if isinstance(value, decimal.Decimal):
        return json_number(value)
    return value


def _parse_lines(
    line: FieldSpec, child: EntitySpec, submitted: _Submitted, submission: Submission
) -> list[dict]:
    """The submitted rows that hold something, in order. What was typed is kept under the
    row's place among them, the place errors name (`branches[1].city`), so a form shown
    again puts each value and each error on the same row."""
    prefix, form = f"{line.name}-", submitted.first
    indexes = sorted({int(k.split("-")[1]) for k in form if _is_line_key(k, prefix)})
    rows = []
    fields = [f for f in _editable_fields(child, creating=True) if f.name != line.lines.link]
    for index in indexes:
        row: dict[str, Any] = {}
        keys = {f.name: f"{prefix}{index}-{f.name}" for f in fields}
        line_id = form.get(f"{prefix}{index}-id", "")
        if not any(form.get(key) for key in keys.values()) and not line_id:
            continue  # an empty new row is no row
        place = len(rows)
        for spec in fields:
            where = f"{line.name}[{place}].{spec.name}"
            _parse_field(spec, submitted, keys[spec.name], where, row, submission)
            if keys[spec.name] in submission.typed:
                submission.typed[f"{prefix}{place}-{spec.name}"] = submission.typed.pop(
                    keys[spec.name]
                )
        submission.typed[f"{prefix}{place}-id"] = line_id
        if line_id.isdigit():
            row["id"] = int(line_id)
        rows.append(row)
    submission.typed[f"{line.name}-rows"] = list(range(len(rows)))
    return rows


def _is_line_key(key: str, prefix: str) -> bool:
    parts = key.split("-")
    return key.startswith(prefix) and len(parts) == 3 and parts[1].isdigit()


def as_text(spec: FieldSpec, value: Any, locality: Locality | None = None) -> Any:
    """A stored value as a form shows it (a list for multiselect, text otherwise)."""
    return edit_text(spec, locality)(value)


def edit_text(spec: FieldSpec, locality: Locality | None = None) -> Callable[[Any], Any]:
    """How the field shows a stored value for editing to people of `locality` (a number
    with its decimal symbol, a moment on its clock), as `parse_form` reads it back."""
    if locality is None:
        return spec.type.form_text
    return spec.type.form_text_for(locality)
