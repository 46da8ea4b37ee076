"""Workbench users: `tilmech users add`, `list`, `token`."""

from __future__ import annotations

import sys

import click

from .context import Context, pass_ctx


@click.group()
def users() -> None:
    """Workbench users: translators, editors, admins."""


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["translator", "editor", "admin"]))
@click.option("--lang", "languages", default="", metavar="L[,L]", help="A translator's languages, e.g. ru,ky.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (for scripts).")
@pass_ctx
def users_add(ctx: Context, name: str, role: str, languages: str, password_stdin: bool) -> None:
    """Add a user, or change an existing user's role, languages and password."""
    from ..services import users_add as add

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    codes = [c.strip() for c in languages.split(",") if c.strip()]
    user = add(ctx.runtime, name, role, password, codes)
    click.echo(f"{user.name}: {user.role}" + (f" ({', '.join(user.languages)})" if user.languages else ""))


@users.command("list")
@pass_ctx
def users_list(ctx: Context) -> None:
    """All users with their roles and languages."""
    from ..services import users_list as list_users

    for user in list_users(ctx.runtime):
        click.echo(f"{user.name}\t{user.role}\t{','.join(user.languages) or '*'}")


@users.command("token")
@click.argument("name")
@click.option("--label", default="", help="What the token is for.")
@pass_ctx
def users_token(ctx: Context, name: str, label: str) -> None:
    """Create an API token for NAME (shown once): send it as `Authorization: Bearer TOKEN`."""
    from ..services import create_token

    click.echo(create_token(ctx.runtime, name, label))
