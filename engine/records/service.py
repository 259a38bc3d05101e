"""Create, read, update, delete, list and act on records: validate → rules → one transaction.

Every write runs in one transaction holding the record, its lines, its number and
its audit entry; any error rolls all of it back. Every problem of a request is
reported at once, as RecordError items naming the field by its label.
"""

from __future__ import annotations

from typing import Any

import peewee

from engine.compile.models import attribute_name
from engine.compile.validator import RecordError
from engine.errors import Conflict, NotFound, RecordInvalid
from engine.records import audit
from engine.records.checks import (
    check_revision,
    guarded_write,
    in_form_order,
    read_only_errors,
    rule_errors,
    schema_errors,
    system_errors,
    unknown_errors,
)
from engine.records.files import StoredFiles
from engine.records.incoming import check_record
from engine.records.lines import line_entry, line_rows, write_lines
from engine.records.pipeline import Draft
from engine.records.reading import RecordReader
from engine.records.removal import refuse_if_referenced
from engine.records.target import Target
from engine.records.values import (
    clean_payload,
    copied,
    jsonable,
    stored_values,
    without,
)
from engine.records.writing import write_new
from engine.registry import Registry

MANY_AT_ONCE = 500  # ids per IN list: far under any database's limit of parameters


class RecordService(RecordReader):
    """The one place that reads and writes records, for the API and the web UI alike."""

    def __init__(self, registry: Registry, files: StoredFiles | None = None) -> None:
        super().__init__(registry)
        self.files = files  # the uploads that file and image fields may name

    # writing

    def create(
        self,
        tenant: str,
        entity: str,
        data: Any,
        user: str,
        read_back: bool = True,
        copy_of: Any = None,
    ) -> dict[str, Any]:
        """Add a record and answer it as stored; with `read_back=False`, only its `id`
        (for a caller that only links to it, reading it again would be wasted). `copy_of`
        names the record it was copied from, which its history then says."""
        target = self.target(tenant, entity)
        payload = clean_payload(target, data)
        source = self._row(target, copy_of).id if copy_of is not None else None
        with target.tenant.database.atomic():
            record_id = self._insert(target, payload, user)
            if source is not None:
                changes = {"copied_from": [None, source]}
                audit.record_audit(target.tenant, entity, record_id, "copy", user, changes)
        if not read_back:
            return {"id": record_id}
        return self.read(tenant, entity, record_id)

    def update(
        self, tenant: str, entity: str, record_id: Any, data: Any, user: str
    ) -> dict[str, Any]:
        """Change a record; `data` must carry the `rev_number` the caller read."""
        target = self.target(tenant, entity)
        payload = clean_payload(target, data)
        revision = payload.pop("rev_number", None)
        if not isinstance(revision, int) or isinstance(revision, bool):
            raise RecordInvalid(
                [
                    RecordError(
                        "rev_number",
                        "Revision",
                        "required",
                        "rev_number, the revision you read, is required.",
                    )
                ]
            )
        with target.tenant.database.atomic():
            row = self._row(target, record_id)
            check_revision(target, row, revision)
            self._update(target, row, payload, user)
        return self.read(tenant, entity, row.id)

    def problems(
        self, tenant: str, entity: str, data: Any, user: str, record_id: Any = None
    ) -> list[RecordError]:
        """Every problem saving `data` would meet (a create, or an update of `record_id`),
        found by the same code as a real save, in a transaction that is rolled back."""
        target = self.target(tenant, entity)
        try:
            with target.tenant.database.atomic() as transaction:
                payload = clean_payload(target, data)
                if record_id is None:
                    self._insert(target, payload, user)
                else:
                    self._update(target, self._row(target, record_id), payload, user)
                transaction.rollback()
        except RecordInvalid as error:
            return error.errors
        return []

    def _insert(self, target: Target, payload: dict, user: str) -> int:
        payload = without(payload, *target.spec.system_columns)  # a new record has none yet
        draft = Draft(dict(payload))
        fields = target.lines()
        line_values = {line.name: draft.values.pop(line.name, None) or [] for line in fields}
        errors = read_only_errors(target, payload, None, "")
        errors += check_record(target, draft, None, line_values, {}, self.files)
        record = draft.values
        errors += schema_errors(target, record, line_values)
        if errors:
            raise RecordInvalid(in_form_order(target, errors))
        # the record's entry lists its lines too: written below, once they are in
        (record_id,) = write_new(target, [record], user, audit_entry=False)
        lines = write_lines(target, record_id, line_values, {}, user, self._remove)
        changes = audit.changes_between({}, jsonable(target, record))
        audit.record_audit(
            target.tenant, target.spec.name, record_id, "create", user, {**changes, **lines}
        )
        return record_id

    def _update(self, target: Target, row: peewee.Model, payload: dict, user: str) -> None:
        current = self._as_dict(target, row)
        errors = system_errors(target, payload, current, "")
        payload = without(payload, *target.spec.system_columns)
        before = {f.name: current[f.name] for f in target.stored()}
        record = {**before, **{k: v for k, v in payload.items() if k in before}}
        current_lines = {line.name: current[line.name] for line in target.lines()}
        line_values = {
            line.name: payload.get(line.name, current_lines[line.name]) or []
            for line in target.lines()
        }
        errors += read_only_errors(target, payload, before, "")
        errors += check_record(
            target, Draft(record, before), row.id, line_values, current_lines, self.files
        )
        errors += schema_errors(target, record, line_values)
        errors += rule_errors(target, record, before, current)
        errors += unknown_errors(target, payload)
        if errors:
            raise RecordInvalid(in_form_order(target, errors))
        changes = audit.changes_between(before, record)
        stamp = {"last_updated_by": user, "last_update_date": audit.now()}
        values = {**stored_values(target, {k: record[k] for k in changes}), **stamp}
        values.update(target.search_words(record, changes))
        self._bump(target, row, values)
        sent = {name: rows for name, rows in line_values.items() if name in payload}
        lines = write_lines(target, row.id, sent, current_lines, user, self._remove)
        audit.record_audit(
            target.tenant, target.spec.name, row.id, "update", user, {**changes, **lines}
        )

    def _bump(self, target: Target, row: peewee.Model, values: dict) -> None:
        """Write `values` and the next revision, if nobody wrote the record meanwhile."""
        model = target.model
        count = guarded_write(
            target,
            "",
            lambda: (
                model.update(**values, rev_number=model.rev_number + 1)
                .where((model.id == row.id) & (model.rev_number == row.rev_number))
                .execute()
            ),
        )
        if count != 1:
            check_revision(target, self._row(target, row.id), row.rev_number)
            raise Conflict(f"{target.spec.label} {row.id} changed while it was being saved")

    # delete, actions, copy

    def delete(self, tenant: str, entity: str, record_id: Any, user: str) -> None:
        """Delete as the entity's policy says: refused, refused while other records refer to
        it, or soft. A record's lines go with it."""
        target = self.target(tenant, entity)
        with target.tenant.database.atomic():
            self._remove(target, record_id, user)

    def _remove(self, target: Target, record_id: Any, user: str) -> dict[str, Any]:
        """Delete one record (or a line a save left out) as its entity's policy allows, with
        its audit entry; answer the entry's changes."""
        row = self._row(target, record_id)
        _refuse_never(target, row.id)
        if target.spec.delete == "soft":
            changes = self._soft_delete(target, row, user)
        else:
            refuse_if_referenced(target, row.id)
            changes = self._delete_whole(target, row, user)
        audit.record_audit(target.tenant, target.spec.name, row.id, "delete", user, changes)
        return changes

    def _delete_whole(self, target: Target, row: peewee.Model, user: str) -> dict[str, Any]:
        """Delete the record and its lines, each line with an audit entry of its own; answer
        the record's audit changes, its lines included."""
        changes = _deleted(self._as_dict(target, row, lines=False))
        for line in target.lines():
            child = target.child(line)
            entries = []
            for line_row in line_rows(child, line.lines.link, row.id, line.lines.order):
                values = self._as_dict(child, line_row, lines=False)
                line_changes = self._delete_whole(child, line_row, user)
                audit.record_audit(
                    child.tenant, child.spec.name, line_row.id, "delete", user, line_changes
                )
                entries.append(line_entry(child, line_row.id, "delete", line_changes, values))
            if entries:
                changes[line.name] = entries
        target.model.delete().where(target.model.id == row.id).execute()
        return changes

    def _soft_delete(self, target: Target, row: peewee.Model, user: str) -> dict[str, Any]:
        before = self._as_dict(target, row, lines=False)
        stamp = {"last_updated_by": user, "last_update_date": audit.now()}
        self._bump(target, row, {"deleted": True, **stamp})
        return _deleted(before)

    def act(
        self, tenant: str, entity: str, record_id: Any, action: str, user: str
    ) -> dict[str, Any]:
        """Run a status action (or activate / deactivate, or copy) on a record."""
        if action == "copy":
            return self.copy(tenant, entity, record_id, user)
        target = self.target(tenant, entity)
        with target.tenant.database.atomic():
            row = self._row(target, record_id)
            column, value = _action_change(target, row, action)
            before = getattr(row, attribute_name(column))
            self._bump(
                target,
                row,
                {column: value, "last_updated_by": user, "last_update_date": audit.now()},
            )
            audit.record_audit(
                target.tenant, target.spec.name, row.id, action, user, {column: [before, value]}
            )
        return self.read(tenant, entity, record_id)

    def copy_values(self, tenant: str, entity: str, record_id: Any) -> dict[str, Any]:
        """What a copy of the record starts from: its fields marked `copy`, its lines' too
        (without their ids and links), never a number, a unique value or a fetched one."""
        target = self.target(tenant, entity)
        source = self.read(tenant, entity, record_id)
        values = copied(target, source)
        for line in target.lines():
            child = target.child(line)
            link = line.lines.link
            values[line.name] = [copied(child, row, link) for row in source[line.name]]
        return values

    def copy(self, tenant: str, entity: str, record_id: Any, user: str) -> dict[str, Any]:
        """A new record from the fields marked `copy`, with a fresh number and initial status."""
        payload = self.copy_values(tenant, entity, record_id)
        return self.create(tenant, entity, payload, user, copy_of=record_id)


