"""A lines field's rows as the form shows them: each row's place and values (Row), what
the child's layout gives every row (RowLayout, once per compiled entity) and its fields'
widget entries (RowEntries), and how the parent form renders a field (FieldRendering),
which webui.line_editor renders a row's fields by."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.locales import Locality
from engine.records.target import Target
from engine.spec import FieldSpec
from webui import line_grid
from webui.forms import Submission, as_text, editable
from webui.views import views as entity_views


@dataclass(frozen=True)
class FieldRendering:
    """How the parent form renders a field (webui.form_fields), handed over so that a row's
    fields are rendered the same way: its widget's entry, that entry under a row input's
    name, and what the field_block macro renders from."""

    widget_entry: Callable[..., dict]  # (target, field, layout entry, source)
    named_view: Callable[..., dict]  # (target, entry, input name, lines label, row position)
    field_item: Callable[..., dict]  # (target, field, entry, value, error, editable, stored)


class Row:
    """One row of the form: its place, what was typed or stored, and its problems."""

    def __init__(
        self,
        line: FieldSpec,
        index: int,
        position: int,
        stored: dict | None,
        submission: Submission,
        errors: dict[str, str],
        locality: Locality,
    ) -> None:
        self.line, self.index, self.position = line, index, position
        self.stored = stored or {}
        self.typed = submission.typed
        self.errors = errors
        self.line_id = self.stored.get("id") or self.typed.get(self.key("id")) or None
        self.locality = locality

    def key(self, name: str) -> str:
        """The name of the row's input for a field, as the server reads it."""
        return f"{self.line.name}-{self.index}-{name}"

    def stored_value(self, spec: FieldSpec) -> Any:
        """The field's value as the row's stored line holds it (None for a new row)."""
        return self.stored.get(spec.system or spec.name)

    def value(self, spec: FieldSpec) -> Any:
        """What the field's input shows: what was typed, else the stored value."""
        return self.typed.get(
            self.key(spec.name), as_text(spec, self.stored_value(spec), self.locality)
        )

    def error(self, spec: FieldSpec) -> str | None:
        """The problem the save found with the field in this row, if any."""
        return self.errors.get(f"{self.line.name}[{self.position}].{spec.name}")

    def problems(self) -> list[str]:
        """Every problem of the row, as its grid row lists them."""
        start = f"{self.line.name}[{self.position}]."
        return [message for where, message in self.errors.items() if where.startswith(start)]


@dataclass(frozen=True)
class RowLayout:
    """What a lines field's rows show, built once per compiled entity: the child's groups
    in order, each with (field, layout entry) of the fields a row shows (conditions left
    out: they name the child's fields, which a row's inputs do not answer to), the
    fields a row may edit, the grid's columns, and the fields a copied row leaves empty."""

    groups: list[tuple[dict, list[tuple[FieldSpec, dict]]]]
    writable: set[str]
    columns: list[FieldSpec]
    no_copy: str
    entries: dict[str, dict]  # each field's layout entry, by name


def row_layout(target: Target, child: Target, line: FieldSpec) -> RowLayout:
    """What the rows of the target's lines field show (RowLayout), once per compiled entity."""
    layouts = entity_views(target).form.row_layouts
    if line.name not in layouts:
        groups = []
        for group in child.entity.layout["groups"]:
            members = []
            for entry in group["fields"]:
                spec = child.spec.field(entry["name"])
                if spec.name == line.lines.link or spec.lines:
                    continue
                conditions = ("visible_if", "required_if")
                members.append((spec, {k: v for k, v in entry.items() if k not in conditions}))
            if members:
                groups.append((group, members))
        layouts[line.name] = RowLayout(
            groups,
            {f.name for f in editable(child.spec, creating=True)} - {line.lines.link},
            line_grid.grid_columns(child, line),
            " ".join(f.name for f in child.spec.fields if not f.copy),
            {spec.name: entry for _, members in groups for spec, entry in members},
        )
    return layouts[line.name]


class RowEntries:
    """The widget entries of a row's fields, made as a request first needs each (a
    lookup's holds the choices it reads)."""

    def __init__(self, child: Target, layout: RowLayout, rendering: FieldRendering) -> None:
        self.child, self.layout, self.rendering = child, layout, rendering
        self._made: dict[str, dict] = {}

    def entry(self, spec: FieldSpec) -> dict:
        """The field's widget entry as a row's input, but for its name."""
        if spec.name not in self._made:
            plain = self.layout.entries[spec.name]
            self._made[spec.name] = self.rendering.widget_entry(self.child, spec, plain, "row")
        return self._made[spec.name]

    def views(self) -> list[tuple[dict, list]]:
        """The child's groups in order, each with (field, its widget entry) of its fields."""
        return [
            (group, [(spec, self.entry(spec)) for spec, _ in members])
            for group, members in self.layout.groups
        ]
