"""The import pages of an entity, for editors and admins: upload a file, see how it will
be read, check it or import it while the page shows the progress, fetch the rejected rows.
"""

from __future__ import annotations

import shutil
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    stream_template,
    url_for,
)
from werkzeug.exceptions import RequestEntityTooLarge

from engine import users
from engine.bulk.importer import ImportOptions, ImportRefused, check_columns
from engine.bulk.tables import Table
from engine.errors import FileUnreadable, NotFound
from engine.records.target import Target
from engine.spec import FieldSpec
from webui.auth import login_required
from webui.services import record_service, target_or_404
from webui.signed_in import current_user
from webui.transfer import staging
from webui.transfer.preview import TableView, table_view, web_words
from webui.transfer.running import RunNote, Step, StreamedRun, import_work

blueprint = Blueprint("imports", __name__)
KEEP_VALID = "keep_valid"


def key_fields(target: Target) -> list[FieldSpec]:
    """The fields that can find the one record a row updates: unique ones and the number."""
    spec = target.spec
    numbering = spec.numbering.field if spec.numbering else None
    return [
        f for f in spec.fields if f.stored and not f.hidden and (f.unique or f.name == numbering)
    ]


# upload


@blueprint.url_value_preprocessor
def allow_large_files(endpoint: str | None, values: dict | None) -> None:
    """An import's upload may be as large as FORMWORK_IMPORT_MAX_BYTES; every other body
    keeps the site's smaller limit. Set before any view or CSRF check reads the body."""
    if endpoint == "imports.upload":
        request.max_content_length = current_app.config["FORMWORK_IMPORT_MAX_BYTES"]


@blueprint.route("/<tenant>/<entity>/import", methods=["GET", "POST"])
@login_required("editor")
def upload(tenant: str, entity: str) -> Any:
    """The import page: a file and the import's options; a file that reads is staged and
    its preview shown next, one that does not is refused on this page, saying why."""
    target = target_or_404(tenant, entity)
    if request.method == "GET":
        return _upload_page(target, {}, None, 200)
    options = {
        "key": request.form.get("key", ""),
        "keep_valid": request.form.get("mode") == KEEP_VALID,
        "skip_unknown": bool(request.form.get("skip_unknown")),
    }
    if options["key"] not in {"", *(f.name for f in key_fields(target))}:
        return _upload_page(target, options, "Choose the key from the list.", 422)
    try:
        staged = _stage(target, options)
    except (staging.UploadRefused, FileUnreadable) as refusal:
        return _upload_page(target, options, str(refusal), 422)
    return redirect(url_for("imports.preview", tenant=tenant, entity=entity, token=staged.token))


def _stage(target: Target, options: dict) -> staging.Upload:
    """Keep the request's files for the preview, once they read as tables with rows."""
    line_files = {
        line.name: sent
        for line in target.lines()
        if (sent := request.files.get(f"lines-{line.name}")) is not None and sent.filename
    }
    tenant, user = target.tenant.spec.name, g.user["username"]
    staged = staging.stage(
        _data_dir(), tenant, target.spec.name, user, request.files.get("file"), line_files, options
    )
    try:
        table, _ = staging.read_tables(staged, target.lines())
        if not table.rows:
            raise staging.UploadRefused(f"{staged.name} has headers but no rows to import.")
    except (staging.UploadRefused, FileUnreadable):
        shutil.rmtree(staged.folder, ignore_errors=True)
        raise
    return staged


def _upload_page(target: Target, options: dict, error: str | None, status: int) -> Any:
    return render_template(
        "transfer/upload.html",
        tenant=target.tenant.spec.name,
        entity=target.spec,
        lines=[(line, target.child(line).spec) for line in target.lines()],
        keys=key_fields(target),
        options=options,
        error=error,
        limit=_limit_text(),
    ), status


