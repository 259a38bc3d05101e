"""`formwork user` and `formwork token`: a tenant's users, their roles and API tokens."""

from __future__ import annotations

import sys

import click

from engine import users
from engine.commands.base import Deployment, data_options, main, synced_tenant


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
    piped = piped_password()
    password = piped or users.generate_password()
    with synced_tenant(deployment, tenant) as compiled:
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
    piped = piped_password()
    password = piped or users.generate_password()
    with synced_tenant(deployment, tenant) as compiled:
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
    with synced_tenant(deployment, tenant) as compiled:
        users.set_role(compiled, username, role)
    click.echo(f"User '{username}' of tenant '{tenant}' is now {role}.")


@user.command("language")
@click.argument("tenant")
@click.argument("username")
@click.argument("language")
@data_options
def user_language(deployment: Deployment, tenant: str, username: str, language: str) -> None:
    """Choose the language a user reads pages in (one of the tenant's), or `browser` to
    follow their browser's; it applies within seconds."""
    chosen = None if language == "browser" else language
    with synced_tenant(deployment, tenant) as compiled:
        users.set_language(compiled, username, chosen)
    click.echo(f"User '{username}' of tenant '{tenant}' reads pages in {language}.")


@user.command("deactivate")
@click.argument("tenant")
@click.argument("username")
@data_options
def user_deactivate(deployment: Deployment, tenant: str, username: str) -> None:
    """Keep a user out, ending their sessions and refusing their tokens; nothing is deleted."""
    with synced_tenant(deployment, tenant) as compiled:
        users.set_active(compiled, username, False)
    click.echo(f"User '{username}' of tenant '{tenant}' is deactivated; their sessions ended.")


@user.command("activate")
@click.argument("tenant")
@click.argument("username")
@data_options
def user_activate(deployment: Deployment, tenant: str, username: str) -> None:
    """Let a deactivated user log in again."""
    with synced_tenant(deployment, tenant) as compiled:
        users.set_active(compiled, username, True)
    click.echo(f"User '{username}' of tenant '{tenant}' is active.")


@user.command("remove")
@click.argument("tenant")
@click.argument("username")
@data_options
def user_remove(deployment: Deployment, tenant: str, username: str) -> None:
    """Delete a user and their tokens, ending their sessions; the audit keeps their name."""
    with synced_tenant(deployment, tenant) as compiled:
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
    with synced_tenant(deployment, tenant) as compiled:
        click.echo(users.issue_token(compiled, username))


def piped_password() -> str:
    """The first line of stdin when a script pipes one in; '' at a terminal or on no input."""
    if sys.stdin is None or sys.stdin.isatty():
        return ""
    return sys.stdin.readline().rstrip("\r\n")
