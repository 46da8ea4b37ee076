"""Shared fixtures.

argostranslate and Prefect read their folders from the environment when first
imported, so every folder is pointed into one temporary directory here, before
anything imports them. Nothing is written to $HOME and nothing needs the network.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tilmech.runtime import Runtime

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
SESSION_DIR = Path(tempfile.mkdtemp(prefix="tilmech-tests-"))

os.environ.update({
    "XDG_DATA_HOME": str(SESSION_DIR / "xdg-data"),
    "XDG_CONFIG_HOME": str(SESSION_DIR / "xdg-config"),
    "XDG_CACHE_HOME": str(SESSION_DIR / "xdg-cache"),
    "ARGOS_PACKAGES_DIR": str(SESSION_DIR / "argos-packages"),
    "PREFECT_HOME": str(SESSION_DIR / "prefect"),
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "TILMECH_USER": "tester",
    "TILMECH_PREFECT_SERVER": "off",  # no project server left running by a test (test_prefect_server.py turns it on)
    "TILMECH_RESIDENT": "off",  # nor a resident process (test_resident.py turns it on)
})
sys.path.insert(0, str(Path(__file__).resolve().parent))

PAIRS = (("en", "ru"), ("en", "ky"), ("en", "zh"))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(SESSION_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def model_files() -> dict[str, Path]:
    """Tiny copy-model Argos packages (output = input) for en→ru, en→ky, en→zh, built here."""
    from argos_kit import build_package

    folder = SESSION_DIR / "model-files"
    folder.mkdir(exist_ok=True)
    return {f"{s}-{t}": build_package(folder / f"copy-{s}_{t}.argosmodel", s, t, kind="copy", size="tiny")
            for s, t in PAIRS}


@pytest.fixture(scope="session")
def installed_models(model_files: dict[str, Path]) -> dict[str, Path]:
    """The copy models installed with argostranslate's own installer, through `tilmech models install`."""
    from tilmech.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["models", "install", *map(str, model_files.values())])
    assert exit_info.value.code == 0
    return model_files


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """One temporary Prefect API for the tests that run flows."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def make_project(dest: Path, *, engine: str = "argos", extra_articles: bool = True) -> Path:
    """A copy of this repository's project files (articles, glossary, locales, settings)."""
    for name in ("content", "glossary", "locales"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("*.mo"))
    settings = (ROOT / "tilmech.yaml").read_text(encoding="utf-8")
    (dest / "tilmech.yaml").write_text(settings.replace(": argos", f": {engine}"), encoding="utf-8")
    if extra_articles:
        for path in (DATA / "articles").glob("*.md"):
            shutil.copy(path, dest / "content" / "en" / path.name)
        shutil.copytree(DATA / "articles" / "images", dest / "content" / "en" / "images", dirs_exist_ok=True)
    return dest


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")


@pytest.fixture
def pseudo_project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project", engine="pseudo")


def drafted(project: Path, *, approve: tuple[str, ...] = ()) -> Runtime:
    """A runtime of ``project`` whose articles are ingested and drafted in ru, ky and zh (the
    articles of ``approve`` approved in each)."""
    from tilmech import services
    from tilmech.runtime import load_runtime

    rt = load_runtime(project)
    services.ingest(rt)
    for code in ("ru", "ky", "zh"):
        services.translate_language(rt, code)
        for slug in approve:
            approve_article(rt, code, slug)
    return rt


def on_store(project: Path, store: str, request: pytest.FixtureRequest) -> Path:
    """``project`` with its store on ``store``: "sqlite" as made, "postgresql" a fresh database of the
    tests' PostgreSQL (for tests parametrized over both stores)."""
    if store == "postgresql":
        settings = project / "tilmech.yaml"
        settings.write_text(settings.read_text(encoding="utf-8").replace(
            "sqlite:///tilmech.db", request.getfixturevalue("postgres_url")), encoding="utf-8")
    return project


def functional_checks() -> str:
    """Every functional QA check's code, comma-separated: `review approve --article ... --acknowledge` of it
    approves an article whatever its functional findings (a copy model's English is `untranslated`), for
    tests whose subject is what follows an approval, not QA."""
    from tilmech.qa import CHECKS, Severity

    return ",".join(sorted(c.code for c in CHECKS.values() if c.severity is Severity.FUNCTIONAL))


def approve_article(rt: Runtime, code: str, slug: str, **options: Any) -> int:
    """Approve the drafts of ``slug`` in ``code``, acknowledging the functional findings they have (the
    pseudo engine's text gets some): for tests whose subject is what follows an approval, not QA."""
    from tilmech import services

    found = {f.code for item in services.review_list(rt, code, article=slug) for f in item.findings
             if f.severity == "functional"}
    return services.review_approve(rt, code, article=slug, acknowledge=sorted(found), **options)


class CliResult:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def __repr__(self) -> str:
        return f"CliResult(code={self.code}, out={self.out!r}, err={self.err!r})"


@pytest.fixture
def tilmech(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run the real CLI entry point in-process: ``tilmech("--project", p, "translate")``."""
    from tilmech.cli import main

    def run(*args: object) -> CliResult:
        capsys.readouterr()
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A PostgreSQL server of the tests' own, on loopback (Debian's postgresql package)."""
    import socket
    import subprocess

    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    assert bins, "PostgreSQL is missing: install Debian's postgresql (scripts/test does)"
    bindir = bins[-1].parent
    folder = Path(tempfile.mkdtemp(prefix="tilmech-pg-"))
    folder.chmod(0o755)
    data = folder / "data"
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(folder, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for command in ([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8"],
                    [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w", "-o",
                     f"-c listen_addresses=127.0.0.1 -p {port} -k {folder}", "start"]):
        done = subprocess.run([*as_user, *command], cwd=folder, capture_output=True, text=True)
        assert done.returncode == 0, f"{command[0]} failed: {done.stdout}{done.stderr}"
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres: str, request: pytest.FixtureRequest) -> str:
    """A new, empty database on the test server."""
    import re

    import psycopg

    name = "t_" + re.sub(r"\W", "_", request.node.name.lower())[:50]
    with psycopg.connect(f"{postgres.replace('+psycopg', '')}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{postgres}/{name}"


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Chromium is missing: install Debian's chromium (scripts/test does)"
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()
