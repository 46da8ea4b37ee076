"""Guards of the layout: a plain core, docs that stay true, CI that runs the README's command."""

from __future__ import annotations

import re
import subprocess
import sys

import click
import yaml

from conftest import ROOT
from tilmech.cli import cli
from tilmech.settings import Settings

README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS_DIR = ROOT / "docs"
# the reference lives in docs/ (an MkDocs site); the README is the tour
DOCS = "\n".join([README, *(p.read_text(encoding="utf-8") for p in sorted(DOCS_DIR.rglob("*.md")))])


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


def test_every_command_is_documented() -> None:
    commands = _commands(cli)
    assert len(commands) >= 12
    missing = [c for c in commands if f"`{c}" not in DOCS]
    assert not missing, f"document these commands in docs/cli.md: {missing}"


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


def test_every_setting_is_documented_and_in_the_project_file() -> None:
    keys = _setting_keys(Settings)
    assert "mt.beam_size" in keys
    undocumented = [k for k in keys if f"`{k}`" not in DOCS]
    assert not undocumented, f"document these settings in docs/settings.md: {undocumented}"
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


def test_readme_stays_a_tour() -> None:
    size = len(README.encode("utf-8"))
    assert size <= 15 * 1024, f"README.md is {size} bytes: move reference material into docs/ (at most 15 KB)"


def test_readme_links_resolve() -> None:
    targets = re.findall(r"\]\(([^)\s]+)\)", README)
    local = [t.split("#")[0] for t in targets if not re.match(r"[a-z]+:", t) and not t.startswith("#")]
    assert any(t.startswith("docs/") for t in local)
    broken = [t for t in local if not (ROOT / t).exists()]
    assert not broken, f"README.md links to files that do not exist: {broken}"


def _nav_pages(entry: object) -> list[str]:
    if isinstance(entry, str):
        return [entry]
    if isinstance(entry, list):
        return [page for item in entry for page in _nav_pages(item)]
    if isinstance(entry, dict):
        return [page for value in entry.values() for page in _nav_pages(value)]
    return []


def test_every_docs_page_is_in_the_nav() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["docs_dir"] == "docs" and config["theme"]["name"] == "material"
    nav = _nav_pages(config["nav"])
    pages = sorted(p.relative_to(DOCS_DIR).as_posix() for p in DOCS_DIR.rglob("*.md"))
    assert {"index.md", "cli.md", "settings.md"} <= set(pages)
    missing = [p for p in pages if p not in nav]
    assert not missing, f"add these pages of docs/ to nav: in mkdocs.yml: {missing}"
    unknown = [p for p in nav if p not in pages]
    assert not unknown, f"nav: in mkdocs.yml names pages that are not in docs/: {unknown}"
    assert len(nav) == len(set(nav))
    # and CI builds the site with --strict, which fails on a broken link or a page left out of nav
    assert config["validation"]["omitted_files"] == "warn"
    assert "mkdocs build --strict" in (ROOT / "scripts" / "test").read_text(encoding="utf-8")