@blueprint.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> Any:
    """A file over the limit: the upload page again, saying the limit, to an editor."""
    arguments = request.view_args or {}
    tenant, entity = arguments.get("tenant", ""), arguments.get("entity", "")
    user = current_user(tenant)
    message = f"The file is larger than {_limit_text()}, the most this site takes: split it."
    if user is not None and users.allows(user["role"], "editor") and "token" not in arguments:
        try:
            target = record_service().target(tenant, entity)
        except NotFound:
            target = None
        if target is not None:
            return _upload_page(target, {}, message, 413)
    page = render_template("pages/error.html", tenant=tenant or None, status=413, message=message)
    return page, 413


def _limit_text() -> str:
    limit = request.max_content_length
    if not limit:
        return ""
    mib = limit / (1024 * 1024)
    return f"{mib:g} MiB" if mib >= 1 else f"{limit // 1024} KiB"


# preview


@blueprint.get("/<tenant>/<entity>/import/<token>")
@login_required("editor")
def preview(tenant: str, entity: str, token: str) -> Any:
    """A staged file's first rows as they will be read, with what the import will do."""
    target = target_or_404(tenant, entity)
    staged = _staged(target, token)
    if not staged.present:
        return _gone(target)
    table, lines = staging.read_tables(staged, target.lines())
    views = _views(target, table, lines, staged.options)
    return render_template(
        "transfer/preview.html",
        tenant=tenant,
        entity=target.spec,
        staged=staged,
        views=views,
        problems=_problems(target, table, lines, staged.options, views),
        key=_key_label(target, staged.options),
        writes_wait=_writes_wait(),
    )


def _writes_wait() -> float | None:
    """How long other writes of the tenant wait while an import writes, where they do:
    on SQLite, one write at a time holds a tenant's file, and an import is one write."""
    storage = current_app.extensions["formwork_storage"]
    return storage.write_wait if storage.backend == "sqlite" else None


def _views(target: Target, table: Table, lines: dict[str, Table], options: dict) -> list[TableView]:
    skip = options["skip_unknown"]
    key = _lines_key(target, options)
    views = [table_view(table, target.spec, "table-0", skip_unknown=skip)]
    for position, (name, line_table) in enumerate(lines.items(), start=1):
        line = target.spec.field(name)
        child = target.child(line).spec
        link = child.field(line.lines.link)
        names = [link.name, link.label, *((key.name, key.label) if key else ())]
        anchor = f"table-{position}"
        views.append(
            table_view(
                line_table, child, anchor, skip_unknown=skip, parent=link, parent_names=names
            )
        )
    return views


def _lines_key(target: Target, options: dict) -> FieldSpec | None:
    """The field lines name their record by, as the importer picks it: the key, else the
    number."""
    chosen = next((f for f in key_fields(target) if f.name == options["key"]), None)
    numbering = target.spec.numbering
    return chosen or (target.spec.field(numbering.field) if numbering else None)


def _problems(
    target: Target, table: Table, lines: dict[str, Table], options: dict, views: list[TableView]
) -> list[tuple[str, str]]:
    """What stops the import, each with the anchor of the file it concerns."""
    try:
        check_columns(
            record_service(),
            target.tenant.spec.name,
            target.spec.name,
            table,
            lines,
            _import_options(options),
        )
    except ImportRefused as refused:
        return [(_anchor_of(problem, views), web_words(problem)) for problem in refused.problems]
    return []


def _anchor_of(problem: str, views: list[TableView]) -> str:
    return next((v.anchor for v in views if problem.startswith(f"{v.name}: ")), "")


def _import_options(options: dict, **more: Any) -> ImportOptions:
    return ImportOptions(
        key=options["key"] or None, skip_unknown_columns=options["skip_unknown"], **more
    )


def _key_label(target: Target, options: dict) -> str | None:
    return next((f.label for f in key_fields(target) if f.name == options["key"]), None)


# the run


