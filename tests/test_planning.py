"""`tilmech translate` works out what there is to do before it starts any machinery: nothing to do,
a missing model and an empty content folder are answered without importing Prefect."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SESSION_DIR, drafted, make_project
from tilmech import services

# runs the real CLI in a fresh process and says on stderr whether Prefect was imported
_RUN = """
import sys
from tilmech.cli import main
try:
    main(sys.argv[1:])
finally:
    print("PREFECT-IMPORTED" if "prefect" in sys.modules else "PREFECT-NOT-IMPORTED", file=sys.stderr)
"""


def cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ARGOS_PACKAGES_DIR": str(SESSION_DIR / "no-models")}
    return subprocess.run([sys.executable, "-c", _RUN, "--project", str(project), *args], env=env,
                          capture_output=True, text=True, timeout=300)


def edit_first_sentence(project: Path, slug: str) -> None:
    path = project / "content" / "en" / f"{slug}.md"
    head, body = path.read_text(encoding="utf-8").split("\n---\n", 1)
    path.write_text(head + "\n---\n" + body.replace(".", ". Edited today.", 1), encoding="utf-8")


@pytest.fixture
def drafted_project(tmp_path: Path) -> Path:
    project = make_project(tmp_path / "project", engine="pseudo")
    drafted(project).close()
    return project


def test_nothing_pending_says_so_without_starting_prefect(drafted_project: Path) -> None:
    count = len(list((drafted_project / "content" / "en").glob("*.md")))
    done = cli(drafted_project, "translate")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"nothing to translate: {count} articles unchanged"
    assert "PREFECT-NOT-IMPORTED" in done.stderr
    done = cli(drafted_project, "sync")
    assert done.returncode == 0, done.stderr
    assert "nothing to translate" in done.stdout and "PREFECT-NOT-IMPORTED" in done.stderr


def test_a_missing_model_is_reported_before_any_flow_runs(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project", engine="argos")
    done = cli(project, "translate", "--lang", "ky")
    assert done.returncode == 3, done.stderr
    assert "no Argos model for en→ky is installed" in done.stderr
    assert "tilmech models install en-ky" in done.stderr
    assert "PREFECT-NOT-IMPORTED" in done.stderr


def test_an_empty_content_folder_is_named(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project", engine="pseudo")
    for path in (project / "content" / "en").glob("*.md"):
        path.unlink()
    done = cli(project, "translate")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "no articles in content/en/: write one, see docs/articles.md"
    assert "PREFECT-NOT-IMPORTED" in done.stderr


def test_the_plan_sees_edited_new_and_untranslated_work(drafted_project: Path) -> None:
    from tilmech.runtime import load_runtime

    rt = load_runtime(drafted_project)
    try:
        assert services.plan_translation(rt).nothing_to_do
        slug = sorted(p.stem for p in (drafted_project / "content" / "en").glob("*.md"))[0]
        edit_first_sentence(drafted_project, slug)
        plan = services.plan_translation(rt)
        assert plan.changed == (slug,) and plan.busy_languages == ("ru", "ky", "zh")
        services.ingest(rt)  # ingested, not translated yet: the store says which languages wait
        plan = services.plan_translation(rt, languages=["ky"])
        assert not plan.changed and set(plan.pending) == {"ky"} and slug in plan.pending["ky"]
        assert plan.busy_languages == ("ky",)
    finally:
        rt.close()


@pytest.mark.slow
def test_an_edited_article_is_still_translated(drafted_project: Path) -> None:
    slug = sorted(p.stem for p in (drafted_project / "content" / "en").glob("*.md"))[0]
    edit_first_sentence(drafted_project, slug)
    done = cli(drafted_project, "translate", "--lang", "ru")
    assert done.returncode == 0, done.stderr
    assert "nothing to translate" not in done.stdout
    from tilmech.runtime import load_runtime

    rt = load_runtime(drafted_project)
    try:
        texts = [item.source for item in services.review_list(rt, "ru", article=slug)]
        assert any("Edited today." in text for text in texts)
        assert services.plan_translation(rt, languages=["ru"]).nothing_to_do
    finally:
        rt.close()
