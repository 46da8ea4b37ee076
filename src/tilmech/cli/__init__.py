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
from .orchestration import deploy, schedule, worker
from .publishing import publish, releases, rollback, verify
from .qa import qa
from .release import release
from .review import review, status
from .serve import serve
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
@click.version_option(package_name="tilmech")
@click.pass_context
def cli(ctx: click.Context, project: Path | None, user: str | None, verbose: bool) -> None:
    """Tilmech: English articles to reviewed Russian, Kyrgyz and Chinese editions."""
    if isinstance(ctx.obj, Context):  # made by main(), which reads ``verbose`` back when a command fails
        ctx.obj.project, ctx.obj.user, ctx.obj.verbose = project, user, verbose
    else:
        ctx.obj = Context(project, user, verbose)


for _command in (translate, compare, import_html, sync, status, review, qa, glossary, xliff, catalogs, models,
                 db, users, serve, release, publish, releases, rollback, verify, schedule, deploy, worker):
    cli.add_command(_command)


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
