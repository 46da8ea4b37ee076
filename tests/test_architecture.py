"""Guards of the layout: a plain core, docs that stay true, CI that runs the README's command."""

from __future__ import annotations

import re
import subprocess
import sys

import click

from conftest import ROOT
from tilmech.cli import cli
from tilmech.settings import Settings

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_core_does_not_import_prefect_or_argostranslate() -> None:
    code = (
        "import sys, tilmech.cli, tilmech.services, tilmech.runtime, tilmech.mt, tilmech.publish, tilmech.qa\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('prefect', 'argostranslate', 'torch', 'stanza'))\n"
        "print(' '.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ""


def _commands(group: click.Group, prefix: str = "tilmech") -> list[str]:
    found = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix} {name}")
        else:
            found.append(f"{prefix} {name}")
    return found


def test_every_command_is_in_the_readme() -> None:
    commands = _commands(cli)
    assert len(commands) >= 12
    missing = [c for c in commands if f"`{c}" not in README]
    assert not missing


def _setting_keys(model: type, prefix: str = "") -> list[str]:
    keys = []
    for name, info in model.model_fields.items():  # type: ignore[attr-defined]
        if info.exclude:
            continue
        annotation = info.annotation
        if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
            keys += _setting_keys(annotation, f"{prefix}{name}.")
        else:
            keys.append(prefix + name)
    return keys


def test_every_setting_is_in_the_readme_and_the_project_file() -> None:
    keys = _setting_keys(Settings)
    assert "mt.beam_size" in keys
    assert not [k for k in keys if f"`{k}`" not in README]
    project_file = (ROOT / "tilmech.yaml").read_text(encoding="utf-8")
    assert not [k for k in keys if f"{k.split('.')[-1]}:" not in project_file]


def test_readme_starts_with_the_two_set_up_commands_and_ci_runs_the_second() -> None:
    blocks = re.findall(r"```sh\n(.*?)```", README, re.S)
    main_job, test_command = blocks[0].strip(), blocks[1].strip()
    assert "\n" not in main_job and main_job.startswith("python3.11 -m venv .venv")
    assert main_job.endswith("tilmech translate")
    assert test_command == "bash scripts/test"
    assert "bash scripts/test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pytest" in (ROOT / "scripts" / "test").read_text(encoding="utf-8")
    assert 'torch==2.13.0' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
