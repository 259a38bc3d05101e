"""The end users' pages: lists, records, and the forms generated from the layout."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from engine import users
from engine.errors import Conflict, NotFound, RecordInvalid
from engine.records.target import Target
from webui import line_editor, list_view, uploads, urls
from webui.auth import login_required
from webui.confirmations import done_notice, named
from webui.display import active_only, display, titled
from webui.form_fields import ROW_RENDERING, macro_named, widget_macros
from webui.form_page import record_title, render_form
from webui.forms import Submission, parse_form
from webui.history import history_values, readable_history
from webui.language import in_page_language
from webui.list_query import list_query, requested_offset
from webui.page_links import read_links
from webui.pager import PagePlace, pager_html, read_page, requested_place, requested_size
from webui.record_actions import available_actions
from webui.record_view import record_groups
from webui.services import record_service, target_or_404

MOST_ROW_INDEX = 100_000  # a row's index a form may name (rows are renumbered from 0)

blueprint = Blueprint("pages", __name__)
blueprint.add_app_template_global(macro_named)  # widgets.html: a type's macro by its name


def _can_write() -> bool:
    return users.allows(g.user["role"], "editor")


@blueprint.get("/<tenant>/")
@login_required()
def home(tenant: str) -> Any:
    """The tenant's home page: its entities, each linked to its list."""
    compiled = record_service().registry.tenant(tenant)
    entities = sorted(compiled.spec.entities.values(), key=lambda e: e.plural)
    return render_template(
        "pages/home.html", tenant=tenant, label=compiled.spec.label, entities=entities
    )


# lists


@blueprint.get("/<tenant>/<entity>/")
@login_required()
def list_page(tenant: str, entity: str) -> Any:
    """A page of the entity's records, searched, filtered and sorted as the URL asks: one of
    the first pages by its number, a deeper one from the record its link names."""
    target = in_page_language(target_or_404(tenant, entity))
    filter_list = list_view.filters(target)
    q, filters, sort = list_query(target, filter_list)
    size = requested_size()
    place = requested_place(tenant, entity, q, filters, sort, size.size, requested_offset())
    if place.problem:
        flash(place.problem, "error")
    shown = list_view.fetched_columns(target)
    service = record_service()
    try:
        page = read_page(service, tenant, entity, (q, filters, sort), size.size, place, shown)
    except RecordInvalid as error:
        flash(" ".join(e.message for e in error.errors), "error")
        q, filters, sort, place = "", {}, None, PagePlace()
        page = read_page(service, tenant, entity, (q, filters, sort), size.size, place, shown)
    exact = page.get("total_exact", True)  # else more match than total: they were not counted
    # a record's page is the list's URL and its id: one url_for for all the rows
    list_url = urls.url_for("pages.list_page", tenant=tenant, entity=entity)
    if "first" not in page:  # a page by number: where it starts
        offset = place.offset if place.key is None and not place.backward else 0
    else:  # found from a record: known only for the last page, counted whole
        last = place.backward and place.key is None and exact
        offset = page["total"] - len(page["ids"]) if last else None
    query = {
        "tenant": tenant,
        "entity": entity,
        "q": q,
        "chosen": filters,
        "sort": sort or "",
    }
    parts = list_view.page_parts(target, query, filter_list, _can_write())
    return render_template(
        "pages/list.html",
        tenant=tenant,
        entity=target.spec,
        rows_html=list_view.rows_html(target, page, list_url),
        total=page["total"],
        total_exact=exact,
        offset=offset,
        shown=len(page["ids"]),
        page_size=size.size,
        notice=size.problem,
        searching=bool(q or filters),
        list_url=list_url,
        pager_html=pager_html(target, (q, filters, sort), offset or 0, size.size, page),
        **parts,
    )


# records


@blueprint.get("/<tenant>/<entity>/<int:record_id>")
@login_required()
def record_page(tenant: str, entity: str, record_id: int) -> Any:
    """A record as people read it, group by group, with its actions and its history."""
    target = in_page_language(target_or_404(tenant, entity))
    try:
        record = record_service().read(tenant, entity, record_id)
    except NotFound:
        abort(404)
    history = record_service().history(tenant, entity, record_id)
    read_links(target, [record, *history_values(history)])  # every title, at once
    title = record_title(target, record)
    notice = request.args.get("notice")
    return render_template(
        "pages/record.html",
        notice=f"{title} saved."
        if notice == "saved"
        else notice and done_notice(target, record, notice),
        tenant=tenant,
        entity=target.spec,
        record=record,
        title=title,
        groups=record_groups(target, record),
        actions=available_actions(target, record),
        history=readable_history(target, history, record),
        can_write=_can_write(),
    )


