"""The `formwork` commands of the web app: `serve` and `openapi`.

pyproject.toml adds them to the `formwork` command through the `formwork.commands` entry
points (engine/commands/base.py), so the engine never imports the web app.
"""

from __future__ import annotations

import json

import click
from flask import Flask

from engine.commands.base import Deployment, data_options, metadata_option, registry_at
from engine.errors import Unavailable
from webui import api, create_app

LISTED = 20  # serve checks and lists the tenants one by one up to this many


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="The interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="The port to listen on.")
@data_options
def serve(deployment: Deployment, host: str, port: int) -> None:
    """Serve the web UI and the JSON API of every tenant."""
    app = create_app(
        {
            "FORMWORK_METADATA": deployment.metadata_dir,
            "FORMWORK_DATA": deployment.data_dir,
            "FORMWORK_DATABASE": deployment.database_url,
        }
    )
    registry = app.extensions["formwork"].registry
    if len(registry.tenants) > LISTED:  # each is compiled on its first request instead
        click.echo(f"{len(registry.tenants)} tenants: http://{host}:{port}/TENANT/login")
    for name in registry.tenants if len(registry.tenants) <= LISTED else ():
        problem = _why_not_served(app, name)
        if problem is not None:  # served as 503 until it can be used again
            click.echo(f"{name}: cannot be served now: {problem}", err=True)
            continue
        click.echo(f"{name}: http://{host}:{port}/{name}/login   API: {api.PREFIX}/{name}/ENTITY")
    app.run(host=host, port=port, threaded=True)


def _why_not_served(app: Flask, name: str) -> Unavailable | None:
    """Compile and sync a tenant now; why it cannot be served, if it cannot."""
    try:
        app.extensions["formwork"].registry.tenant(name)
    except Unavailable as error:  # its metadata is refused
        return error
    return app.extensions["formwork_storage"].unavailable.get(name)


@click.command("openapi")
@click.argument("tenant")
@metadata_option
def openapi(tenant: str, metadata_dir: str) -> None:
    """Print the OpenAPI 3.1 document of a tenant's JSON API (GET /api/TENANT/openapi.json)."""
    compiled = registry_at(metadata_dir).tenant(tenant)
    click.echo(json.dumps(api.document(compiled), indent=2, ensure_ascii=False))
