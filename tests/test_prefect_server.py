"""The project's Prefect server: started once in the background, shared, replaced when stale, stopped.

Real processes throughout: ``tilmech server ...`` and ``tilmech translate`` as a user runs them,
a real Prefect API answering on loopback, ``kill -9`` for a crash. The tests that start a server
are slow (a Prefect API takes 10-20 s to start on a small machine).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tilmech import prefect_server


def tilmech(project: Path, *args: str, mode: str = "auto", **popen: object) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TILMECH_PREFECT_SERVER=mode)
    env.pop("PREFECT_API_URL", None)
    return subprocess.run([sys.executable, "-m", "tilmech.cli", "--project", str(project), *args], env=env,
                          capture_output=True, text=True, timeout=300, **popen)  # type: ignore[call-overload]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split(")")[-1][:3]


@pytest.fixture
def bare_project(tmp_path: Path) -> Iterator[Path]:
    """A folder with a tilmech.yaml; whatever server a test left there is stopped afterwards."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "tilmech.yaml").write_text("target_languages: [ru]\n", encoding="utf-8")
    yield project
    prefect_server.stop(project)


@pytest.fixture
def served_project(pseudo_project: Path) -> Iterator[Path]:
    yield pseudo_project
    prefect_server.stop(pseudo_project)


def test_status_tells_a_stale_server_and_a_wrong_mode(bare_project: Path) -> None:
    """No server: `server status` says stopped (exit 1) and what starts one. A server.json whose
    process is gone (a crash, a reboot) is reported stale, with the reason."""
    stopped = tilmech(bare_project, "server", "status")
    assert stopped.returncode == 1, stopped
    assert stopped.stdout.startswith("stopped: the next translate, sync or publish starts it")
    assert "mode: auto" in stopped.stdout

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    folder = bare_project / ".tilmech" / "prefect"
    folder.mkdir(parents=True)
    (folder / "server.json").write_text(json.dumps({"pid": dead.pid, "port": 9, "started": time.time(),
                                                   "process_start": 1, "prefect": prefect_server.prefect_version()}))
    stale = tilmech(bare_project, "server", "status")
    assert stale.returncode == 1, stale
    assert stale.stdout.startswith(f"stale: its process {dead.pid} is gone; the next command that runs a flow "
                                   "replaces it"), stale.stdout

    wrong = tilmech(bare_project, "server", "status", mode="sometimes")
    assert wrong.returncode == 2
    assert "TILMECH_PREFECT_SERVER=sometimes: expected one of auto, manual, off" in wrong.stderr


