"""`formwork migrate` and `formwork demo`: the tenants' databases, synced with the
metadata, and the demo data set loaded into them."""

from __future__ import annotations

import click

from engine.commands.base import Deployment, data_options, fail_for_unavailable, main, opened
from engine.registry import Registry
from engine.storage.sync import Plan, sync_registry


@main.command()
@click.option("--dry-run", is_flag=True, help="Print the plan and change nothing.")
@data_options
def migrate(deployment: Deployment, dry_run: bool) -> None:
    """Bring every tenant's tables in line with the metadata, printing each step.

    A change that could lose data is refused: every refusal is printed and nothing
    changes, on any tenant.
    """
    with opened(deployment) as (registry, storage):
        plans = sync_registry(registry, storage, dry_run=dry_run)
    for line in plan_lines(plans):
        click.echo(line)
    if dry_run:
        click.echo("Dry run: nothing was changed.")
    fail_for_unavailable(storage)


def plan_lines(plans: list[Plan]) -> list[str]:
    """The lines `formwork migrate` prints: each step prefixed by its tenant."""
    lines = []
    for plan in plans:
        steps = [str(step) for step in plan.steps] or ["nothing to do"]
        lines += [f"{plan.tenant}: {step}" for step in steps]
    return lines


@main.command()
@data_options
def demo(deployment: Deployment) -> None:
    """Load the demo data: users admin, editor and viewer and sample records in every tenant.

    The users' passwords are printed once. Running it again creates nothing twice.
    """
    from engine.demo import load_demo, report_lines, serve_hint
    from engine.records.service import RecordService

    with opened(deployment) as (registry, storage):
        sync_registry(registry, storage)
        served = {n: t for n, t in registry.tenants.items() if n not in storage.unavailable}
        report = load_demo(RecordService(registry), Registry(registry.root, served))
    for line in report_lines(report):
        click.echo(line)
    click.echo(serve_hint(deployment.metadata_dir, deployment.data_dir, deployment.database_url))
    fail_for_unavailable(storage)
