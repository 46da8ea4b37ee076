"""Releases: `tilmech release create`, `approve`, `list`."""

from __future__ import annotations

from typing import Any

import click

from .context import Context, err, pass_ctx


@click.group()
def release() -> None:
    """Releases: create a snapshot of approved text, approve it (editors), list."""


def _describe_release(info: Any) -> None:
    err(f"release {info.id}: {info.state}, created by {info.created_by} at {info.created_at}"
         + (f", approved by {info.approved_by}" if info.approved_by else ""))
    for lang, slugs in info.locales.items():
        err(f"  {lang}: {len(slugs)} articles" + (f" ({', '.join(slugs)})" if slugs else ""))
    for lang, slugs in info.previous.items():
        err(f"  {lang}: earlier editions shipped again: {', '.join(slugs)}")
    for lang, slugs in info.incomplete.items():
        err(f"  {lang}: not complete, left out: {', '.join(slugs)}")


@release.command("create")
@click.option("--previous-editions", is_flag=True,
              help="Where an article is not complete in a locale (its English changed, say), ship the locale's "
                   "edition from the latest release instead of leaving the article out.")
@pass_ctx
def release_create(ctx: Context, previous_editions: bool) -> None:
    """Snapshot the articles that are fully approved, per locale. Prints `release ID`."""
    from ..services import release_create as create

    info = create(ctx.runtime, previous_editions)
    click.echo(f"release {info.id}")
    _describe_release(info)


@release.command("approve")
@click.argument("release_id", type=int)
@pass_ctx
def release_approve(ctx: Context, release_id: int) -> None:
    """The editor's approval of release R; only approved releases can be published."""
    from ..services import release_approve as approve

    info = approve(ctx.runtime, release_id)
    click.echo(f"release {info.id} {info.state}")


@release.command("list")
@pass_ctx
def release_list(ctx: Context) -> None:
    """All releases."""
    from ..services import release_list as list_releases

    for info in list_releases(ctx.runtime):
        locales = " ".join(f"{k}:{len(v)}" for k, v in info.locales.items())
        click.echo(f"{info.id}\t{info.state}\t{info.created_at}\t{locales}")
