"""Argos Translate models: `tilmech models install` and `list`."""

from __future__ import annotations

from pathlib import Path

import click

from .context import err


@click.group()
def models() -> None:
    """Argos Translate models: install (online by pair, offline from a file) and list."""


@models.command("install")
@click.argument("items", nargs=-1, required=True, metavar="(PAIR | FILE.argosmodel)...")
def models_install(items: tuple[str, ...]) -> None:
    """Install models: a pair such as en-ky downloads from the Argos index; a file path installs offline."""
    from ..mt import argos

    for item in items:
        if item.endswith(".argosmodel") or Path(item).is_file():
            model = argos.install_file(Path(item))
        else:
            source, target = argos.parse_pair(item)
            model = argos.install_pair(source, target)
        label = " ".join(part for part in (model.pair, model.name, model.version) if part)
        click.echo(f"installed {label} in {model.path}")


@models.command("list")
def models_list() -> None:
    """Installed models."""
    from ..mt import argos

    found = argos.installed_models()
    if not found:
        err("no models installed: `tilmech models install en-ru en-ky en-zh` (online) "
             "or `tilmech models install FILE.argosmodel` (offline)")
        return
    for m in found:
        click.echo(f"{m.pair}\t{m.name or '-'}\t{m.version or '-'}\t{m.path}")
