"""`formwork check`, `schema`, `show` and `metaschema`: the metadata, read and compiled,
with no database."""

from __future__ import annotations

import json

import click

from engine import metaschema
from engine.commands.base import existing, main, metadata_option, registry_at
from engine.lazy_registry import compile_each
from engine.spec import EntitySpec, FieldSpec


@main.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@metadata_option
def check(directory: str | None, metadata_dir: str) -> None:
    """Check all metadata, base and every tenant; list every problem."""
    root = existing(directory or metadata_dir)
    lines = []  # printed once every tenant passed; a tenant is not kept once summed up
    for tenant in compile_each(root):
        entities = tenant.spec.entities.values()
        fields = [f for e in entities for f in e.fields if f.system is None]
        custom = sum(f.custom or e.custom for e in entities for f in e.fields)
        own = sum(e.custom for e in entities)
        lines.append(
            f"{tenant.spec.name}: {len(entities)} entities ({own} own), "
            f"{len(fields)} fields ({custom} custom)"
        )
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