# forms


@blueprint.route("/<tenant>/<entity>/new", methods=["GET", "POST"])
@login_required("editor")
def new(tenant: str, entity: str) -> Any:
    """A new record's form (or a copy's, `copy_of`); saved, the record's page."""
    target = in_page_language(target_or_404(tenant, entity))
    copy_of = request.values.get("copy_of", type=int)
    if request.method == "GET":
        return render_form(
            target,
            _starting_values(target, copy_of),
            None,
            Submission(),
            200,
            copy_of,
            notice=_saved_notice(target),
        )
    submission = _submission(target, creating=True)
    if not submission.errors:
        try:
            user = g.user["username"]
            # the redirect needs only the new id: no reading the record back
            record = record_service().create(
                tenant, entity, submission.payload, user, read_back=False, copy_of=copy_of
            )
            uploads.saved(target, submission.payload)
            return _saved(tenant, entity, record["id"])
        except RecordInvalid as error:
            submission.errors += error.errors
        except NotFound:
            abort(404)  # the record being copied was deleted meanwhile
    return render_form(target, {}, None, submission, 422, copy_of)


def _starting_values(target: Target, copy_of: int | None) -> dict:
    """What a new record's form starts with: the defaults, or a copy's values (nothing is
    saved until the person saves the form)."""
    defaults = {f.name: f.default for f in target.spec.fields if f.default is not None}
    if copy_of is None:
        return defaults
    try:
        copied = record_service().copy_values(target.tenant.spec.name, target.spec.name, copy_of)
    except NotFound:
        abort(404)
    return {**defaults, **copied}


@blueprint.route("/<tenant>/<entity>/<int:record_id>/edit", methods=["GET", "POST"])
@login_required("editor")
def edit(tenant: str, entity: str, record_id: int) -> Any:
    """A record's form; saved, the record's page, or the form again with every problem
    (409 and the newer version when someone saved the record meanwhile)."""
    target = in_page_language(target_or_404(tenant, entity))
    if request.method == "GET":
        # its stored rows are all served closed: their grid's cells are all it reads of them
        record = _stored(tenant, entity, record_id, line_editor.closed_row_columns(target))
        return render_form(target, record, record, Submission(), 200)
    # a save reads the record itself: it is read here only to show the form again
    try:
        submission = _submission(target, creating=False, record_id=record_id)
    except NotFound:
        abort(404)
    revision = request.form.get("rev_number", type=int)
    opened = frozenset(request.form.getlist("open_row"))
    if opened:  # a stored row's fields asked for, without script: nothing is saved
        submission.opened, submission.errors = opened, []
        record = _stored(tenant, entity, record_id)
        # the revision the person read, kept: a save over a newer one is still refused
        return render_form(target, record, record, submission, 200, revision=revision)
    stale = None
    if not submission.errors:
        try:
            payload = {**submission.payload, "rev_number": revision}
            record_service().update(tenant, entity, record_id, payload, g.user["username"])
            uploads.saved(target, submission.payload)
            return _saved(tenant, entity, record_id)
        except RecordInvalid as error:
            submission.errors += error.errors
        except Conflict as error:
            stale = error.details
        except NotFound:
            abort(404)
    record = _stored(tenant, entity, record_id)
    return render_form(target, record, record, submission, 409 if stale else 422, stale=stale)


@blueprint.get("/<tenant>/<entity>/<int:record_id>/edit/<line>/<int:line_id>")
@login_required("editor")
def row_fields(tenant: str, entity: str, record_id: int, line: str, line_id: int) -> Any:
    """The fields of a stored line row as the record's form shows an open row: what
    formwork.js puts in a closed row's editor when it is opened. `?row=` is the row's
    index among the form's rows, which its inputs' names carry."""
    target = in_page_language(target_or_404(tenant, entity))
    index = request.args.get("row", type=int)
    if index is None or not 0 <= index <= MOST_ROW_INDEX:
        abort(400)
    lines = {f.name: f for f in target.spec.fields if f.lines and not f.hidden}
    if line not in lines:
        abort(404)
    record = _stored(tenant, entity, record_id)
    fields = line_editor.stored_row_editor(
        target, lines[line], record, line_id, index, widget_macros(), ROW_RENDERING
    )
    if fields is None:
        abort(404)
    return fields, 200, {"Cache-Control": "no-store"}


