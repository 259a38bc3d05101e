"""The checks every write runs, batch-first: a form's save and an API call are a batch of
one, an import a batch of many, and each step runs once over the whole batch.

The steps, in order (CHECKS): defaults, what a line inherits, numbers, links (each
lookup names a record that exists, and an active one when the link is new or changed;
what it fetches is filled in), hidden fields cleared, decimal places, stored files,
unique values, fields unique together. Then
`validate` runs the compiled validator over each record with its lines. A step records
each problem on its draft, as a RecordError naming the field by its label; nothing is
written until every step has run.

A rule added to CHECKS applies to every way records are written.
"""

from __future__ import annotations

import dataclasses
import itertools
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from engine.compile.validator import RecordError
from engine.records import statements
from engine.records.checks import decimal_places, field_error, file_errors
from engine.records.files import StoredFiles, attachments
from engine.records.numbering import next_numbers
from engine.records.target import Target
from engine.records.values import clear_hidden, fetchable
from engine.spec import FieldSpec
from engine.types import TYPES, always_fits, fits_column

CHUNK = 500  # values per IN (…) of a query


@dataclass(slots=True, eq=False)
class Draft:
    """One record (or line) on its way in."""

    values: dict[str, Any]  # its fields' values; for a new record, only those it was given
    before: dict[str, Any] | None = None  # its stored fields' values, when it exists
    where: str = ""  # what names its fields in errors: "" for a record, "sites[2]." for a line
    place: str = ""  # how another draft names it: "row 3" of a file
    parent: Any = None  # a line's record (its draft), for fields unique with the link
    errors: list[RecordError] = dataclasses.field(default_factory=list)

    @property
    def new(self) -> bool:
        """Whether the draft creates a record rather than changing one."""
        return self.before is None

    def error(self, field: FieldSpec | None, code: str, message: str) -> None:
        """Note a problem of one of its fields."""
        name = field.name if field else ""
        self.errors.append(field_error(field, self.where + name, code, message))


@dataclass
class Batch:
    """Drafts of one entity, and what the steps need to know beyond them."""

    target: Target
    drafts: Sequence[Draft]
    # a line's link field, whose value a new record's lines do not have yet
    link: str | None = None
    # the values of records the batch itself creates, by the id reserved for them (an
    # import's rows naming rows above): a link to one is to a record that will exist
    pending: Callable[[FieldSpec, Any], dict[str, Any] | None] | None = None
    # a line's fields that take, where empty, what its link fetches from its record
    inherited: dict[str, str] = dataclasses.field(default_factory=dict)
    # a file's empty cell gives no value, so it takes the default; a request's null stays
    blank_takes_default: bool = False
    # the uploads file and image fields may name (None: only the form of a name is checked)
    files: StoredFiles | None = None


Step = Callable[[Batch], None]


def fill_defaults(batch: Batch) -> None:
    """A new record's field it was not given takes the field's default."""
    blank = batch.blank_takes_default
    for name, default in batch.target.defaults():
        for draft in batch.drafts:
            if draft.new and (
                draft.values.get(name) is None if blank else name not in draft.values
            ):
                draft.values[name] = default


def inherit(batch: Batch) -> None:
    """A line takes, where it is empty, what its link fetches from its record."""
    if not batch.inherited:
        return
    for draft in batch.drafts:
        record = draft.parent.values if draft.parent is not None else {}
        for mine, theirs in batch.inherited.items():
            if draft.values.get(mine) in (None, ""):
                draft.values[mine] = record.get(theirs)


def fill_numbers(batch: Batch) -> None:
    """A new record without a number takes the next ones of its pattern, in one step."""
    numbering = batch.target.spec.numbering
    if numbering is None:
        return
    empty = [d for d in batch.drafts if d.new and d.values.get(numbering.field) in (None, "")]
    if not empty:
        return
    target = batch.target
    numbers = next_numbers(target.tenant, target.spec.name, numbering, len(empty))
    for draft, number in zip(empty, numbers, strict=True):
        draft.values[numbering.field] = number


