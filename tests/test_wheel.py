"""What users install: the wheel, installed non-editable in a fresh venv, runs the pipeline.

The wheel is built from a copy of the project's sources (nothing is written into the
checkout) and installed with ``--no-deps`` into a new venv; the dependencies come from the
test environment's site-packages through a ``.pth`` file written after the install, so no
package index is needed, and the installed ``tilmech`` (not ``src/``) is the one imported.
The editable install that the README uses (``pip install -e .``) is checked the same way.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, functional_checks, make_project

pytestmark = pytest.mark.slow

PACKAGE = ROOT / "src" / "tilmech"
SOURCES = ("pyproject.toml", "setup.py", "README.md", "src", "flows")
SEED = "smart-classroom-kyrgyzstan"
# leftovers of editors and builds in a working tree: never part of a distribution
LEFTOVERS = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "*~", "*.orig", "*.rej",
                                   ".*.swp")


def _sources(dest: Path) -> Path:
    """A copy of what a build reads: the build writes its build/ and egg-info there, not here."""
    dest.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, dest / name, ignore=LEFTOVERS)
        else:
            shutil.copy(ROOT / name, dest / name)
    return dest


def _environment(home: Path) -> dict[str, str]:
    """The environment of the installed tilmech: no PYTHONPATH into the checkout, a Prefect
    home of its own (a temporary Prefect API per command, as a user without a server has)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PREFECT_API_URL")}
    env.update(PREFECT_HOME=str(home / "prefect"), PYTHONDONTWRITEBYTECODE="1",
               PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="240")  # a busy test machine
    return env


def _run(command: list[str], *, env: dict[str, str], cwd: Path, timeout: float = 300) -> str:
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout


def _venv(path: Path, install: list[str], *, cwd: Path) -> Path:
    """A new venv that sees the test environment's dependencies, with ``install`` (pip arguments)
    installed in it; its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    python = path / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    # plain entries, appended to sys.path after the venv's own site-packages: the tilmech installed
    # there comes first, and the editable one of the test environment (a .pth there) is not loaded
    Path(purelib, "test-dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
    # pip runs under the new interpreter (--python); --ignore-installed: it leaves the test
    # environment's own tilmech alone
    _run([sys.executable, "-m", "pip", "--python", str(python), "--disable-pip-version-check", "install",
          "--no-deps", "--no-index", "--no-build-isolation", "--ignore-installed", *install], env=env, cwd=cwd)
    return python


def _expected_modules() -> set[str]:
    """Every module of the sources: src/tilmech (its migrations are data that alembic loads) and flows/."""
    names = {"tilmech." + ".".join(p.relative_to(PACKAGE).with_suffix("").parts) for p in PACKAGE.rglob("*.py")
             if "migrations" not in p.parts and "__pycache__" not in p.parts}
    names |= {f"tilmech.flows.{p.stem}" for p in (ROOT / "flows").glob("*.py")}
    return {n.removesuffix(".__init__") for n in names if not n.endswith(".__main__")}


def _data_files() -> set[str]:
    """The files that ship beside the modules: templates, static files, migrations, py.typed."""
    return {str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
            and (p.suffix != ".py" or "migrations" in p.parts) and not LEFTOVERS(str(p.parent), [p.name])}


IMPORT_ALL = """
import importlib, json, pkgutil, tilmech
names = sorted(m.name for m in pkgutil.walk_packages(tilmech.__path__, "tilmech.") if not m.name.endswith(".__main__"))
for name in names:
    importlib.import_module(name)
print(json.dumps({"file": tilmech.__file__, "modules": names}))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built as `pip wheel` builds it; the build says nothing is wrong with the configuration."""
    work = tmp_path_factory.mktemp("wheel")
    sources = _sources(work / "sources")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    log = _run([sys.executable, "-m", "pip", "--disable-pip-version-check", "wheel", "-v", "--no-deps", "--no-index",
                "--no-build-isolation", "-w", str(work / "dist"), str(sources)], env=env, cwd=work)
    warnings = [line for line in log.splitlines() if re.search(r"warn|would be ignored|absent from", line, re.I)]
    assert not warnings, "the build warns:\n" + "\n".join(warnings)
    [built] = (work / "dist").glob("tilmech-*.whl")
    return built


def test_the_installed_wheel_runs_the_pipeline(wheel: Path, tmp_path: Path) -> None:
    python = _venv(tmp_path / "venv", [str(wheel)], cwd=tmp_path)
    env = _environment(tmp_path)
    bindir = python.parent

    # every module of the package imports, flows included, from the venv
    imported = json.loads(_run([str(python), "-c", IMPORT_ALL], env=env, cwd=tmp_path))
    installed = Path(imported["file"]).parent
    assert installed.is_relative_to(tmp_path / "venv"), imported["file"]
    assert {"tilmech", *imported["modules"]} == _expected_modules()
    # and every template, static file and migration is there
    missing = sorted(f for f in _data_files() if not (installed / f).is_file())
    assert not missing, f"not in the wheel: {missing}"

    version = _run([str(bindir / "tilmech"), "--version"], env=env, cwd=tmp_path)
    assert version.strip() == "tilmech, version 0.1.0"

    project = make_project(tmp_path / "project", engine="pseudo", extra_articles=False)

    def tilmech(*args: object) -> str:
        return _run([str(bindir / "tilmech"), "--project", str(project), *map(str, args)], env=env, cwd=project)

    tilmech("db", "upgrade")
    assert "ru: 0 segments" in tilmech("status")
    assert "placeholder" in tilmech("qa", "checks")
    tilmech("translate")
    drafted = tilmech("status")
    assert re.search(r"^ru: [1-9]\d* segments \(draft [1-9]", drafted, re.M), drafted
    assert tilmech("review", "list", "--lang", "ru").strip()
    for code in ("ru", "ky", "zh"):
        tilmech("review", "approve", "--article", SEED, "--lang", code, "--acknowledge", functional_checks())
    created = tilmech("release", "create")
    release = re.match(r"release (\d+)\n", created)
    assert release, created
    tilmech("release", "approve", release[1])
    site_dir = tmp_path / "site"
    tilmech("publish", release[1], "--to", site_dir)
    for code in ("en", "ru", "ky", "zh"):
        page = site_dir / "current" / code / f"{SEED}.html"
        assert page.is_file(), f"{page} was not published"
    manifest = json.loads((site_dir / "current" / "ru" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["release"] == int(release[1])

    # the workbench serves its pages and static files from the installed package
    served = _run([str(python), "-c", (
        "import sys; from fastapi.testclient import TestClient; from tilmech.runtime import load_runtime; "
        "from tilmech.web import create_app; client = TestClient(create_app(load_runtime(sys.argv[1]))); "
        "print(client.get('/login').status_code, client.get('/static/workbench.css').status_code)"), str(project)],
        env=env, cwd=project)
    assert served.split() == ["200", "200"]


def test_the_editable_install_maps_flows_into_the_package(tmp_path: Path) -> None:
    """`pip install -e .` (as the README sets up): tilmech from src/, tilmech.flows from flows/."""
    sources = _sources(tmp_path / "sources")
    python = _venv(tmp_path / "venv", ["-e", str(sources)], cwd=tmp_path)
    found = _run([str(python), "-c", "import tilmech.flows.translate as t, tilmech.web as w; "
                  "print(t.__file__); print(w.__file__)"], env=_environment(tmp_path), cwd=tmp_path)
    assert found.split() == [str(sources / "flows" / "translate.py"),
                             str(sources / "src" / "tilmech" / "web" / "__init__.py")]