def _stored(
    tenant: str, entity: str, record_id: int, line_columns: dict[str, tuple] | None = None
) -> dict:
    """The stored record (its lines of `line_columns` only, as RecordService.read reads
    them), or a 404 page when there is none."""
    try:
        return record_service().read(tenant, entity, record_id, line_columns)
    except NotFound:
        abort(404)


def _saved(tenant: str, entity: str, record_id: int) -> Any:
    """To the saved record, whose page says so, or, when the person chose "Save and add
    another", to a new empty form that says so: the notice rides in the URL, not in a
    flashed message, so neither this answer nor the next page rewrites the session cookie."""
    form = request.form
    # `in` first: MultiDict.get of a missing name makes an HTTP exception and catches it
    if "then" in form and form.get("then") == "new":
        return redirect(url_for("pages.new", tenant=tenant, entity=entity, saved=record_id))
    # a record's page is the list's URL and its id, as on the list page
    page = urls.url_for("pages.list_page", tenant=tenant, entity=entity)
    return redirect(f"{page}{record_id}?notice=saved")


def _saved_notice(target: Target) -> str | None:
    """The notice of a new form opened by "Save and add another": the record just saved,
    by its title; none when the URL names no record there is."""
    saved = request.args.get("saved", type=int)
    if saved is None:
        return None
    try:
        record = record_service().read(target.tenant.spec.name, target.spec.name, saved)
    except NotFound:
        return None
    return f"{named(target, record)} saved."


def _submission(target: Target, creating: bool, record_id: int | None = None) -> Submission:
    """The parsed form; when some values do not parse, the rest is checked all the same,
    so the person sees every problem at once."""
    children = {line.name: target.child(line).spec for line in target.lines()}
    tenant = target.tenant.spec.name
    submission = parse_form(
        target.spec,
        children,
        request.form,
        creating,
        save_file=lambda upload, image: uploads.save_upload(tenant, upload, image),
        files=request.files,
        locality=target.tenant.spec.locality,
    )
    if submission.errors:
        unparsed = {e.field for e in submission.errors}
        payload = {k: v for k, v in submission.payload.items() if k not in unparsed}
        entity = target.spec.name
        found = record_service().problems(tenant, entity, payload, g.user["username"], record_id)
        submission.errors += [e for e in found if e.field not in unparsed]
        submission.errors.sort(key=target.entity.validator.form_order)
    return submission


@blueprint.get("/<tenant>/<entity>/fetched/<field>")
@login_required()
def fetched(tenant: str, entity: str, field: str) -> Any:
    """What choosing the record `id` in the lookup `field` fills in: each field its fetch
    names, with its value and its text as the form shows it (a view value's title)."""
    target = target_or_404(tenant, entity)
    spec = next((f for f in target.spec.fields if f.name == field and f.lookup), None)
    if spec is None or not request.args.get("id", "").isdigit():
        abort(404)
    try:
        linked = record_service().fetchable(tenant, spec.lookup.entity, request.args["id"])
    except NotFound:
        abort(404)
    fields = {f.name: f for f in target.spec.fields}
    values = {mine: linked.get(theirs) for mine, theirs in spec.lookup.fetch.items()}
    texts = {
        mine: "" if value is None else display(target, fields[mine], value)
        for mine, value in values.items()
        if mine in fields
    }
    return {"values": values, "texts": texts}


@blueprint.get("/<tenant>/<entity>/lookup")
@login_required()
def lookup(tenant: str, entity: str) -> Any:
    """Search-as-you-type for lookup widgets: id and title of matching records; with `id`
    and `fetch` (field names), that one record's values to fill the fetched fields with."""
    target = target_or_404(tenant, entity)
    show = request.args.get("show") or target.spec.title_field or ""
    if request.args.get("id"):
        try:
            values = record_service().fetchable(tenant, entity, request.args["id"])
        except NotFound:
            abort(404)
        wanted = request.args.get("fetch", "").split(",")
        return {"values": {name: values[name] for name in wanted if name in values}}
    q = request.args.get("q") or None
    page = record_service().list(tenant, entity, q=q, filters=active_only(tenant, entity), limit=20)
    items = [{"id": r["id"], "title": titled(target.spec, show, r)} for r in page["items"]]
    return {"items": items}
