"""The `formwork` command: check, schema, openapi, show, metaschema, migrate, user, token,
serve, demo; import, export and template come from engine.bulk.commands."""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import click
import peewee

from engine import metaschema, users
from engine.compile import openapi
from engine.errors import DatabaseUnreachable, EngineError, MetadataError
from engine.registry import CompiledTenant, Registry, build_registry
from engine.spec import EntitySpec, FieldSpec
from engine.storage.databases import Storage
from engine.storage.faults import classify
from engine.storage.sync import Plan, sync_registry, sync_tenants

DEFAULT_METADATA = "metadata"
metadata_option = click.option(
    "--metadata",
    "metadata_dir",
    envvar="FORMWORK_METADATA",
    default=DEFAULT_METADATA,
    show_default=True,
    type=click.Path(file_okay=False),
    help="The metadata directory (env FORMWORK_METADATA).",
)
data_option = click.option(
    "--data",
    "data_dir",
    envvar="FORMWORK_DATA",
    default="data",
    show_default=True,
    type=click.Path(file_okay=False),
    help="The directory of the tenants' SQLite files (env FORMWORK_DATA).",
)
database_option = click.option(
    "--database",
    "database_url",
    envvar="FORMWORK_DATABASE",
    default=None,
    metavar="URL",
    help="postgresql://USER@HOST/DB, a schema per tenant; replaces --data (env FORMWORK_DATABASE).",
)


class _Group(click.Group):
    """Turns every EngineError, and an unreachable database, into a message and an exit code."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except MetadataError as error:
            for problem in error.problems:
                click.echo(str(problem), err=True)
            click.echo(f"{len(error.problems)} problem(s) found.", err=True)
            sys.exit(error.exit_code)
        except EngineError as error:
            _echo_error(error)
        except (peewee.DatabaseError, sqlite3.Error) as error:
            fault = classify(error)
            # a damaged file, a full disk, a lock held too long; a server out of reach is
            # more often a wrong URL, which the message below points at
            if fault is not None and not isinstance(fault, DatabaseUnreachable):
                _echo_error(fault)
            if not isinstance(error, peewee.OperationalError):
                raise
            reason = " ".join(str(error).split())
            click.echo(
                f"error: the database cannot be used: {reason}; check --database "
                "(FORMWORK_DATABASE) or --data (FORMWORK_DATA)",
                err=True,
            )
            sys.exit(1)


def _echo_error(error: EngineError) -> None:
    for line in str(error).splitlines() or [type(error).__name__]:
        click.echo(f"error: {line}", err=True)
    sys.exit(error.exit_code)


@click.group(cls=_Group)
def main() -> None:
    """Formwork: forms, records and APIs generated from YAML metadata."""


def _registry(metadata_dir: str) -> Registry:
    if not os.path.isdir(metadata_dir):
        raise EngineError(
            f"metadata directory '{metadata_dir}' does not exist; "
            "pass --metadata DIR or set FORMWORK_METADATA"
        )
    return build_registry(metadata_dir)


@main.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@metadata_option
def check(directory: str | None, metadata_dir: str) -> None:
    """Check all metadata, base and every tenant; list every problem."""
    registry = _registry(directory or metadata_dir)
    for name, tenant in registry.tenants.items():
        entities = tenant.spec.entities.values()
        fields = [f for e in entities for f in e.fields if f.system is None]
        custom = sum(f.custom or e.custom for e in entities for f in e.fields)
        own = sum(e.custom for e in entities)
        click.echo(
            f"{name}: {len(entities)} entities ({own} own), {len(fields)} fields ({custom} custom)"
        )
    click.echo(f"OK: {len(registry.tenants)} tenant(s) checked.")


@main.command()
@click.argument("tenant")
@click.argument("entity")
@metadata_option
def schema(tenant: str, entity: str, metadata_dir: str) -> None:
    """Print the compiled JSON Schema of a tenant's entity."""
    compiled = _registry(metadata_dir).tenant(tenant).entity(entity)
    click.echo(json.dumps(compiled.schema, indent=2, ensure_ascii=False))


@main.command("openapi")
@click.argument("tenant")
@metadata_option
def openapi_(tenant: str, metadata_dir: str) -> None:
    """Print the OpenAPI 3.1 document of a tenant's JSON API (GET /api/TENANT/openapi.json)."""
    compiled = _registry(metadata_dir).tenant(tenant)
    click.echo(json.dumps(openapi.document(compiled), indent=2, ensure_ascii=False))


@main.command("metaschema")
def metaschema_() -> None:
    """Print the JSON Schema of the metadata language itself."""
    click.echo(json.dumps(metaschema.shipped(), indent=2))


@main.command()
@click.argument("tenant")
@click.argument("entity")
@metadata_option
def show(tenant: str, entity: str, metadata_dir: str) -> None:
    """Print a tenant's effective form, group by group, with where each property came from."""
    compiled = _registry(metadata_dir).tenant(tenant).entity(entity)
    for line in describe(compiled.spec, compiled.layout):
        click.echo(line)