@pytest.mark.slow
def test_two_starts_share_one_server_a_killed_one_is_replaced_stop_ends_it(bare_project: Path) -> None:
    """Two `tilmech server start` at once: one server, both name it. Killed with kill -9: status
    says stale, the next start replaces it with a new process. `server stop` ends it."""
    env = dict(os.environ, TILMECH_PREFECT_SERVER="auto")
    env.pop("PREFECT_API_URL", None)
    command = [sys.executable, "-m", "tilmech.cli", "--project", str(bare_project), "server", "start"]
    both = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in both]
    assert [p.returncode for p in both] == [0, 0], outputs
    urls = {out.split(": ", 1)[1].split(" ", 1)[0] for out, _ in outputs}
    assert len(urls) == 1, outputs
    assert sorted(out.split(":")[0] for out, _ in outputs) == ["Prefect server running already",
                                                              "Prefect server started"]
    first = prefect_server.status(bare_project)
    assert first.state == "running" and first.pid is not None and first.url in urls
    with urllib.request.urlopen(f"{first.url}/health", timeout=5) as answer:
        assert answer.status == 200
    running = tilmech(bare_project, "server", "status")
    assert running.returncode == 0 and running.stdout.startswith(f"running: {first.url} (pid {first.pid}")
    assert (bare_project / ".tilmech" / "prefect" / "server.log").is_file()

    os.killpg(first.pid, signal.SIGKILL)  # a crash
    deadline = time.monotonic() + 10
    while alive(first.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    stale = tilmech(bare_project, "server", "status")
    assert stale.returncode == 1 and stale.stdout.startswith("stale: "), stale

    again = tilmech(bare_project, "server", "start")
    assert again.returncode == 0, again
    assert "is stale" in again.stderr and again.stdout.startswith("Prefect server started")
    second = prefect_server.status(bare_project)
    assert second.state == "running" and second.pid is not None and second.pid != first.pid

    stopped = tilmech(bare_project, "server", "stop")
    assert stopped.returncode == 0 and stopped.stdout.startswith(f"stopped the Prefect server (pid {second.pid}")
    assert not alive(second.pid)
    assert tilmech(bare_project, "server", "status").stdout.startswith("stopped")


@pytest.mark.slow
def test_translate_starts_the_project_server_once_and_records_its_runs_there(served_project: Path) -> None:
    """The first `tilmech translate` starts the project's server (and says so on stderr), the next one
    reuses it: the same process, the flow runs of both recorded in its database."""
    first = tilmech(served_project, "translate", "--lang", "ru")
    assert first.returncode == 0, first
    assert "starting the project's Prefect server" in first.stderr
    assert "running flow translate-articles on the project's Prefect server" in first.stderr
    server = prefect_server.status(served_project)
    assert server.state == "running"

    article = next((served_project / "content" / "en").glob("*.md"))
    article.write_text(article.read_text(encoding="utf-8") + "\nOne more sentence here.\n", encoding="utf-8")
    second = tilmech(served_project, "translate", "--lang", "ru")
    assert second.returncode == 0, second
    assert "starting the project's Prefect server" not in second.stderr
    assert f"on the project's Prefect server (127.0.0.1:{server.port})" in second.stderr
    assert prefect_server.status(served_project).pid == server.pid
    assert "en→ru: done" in second.stderr  # without a terminal, a line as the work starts and ends

    request = urllib.request.Request(f"{server.url}/flow_runs/filter", data=b"{}", method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        runs = json.load(answer)
    assert sorted(run["state_type"] for run in runs) == ["COMPLETED", "COMPLETED"]

    article.write_text(article.read_text(encoding="utf-8") + "\nAnd another one.\n", encoding="utf-8")
    quiet = tilmech(served_project, "-q", "translate", "--lang", "ru")
    assert quiet.returncode == 0, quiet
    progress = ("reading the articles", "to translate:", "loading Prefect", "running flow")
    assert not [line for line in quiet.stderr.splitlines() if line.startswith(progress)], quiet
    assert "Prefect server" not in quiet.stderr


@pytest.mark.slow
def test_off_mode_starts_no_server_in_the_project(pseudo_project: Path) -> None:
    """TILMECH_PREFECT_SERVER=off: nothing is started in the project (Prefect's temporary server runs
    the flow, as before), and the command says so."""
    done = tilmech(pseudo_project, "translate", "--lang", "ru", mode="off")
    assert done.returncode == 0, done
    assert "starting Prefect's temporary server for this command" in done.stderr
    assert not (pseudo_project / ".tilmech" / "prefect" / "server.json").exists()


def test_runs_go_to_the_project_server_without_heartbeats_unless_a_server_is_configured(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """run_here(api_url=the project's server): the flow runs (and the processes they start) report to it,
    with no heartbeats (nothing there watches them); afterwards nothing of it is left in the environment.
    A server the user configured wins."""
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings
    from tilmech.flows import run_here

    for name in ("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", "PREFECT_RUNNER_HEARTBEAT_FREQUENCY", "PREFECT_API_URL"):
        monkeypatch.delenv(name, raising=False)
    project = "http://127.0.0.1:4321/api"
    with temporary_settings(updates={PREFECT_API_URL: None}), run_here(api_url=project):
        assert get_current_settings().api.url == project
        assert os.environ["PREFECT_API_URL"] == project
        assert get_current_settings().flows.heartbeat_frequency is None
    assert "PREFECT_API_URL" not in os.environ
    configured = "http://prefect-host:4200/api"
    with temporary_settings(updates={PREFECT_API_URL: configured}), run_here(api_url=project):
        assert get_current_settings().api.url == configured
        assert get_current_settings().flows.heartbeat_frequency is not None


@pytest.mark.parametrize("mode", ["off", "manual"])
def test_off_never_uses_the_project_server_and_manual_never_starts_one(
        mode: str, bare_project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """off: not even a running project server is used (Prefect's temporary one runs the flows); manual: a
    server that is not running is not started. Both say so."""
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    from tilmech.cli.context import Context
    from tilmech.cli.orchestration import flow_runs
    from tilmech.runtime import load_runtime

    running = prefect_server.ServerStatus("running", bare_project / ".tilmech" / "prefect", pid=1, port=4321)

    def never(*args: object, **kwargs: object) -> prefect_server.ServerStatus:
        raise AssertionError("the project's server was started")

    monkeypatch.setattr(prefect_server, "ensure", never)
    monkeypatch.setattr(prefect_server, "status", lambda *a, **k: running if mode == "off" else
                        prefect_server.ServerStatus("stopped", bare_project))
    monkeypatch.setenv("TILMECH_PREFECT_SERVER", mode)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    ctx = Context(bare_project)
    ctx._runtime = load_runtime(bare_project)
    with temporary_settings(updates={PREFECT_API_URL: None}), flow_runs(ctx, "flow x"):
        assert get_current_settings().api.url is None
    assert "starting Prefect's temporary server for this command, then flow x" in capsys.readouterr().err