def check_links(batch: Batch) -> None:
    """A new or changed link names a live, active record; a link left as it was may name
    one deactivated since. Fetched values are filled in when empty, and follow a link
    that changes to another record. The records named are read in one query per linked
    entity, however many lookup fields name it."""
    tenant = batch.target.tenant
    by_entity: dict[str, list[tuple[FieldSpec, list]]] = {}
    for field in batch.target.stored_where("lookup"):
        row_type = TYPES[field.input_type]
        named = [
            (draft, value)
            for draft in batch.drafts
            if field.name != batch.link
            and (value := draft.values.get(field.name)) is not None
            and fits_column(row_type, field, value)  # else the schema says what is wrong
        ]
        if named:
            by_entity.setdefault(field.lookup.entity, []).append((field, named))
    for entity, fields in by_entity.items():
        linked = Target(tenant, tenant.entity(entity))
        found = _records(linked, {value for _, named in fields for _, value in named})
        for field, named in fields:
            _check_named(batch, field, linked, found, named)


def _check_named(batch: Batch, field: FieldSpec, linked: Target, found: dict, named: list) -> None:
    """Each draft's link of one field to a record of `found` (those that exist)."""
    for draft, value in named:
        kept = draft.before is not None and draft.before.get(field.name) == value
        pending = batch.pending(field, value) if batch.pending else None
        values = found.get(value)
        problem = None if pending is not None else _link_problem(values, kept)
        if problem:
            title = values["title"] if values else None
            shown = f"{linked.spec.label} {title!r}" if title else f"{linked.spec.label} {value}"
            draft.error(field, "not_found", f"{field.label}: {shown} {problem}.")
            continue
        source = pending if pending is not None else values["fetched"]
        changed = draft.before is not None and not kept
        for mine, theirs in field.lookup.fetch.items():
            if changed or draft.values.get(mine) in (None, ""):
                draft.values[mine] = source.get(theirs)


def _records(linked: Target, ids: set[Any]) -> dict[Any, dict[str, Any]]:
    """The records of `ids` that exist: whether a new link may name them, and what a
    lookup may fetch from them."""
    model, found = linked.model, {}
    title = linked.spec.title_field
    for chunk in _chunks(sorted(ids), CHUNK):
        for row in model.select().where(model.id.in_(chunk)):
            fetched = fetchable(linked, row)
            found[row.id] = {
                "deleted": getattr(row, "deleted", False),
                "inactive": getattr(row, "active", True) is False,
                "fetched": fetched,
                "title": fetched.get(title) if title else None,
            }
    return found


def _link_problem(record: dict[str, Any] | None, kept: bool) -> str | None:
    if record is None or (not kept and record["deleted"]):
        return "does not exist"
    if not kept and record["inactive"]:
        return "is inactive and cannot be chosen"
    return None


def clear_hidden_fields(batch: Batch) -> None:
    """A field its condition hides holds no value (see values.clear_hidden)."""
    if batch.target.stored_where("visible_if"):
        for draft in batch.drafts:
            clear_hidden(batch.target, draft.values)


def check_places(batch: Batch) -> None:
    """A decimal field's value has at most its precision's places after the point."""
    for field in batch.target.decimals():
        column = _column(batch, field.name)
        if float not in set(map(type, column)):
            continue  # only a fraction can have places (one pass of C code finds none)
        for draft, value in zip(batch.drafts, column, strict=True):
            if value.__class__ is float and decimal_places(value) > (field.precision or 0):
                message = f"{field.label} allows at most {field.precision} decimal places."
                draft.error(field, "precision", message)


def _column(batch: Batch, name: str) -> list[Any]:
    """Every draft's value of a field (None where it has none), gathered by C code."""
    return list(map(dict.get, map(_VALUES, batch.drafts), itertools.repeat(name)))


_VALUES = operator.attrgetter("values")


def check_files(batch: Batch) -> None:
    """A new or changed file or image names a file kept for the tenant (see
    checks.file_errors)."""
    if not attachments(batch.target):
        return
    for draft in batch.drafts:
        draft.errors += file_errors(batch.target, draft.values, draft.before, draft.where,
                                    batch.files)  # fmt: skip


def check_unique(batch: Batch) -> None:
    """A unique field's new value is on no other record: not in the database, and not on
    another draft of the batch."""
    target = batch.target
    for field in target.stored_where("unique"):
        store = TYPES[field.input_type].store
        seen: dict[Any, Draft] = {}
        column = _column(batch, field.name)
        if column.count(None) == len(column):
            continue  # no draft gives the field a value
        row = TYPES[field.input_type]
        checked = always_fits(row)  # else a value may be one a query could not compare
        plain = store is TYPES["text"].store  # the value as it is
        for draft, value in zip(batch.drafts, column, strict=True):
            if value is None or (draft.before and draft.before.get(field.name) == value):
                continue
            if (not checked or value.__class__ in (list, dict)) and not fits_column(
                row, field, value
            ):
                continue  # the schema refuses it; a query could not even compare it
            key = value if plain else store(value)
            if key in seen:
                other = seen[key].place or "another line"
                draft.error(field, "unique", f"{field.label} {value!r} is also on {other}.")
            else:
                seen[key] = draft
        for key in _present(target, field, list(seen)):
            draft = seen[key]
            message = (
                f"{field.label} {draft.values[field.name]!r} is already used by another "
                f"{target.spec.label}."
            )
            draft.error(field, "unique", message)


