"""The `formwork` command: check, schema, show, metaschema."""

from __future__ import annotations

import json
import os
import sys

import click

from engine import metaschema
from engine.errors import EngineError, MetadataError
from engine.registry import Registry, build_registry
from engine.spec import EntitySpec, FieldSpec

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


class _Group(click.Group):
    """Turns every EngineError into its message and exit code, in one place."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except MetadataError as error:
            for problem in error.problems:
                click.echo(str(problem), err=True)
            click.echo(f"{len(error.problems)} problem(s) found.", err=True)
            sys.exit(error.exit_code)
        except EngineError as error:
            click.echo(f"error: {error}", err=True)
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


@main.command()
def metaschema_() -> None:
    """Print the JSON Schema of the metadata language itself."""
    click.echo(json.dumps(metaschema.shipped(), indent=2))


main.add_command(metaschema_, name="metaschema")


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
        spec = entity.groups[group["code"]]
        lines.append(f"\n[{group['code']}] {group['label']} ({group['layout']})")
        for field in group["fields"]:
            lines += _describe_field(entity.field(field["name"]))
    hidden = [f for f in entity.fields if f.hidden]
    if hidden:
        lines.append("\n[hidden]")
        for field in hidden:
            lines += _describe_field(field)
    del spec
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
