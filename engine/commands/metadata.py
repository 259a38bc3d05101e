"""`formwork check`, `schema`, `show` and `metaschema`: the metadata, read and compiled,
with no database."""

from __future__ import annotations

import json

import click

from engine import metaschema
from engine.check_tenants import check_tenants
from engine.commands.base import existing, main, metadata_option, registry_at
from engine.spec import EntitySpec, FieldSpec


@main.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@click.option(
    "--tenant",
    "tenants",
    multiple=True,
    metavar="NAME",
    help="Check the base and this tenant only (repeat for more).",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    metavar="N",
    help="Processes checking tenants (one per core).",
)
@metadata_option
def check(
    directory: str | None, tenants: tuple[str, ...], jobs: int | None, metadata_dir: str
) -> None:
    """Check all metadata, base and every tenant (or those of --tenant); list every problem."""
    root = existing(directory or metadata_dir)
    lines = check_tenants(root, list(tenants) or None, jobs)
    click.echo("\n".join([*lines, f"OK: {len(lines)} tenant(s) checked."]))


@main.command()
@click.argument("tenant")
@click.argument("entity")
@metadata_option
def schema(tenant: str, entity: str, metadata_dir: str) -> None:
    """Print the compiled JSON Schema of a tenant's entity."""
    compiled = registry_at(metadata_dir).tenant(tenant).entity(entity)
    click.echo(json.dumps(compiled.schema, indent=2, ensure_ascii=False))


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
    compiled = registry_at(metadata_dir).tenant(tenant).entity(entity)
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
            "view",
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
