"""Workbench users: `tilmech users add`, `list`, `remove`, `token`, `tokens`, `revoke-token`."""

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
    """Add a user, or change an existing user's role, languages and password (which ends their sessions)."""
    from ..auth import require_admin
    from ..services import users_add as add

    require_admin(ctx.runtime.actor)  # before asking for a password
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


@users.command("remove")
@click.argument("name")
@pass_ctx
def users_remove(ctx: Context, name: str) -> None:
    """Remove NAME: their sessions end and their API tokens are revoked at once."""
    from ..services import users_remove as remove

    tokens = remove(ctx.runtime, name)
    click.echo(f"{name}: removed" + (f", {tokens} API token{'s' if tokens != 1 else ''} revoked" if tokens else ""))


@users.command("tokens")
@click.argument("name")
@pass_ctx
def users_tokens(ctx: Context, name: str) -> None:
    """NAME's API tokens: id, label, created, last used (UTC, to the minute); never the tokens."""
    from ..services import token_list

    for token in token_list(ctx.runtime, name):
        used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never used"
        click.echo(f"{token.id}\t{token.label or '-'}\t{token.created_at:%Y-%m-%d %H:%M}\t{used}")


@users.command("revoke-token")
@click.argument("name")
@click.argument("token")
@pass_ctx
def users_revoke_token(ctx: Context, name: str, token: str) -> None:
    """Revoke one of NAME's API tokens, given by its id or its label (see `tilmech users tokens`)."""
    from ..services import token_revoke

    revoked = token_revoke(ctx.runtime, name, token)
    click.echo(f"{name}: token {revoked.id}" + (f" ({revoked.label})" if revoked.label else "") + " revoked")
