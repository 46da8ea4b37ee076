"""Prefect: the project's background server (`tilmech server`), the flows run by a command, and
beyond one run: serve the flows on a schedule, deploy them, run a worker."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from .context import Context, err, pass_ctx, prepare_prefect, say


@contextmanager
def flow_runs(ctx: Context, what: str) -> Iterator[None]:
    """Run the block's flows (``what``, e.g. "flow translate-articles") against a Prefect server: the one
    configured (``PREFECT_API_URL``), else the project's background server (:mod:`tilmech.prefect_server`:
    started on first need, unless ``TILMECH_PREFECT_SERVER`` says manual or off), else Prefect's
    temporary one. Says on stderr what it waits for."""
    from .. import prefect_server

    mode = prefect_server.mode()  # a wrong value is a usage error before anything starts
    say("loading Prefect")
    prepare_prefect(ctx.verbose)
    from ..flows import reports_to_a_server, run_here

    url: str | None = None
    if reports_to_a_server():
        from prefect.context import get_settings_context

        say(f"running {what} on the Prefect server {get_settings_context().settings.api.url}")
    else:
        found = None  # off: never the project's server, even a running one
        if mode == "auto":
            found = prefect_server.ensure(ctx.runtime.settings.root, say=say)
        elif mode == "manual":
            found = prefect_server.status(ctx.runtime.settings.root)
        if found is not None and found.state == "running":
            url = found.url
            say(f"running {what} on the project's Prefect server (127.0.0.1:{found.port})")
        else:
            hint = "" if mode == "off" else " (`tilmech server start` starts the project's server once)"
            say(f"starting Prefect's temporary server for this command, then {what}{hint}")
    t0 = time.monotonic()
    with run_here(api_url=url):
        yield
    if ctx.verbose:
        say(f"{what} done in {time.monotonic() - t0:.1f} s")


@click.group()
def server() -> None:
    """The project's Prefect server and resident process, run in the background and reused (start, stop, status).

    translate, sync and publish start it on first need (TILMECH_PREFECT_SERVER=auto, the default) and
    later commands reuse it; its pid, port, log and database are in .tilmech/prefect/. A server set
    with PREFECT_API_URL is used instead. The resident process (TILMECH_RESIDENT=auto, the default) keeps
    the daily commands' modules imported: review, status, release... start in a tenth of a second; it
    is in .tilmech/resident/. Not the workbench: that is `tilmech serve`."""


def _project_root(ctx: Context) -> Path:
    """The project folder, without loading the settings or the store."""
    from ..settings import CONFIG_NAME, find_project

    if ctx.project is None:
        return find_project(Path.cwd())
    root = ctx.project.resolve()
    if not (root / CONFIG_NAME).is_file():
        from ..errors import ConfigError

        raise ConfigError(f"{root / CONFIG_NAME}: not found: create it or pass the folder that holds it")
    return root


def _describe(found: Any) -> str:
    age = f", up {_duration(time.time() - found.started)}" if found.started else ""
    return f"pid {found.pid}, port {found.port}{age}; log {found.log}"


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min {secs} s" if minutes else f"{secs} s"


@server.command("start")
@pass_ctx
def server_start(ctx: Context) -> None:
    """Start the project's Prefect server and its resident process in the background (or say they run)."""
    from .. import prefect_server

    root = _project_root(ctx)
    found = prefect_server.ensure(root, say=say)
    verb = "started" if found.new else "running already"
    click.echo(f"Prefect server {verb}: {found.url} ({_describe(found)})")
    _start_resident(root)


def _start_resident(root: Path) -> None:
    from .. import resident

    if resident.mode() == "off":
        click.echo(f"resident process: off ({resident.MODE_VARIABLE})")
        return
    found = resident.ensure(str(root), say=say)
    if found["state"] != "running":
        from ..errors import EnvironmentNotReady

        raise EnvironmentNotReady(f"the resident process did not start within 60 s: see {found['folder']}/resident.log")
    verb = "started" if found["new"] else "running already"
    click.echo(f"resident process {verb}: {_describe_resident(found)}")


def _describe_resident(found: dict[str, Any]) -> str:
    age = _duration(time.time() - float(found["started"]))
    return (f"pid {found['pid']}, up {age}, {found['served']} commands served, ends after "
            f"{_duration(float(found['idle']))} without one; log {found['folder']}/resident.log")


@server.command("stop")
@pass_ctx
def server_stop(ctx: Context) -> None:
    """Stop the project's Prefect server (flow runs already recorded stay in its database) and its resident process."""
    from .. import prefect_server, resident

    root = _project_root(ctx)
    found = prefect_server.stop(root, say=say)
    if found.state == "stopped":
        click.echo("no Prefect server running for this project")
    else:
        click.echo(f"stopped the Prefect server (pid {found.pid}, port {found.port})")
    ended = resident.stop(str(root))
    if ended is None:
        click.echo("no resident process running for this project")
    else:
        click.echo(f"stopped the resident process (pid {ended['pid']}, {ended['served']} commands served)")


@server.command("status")
@pass_ctx
def server_status(ctx: Context) -> int:
    """Whether the project's Prefect server runs: exit 0 running, 1 stopped or stale (and why); and its
    resident process."""
    from .. import prefect_server, resident

    root = _project_root(ctx)
    found = prefect_server.status(root)
    mode = prefect_server.mode()
    if found.state == "running":
        click.echo(f"running: {found.url} ({_describe(found)})")
    elif found.state == "stale":
        click.echo(f"stale: {found.why}; the next command that runs a flow replaces it "
                   f"(or `tilmech server start`)")
    else:
        start = "the next translate, sync or publish starts it" if mode == "auto" else "`tilmech server start`"
        click.echo(f"stopped: {start}")
    click.echo(f"mode: {mode} ({prefect_server.MODE_VARIABLE})")
    if os.environ.get("PREFECT_API_URL"):
        click.echo(f"PREFECT_API_URL is set ({os.environ['PREFECT_API_URL']}): flows run on that server instead")
    there = resident.status(str(root))
    resident_mode = resident.mode()
    if there["state"] == "running":
        click.echo(f"resident process: running: {_describe_resident(there)}")
    elif there["state"] == "stale":
        click.echo(f"resident process: stale (pid {there['pid']}: tilmech changed since it started); the next "
                   "daily command replaces it")
    else:
        start = {"auto": "the next daily command starts it", "manual": "`tilmech server start` starts it",
                 "off": "not used"}[resident_mode]
        click.echo(f"resident process: stopped: {start}")
    click.echo(f"resident mode: {resident_mode} ({resident.MODE_VARIABLE})")
    return 0 if found.state == "running" else 1


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
