"""The site's interface strings: `tilmech catalogs update`."""

from __future__ import annotations

import click

from .context import Context, pass_ctx


@click.group()
def catalogs() -> None:
    """The site's interface strings (gettext catalogs in locales/)."""


@catalogs.command("update")
@click.option("--lang", "languages", multiple=True, metavar="L", help="Target language (repeatable). Default: all.")
@pass_ctx
def catalogs_update(ctx: Context, languages: tuple[str, ...]) -> None:
    """Extract messages.pot, merge it into each .po; machine-translate new strings as fuzzy for review."""
    from ..services import catalogs_update as update

    for r in update(ctx.runtime, languages):
        click.echo(f"{r.lang}: {r.messages} strings, {r.translated} translated ({r.fuzzy} fuzzy, to review), "
                   f"{r.machine_translated} machine-translated now")
