"""Prefect beyond one run: serve the flows on a schedule, deploy them, run a worker."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from .context import Context, err, pass_ctx, prepare_prefect


@click.command()
@click.option("--cron", default="0 * * * *", show_default=True, help="When sync runs (cron, in UTC).")
@click.option("--interval", type=int, default=None, metavar="SECONDS", help="Run sync every N seconds instead.")
@pass_ctx
def schedule(ctx: Context, cron: str, interval: int | None) -> None:
    """Serve the flows in this process: sync on its schedule, translate and publish on demand."""
    prepare_prefect(ctx.verbose)
    from prefect import serve

    from ..flows.publish import publish_release
    from ..flows.translate import sync_articles, translate_articles

    project = {"project": ctx.project_dir}
    timing: dict[str, Any] = {"interval": interval} if interval else {"cron": cron}
    err(f"serving sync ({'every ' + str(interval) + ' s' if interval else cron}), translate and publish; "
         "stop with Ctrl+C")
    serve(sync_articles.to_deployment(name="sync", parameters=project, **timing),
          translate_articles.to_deployment(name="translate", parameters=project),
          publish_release.to_deployment(name="publish", parameters=project))


@click.command()
@click.option("--pool", default="tilmech", show_default=True, help="The Prefect work pool.")
@pass_ctx
def deploy(ctx: Context, pool: str) -> None:
    """Register the deployments of prefect.yaml (sync, translate, publish) on the Prefect server."""
    import subprocess

    project = ctx.project_dir
    if not (Path(project) / "prefect.yaml").is_file():
        from ..errors import ConfigError

        raise ConfigError(f"{project}/prefect.yaml: not found: deploy from a clone of the Tilmech project")
    env = dict(os.environ, TILMECH_PROJECT=os.environ.get("TILMECH_PROJECT", project))
    prefect = [sys.executable, "-m", "prefect"]
    subprocess.run([*prefect, "work-pool", "create", pool, "--type", "process"], env=env, cwd=project,
                   capture_output=True)  # exists already: fine
    result = subprocess.run([*prefect, "--no-prompt", "deploy", "--all"], env=env, cwd=project,
                            capture_output=True, text=True)
    if result.returncode != 0:
        from ..errors import EnvironmentNotReady

        raise EnvironmentNotReady("prefect deploy failed (is PREFECT_API_URL set to a running Prefect server?): "
                                  + (result.stderr or result.stdout).strip().splitlines()[-1])
    click.echo(f"deployed sync-articles/sync, translate-articles/translate, publish-release/publish on pool {pool}; "
               f"start workers with `tilmech worker`")


@click.command()
@click.option("--pool", default="tilmech", show_default=True, help="The Prefect work pool.")
@click.option("--limit", type=int, default=None, help="At most this many flow runs at once on this worker.")
@pass_ctx
def worker(ctx: Context, pool: str, limit: int | None) -> None:
    """Run a Prefect worker for the pool in this project folder (stop with Ctrl+C)."""
    env = dict(os.environ, TILMECH_PROJECT=os.environ.get("TILMECH_PROJECT", ctx.project_dir))
    extra = ["--limit", str(limit)] if limit else []
    os.chdir(ctx.project_dir)
    # become the worker, so that signals (Ctrl+C, a service manager's SIGTERM) reach it directly
    os.execve(sys.executable, [sys.executable, "-m", "prefect", "worker", "start", "--pool", pool, *extra], env)
