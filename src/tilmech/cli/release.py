"""Releases: `tilmech release create`, `approve`, `publish`, `rollback`, `discard`, `diff`, `list`.

Each command acts through ``ctx.backend``: this project's store, or with ``--server`` a Tilmech
server's API (:mod:`.remote`); the output is the same either way.
"""

from __future__ import annotations

from typing import Any

import click

from .context import Context, err, pass_ctx


@click.group()
def release() -> None:
    """Releases: create a snapshot of approved text, approve, publish, roll back or discard it (editors),
    diff, list."""


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
    info = ctx.backend.release_create(previous_editions)
    click.echo(f"release {info.id}")
    _describe_release(info)
    for warning in info.warnings:
        err(f"warning: {warning}")


@release.command("approve")
@click.argument("release_id", type=int)
@pass_ctx
def release_approve(ctx: Context, release_id: int) -> None:
    """The editor's approval of release R; only approved releases can be published.

    Approving an approved release changes nothing: it prints `release R is already approved`
    and exits 0, so that a script may approve again safely."""
    info = ctx.backend.release_approve(release_id)
    click.echo(info.warnings[0] if info.warnings else f"release {info.id} {info.state}")


@release.command("discard")
@click.argument("release_id", type=int)
@pass_ctx
def release_discard(ctx: Context, release_id: int) -> None:
    """Delete pending release R (editors); an approved release cannot be discarded (exit 1)."""
    click.echo(f"release {ctx.backend.release_discard(release_id)} discarded")


@release.command("publish")
@click.argument("release_id", type=int)
@pass_ctx
def release_publish(ctx: Context, release_id: int) -> None:
    """Publish approved release R to the configured target (paths.publish) and serve it (editors), as the
    releases page does, in this process. `tilmech publish R` runs the flow publish-release instead, and
    takes another target (--to)."""
    report = ctx.backend.release_publish(release_id)
    click.echo(f"published release {report.release} to {report.location}")
    for warning in report.warnings:
        err(f"warning: {warning}")
    for locale, count in report.locales.items():
        err(f"  {locale}: {count} articles")


@release.command("rollback")
@click.argument("release_id", type=int)
@pass_ctx
def release_rollback(ctx: Context, release_id: int) -> None:
    """Serve published release R again at the configured target (its files are verified first; editors).
    `tilmech rollback` takes another target (--to), and defaults to the release published before."""
    click.echo(f"current release: {ctx.backend.release_rollback(release_id)}")


@release.command("diff")
@click.argument("release_id", type=int)
@click.option("--against", type=int, default=None, metavar="R",
              help="Compare with release R instead of the release the site serves now.")
@click.option("--to", "dest", default=None, metavar="DIR_OR_URL",
              help="The publishing folder or fsspec URL whose served release is compared. "
                   "Default: paths.publish of tilmech.yaml (not with --server: the server's own).")
@pass_ctx
def release_diff(ctx: Context, release_id: int, against: int | None, dest: str | None) -> None:
    """What release R changes per locale against the served release: articles added, changed (with the
    number of changed segments), removed, held back."""
    result = ctx.backend.release_diff(release_id, against, dest)
    click.echo(f"release {result.release} against "
               + (f"release {result.against}" if result.against is not None else "nothing (nothing served yet)"))
    for loc in result.locales:
        lines = []
        if loc.added:
            lines.append(f"added: {', '.join(loc.added)}")
        if loc.changed:
            lines.append("changed: " + ", ".join(
                f"{c.article} ({_segments(c.segments)}" + (f", {c.removed_segments} removed" if c.removed_segments
                                                           else "") + ")" for c in loc.changed))
        if loc.removed:
            lines.append(f"removed: {', '.join(loc.removed)}")
        if loc.held_back:
            lines.append(f"held back: {', '.join(loc.held_back)}")
        if loc.same:
            lines.append(f"no change ({loc.unchanged} articles)")
        for line in lines:
            click.echo(f"  {loc.lang}: {line}")


def _segments(count: int) -> str:
    return f"{count} segment" + ("" if count == 1 else "s")


@release.command("list")
@pass_ctx
def release_list(ctx: Context) -> None:
    """All releases."""
    for info in ctx.backend.release_list():
        locales = " ".join(f"{k}:{len(v)}" for k, v in info.locales.items())
        click.echo(f"{info.id}\t{info.state}\t{info.created_at}\t{locales}")
