"""The command line: bad input gets one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DATA, functional_checks


def test_malformed_front_matter_names_file_and_line(pseudo_project: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    bad = pseudo_project / "content" / "en" / "broken.md"
    bad.write_text((DATA / "bad-cli" / "broken.md").read_text(encoding="utf-8"), encoding="utf-8")
    result = tilmech("--project", pseudo_project, "translate")
    assert result.code == 2
    assert result.err.startswith("error: content/en/broken.md:3: invalid YAML")
    assert "Traceback" not in result.err + result.out


def test_unknown_language(pseudo_project: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    result = tilmech("--project", pseudo_project, "translate", "--lang", "fr")
    assert result.code == 2
    assert result.err.strip() == "error: unknown language 'fr': use one of en, ky, ru, zh"


def test_language_not_in_project(pseudo_project: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    settings = pseudo_project / "tilmech.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("[ru, ky, zh]", "[ru, zh]")
                        .replace("  ky: pseudo\n", ""), encoding="utf-8")
    result = tilmech("--project", pseudo_project, "review", "list", "--lang", "ky")
    assert result.code == 2
    assert "'ky' is not a target language of this project (ru, zh)" in result.err


def test_no_project_here(tmp_path: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    result = tilmech("--project", tmp_path, "status")
    assert result.code == 2
    assert "tilmech.yaml: not found" in result.err


def test_unknown_segment_and_release(pseudo_project: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    assert tilmech("--project", pseudo_project, "review", "show", "abcdef123456").code == 2
    result = tilmech("--project", pseudo_project, "release", "approve", "7")
    assert (result.code, result.err.strip()) == (2, "error: no release 7: see `tilmech release list`")


def test_models_install_rejects_a_file_that_is_not_a_package(tmp_path: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    fake = tmp_path / "en_ru.argosmodel"
    fake.write_text("not a zip", encoding="utf-8")
    result = tilmech("models", "install", fake)
    assert result.code == 2
    assert result.err.strip() == f"error: {fake}: not an Argos package (expected a zip archive ending in .argosmodel)"


def test_missing_model_says_both_ways_to_install(pseudo_project: Path, tmp_path: Path) -> None:
    """A real process with no model installed: exit 3, one clear message, no traceback."""
    settings = pseudo_project / "tilmech.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace(": pseudo", ": argos"), encoding="utf-8")
    empty = tmp_path / "empty-argos"
    env = dict(os.environ, ARGOS_PACKAGES_DIR=str(empty), XDG_DATA_HOME=str(tmp_path / "data"),
               PREFECT_HOME=str(tmp_path / "prefect"))
    env.pop("PREFECT_LOGGING_LEVEL", None)
    env.pop("PREFECT_API_URL", None)
    proc = subprocess.run([sys.executable, "-m", "tilmech.cli", "--project", str(pseudo_project),
                           "translate", "--lang", "ky"], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "no Argos model for en→ky is installed" in proc.stderr
    assert "tilmech models install en-ky" in proc.stderr
    assert "tilmech models install FILE.argosmodel" in proc.stderr


@pytest.mark.usefixtures("prefect_server")
def test_review_cycle(pseudo_project: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    """edit → draft, approve, edit again → back to draft, send back; all in the history."""
    assert tilmech("--project", pseudo_project, "translate", "--lang", "ru").code == 0
    listing = tilmech("--project", pseudo_project, "review", "list", "--lang", "ru", "--state", "draft", "--ids")
    first = listing.out.split()[0]
    assert tilmech("--project", pseudo_project, "review", "approve", first, "--lang", "ru",
                   "--acknowledge", functional_checks()).code == 0
    edited = tilmech("--project", pseudo_project, "review", "edit", first[:8], "--lang", "ru", "--text", "Церемония")
    assert edited.code == 0 and edited.out.split()[-1] == "draft"
    back = tilmech("--project", pseudo_project, "review", "send-back", first, "--lang", "ru", "--note", "style")
    assert back.code == 0
    shown = tilmech("--project", pseudo_project, "review", "show", first, "--lang", "ru")
    after_notes = shown.out.split("\n[ru]", 1)[1]  # send-back notes come first, then the history
    history = [line.split()[2] for line in after_notes.splitlines() if line.startswith("  20")]
    assert history == ["translate", "approve", "edit", "send-back"]
    assert "current:  Церемония" in shown.out
    assert "[ru] needs-work" in shown.out
    assert tilmech("--project", pseudo_project, "review", "list", "--state", "needs-work", "--ids").out.count("\n") == 1


@pytest.mark.usefixtures("prefect_server")
def test_critical_finding_blocks_approval(pseudo_project: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    assert tilmech("--project", pseudo_project, "translate", "--lang", "zh", "--article", "partners-showcase").code == 0
    listing = tilmech("--project", pseudo_project, "review", "list", "--lang", "zh")
    linked = next(line.split()[0] for line in listing.out.splitlines() if "{1}" in line and "{/1}" in line)
    edited = tilmech("--project", pseudo_project, "review", "edit", linked, "--lang", "zh", "--text", "没有链接")
    assert "critical: placeholder {1}" in edited.err
    refused = tilmech("--project", pseudo_project, "review", "approve", "--article", "partners-showcase", "--lang", "zh")
    assert refused.code == 1 and "cannot approve with critical QA findings" in refused.err
    # all or nothing: nothing was approved
    assert tilmech("--project", pseudo_project, "review", "list", "--state", "approved").out == ""


def test_models_install_by_pair_offline_says_what_to_do(tmp_path: Path) -> None:
    """The index is unreachable (here: a closed local port): one line naming the offline way, exit 3."""
    env = dict(os.environ, ARGOS_PACKAGES_DIR=str(tmp_path / "packages"), XDG_DATA_HOME=str(tmp_path / "data"),
               ARGOS_PACKAGE_INDEX="http://127.0.0.1:9/")
    proc = subprocess.run([sys.executable, "-m", "tilmech.cli", "models", "install", "en-ky"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3
    assert proc.stdout == ""
    assert proc.stderr.startswith("error: cannot reach the Argos package index")
    assert proc.stderr.strip().endswith("run `tilmech models install FILE.argosmodel`")
    assert len(proc.stderr.strip().splitlines()) == 1
