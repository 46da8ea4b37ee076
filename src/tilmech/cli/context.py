"""What every command shares: the project's runtime (loaded on first use), stderr, Prefect's defaults."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click


class Context:
    """The root options; the runtime (settings, store, glossary) is loaded when a command first needs it."""

    def __init__(self, project: Path | None = None, user: str | None = None, verbose: bool = False) -> None:
        self.project = project
        self.user = user
        self.verbose = verbose
        self._runtime: Any = None

    @property
    def runtime(self) -> Any:
        if self._runtime is None:
            from ..runtime import load_runtime

            self._runtime = load_runtime(self.project, self.user)
        return self._runtime

    @property
    def project_dir(self) -> str:
        return str(self.runtime.settings.root)


pass_ctx = click.make_pass_decorator(Context)


def err(message: str) -> None:
    """A line for the person at the terminal (stderr), apart from the command's output."""
    click.echo(message, err=True)


def short(text: str, width: int = 70) -> str:
    """``text`` on one line, cut to ``width`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def prepare_prefect(verbose: bool) -> None:
    """Quiet, offline-friendly Prefect defaults; the user's own settings win."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if verbose else "CRITICAL")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING" if verbose else "CRITICAL")
    # the temporary API server Prefect starts on its own can take a while on a small machine
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


def save_output(path: Path, text: str) -> None:
    """Write a command's output file (``-o FILE``); a folder that is missing or is a file is a usage
    error naming the path, before anything is written."""
    from ..errors import UsageError

    folder = path.parent
    if not folder.exists():
        raise UsageError(f"{path}: cannot write it: the folder {folder} does not exist: make it first, "
                         "or give another path")
    if not folder.is_dir():
        raise UsageError(f"{path}: cannot write it: {folder} is a file, not a folder: give another path")
    path.write_text(text, encoding="utf-8")