def describe(entity: EntitySpec, layout: dict) -> list[str]:
    """The lines `formwork show` prints."""
    kind = " (the tenant's own entity)" if entity.custom else ""
    lines = [f"{entity.name}: {entity.label} / {entity.plural}{kind}"]
    if "customized" in entity.origins:
        lines.append(f"  customized in {entity.origins['customized']}")
    for group in layout["groups"]:
        lines.append(f"\n[{group['code']}] {group['label']} ({group['layout']})")
        for field in group["fields"]:
            lines += _describe_field(entity.field(field["name"]))
    hidden = [f for f in entity.fields if f.hidden]
    if hidden:
        lines.append("\n[hidden]")
        for field in hidden:
            lines += _describe_field(field)
    return lines


def _describe_field(field: FieldSpec) -> list[str]:
    flags = [
        name
        for name in (
            "required",
            "unique",
            "read_only",
            "set_once",
            "searchable",
            "in_list",
            "hidden",
        )
        if getattr(field, name)
    ]
    if field.custom:
        flags.append("custom")
    kind = field.input_type
    if field.lookup:
        kind += f" -> {field.lookup.entity}.{field.lookup.show}"
    if field.lines:
        kind += f" of {field.lines.entity}"
    if field.system:
        kind += f" (system {field.system})"
    tail = f"  [{', '.join(flags)}]" if flags else ""
    lines = [f"  {field.sequence:>5}  {field.name:<32} {kind:<24} {field.label}{tail}"]
    by_file: dict[str, list[str]] = {}
    for key, source in field.origins.items():
        by_file.setdefault(source.file, []).append(f"{key}:{source.line}")
    for file, keys in by_file.items():
        lines.append(f"{'':9}from {file}: {', '.join(keys)}")
    return lines


@dataclass(frozen=True)
class Deployment:
    """Where a deployment keeps its metadata and its data: --metadata, --data, --database."""

    metadata_dir: str
    data_dir: str
    database_url: str | None

    def registry(self) -> Registry:
        return _registry(self.metadata_dir)

    def storage(self) -> Storage:
        return Storage(data_dir=self.data_dir, database_url=self.database_url)


def data_options(command: Callable) -> Callable:
    """Add --metadata, --data and --database to a command; it receives them as `deployment`."""

    @metadata_option
    @data_option
    @database_option
    @functools.wraps(command)
    def wrapper(
        *args: object, metadata_dir: str, data_dir: str, database_url: str | None, **kwargs: object
    ) -> object:
        deployment = Deployment(metadata_dir, data_dir, database_url)
        return command(*args, deployment=deployment, **kwargs)

    return wrapper


@contextmanager
def _opened(deployment: Deployment) -> Iterator[tuple[Registry, Storage]]:
    """The compiled metadata and the tenants' databases, closed on the way out."""
    registry = deployment.registry()
    storage = deployment.storage()
    try:
        yield registry, storage
    finally:
        storage.close()


@contextmanager
def _synced_tenant(deployment: Deployment, name: str) -> Iterator[CompiledTenant]:
    """One tenant, its tables brought in line with the metadata first; another tenant's
    database, damaged or not, is not opened."""
    with _opened(deployment) as (registry, storage):
        tenant = registry.tenant(name)  # a misspelt tenant fails before any database changes
        sync_tenants(registry, storage, [name])
        if name in storage.unavailable:
            raise storage.unavailable[name]
        yield tenant


@main.command()
@click.option("--dry-run", is_flag=True, help="Print the plan and change nothing.")
@data_options
def migrate(deployment: Deployment, dry_run: bool) -> None:
    """Bring every tenant's tables in line with the metadata, printing each step.

    A change that could lose data is refused: every refusal is printed and nothing
    changes, on any tenant.
    """
    with _opened(deployment) as (registry, storage):
        plans = sync_registry(registry, storage, dry_run=dry_run)
    for line in plan_lines(plans):
        click.echo(line)
    if dry_run:
        click.echo("Dry run: nothing was changed.")
    _fail_for_unavailable(storage)


def plan_lines(plans: list[Plan]) -> list[str]:
    """The lines `formwork migrate` prints: each step prefixed by its tenant."""
    lines = []
    for plan in plans:
        steps = [str(step) for step in plan.steps] or ["nothing to do"]
        lines += [f"{plan.tenant}: {step}" for step in steps]
    return lines


@main.group()
def user() -> None:
    """Manage the users of a tenant."""


@user.command("add")
@click.argument("tenant")
@click.argument("username")
@click.option("--role", required=True, help=f"One of {', '.join(users.ROLES)}.")
@data_options
def user_add(deployment: Deployment, tenant: str, username: str, role: str) -> None:
    """Add a user; the password is the first line of stdin, or generated and printed once."""
    piped = _piped_password()
    password = piped or users.generate_password()
    with _synced_tenant(deployment, tenant) as compiled:
        added = users.add_user(compiled, username, role, password)
    click.echo(f"Added user '{added.username}' to tenant '{tenant}' as {added.role}.")
    if not piped:
        click.echo(f"Password (shown only this once): {password}")


