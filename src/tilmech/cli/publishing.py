"""Publishing: `tilmech publish`, and the published releases: `releases`, `rollback`, `verify`."""

from __future__ import annotations

from pathlib import Path

import click

from .context import Context, err, pass_ctx
from .orchestration import flow_runs


@click.command()
@click.argument("release_id", type=int)
@click.option("--to", "dest", default=None, metavar="DIR_OR_URL",
              help="Target folder or fsspec URL (s3://bucket/site). Default: paths.publish of tilmech.yaml.")
@click.option("--allow-missing-assets", is_flag=True,
              help="Publish even if a file an article references (an image...) is missing: a warning each.")
@pass_ctx
def publish(ctx: Context, release_id: int, dest: str | None, allow_missing_assets: bool = False) -> None:
    """Publish approved release R as localized bundles (flow publish-release); editors."""
    from ..services import authorize_publish, release_info

    authorize_publish(ctx.runtime)  # the flow's own runtime acts as the operator: the role is checked here
    info = release_info(ctx.runtime, release_id)  # fail early: unknown release
    if info.state != "approved":
        from ..errors import WorkflowError

        raise WorkflowError(f"release {release_id} is not approved: an editor runs "
                            f"`tilmech release approve {release_id}` first")
    from ..publish import open_target

    open_target(_published_dir(ctx, dest))  # fail early: a file where the folder should be
    with flow_runs(ctx, f"flow publish-release ({release_id})"):
        from ..flows.publish import publish_release

        report = publish_release(project=ctx.project_dir, release=release_id,
                                 to=_published_dir(ctx, dest) if dest else None,
                                 allow_missing_assets=allow_missing_assets)
    click.echo(f"published release {report.release} to {report.location}")
    for warning in report.warnings:
        err(f"warning: {warning}")
    for locale, count in report.locales.items():
        err(f"  {locale}: {count} articles")


def _published_dir(ctx: Context, dest: str | None) -> str:
    from ..services import publish_location

    if dest is None:
        return publish_location(ctx.runtime)
    return dest if "://" in dest else str(Path(dest).resolve())


_to_option = click.option("--to", "dest", default=None, metavar="DIR_OR_URL",
                          help="The publishing folder or fsspec URL. Default: paths.publish of tilmech.yaml.")


@click.command()
@_to_option
@pass_ctx
def releases(ctx: Context, dest: str | None) -> None:
    """Published releases, the current one marked with *."""
    from ..publish import linked_releases, list_published

    found = list_published(_published_dir(ctx, dest))
    for release, to in linked_releases(_published_dir(ctx, dest)).items():
        err(f"warning: releases/{release} is a link to {to}, not a release folder: not listed, never served")
    if not found:
        err("nothing published yet: tilmech publish R")
    for p in found:
        click.echo(f"{'*' if p.current else ' '} {p.release}\t{' '.join(p.locales)}\t{p.built_at}")


@click.command()
@click.argument("release_id", type=int, required=False)
@_to_option
@pass_ctx
def rollback(ctx: Context, release_id: int | None, dest: str | None) -> None:
    """Serve release R again (default: the one published before the current one); editors."""
    from ..services import release_rollback

    click.echo(f"current release: {release_rollback(ctx.runtime, release_id, _published_dir(ctx, dest))}")


@click.command()
@click.argument("release_id", type=int)
@_to_option
@pass_ctx
def verify(ctx: Context, release_id: int, dest: str | None) -> None:
    """Re-check every file of published release R against its manifest (sha256 and size)."""
    from ..errors import WorkflowError
    from ..publish import verify_release

    problems = verify_release(_published_dir(ctx, dest), release_id)
    for problem in problems:
        click.echo(problem)
    if problems:
        raise WorkflowError(f"release {release_id}: {len(problems)} files differ from the manifests")
    click.echo(f"release {release_id}: every file matches its manifest")