@blueprint.post("/<tenant>/<entity>/import/<token>/run")
@login_required("editor")
def run(tenant: str, entity: str, token: str) -> Any:
    """Check or import a staged file, the page following its progress; past
    FORMWORK_IMPORT_PAGE_SECONDS it goes on in the background, with a page of its own."""
    target = target_or_404(tenant, entity)
    staged = _staged(target, token)
    if not staged.present:
        return _gone(target)
    dry_run = request.form.get("action") == "check"
    options = _import_options(
        staged.options,
        dry_run=dry_run,
        keep_valid=request.form.get("mode") == KEEP_VALID,
        user=g.user["username"],
    )
    tables = staging.read_tables(staged, target.lines())
    if not dry_run and not staging.claim(staged):
        return _notice(
            target, "This file is being imported", "Its import is under way: see the list.", 409
        )
    return _streamed(target, staged, tables, options)


def _streamed(
    target: Target,
    staged: staging.Upload,
    tables: tuple[Table, dict[str, Table]],
    options: ImportOptions,
) -> Response:
    """The run's page, sent while the import runs: its progress, then its result."""
    tenant = target.tenant.spec.name
    work = import_work(record_service(), tenant, staged, tables, options, current_app.logger)
    rows = len(tables[0].rows)
    note = RunNote(staged.folder, rows, options.dry_run)
    streamed = StreamedRun(work, rows, note, current_app.config["FORMWORK_IMPORT_PAGE_SECONDS"])
    page = stream_template(
        "transfer/run.html",
        tenant=tenant,
        entity=target.spec,
        staged=staged,
        options=options,
        rows=rows,
        run=streamed,
    )
    # a proxy that buffers the answer would hold the progress back until the end
    response = Response(page, headers={"X-Accel-Buffering": "no"})
    if not options.dry_run:  # a page closed before its import began leaves the file free

        @response.call_on_close
        def free_if_never_started() -> None:
            if not streamed.started:
                staging.release(staged)

    return response


@blueprint.get("/<tenant>/<entity>/import/<token>/status")
@login_required("editor")
def status(tenant: str, entity: str, token: str) -> Any:
    """A run that went on in the background, from its note: its progress, reloading
    every few seconds, then its result. Any worker can show it."""
    target = target_or_404(tenant, entity)
    staged = _staged(target, token)
    note = RunNote.read(staged.folder)
    if note is None:
        abort(404)
    if note["stopped"] and not note["dry_run"]:  # let the file be run again
        staging.release(staged)
    page = render_template(
        "transfer/status.html",
        tenant=tenant,
        entity=target.spec,
        staged=staged,
        options={"dry_run": note["dry_run"]},
        note=note,
        step=Step(note["done"], note["rows"]) if note["rows"] else None,
        outcome=note.get("outcome"),
    )
    response = make_response(page)
    if note["state"] == "running" and not note["stopped"]:
        response.headers["Refresh"] = "2"  # every browser follows it; no script needed
    return response


@blueprint.get("/<tenant>/<entity>/import/<token>/rejects/<name>")
@login_required("editor")
def rejects(tenant: str, entity: str, token: str, name: str) -> Any:
    """A file of the rows an import rejected, to fix and import again."""
    staged = _staged(target_or_404(tenant, entity), token)
    if name not in staged.rejects or not (staged.folder / name).is_file():
        abort(404)
    return send_file(staged.folder / name, as_attachment=True, download_name=f"{entity}-{name}")


# shared


def _data_dir() -> str:
    return current_app.config["FORMWORK_DATA"]


def _staged(target: Target, token: str) -> staging.Upload:
    """The upload the token names, if this user sent it for this entity; else 404."""
    staged = staging.find(_data_dir(), target.tenant.spec.name, token)
    if staged is None or staged.entity != target.spec.name or staged.user != g.user["username"]:
        abort(404)
    return staged


def _gone(target: Target) -> Any:
    return _notice(
        target,
        "This upload is no longer here",
        "It was imported already, or it waited more than a day. Upload the file again.",
        410,
    )


def _notice(target: Target, title: str, message: str, status: int) -> Any:
    return render_template(
        "transfer/notice.html",
        tenant=target.tenant.spec.name,
        entity=target.spec,
        title=title,
        message=message,
    ), status
