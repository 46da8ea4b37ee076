"""The store: `tilmech db upgrade`, `check`, `backup`."""

from __future__ import annotations

from pathlib import Path

import click

from .context import Context, pass_ctx


@click.group()
def db() -> None:
    """The store: schema migrations, checks, backups."""


@db.command("upgrade")
@pass_ctx
def db_upgrade(ctx: Context) -> None:
    """Apply pending schema migrations to the store (back it up first)."""
    from ..store import Store

    store = Store(ctx.runtime.settings.store_url, check=False)
    try:
        before, head = store.upgrade()
    finally:
        store.close()
    click.echo(f"store schema: {before or 'none'} → {head}" + (" (up to date)" if before == head else ""))


@db.command("check")
@pass_ctx
def db_check(ctx: Context) -> None:
    """Check the store: SQLite integrity, references, approved text, releases, history (exit 1 on a problem)."""
    from ..errors import WorkflowError
    from ..services import db_check as check

    findings = check(ctx.runtime)
    for finding in findings:
        click.echo(str(finding))
    if findings:
        raise WorkflowError(f"the store has {len(findings)} problem{'s' if len(findings) > 1 else ''}: "
                            "restore a backup (tilmech db backup) or repair the rows named above")
    click.echo("store: no problems found")


@db.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_ctx
def db_backup(ctx: Context, file: Path) -> None:
    """Copy the SQLite store to a new FILE, consistently, even while the workbench or a flow writes."""
    from ..services import db_backup as backup

    size = backup(ctx.runtime, file)
    click.echo(f"store copied to {file} ({size:,} bytes)")
