"""The ``tilmech`` command: one module per command group, one error funnel (``funnel``).

Errors are rendered once, in :func:`main`: one line on stderr, no traceback (unless ``-v``), an exit
code: 0 ok, 1 the work failed, 2 usage or configuration, 3 environment not ready (a model, the
database). Commands import what they need when they run, so ``tilmech --help`` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import funnel
from .catalogs import catalogs
from .context import Context, pass_ctx
from .db import db
from .glossary import glossary
from .models import models
from .orchestration import deploy, schedule, server, worker
from .publishing import publish, releases, rollback, verify
from .qa import qa
from .release import release
from .review import inbox, review, status
from .serve import serve
from .tm import suggest, tm
from .translate import compare, import_html, sync, translate
from .users import users
from .xliff import xliff

__all__ = ["Context", "cli", "main", "pass_ctx"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Project folder (holding tilmech.yaml). Default: the current folder or the nearest parent.")
@click.option("--user", default=None, help="The store's user who acts (their role applies; see `tilmech users "
              "list`). Default: $TILMECH_USER or the login name.")
@click.option("-v", "--verbose", is_flag=True, help="Show Prefect's logs, and the traceback of an error.")
@click.option("--server", envvar="TILMECH_SERVER", default=None, metavar="URL",
              help="Act through the workbench at URL (its JSON API) as the user of the API token in "
              "$TILMECH_TOKEN, instead of on this project's store: the review, inbox, status and release "
              "commands (see docs/cli.md, Remote use). Default: $TILMECH_SERVER.")
@click.option("-q", "--quiet", is_flag=True, help="No progress lines on stderr (what a slow command is doing); "
              "warnings and errors still show.")
@click.version_option(package_name="tilmech")
@click.pass_context
def cli(ctx: click.Context, project: Path | None, user: str | None, verbose: bool, server: str | None,
        quiet: bool) -> None:
    """Tilmech: English articles to reviewed Russian, Kyrgyz and Chinese editions."""
    if isinstance(ctx.obj, Context):  # made by main(), which reads ``verbose`` back when a command fails
        ctx.obj.project, ctx.obj.user, ctx.obj.verbose, ctx.obj.quiet = project, user, verbose, quiet
    else:
        ctx.obj = Context(project, user, verbose, quiet)
    if server:
        remote_root(ctx, server, user)


for _command in (translate, compare, import_html, sync, status, inbox, review, qa, glossary, xliff, catalogs, models,
                 db, users, serve, server, release, publish, releases, rollback, verify, schedule, deploy, worker, tm):
    cli.add_command(_command)
review.add_command(suggest)  # `review suggest` (cli/tm.py): the memory beside the queue


def remote_root(ctx: click.Context, server: str, user: str | None) -> None:
    """``--server URL``: the token's user acts, and only the commands that have a remote meaning run."""
    from .context import REMOTE_GROUPS, refuse_remote

    if user is not None:
        raise click.UsageError("--user has no meaning with --server: the user of the API token in $TILMECH_TOKEN acts")
    name = ctx.invoked_subcommand or ""
    if name not in REMOTE_GROUPS:
        refuse_remote(click.Context(cli.commands[name], info_name=name, parent=ctx) if name in cli.commands else None)
    ctx.obj.server = server


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI; every exception ends in :mod:`funnel` as one line and its exit code."""
    state = Context()
    try:
        result = cli.main(args=argv, prog_name="tilmech", standalone_mode=False, obj=state)
    except SystemExit:  # a command's own exit code (qa verify, glossary verify)
        raise
    except BaseException as exc:  # the one place every failure is rendered
        sys.exit(funnel.report(exc, state.verbose))
    if state.note:  # after the command's own output: its error, if any, stays the one line
        click.echo(state.note, err=True)
    sys.exit(result if isinstance(result, int) else 0)
