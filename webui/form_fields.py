"""A record's form as HTML: its groups, and each field rendered by its widget macro.

Most fields are rendered from pieces cut once per compiled entity from their own macro's
output (`webui.prerender`), and the groups around them from the `groups` macro's: a
request then only escapes each value into its place (a lookup's, and the linked
record's title), or a read-only field's text. A field with an error is rendered by its
macro; a lines field's rows, by webui.line_editor, from pieces cut the same way
(webui.row_rendering), and its grid around them too (webui.line_grid; a form first
shown, straight from its stored rows). The pieces are held by the entity's form view
(webui.views), so a metadata reload, which builds new entities, renders with new pieces.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app
from jinja2 import pass_context
from jinja2.runtime import Context, Macro
from markupsafe import Markup

from engine.compile.validator import RecordError
from engine.errors import NotFound
from engine.records.target import Target
from engine.spec import FieldSpec
from webui import display as display_texts
from webui import line_editor, line_rows, prerender
from webui.display import display, locality, shown_text
from webui.forms import Submission, edit_text, editable
from webui.page_links import read_links, remember_records, typed_records
from webui.services import record_service
from webui.views import views
from webui.widget_entries import lookup_render, named_view, shown_title, widget_entry

# The switch of the fresh forms' cache: False, every form is rendered field by field (the
# plain path, which tests/test_fresh_forms.py compares it with).
REUSE_FRESH = True


def fields_html(
    target: Target, values: dict, record: dict | None, submission: Submission
) -> Markup:
    """The form's groups in order with their fields, each showing what was typed, else
    what is stored, its error, and an input only where it may be edited.

    A new record's form with nothing typed yet whose every field was rendered from its
    pieces (no lookup, no lines, no field rendered by its macro) follows from its starting
    values alone: it is kept, per compiled entity, and given again."""
    macros = widget_macros()
    key = _fresh_key(macros, values, record, submission)
    cache = views(target).form.fresh
    if key is not None and key in cache:
        return cache[key]
    _read_links(target, values, record, submission.typed)
    writable = _writable(target, creating=record is None)
    # a new record's system columns and read-only fields have nothing to show yet
    left_out = _left_out_when_empty(target) if record is None else frozenset()
    locked = _locked_fields(target, record)
    errors = _errors_by_field(submission.errors)
    typed = submission.typed
    fetched = _view_values(target, typed)
    if fetched:
        values = {**values, **fetched}
    rendered: list[str | None] = []  # each field's HTML (escaped already), or None: left out
    layout, renders, shown = (
        _layout_fields(target),
        _renders(target, macros),
        _shown(target, macros),
    )
    from_pieces = True  # every field rendered from its pieces: the form follows from values
    for (spec, entry), render, show, text_of, written in zip(
        layout, renders, shown, _form_texts(target), _shown_texts(target), strict=True
    ):
        if spec.lines:
            rendered.append(
                line_editor.lines_html(
                    target, spec, entry, values, submission, errors, macros, ROW_RENDERING
                )
            )
            from_pieces = False
            continue
        name = spec.name
        stored = values.get(spec.system or name)
        if name in left_out and stored in (None, "") and name not in typed:
            rendered.append(None)
            continue
        editable_here = name in writable and name not in locked
        error = errors.get(name)
        value = typed[name] if name in typed else text_of(stored)
        html = None
        if error:
            pass  # its macro writes the error
        elif editable_here and render is not None:
            html = render(value)
        elif not editable_here and show is not None:
            html = show(written(stored, values))
        if html is None:
            item = _field_item(target, spec, entry, value, error, editable_here, stored, values)
            html = macros.field_block(item)
            from_pieces = False
        rendered.append(html)
    found = _in_frame(target, rendered, macros, _opened_groups(target, errors))
    # a lookup shows the title of the record it names, which changes with that record
    if key is not None and from_pieces and not any(spec.lookup for spec, _ in layout):
        cache[key] = found
    return found


def _fresh_key(macros: Any, values: dict, record: dict | None, submission: Submission) -> Any:
    """The key of a new record's form with nothing typed and no error yet (None for any
    other form, or for values that cannot be a key)."""
    if not REUSE_FRESH or record is not None or submission.typed or submission.errors:
        return None
    key = [macros]
    for name, value in values.items():
        # equal values of these classes are rendered alike (1 and 1.0, or Decimal("1.0")
        # and Decimal("1"), are equal and rendered otherwise; a list cannot be a key)
        if value.__class__ not in _KEYED:
            return None
        key.append((name, value.__class__, value))
    return tuple(key)


_KEYED = frozenset({str, int, bool, type(None)})


def _read_links(target: Target, values: dict, record: dict | None, typed: dict) -> None:
    """The titles of every record the form links to, its lines' included: one query per
    linked entity. The record itself, read already, is not read again where a link names
    it (its lines' links to their parent, often)."""
    if record is not None:
        remember_records(target.tenant.spec.name, target.spec.name, [record])
    read_links(target, [values, typed_records(typed)])


def _view_values(target: Target, typed: dict) -> dict[str, Any]:
    """The view values of the links a form shown again holds, fetched as a save would:
    the record typed, not the one stored, is what they show."""
    if not typed:  # a form shown for the first time: the stored values are what it shows
        return {}
    shown = {f.name for f in target.spec.fields if f.view}
    values: dict[str, Any] = {}
    for field in target.spec.fields:
        if not (field.lookup and field.name in typed and shown & set(field.lookup.fetch)):
            continue
        linked = _fetchable(target, field, str(typed[field.name] or "").strip())
        values.update(
            {
                mine: linked.get(theirs)
                for mine, theirs in field.lookup.fetch.items()
                if mine in shown
            }
        )
    return values


def _fetchable(target: Target, field: FieldSpec, text: str) -> dict[str, Any]:
    """What the record a typed id names gives its view values; nothing when none is."""
    if not text.isdigit():
        return {}
    try:
        return record_service().fetchable(target.tenant.spec.name, field.lookup.entity, text)
    except NotFound:
        return {}


def widget_macros() -> Any:
    """The widgets template as a module: its macros, callable from Python."""
    return current_app.jinja_env.get_template("widgets.html").module


@pass_context
def macro_named(context: Context, name: str) -> Macro:
    """The macro called `name` of the template that asks: widgets.html renders a field with
    the macro its input type names (InputType.widget), with no table of type names of
    its own. A name no macro has is a KeyError."""
    return context[name]


def _layout_fields(target: Target) -> list[tuple[FieldSpec, dict]]:
    """Every field of the form in order, with its layout entry."""
    view = views(target).form
    if view.layout_fields is None:
        fields = {f.name: f for f in target.spec.fields}
        groups = target.entity.layout["groups"]
        view.layout_fields = [(fields[e["name"]], e) for g in groups for e in g["fields"]]
    return view.layout_fields


def _form_texts(target: Target) -> list[Callable[[Any], Any]]:
    """How each field of the form shows a stored value for editing (as_text), looked up
    once per compiled entity rather than once per field and request."""
    view = views(target).form
    if view.form_texts is None:
        place = locality(target)
        view.form_texts = [edit_text(spec, place) for spec, _ in _layout_fields(target)]
    return view.form_texts


def _shown_texts(target: Target) -> list[Callable[[Any, dict | None], str]]:
    """How each field of the form shows a value read-only (display.shown_text), looked up
    once per compiled entity where those texts are kept."""
    view = views(target).form
    if not display_texts.REUSE_TEXTS:  # the plain path: display's, asked field by field
        return [shown_text(target, spec) for spec, _ in _layout_fields(target)]
    if view.shown_texts is None:
        view.shown_texts = [shown_text(target, spec) for spec, _ in _layout_fields(target)]
    return view.shown_texts


def _writable(target: Target, creating: bool) -> frozenset[str]:
    writable = views(target).form.writable
    if creating not in writable:
        writable[creating] = frozenset(f.name for f in editable(target.spec, creating))
    return writable[creating]


def _in_frame(
    target: Target, rendered: list[str | None], macros: Any, opened: frozenset[str]
) -> Markup:
    """The rendered fields inside their groups, as the groups macro renders them; a field rendered
    as None is left out, and so is a group left with no field."""
    shown = tuple(html is not None for html in rendered)
    kept = [html for html in rendered if html is not None]
    frame = _frame(target, macros, shown, opened)
    if frame is None:  # the macro could not be cut: it renders the groups every time
        fields = iter(kept)
        return macros.groups(
            [
                {**group, "fields": [{"html": Markup(next(fields))} for _ in group["fields"]]}
                for group in _shown_groups(target, shown, opened)
            ]
        )
    # the frame's pieces with the fields between: slices of other lengths are a ValueError
    parts: list[str] = [""] * (2 * len(kept) + 1)
    parts[0::2] = frame
    parts[1::2] = kept
    return Markup("".join(parts))


def _shown_groups(target: Target, shown: tuple[bool, ...], opened: frozenset[str]) -> list[dict]:
    """The layout's groups holding only the fields shown, each marked open when asked."""
    flags = iter(shown)
    groups = []
    for group in target.entity.layout["groups"]:
        fields = [entry for entry in group["fields"] if next(flags)]
        if fields:
            groups.append({**group, "fields": fields, "open": group["code"] in opened})
    return groups


def _frame(
    target: Target, macros: Any, shown: tuple[bool, ...], opened: frozenset[str]
) -> list[str] | None:
    """The groups macro's HTML between the fields, once per compiled entity and set of
    fields shown (a new record's form leaves some out) and of groups rendered open."""
    frames = views(target).form.frames  # by macros: new macros, new pieces
    key = (macros, shown, opened)
    if key not in frames:
        groups = _shown_groups(target, shown, opened)
        markers = prerender.markers(sum(len(group["fields"]) for group in groups))
        fields = iter(markers)
        probe = [
            {**group, "fields": [{"html": Markup(next(fields))} for _ in group["fields"]]}
            for group in groups
        ]
        found = prerender.cut(str(macros.groups(probe)), markers)
        in_order = found is not None and found[1] == list(range(len(markers)))
        frames[key] = found[0] if in_order else None
    return frames[key]


def _left_out_when_empty(target: Target) -> frozenset[str]:
    """The fields a new record's form leaves out while they hold nothing: those nobody
    fills in on creation (system columns, read-only fields), but for a field a lookup
    fills in as it is chosen, which the form shows as soon as it is."""
    view = views(target).form
    if view.left_out is None:
        fetched = {mine for f in target.spec.fields if f.lookup for mine in f.lookup.fetch}
        writable = _writable(target, creating=True)
        view.left_out = frozenset(
            spec.name
            for spec, _ in _layout_fields(target)
            if not spec.lines and spec.name not in writable and spec.name not in fetched
        )
    return view.left_out


def _opened_groups(target: Target, errors: dict[str, str]) -> frozenset[str]:
    """The collapsed groups that hold a field with an error: those are rendered open."""
    if not errors:
        return frozenset()
    named = {key.split("[")[0] for key in errors}
    return frozenset(
        group["code"]
        for group in target.entity.layout["groups"]
        if group.get("collapsed") and any(entry["name"] in named for entry in group["fields"])
    )


def _field_item(
    target: Target,
    spec: FieldSpec,
    entry: dict,
    value: Any,
    error: str | None,
    editable_here: bool,
    stored: Any,
    record: dict | None = None,
) -> dict:
    """What the field_block macro renders a field from."""
    view = widget_entry(target, spec, entry)
    return field_item(target, spec, view, value, error, editable_here, stored, record)


def field_item(
    target: Target,
    spec: FieldSpec,
    view: dict,
    value: Any,
    error: str | None,
    editable_here: bool,
    stored: Any,
    record: dict | None = None,
) -> dict:
    """What the field_block macro renders a field from, given its widget's entry; a value
    shown read-only is written as `record` says (an amount in its currency)."""
    view = _with_title(target, spec, view, value)
    return {
        "entry": view,
        "spec": spec,
        "value": value,
        "error": error,
        "described": _described(view, view["name"], error),
        "editable": editable_here,
        "display": "" if editable_here else display(target, spec, stored, record),
    }


def _renders(target: Target, macros: Any) -> list[prerender.Render | None]:
    """Each field's HTML for any value while editable and without an error, cut from its
    macro once per compiled entity (None: its macro renders it on every request)."""
    return _per_field(target, macros, views(target).form.renders, _build_prerendered)


def _shown(target: Target, macros: Any) -> list[Callable[[str], str] | None]:
    """Each field's HTML shown read-only, for its text as the page shows it, cut from its
    macro once per compiled entity (None: its macro renders it on every request)."""
    return _per_field(target, macros, views(target).form.shown_renders, _build_shown)


def _per_field(target: Target, macros: Any, cache: dict, build: Callable) -> list:
    """What `build` makes of each field of the form but a lines field, once per widgets
    module (new macros, new pieces), held in `cache`."""
    if macros not in cache:
        cache[macros] = [
            None if spec.lines else build(target, spec, entry, macros)
            for spec, entry in _layout_fields(target)
        ]
    return cache[macros]


def _build_shown(
    target: Target, spec: FieldSpec, entry: dict, macros: Any
) -> Callable[[str], str] | None:
    def macro(text: str) -> Markup:
        item = _field_item(target, spec, entry, "", None, False, None)
        return macros.field_block({**item, "display": text})

    slots = prerender.repeated_slots(macro, 1, empty=False)  # nothing shows as a dash
    if slots is None:
        return None
    return lambda text: slots.joined(prerender.escaped_or_dash(text))


def _build_prerendered(
    target: Target, spec: FieldSpec, entry: dict, macros: Any
) -> prerender.Render | None:
    def macro(value: Any, title: str | None = None) -> Markup:
        item = _field_item(target, spec, entry, value, None, True, None)
        if title is not None:  # a lookup's, given
            item = {**item, "entry": {**item["entry"], "title": title}}
        return macros.field_block(item)

    if spec.lookup:
        return _lookup_prerendered(target, spec, macro)
    if spec.type.value_use is None:
        return None
    view = widget_entry(target, spec, entry)
    options = [value for value, _, _ in view["option_tags"]]
    return prerender.prerendered(spec.type.value_use, options, macro)


def _lookup_prerendered(
    target: Target, spec: FieldSpec, macro: Callable[..., Markup]
) -> prerender.Render | None:
    """A lookup's HTML for any value: the value and the title of the record it names
    escaped into place, cut from its macro with a title and without one."""
    untitled = prerender.repeated_slots(lambda value: macro(value, ""), 1)
    titled = prerender.repeated_slots(macro, 2, empty=False)  # no title: another HTML
    if untitled is None or titled is None:
        return None
    html = lookup_render(target, spec, untitled, titled)

    def render(value: Any) -> Markup | None:
        found = html(value)
        return None if found is None else Markup(found)

    return render


def _described(view: dict, key: str, error: str | None) -> str:
    """The ids of what describes the input, for aria-describedby: its help, its error."""
    help_id = view["help_id"]
    if not error:
        return help_id
    return f"{help_id} error-{key}" if help_id else f"error-{key}"


def _with_title(target: Target, spec: FieldSpec, view: dict, value: Any) -> dict:
    """A lookup's entry with the title of the record its value names, shown beside the id
    (and in the combobox formwork.js makes of it)."""
    return {**view, "title": shown_title(target, spec, value)} if spec.lookup else view


def _locked_fields(target: Target, record: dict | None) -> set[str]:
    """The fields the record's status locks."""
    statuses = target.spec.statuses
    if record is None or statuses is None:
        return set()
    state = statuses.states.get(record.get("status"))
    if state is None:
        return set()
    if state.locked == "all":
        return {f.name for f in target.spec.fields}
    return set(state.locked)


def _errors_by_field(errors: list[RecordError]) -> dict[str, str]:
    """The first error of each field: the one shown under it."""
    by_field: dict[str, str] = {}
    for error in errors:
        by_field.setdefault(error.field, error.message)
    return by_field


# how a line row's fields are rendered: as the form's own
ROW_RENDERING = line_rows.FieldRendering(widget_entry, named_view, field_item)
