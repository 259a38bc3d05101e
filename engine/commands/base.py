"""The `formwork` group and what its commands share: the options that say where the
metadata and the data are, and the mapping of errors to messages and exit codes.

Commands of other installed packages join the group through the `formwork.commands`
entry points, as Flask's `flask` command finds its plugins: the web app adds `serve` and
`openapi` so (pyproject.toml), and the engine never imports it. Such a command is
imported only when it is run or listed.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

import click
import peewee

from engine.errors import DatabaseUnreachable, EngineError, MetadataError
from engine.registry import CompiledTenant, Registry, build_registry
from engine.storage.databases import Storage
from engine.storage.faults import classify
from engine.storage.sync import sync_tenants

ENTRY_POINTS = "formwork.commands"  # the entry-point group of other packages' commands
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


class FormworkGroup(click.Group):
    """A click group that turns every EngineError, and an unreachable database, into a
    message and an exit code, and finds the commands of other packages by entry point."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The group's own commands and those of the `formwork.commands` entry points."""
        return sorted({*super().list_commands(ctx), *installed_commands()})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        """The command called `name`; one of another package is imported now."""
        command = super().get_command(ctx, name)
        if command is None and name in installed_commands():
            command = installed_commands()[name].load()
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """The command `args` name; an unknown one, where no other package's command is
        installed, is refused with the likely fix."""
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as error:
            if not installed_commands():  # an install older than its pyproject.toml
                error.message += (
                    f" No command of another package is installed ({ENTRY_POINTS} entry"
                    " points), the web app's among them: reinstall Formwork (pip install -e .)."
                )
            raise

    def invoke(self, ctx: click.Context) -> object:
        """Run the command; an error it raises becomes a message and an exit code."""
        try:
            return super().invoke(ctx)
        except MetadataError as error:
            for problem in error.problems:
                click.echo(str(problem), err=True)
            click.echo(f"{len(error.problems)} problem(s) found.", err=True)
            sys.exit(error.exit_code)
        except EngineError as error:
            echo_error(error)
        except (peewee.DatabaseError, sqlite3.Error) as error:
            fault = classify(error)
            # a damaged file, a full disk, a lock held too long; a server out of reach is
            # more often a wrong URL, which the message below points at
            if fault is not None and not isinstance(fault, DatabaseUnreachable):
                echo_error(fault)
            if not isinstance(error, peewee.OperationalError):
                raise
            reason = " ".join(str(error).split())
            click.echo(
                f"error: the database cannot be used: {reason}; check --database "
                "(FORMWORK_DATABASE) or --data (FORMWORK_DATA)",
                err=True,
            )
            sys.exit(1)


@functools.cache
def installed_commands() -> dict[str, EntryPoint]:
    """The commands other installed packages add, by name, not imported yet."""
    return {entry.name: entry for entry in entry_points(group=ENTRY_POINTS)}


def echo_error(error: EngineError) -> None:
    """Print an error, a line at a time, and exit with its exit code."""
    for line in str(error).splitlines() or [type(error).__name__]:
        click.echo(f"error: {line}", err=True)
    sys.exit(error.exit_code)


@click.group(cls=FormworkGroup)
def main() -> None:
    """Formwork: forms, records and APIs generated from YAML metadata."""


def registry_at(metadata_dir: str) -> Registry:
    """The compiled metadata of a directory, which must exist."""
    return build_registry(existing(metadata_dir))


def existing(metadata_dir: str) -> str:
    """The metadata directory, or EngineError saying how to name one when it is not."""
    if not os.path.isdir(metadata_dir):
        raise EngineError(
            f"metadata directory '{metadata_dir}' does not exist; "
            "pass --metadata DIR or set FORMWORK_METADATA"
        )
    return metadata_dir


@dataclass(frozen=True)
class Deployment:
    """Where a deployment keeps its metadata and its data: --metadata, --data, --database."""

    metadata_dir: str
    data_dir: str
    database_url: str | None

    def registry(self) -> Registry:
        """The compiled metadata."""
        return registry_at(self.metadata_dir)

    def storage(self) -> Storage:
        """The tenants' databases, opened on first use."""
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
def opened(deployment: Deployment) -> Iterator[tuple[Registry, Storage]]:
    """The compiled metadata and the tenants' databases, closed on the way out."""
    registry = deployment.registry()
    storage = deployment.storage()
    try:
        yield registry, storage
    finally:
        storage.close()


@contextmanager
def synced_tenant(deployment: Deployment, name: str) -> Iterator[CompiledTenant]:
    """One tenant, its tables brought in line with the metadata first; another tenant's
    database, damaged or not, is not opened."""
    with opened(deployment) as (registry, storage):
        tenant = registry.tenant(name)  # a misspelt tenant fails before any database changes
        sync_tenants(registry, storage, [name])
        if name in storage.unavailable:
            raise storage.unavailable[name]
        yield tenant


def fail_for_unavailable(storage: Storage) -> None:
    """The others were done: name each tenant whose database could not be used, and fail."""
    if storage.unavailable:
        for name, reason in storage.unavailable.items():
            click.echo(f"error: {name}: not synced: {reason}", err=True)
        sys.exit(1)