def _present(target: Target, field: FieldSpec, values: list[Any]) -> list[Any]:
    """Which of the stored values of a field some record already has: one cached
    statement for one value (a form's save), the whole column when the table is not much
    larger than the values (an import into a small table), else a query per CHUNK."""
    column = target.column(field.name)
    if not values:
        return []
    if len(values) == 1:
        hit = statements.exists(target.entity.memo, target.model, column, values[0])
        return values if hit else []
    if target.model.select().count() <= 2 * len(values):
        wanted = set(values)
        return [v for (v,) in target.model.select(column).tuples() if v in wanted]
    query = target.model.select(column)
    return [
        v for chunk in _chunks(values, CHUNK) for (v,) in query.where(column.in_(chunk)).tuples()
    ]


def check_unique_together(batch: Batch) -> None:
    """Fields unique together: each combination once in the batch, and on no other stored
    record. A new record's lines have no link yet: their record stands for it."""
    target = batch.target
    for names in target.spec.unique_together:
        fields = [target.spec.field(name) for name in names]
        seen: dict[tuple, Draft] = {}
        stored: dict[tuple, Draft] = {}
        for draft in batch.drafts:
            key = _together_key(batch, draft, names, fields)
            if key is None or (draft.before and _unchanged(draft, names)):
                continue
            if key in seen:
                other = seen[key].place or "another line"
                draft.error(fields[0], "unique", f"{_together(target, fields)} as {other}.")
                continue
            seen[key] = draft
            if all(isinstance(part, _Stored) for part in key):
                stored[tuple(part.value for part in key)] = draft
        for taken in _present_together(target, names, list(stored)):
            stored[taken].error(fields[0], "unique", f"{_together(target, fields)}.")


@dataclass(frozen=True, slots=True)
class _Stored:
    value: Any


def _together_key(batch: Batch, draft: Draft, names: Sequence[str], fields: list) -> tuple | None:
    """The draft's values of the fields as stored; a line's missing link is its record."""
    key = []
    for name, field in zip(names, fields, strict=True):
        value = draft.values.get(name)
        if value is None and name == batch.link and draft.parent is not None:
            key.append(id(draft.parent))  # the lines of one new record: never stored yet
            continue
        if value is None or not fits_column(TYPES[field.input_type], field, value):
            return None  # a missing value never repeats; a wrong one the validator names
        key.append(_Stored(TYPES[field.input_type].store(value)))
    return tuple(key)


def _unchanged(draft: Draft, names: Sequence[str]) -> bool:
    return all(draft.before.get(name) == draft.values.get(name) for name in names)


def _together(target: Target, fields: list[FieldSpec]) -> str:
    labels = " and ".join(field.label for field in fields)
    return f"Another {target.spec.label} has the same {labels}"


def _present_together(target: Target, names: Sequence[str], values: list[tuple]) -> list[tuple]:
    """Which combinations of the fields' stored values some record already has."""
    if not values:
        return []
    columns = [target.column(name) for name in names]
    wanted = set(values)
    found = []
    for chunk in _chunks(sorted({v[0] for v in values}, key=repr), CHUNK):
        query = target.model.select(*columns).where(columns[0].in_(chunk)).tuples()
        found += [tuple(row) for row in query if tuple(row) in wanted]
    return found


CHECKS: list[Step] = [
    fill_defaults,
    inherit,
    fill_numbers,
    check_links,
    clear_hidden_fields,
    check_places,
    check_files,
    check_unique,
    check_unique_together,
]


def run_checks(batch: Batch) -> None:
    """Every step of CHECKS over the batch, in order."""
    for step in CHECKS:
        step(batch)


def validate(target: Target, documents: Iterable[tuple[Draft, Any]]) -> None:
    """The compiled validator over each record as it will be stored, lines included;
    most are valid: the fast check by C code first, the words only for the rest."""
    validator = target.entity.validator
    for draft, document in documents:
        if not validator.is_valid(document):
            draft.errors += validator.errors(document)


def _chunks(items: list, size: int) -> list[list]:
    return [items[start : start + size] for start in range(0, len(items), size)]
