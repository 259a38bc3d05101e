"""`formwork tenant add | list | archive | restore`: tenants managed as folders of the
metadata tree (engine.tenant_folders), so that nobody makes one by hand."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from engine.commands.base import main, metadata_option, registry_at
from engine.errors import MetadataError
from engine.tenant_folders import (
    add_tenant,
    archive_tenant,
    restore_tenant,
    tenant_folders,
)


@main.group()
def tenant() -> None:
    """Add, list, archive and restore tenants of the metadata tree."""


@tenant.command("add")
@click.argument("name")
@click.option("--from", "template", metavar="TENANT", help="Copy this tenant's folder.")
@click.option("--label", help="The tenant's name for people (default: from NAME).")
@metadata_option
def add(name: str, template: str | None, label: str | None, metadata_dir: str) -> None:
    """Add the tenant NAME: a copy of --from TENANT, or the base entities unchanged.

    The new tenant is checked before the command ends; a tenant that would not compile
    is removed again and its problems are listed."""
    root = Path(metadata_dir)
    folder = add_tenant(root, name, template, label)
    try:
        registry_at(metadata_dir).tenant(name)
    except MetadataError:
        shutil.rmtree(folder)
        raise
    source = f"a copy of '{template}'" if template else "the base entities"
    click.echo(f"Added tenant '{name}' ({source}) in {folder}.")
    click.echo(f"A running server serves it at /{name}/ once it has noticed the new folder.")


@tenant.command("list")
@metadata_option
def list_tenants(metadata_dir: str) -> None:
    """List the tenants, served and archived, with their labels."""
    folders = tenant_folders(Path(metadata_dir))
    if not folders:
        click.echo(f"No tenant in {metadata_dir}.")
        return
    width = max(len(f.name) for f in folders)
    for folder in folders:
        state = "archived" if folder.archived else "served"
        own = f"{folder.own_entities} own entity file(s)"
        click.echo(f"{folder.name:<{width}}  {state:<8}  {own:<22}  {folder.label}")


@tenant.command("archive")
@click.argument("name")
@metadata_option
def archive(name: str, metadata_dir: str) -> None:
    """Stop serving the tenant NAME (its URLs answer 404); its data is kept."""
    folder = archive_tenant(Path(metadata_dir), name)
    click.echo(f"Archived tenant '{name}' to {folder}; its data is kept.")
    click.echo(f"`formwork tenant restore {name}` serves it again.")


@tenant.command("restore")
@click.argument("name")
@metadata_option
def restore(name: str, metadata_dir: str) -> None:
    """Serve the archived tenant NAME again, with the data it had."""
    folder = restore_tenant(Path(metadata_dir), name)
    click.echo(f"Restored tenant '{name}' to {folder}.")
