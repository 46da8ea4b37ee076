"""The project's Prefect server: started once in the background, reused by every later command.

Without a Prefect server (no ``PREFECT_API_URL``), Prefect starts a temporary API in each
process that runs a flow and stops it at the end: on a small machine that start-up is most
of the wall time of ``tilmech translate`` or ``publish``. Instead, the first command that
runs a flow starts a local server for the project in the background and leaves it running;
the next commands find it and connect in a few milliseconds.

Everything about it lives in the project's state folder, ``.tilmech/prefect/``:

    server.json   pid, port, start time of the process, Prefect's version: what the commands read
    server.log    the server's output (its errors, if it would not start)
    server.lock   held while a command starts or stops the server (``fcntl`` lock)
    home/         the server's ``PREFECT_HOME``: its database of flow runs

Life cycle: :func:`ensure` (start on first need, or reuse), :func:`stop`, :func:`status`.
A server whose process is gone, whose pid now belongs to another process, that no longer
answers its health check, or that runs another version of Prefect is *stale*: the next
:func:`ensure` ends it (if its process is still there) and starts a new one. Two commands
started at once share one server: the lock makes the second wait while the first starts it,
then it finds it running.

The server is Prefect's own API (``prefect.server.api.server:create_app`` under uvicorn, on
127.0.0.1 only), run as the temporary one is: without the UI and the scheduling services.
For the dashboard, schedules and workers, run a full ``prefect server start`` and set
``PREFECT_API_URL``: a configured server always wins over this one.

It is started through a short-lived launcher process (``python -m tilmech.prefect_server``)
in a session of its own, so that it is no child of the command (the command's watchdog,
:mod:`tilmech.lifeline`, ends the command's children when it ends) and Ctrl+C in the
terminal does not reach it. POSIX only (``fcntl``, ``/proc`` where there is one).
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.metadata
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import EnvironmentNotReady, UsageError

STATE_DIR = Path(".tilmech") / "prefect"  # relative to the project folder
START_TIMEOUT = 180.0  # seconds a new server has to answer its health check
STOP_GRACE = 10.0  # seconds a server has to end after SIGTERM, before SIGKILL
HEALTH_TIMEOUT = 2.0  # seconds one health check may take
MODE_VARIABLE = "TILMECH_PREFECT_SERVER"
MODES = ("auto", "manual", "off")

Say = Callable[[str], None]


def _quiet(message: str) -> None:
    """Says nothing (the default ``say``)."""


@dataclass(frozen=True)
class ServerStatus:
    """What is known of the project's server. ``state``: running, stopped or stale (with ``why``)."""

    state: str
    folder: Path
    pid: int | None = None
    port: int | None = None
    started: float | None = None  # seconds since the epoch
    version: str = ""
    why: str = ""
    new: bool = False  # started by this call of :func:`ensure`

    @property
    def url(self) -> str:
        """The API's address, as ``PREFECT_API_URL`` takes it."""
        return f"http://127.0.0.1:{self.port}/api" if self.port else ""

    @property
    def log(self) -> Path:
        return self.folder / "server.log"


def mode() -> str:
    """``$TILMECH_PREFECT_SERVER``: auto (start on first need, the default), manual (use the server
    only when ``tilmech server start`` started it), off (Prefect's temporary server in each command)."""
    value = os.environ.get(MODE_VARIABLE, "").strip().lower() or "auto"
    if value not in MODES:
        raise UsageError(f"{MODE_VARIABLE}={value}: expected one of {', '.join(MODES)}")
    return value


def state_folder(project: Path) -> Path:
    return Path(project) / STATE_DIR


def prefect_version() -> str:
    try:
        return importlib.metadata.version("prefect")
    except importlib.metadata.PackageNotFoundError:
        return ""


def _process_start(pid: int) -> int | None:
    """The start time of process ``pid`` (clock ticks since boot, ``/proc``); None if it is gone.
    Where there is no ``/proc``, 0 while it runs."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            text = fh.read()
    except FileNotFoundError:
        if not os.path.isdir("/proc/self"):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return None
            except PermissionError:
                return 0
            return 0
        return None
    except OSError:
        return None
    fields = text[text.rindex(b")") + 2:].split()
    if fields[0] in (b"Z", b"X"):
        return None
    return int(fields[19])


def healthy(port: int, timeout: float = HEALTH_TIMEOUT) -> bool:
    """Whether a Prefect API answers its health check on 127.0.0.1:``port``."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=timeout) as answer:
            return bool(answer.status == 200)
    except (OSError, urllib.error.URLError, ValueError):
        return False


