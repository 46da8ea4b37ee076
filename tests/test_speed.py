"""What the fast commands import: only what they use.

A review command answers in well under a second only if it does not load what it does not use:
Prefect (seconds), the QA families with Babel and the glossary's morphology, Markdown's parser.
Each command runs in a fresh interpreter (the real CLI entry point, a real store) and reports
which of those modules it loaded. Timings are measured by ``bench/daily.py``, not here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import drafted

HEAVY = ("prefect", "babel", "markdown_it", "tilmech.markdown.extract", "tilmech.qa.numbers", "tilmech.qa.markup",
         "tilmech.qa.script", "tilmech.qa.degenerate", "tilmech.qa.punctuation", "tilmech.qa.terminology",
         "tilmech.catalogs", "tilmech.flows", "fastapi", "jinja2", "argostranslate", "ctranslate2", "rich")

_PROBE = """
import json, sys
from tilmech.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "loaded": [m for m in HEAVY if m in sys.modules]}), file=sys.stderr)
""".replace("HEAVY", repr(HEAVY))


def loaded(project: Path, *args: str, code: int = 0) -> list[str]:
    done = subprocess.run([sys.executable, "-c", _PROBE, "--project", str(project), *args], capture_output=True,
                          text=True, timeout=120)
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert (report["code"] or 0) == code, done.stderr
    return list(report["loaded"])


@pytest.fixture(scope="module")
def store_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import make_project

    project = make_project(tmp_path_factory.mktemp("speed") / "project", engine="pseudo")
    drafted(project).close()
    return project


def a_segment(project: Path) -> str:
    from tilmech import services
    from tilmech.runtime import load_runtime

    rt = load_runtime(project)
    try:
        return services.review_list(rt, "ru", limit=1)[0].segment_id
    finally:
        rt.close()


@pytest.mark.parametrize("command", [
    ("status",),
    ("review", "list", "--lang", "ru"),
    ("review", "list", "--lang", "ru", "--order", "risk"),
    ("review", "show", "SEGMENT", "--lang", "ru"),
    ("release", "list"),
    ("server", "status"),
    ("--help",),
], ids=" ".join)
def test_reading_commands_load_no_heavy_module(store_project: Path, command: tuple[str, ...]) -> None:
    args = [a_segment(store_project) if word == "SEGMENT" else word for word in command]
    stopped = 1 if command[0] == "server" else 0  # server status: 1 when no server runs
    assert loaded(store_project, *args, code=stopped) == []


def test_a_review_edit_loads_the_checks_it_runs_and_nothing_of_prefect(store_project: Path) -> None:
    """An edit runs the QA checks on the new text (their families load), still without Prefect, the web
    app or the publishing templates."""
    segment = a_segment(store_project)
    found = loaded(store_project, "review", "edit", segment, "--lang", "ru", "--text", "Новый текст.")
    assert "tilmech.qa.numbers" in found
    assert not {"prefect", "tilmech.flows", "fastapi", "jinja2", "argostranslate"} & set(found)


def test_translate_plans_with_each_article_file_read_once(pseudo_project: Path, monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """The check of the articles hands their hashes to the plan: the plan reads no file again, and
    is the plan it would make reading them."""
    from tilmech import services
    from tilmech.runtime import load_runtime

    rt = load_runtime(pseudo_project)
    try:
        expected = services.plan_translation(rt)
        reads: list[Path] = []
        read_bytes = Path.read_bytes

        def counted(self: Path) -> bytes:
            reads.append(self)
            return read_bytes(self)

        monkeypatch.setattr(Path, "read_bytes", counted)
        hashes: dict[str, str] = {}
        count = services.check_documents(rt, hashes=hashes)
        assert count == len(expected.articles) == len(hashes) == len(reads)
        assert services.plan_translation(rt, hashes=hashes) == expected
        assert len(reads) == count  # not one more
    finally:
        rt.close()