def _refuse_never(target: Target, record_id: int) -> None:
    if target.spec.delete == "never":
        raise Conflict(
            f"{target.spec.plural} are never deleted; deactivate {target.spec.label} "
            f"{record_id} instead",
            code="delete_refused",
        )


def _deleted(before: dict[str, Any]) -> dict[str, list]:
    """A deleted record's audit changes: each value it had, to none."""
    return {k: [v, None] for k, v in without(before, "id").items() if v is not None}


def _action_change(target: Target, row: peewee.Model, action: str) -> tuple[str, Any]:
    spec = target.spec
    if spec.delete == "never" and action in ("activate", "deactivate"):
        return "active", action == "activate"
    actions = spec.statuses.actions if spec.statuses else {}
    if action not in actions:
        known = ", ".join(
            [*actions, "copy"] + (["activate", "deactivate"] if spec.delete == "never" else [])
        )
        raise NotFound(f"{spec.label} has no action '{action}'; actions: {known}")
    step = actions[action]
    if row.status not in step.sources:
        state = spec.statuses.states[row.status].label
        allowed = ", ".join(spec.statuses.states[s].label for s in step.sources)
        raise Conflict(
            f"cannot {step.label.lower()} {spec.label} {row.id}: it is {state}; "
            f"{step.label.lower()} applies to {allowed}",
            code="invalid_transition",
        )
    return "status", step.target