def _read(folder: Path) -> dict[str, object] | None:
    try:
        data = json.loads((folder / "server.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def status(project: Path, *, check_health: bool = True) -> ServerStatus:
    """The state of ``project``'s server, from ``server.json``, its process and its health check."""
    folder = state_folder(project)
    data = _read(folder)
    if data is None:
        return ServerStatus("stopped", folder)
    try:
        pid, port = int(data["pid"]), int(data["port"])  # type: ignore[call-overload]
        ticks = int(data.get("process_start", 0))  # type: ignore[call-overload]
        started = float(data.get("started", 0.0))  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError):
        return ServerStatus("stale", folder, why="server.json is unreadable")
    version = str(data.get("prefect", ""))

    def found(state: str, why: str = "") -> ServerStatus:
        return ServerStatus(state, folder, pid=pid, port=port, started=started, version=version, why=why)

    now = _process_start(pid)
    if now is None:
        return found("stale", f"its process {pid} is gone")
    if ticks and now and now != ticks:
        return found("stale", f"pid {pid} is another process now")
    if version and version != prefect_version():
        return found("stale", f"it runs Prefect {version}, this is {prefect_version()}")
    if check_health and not healthy(port):
        return found("stale", f"no answer on port {port}")
    return found("running")


@contextlib.contextmanager
def _locked(folder: Path, say: Say) -> Iterator[None]:
    """Hold ``server.lock``: one command at a time starts or stops the server."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "server.lock", "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say("waiting for another tilmech command that is starting or stopping the project's Prefect server")
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure(project: Path, *, say: Say = _quiet, timeout: float = START_TIMEOUT) -> ServerStatus:
    """The project's running server: the one already there, or a new one (a stale one is replaced)."""
    folder = state_folder(project)
    found = status(project)
    if found.state == "running":
        return found
    with _locked(folder, say):
        found = status(project)  # another command may have started it meanwhile
        if found.state == "running":
            return found
        if found.state == "stale":
            say(f"the project's Prefect server is stale ({found.why}): starting a new one")
            _end(found)
        return _start(folder, say, timeout)


def stop(project: Path, *, say: Say = _quiet) -> ServerStatus:
    """End the project's server (if any); its status before."""
    folder = state_folder(project)
    if not folder.is_dir():
        return ServerStatus("stopped", folder)
    with _locked(folder, say):
        found = status(project, check_health=False)
        if found.state != "stopped":
            _end(found)
        return found


def _end(found: ServerStatus) -> None:
    """SIGTERM to the server's process (if it is still that process), SIGKILL after :data:`STOP_GRACE`
    seconds; then ``server.json`` goes."""
    pid = found.pid
    data = _read(found.folder) or {}
    ticks = data.get("process_start")
    if pid and _process_start(pid) is not None and (not ticks or _process_start(pid) in (ticks, 0)):
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGTERM)  # the server leads its own session and group
        deadline = time.monotonic() + STOP_GRACE
        while _process_start(pid) is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        if _process_start(pid) is not None:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(FileNotFoundError):
        (found.folder / "server.json").unlink()


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_command(port: int) -> list[str]:
    """The server process: Prefect's API app under uvicorn, on 127.0.0.1:``port``."""
    spec = importlib.util.find_spec("prefect")
    if spec is None or spec.origin is None:
        raise EnvironmentNotReady("Prefect is not installed: pip install prefect")
    return [sys.executable, "-m", "uvicorn", "--app-dir", str(Path(spec.origin).parent.parent), "--factory",
            "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port),
            "--log-level", "warning", "--lifespan", "on"]


def server_environment(folder: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "PREFECT_API_URL"}
    env.update({
        "PREFECT_HOME": str(folder / "home"),
        "PREFECT_UI_ENABLED": "0",
        "PREFECT__SERVER_EPHEMERAL": "1",  # the API without the scheduling services, as the temporary one
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    })
    env.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
    return env


def _start(folder: Path, say: Say, timeout: float) -> ServerStatus:
    """Start a server (lock held): launch it detached, note it in ``server.json``, wait for its health check."""
    (folder / "home").mkdir(parents=True, exist_ok=True)
    port = _free_port()
    log = folder / "server.log"
    relative = os.path.relpath(log)
    say(f"starting the project's Prefect server on 127.0.0.1:{port} (once; later commands reuse it; "
        f"log {relative if not relative.startswith('..') else log})")
    t0 = time.monotonic()
    launched = subprocess.run([sys.executable, "-m", "tilmech.prefect_server", str(log), *server_command(port)],
                              env=server_environment(folder), capture_output=True, text=True, check=False,
                              stdin=subprocess.DEVNULL)
    try:
        pid = int(launched.stdout.strip())
    except ValueError:
        raise EnvironmentNotReady(f"the Prefect server did not start: {(launched.stderr or launched.stdout).strip()}"
                                  ) from None
    found = ServerStatus("running", folder, pid=pid, port=port, started=time.time(), version=prefect_version(),
                         new=True)
    (folder / "server.json").write_text(json.dumps({
        "pid": pid, "port": port, "started": found.started, "process_start": _process_start(pid) or 0,
        "prefect": found.version}), encoding="utf-8")
    said = t0
    while not healthy(port, timeout=1.0):
        if _process_start(pid) is None:
            _end(found)
            tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
            raise EnvironmentNotReady(f"the project's Prefect server ended while starting (see {log}): "
                                      + " | ".join(tail))
        if time.monotonic() - t0 > timeout:
            _end(found)
            raise EnvironmentNotReady(f"the project's Prefect server did not answer within {timeout:.0f} s "
                                      f"(see {log}); try again, or set {MODE_VARIABLE}=off")
        if time.monotonic() - said >= 5:
            said = time.monotonic()
            say(f"  still waiting for the Prefect server ({time.monotonic() - t0:.0f} s)")
        time.sleep(0.1)
    say(f"Prefect server ready in {time.monotonic() - t0:.1f} s (pid {pid}; `tilmech server stop` ends it)")
    return found


def _launch(log: str, command: list[str]) -> None:
    """The launcher (``python -m tilmech.prefect_server LOG COMMAND...``): start ``COMMAND`` in a session of its
    own with its output in ``LOG``, print its pid, exit: the server is then nobody's child."""
    with open(log, "ab") as out:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True, close_fds=True)
    print(process.pid, flush=True)


if __name__ == "__main__":
    _launch(sys.argv[1], sys.argv[2:])
