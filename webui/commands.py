"""The `formwork` commands of the web app: `serve` and `openapi`.

pyproject.toml adds them to the `formwork` command through the `formwork.commands` entry
points (engine/commands/base.py), so the engine never imports the web app.
"""

from __future__ import annotations

import json

import click

from engine.commands.base import Deployment, data_options, metadata_option, registry_at
from webui import api, create_app


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
    unavailable = app.extensions["formwork_storage"].unavailable
    for name in app.extensions["formwork"].registry.tenants:
        if name in unavailable:  # served as 503 until its database can be used again
            click.echo(f"{name}: cannot be served now: {unavailable[name]}", err=True)
            continue
        click.echo(f"{name}: http://{host}:{port}/{name}/login   API: {api.PREFIX}/{name}/ENTITY")
    app.run(host=host, port=port, threaded=True)


@click.command("openapi")
@click.argument("tenant")
@metadata_option
def openapi(tenant: str, metadata_dir: str) -> None:
    """Print the OpenAPI 3.1 document of a tenant's JSON API (GET /api/TENANT/openapi.json)."""
    compiled = registry_at(metadata_dir).tenant(tenant)
    click.echo(json.dumps(api.document(compiled), indent=2, ensure_ascii=False))