@user.command("password")
@click.argument("tenant")
@click.argument("username")
@data_options
def user_password(deployment: Deployment, tenant: str, username: str) -> None:
    """Give a user a new password, ending their sessions; from stdin, or generated."""
    piped = _piped_password()
    password = piped or users.generate_password()
    with _synced_tenant(deployment, tenant) as compiled:
        users.set_password(compiled, username, password)
    click.echo(f"New password for user '{username}' of tenant '{tenant}'; their sessions ended.")
    if not piped:
        click.echo(f"Password (shown only this once): {password}")


@user.command("role")
@click.argument("tenant")
@click.argument("username")
@click.argument("role")
@data_options
def user_role(deployment: Deployment, tenant: str, username: str, role: str) -> None:
    """Give a user another role; their sessions and tokens have it within seconds."""
    with _synced_tenant(deployment, tenant) as compiled:
        users.set_role(compiled, username, role)
    click.echo(f"User '{username}' of tenant '{tenant}' is now {role}.")


@user.command("deactivate")
@click.argument("tenant")
@click.argument("username")
@data_options
def user_deactivate(deployment: Deployment, tenant: str, username: str) -> None:
    """Keep a user out, ending their sessions and refusing their tokens; nothing is deleted."""
    with _synced_tenant(deployment, tenant) as compiled:
        users.set_active(compiled, username, False)
    click.echo(f"User '{username}' of tenant '{tenant}' is deactivated; their sessions ended.")


@user.command("activate")
@click.argument("tenant")
@click.argument("username")
@data_options
def user_activate(deployment: Deployment, tenant: str, username: str) -> None:
    """Let a deactivated user log in again."""
    with _synced_tenant(deployment, tenant) as compiled:
        users.set_active(compiled, username, True)
    click.echo(f"User '{username}' of tenant '{tenant}' is active.")


@user.command("remove")
@click.argument("tenant")
@click.argument("username")
@data_options
def user_remove(deployment: Deployment, tenant: str, username: str) -> None:
    """Delete a user and their tokens, ending their sessions; the audit keeps their name."""
    with _synced_tenant(deployment, tenant) as compiled:
        users.remove_user(compiled, username)
    click.echo(f"Removed user '{username}' from tenant '{tenant}'.")


@main.group()
def token() -> None:
    """Manage the API tokens of a tenant's users."""


@token.command("issue")
@click.argument("tenant")
@click.argument("username")
@data_options
def token_issue(deployment: Deployment, tenant: str, username: str) -> None:
    """Print a new API token for a user, and nothing else; it cannot be shown again."""
    with _synced_tenant(deployment, tenant) as compiled:
        click.echo(users.issue_token(compiled, username))


def _piped_password() -> str:
    """The first line of stdin when a script pipes one in; '' at a terminal or on no input."""
    if sys.stdin is None or sys.stdin.isatty():
        return ""
    return sys.stdin.readline().rstrip("\r\n")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="The interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="The port to listen on.")
@data_options
def serve(deployment: Deployment, host: str, port: int) -> None:
    """Serve the web UI and the JSON API of every tenant."""
    from webui import create_app

    app = create_app(
        {
            "FORMWORK_METADATA": deployment.metadata_dir,
            "FORMWORK_DATA": deployment.data_dir,
            "FORMWORK_DATABASE": deployment.database_url,
        }
    )
    unavailable = app.extensions["formwork_storage"].unavailable
    for name in app.extensions["formwork"].registry.tenants:
        if name in unavailable:  # served as 503 until its database can be used again
            click.echo(f"{name}: cannot be served now: {unavailable[name]}", err=True)
            continue
        click.echo(f"{name}: http://{host}:{port}/{name}/login   API: /api/{name}/ENTITY")
    app.run(host=host, port=port, threaded=True)


@main.command()
@data_options
def demo(deployment: Deployment) -> None:
    """Load the demo data: users admin, editor and viewer and sample records in every tenant.

    The users' passwords are printed once. Running it again creates nothing twice.
    """
    from engine.demo import load_demo, report_lines, serve_hint
    from engine.records.service import RecordService

    with _opened(deployment) as (registry, storage):
        sync_registry(registry, storage)
        served = {n: t for n, t in registry.tenants.items() if n not in storage.unavailable}
        report = load_demo(RecordService(registry), Registry(registry.root, served))
    for line in report_lines(report):
        click.echo(line)
    click.echo(serve_hint(deployment.metadata_dir, deployment.data_dir, deployment.database_url))
    _fail_for_unavailable(storage)


def _fail_for_unavailable(storage: Storage) -> None:
    """The others were done: name each tenant whose database could not be used, and fail."""
    if storage.unavailable:
        for name, reason in storage.unavailable.items():
            click.echo(f"error: {name}: not synced: {reason}", err=True)
        sys.exit(1)


# The bulk commands live in their own module and add themselves to `main`; imported last,
# when everything they use from here exists.
from engine.bulk import commands as _bulk_commands  # noqa: E402, F401
