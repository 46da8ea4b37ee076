"""The project's resident process: the daily commands handed to it behave as in their own process.

Real processes throughout: ``python -m tilmech`` (what the ``tilmech`` script runs) in the project's
folder as a user runs it, the resident process it starts, real signals, a real terminal (a pty), a
real store on SQLite and PostgreSQL. What each command prints, its exit status and its effect on
the store are compared with the same command run in its own process (``TILMECH_RESIDENT=off``).
Timings are measured by ``bench/daily.py``, not here.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import drafted, functional_checks, on_store
from tilmech import resident


def tilmech(project: Path, *args: str, mode: str = "auto", cwd: Path | None = None, stdin: str | None = None,
            **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tilmech", *args], cwd=cwd or project, input=stdin,
                          env=environment(mode, **env), capture_output=True, text=True, timeout=120)


def environment(mode: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "TILMECH_RESIDENT": mode, **extra}


def running(project: Path, timeout: float = 60) -> dict[str, object]:
    """The project's resident process once it answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = resident.status(str(project))
        if found["state"] == "running":
            return found
        time.sleep(0.1)
    log = project / ".tilmech" / "resident" / "resident.log"
    raise AssertionError(f"no resident process: {log.read_text() if log.exists() else 'no log'}")


def residents(project: Path) -> list[int]:
    """The pids of the processes serving ``project`` (``python -m tilmech.launch PROJECT``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"tilmech.launch" in argv and os.fsencode(str(project)) in argv:
                found.append(int(entry.name))
    return found


def only(project: Path, pid: int, timeout: float = 30) -> bool:
    """Whether ``pid`` is soon the one process serving ``project`` (another one started at the same
    time ends once it finds it answering)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if residents(project) == [pid]:
            return True
        time.sleep(0.1)
    return False


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def reading_a_pipe(pid: int) -> bool:
    """Whether the process waits in a read of a pipe (its stdin, here)."""
    try:
        return "pipe" in Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        return False


def gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists() or " Z " in Path(f"/proc/{pid}/stat").read_text():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def ready(pseudo_project: Path) -> Iterator[Path]:
    """A drafted project (SQLite); its resident process is stopped afterwards."""
    drafted(pseudo_project).close()
    yield pseudo_project
    resident.stop(str(pseudo_project))


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_daily_commands_print_and_act_as_in_their_own_process(pseudo_project: Path, store: str,
                                                                request: pytest.FixtureRequest) -> None:
    """The first daily command runs in its own process and starts the resident process; the next
    ones are handed to it (its count of commands served grows). Their output, errors and exit
    status equal those of the same command in its own process, for reads, refusals, writes (which
    act as the user of the command's environment) and ids on stdin, from the project's folder, from
    a subfolder and with --project elsewhere."""
    project = on_store(pseudo_project, store, request)
    rt = drafted(project)
    try:
        first = tilmech(project, "status")
        assert first.returncode == 0, first
        served = int(running(project)["served"])  # type: ignore[arg-type]
        rows = tilmech(project, "review", "list", "--lang", "ru", mode="off").stdout.splitlines()
        sid, other, third = (line.split()[0] for line in rows[1:4])
        elsewhere = project.parent
        reads = [
            ((), ["status"]),
            ((), ["review", "list", "--lang", "ru"]),
            ((), ["review", "show", sid, "--lang", "ru"]),
            ((), ["release", "list"]),
            ((), ["releases"]),
            ((), ["inbox"]),
            ((), ["review", "show", "nosuchsegment", "--lang", "ru"]),  # not found: exit 2
            ((), ["review", "list", "--lang", "xx"]),  # a usage error: exit 2
            ((), ["--user", "nobody", "review", "list", "--lang", "ru"]),
            (("content",), ["-q", "review", "list", "--lang", "ky", "--limit", "3"]),
            (("..",), ["--project", str(project), "status"]),
            ((), ["review", "list", "--help"]),
        ]
        codes = set()
        for where, argv in reads:
            cwd = elsewhere if where == ("..",) else project.joinpath(*where)
            there, here = tilmech(project, *argv, cwd=cwd), tilmech(project, *argv, cwd=cwd, mode="off")
            assert (there.returncode, there.stdout, there.stderr) == (here.returncode, here.stdout, here.stderr), argv
            codes.add(there.returncode)
        assert codes == {0, 2}
        edited = tilmech(project, "review", "edit", sid, "--lang", "ru", "--text", "Правка через резидента.",
                         TILMECH_USER="editor-one")
        assert edited.returncode == 0, edited
        approved = tilmech(project, "review", "approve", "-", "--lang", "ru", "--acknowledge", functional_checks(),
                           stdin=f"{other}\n{third}\n")
        assert approved.returncode == 0, approved
        assert "2" in approved.stdout
        assert int(resident.status(str(project))["served"]) == served + len(reads) + 2  # type: ignore[arg-type]
        from tilmech import services

        shown = services.review_show(rt, sid, "ru")
        assert shown.items[0].text == "Правка через резидента."
        assert shown.history["ru"][-1].who == "editor-one"
        approved_now = {item.segment_id for item in services.review_list(rt, "ru", state="approved")}
        assert {other, third} <= approved_now
        assert tilmech(project, "db", "check").returncode == 0
    finally:
        rt.close()
        resident.stop(str(project))


def test_the_command_handed_over_imports_only_the_standard_library(ready: Path) -> None:
    """What a handed-over command costs is a fork of the resident process: ``tilmech`` itself loads
    neither the CLI nor SQLAlchemy nor pydantic."""
    tilmech(ready, "status")
    running(ready)
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "tilmech", "status"], cwd=ready,
                          env=environment("auto"), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done
    assert "ru:" in done.stdout
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "tilmech.resident" in imported
    assert not imported & {"click", "sqlalchemy", "pydantic", "tilmech.cli", "tilmech.runtime", "yaml"}


def test_at_a_terminal_the_question_and_answer_are_the_same(ready: Path) -> None:
    """At a terminal (a pty), `review approve` of a draft with functional findings lists them and asks
    whether to approve anyway: the question, a "no" typed and what follows are the same byte for
    byte as in the command's own process; a "yes" approves."""
    listed = json.loads(tilmech(ready, "review", "list", "--lang", "zh", "--json", mode="off").stdout)
    sid = next(item["segment_id"] for item in listed
               if any(finding["severity"] == "functional" for finding in item["findings"]))

    def at_a_terminal(mode: str, answer: bytes) -> tuple[int, bytes]:
        main, side = os.openpty()
        fcntl.ioctl(side, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        proc = subprocess.Popen([sys.executable, "-m", "tilmech", "review", "approve", sid, "--lang", "zh"],
                                cwd=ready, env=environment(mode), stdin=side, stdout=side, stderr=side,
                                close_fds=True)
        os.close(side)
        out, asked = b"", False
        while True:
            readable, _, _ = select.select([main], [], [], 60)
            if not readable:
                break
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the terminal's other side closed
                break
            if not chunk:
                break
            out += chunk
            if not asked and out.rstrip().endswith(b":"):
                os.write(main, answer)
                asked = True
        code = proc.wait(timeout=60)
        os.close(main)
        assert asked, out
        return code, out

    at_a_terminal("auto", b"n\n")  # starts the resident process
    running(ready)
    here = at_a_terminal("off", b"n\n")
    assert here[0] != 0 and b"[y/N]" in here[1]
    assert at_a_terminal("auto", b"n\n") == here
    code, out = at_a_terminal("auto", b"y\n")
    assert code == 0 and b"approved 1 segments" in out, out


def test_signals_reach_the_command_and_a_killed_tilmech_ends_it(ready: Path) -> None:
    """Ctrl+C to ``tilmech`` interrupts the command it handed over (the same message and status as in its
    own process); ``kill -9`` of ``tilmech`` kills the command too, rather than leaving it running."""
    tilmech(ready, "status")
    server = int(running(ready)["pid"])  # type: ignore[arg-type]
    log = ready / ".tilmech" / "resident" / "resident.log"

    def waiting(mode: str) -> subprocess.Popen[str]:
        """``review approve -``, once it waits for ids on its stdin (which stays open): in its own process,
        or in a fork of the resident process."""
        proc = subprocess.Popen([sys.executable, "-m", "tilmech", "review", "approve", "-", "--lang", "ru"],
                                cwd=ready, env=environment(mode), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            readers = [proc.pid] if mode == "off" else children(server)
            if any(reading_a_pipe(pid) for pid in readers):
                return proc
            time.sleep(0.05)
        raise AssertionError("the command never waited for its stdin")

    results = []
    for mode in ("auto", "off"):
        proc = waiting(mode)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)  # ended by the signal, its stdin still open
        out, err = proc.communicate(timeout=30)
        results.append((proc.returncode, out, err))
    assert results[0] == results[1]
    assert results[0][0] == 1 and "aborted" in results[0][2]
    before = log.read_text()
    proc = waiting("auto")
    proc.kill()
    proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "review approve: exit -9" not in log.read_text()[len(before):]:
        time.sleep(0.1)
    assert "review approve: exit -9" in log.read_text()[len(before):]
    assert proc.stdin is not None
    proc.stdin.close()


def test_a_killed_or_stale_resident_process_is_replaced_and_shows_in_server_status(ready: Path) -> None:
    """A resident process killed outright leaves a socket that refuses: the next command runs in its own
    process, as well as ever, and starts a new one. One started by another tilmech (here: a module of
    tilmech edited since) is stale: it ends, and is replaced. `tilmech server status` says what runs,
    `tilmech server stop` ends it."""
    tilmech(ready, "status")
    old = int(running(ready)["pid"])  # type: ignore[arg-type]
    os.kill(old, signal.SIGKILL)
    assert gone(old)
    assert (ready / ".tilmech" / "resident" / "socket").exists()
    after = tilmech(ready, "status")
    assert after.returncode == 0 and "ru:" in after.stdout, after
    new = int(running(ready)["pid"])  # type: ignore[arg-type]
    assert new != old

    module = Path(resident.__file__).with_name("errors.py")
    stat = module.stat()
    try:
        os.utime(module, ns=(stat.st_atime_ns, time.time_ns()))
        assert resident.status(str(ready))["state"] == "stale"
        said = tilmech(ready, "server", "status", mode="auto")
        assert "resident process: stale" in said.stdout
        changed = tilmech(ready, "status")
        assert changed.returncode == 0 and "ru:" in changed.stdout, changed
        assert gone(new)
        newest = int(running(ready)["pid"])  # type: ignore[arg-type]
        assert newest != new
        assert only(ready, newest)
    finally:
        os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    resident.stop(str(ready))
    tilmech(ready, "status")
    running(ready)
    said = tilmech(ready, "server", "status")
    assert "resident process: running: pid" in said.stdout and "resident mode: auto" in said.stdout, said
    stopped = tilmech(ready, "server", "stop")
    assert "stopped the resident process" in stopped.stdout, stopped
    assert resident.status(str(ready))["state"] == "stopped"
    assert "resident process: stopped: the next daily command starts it" in tilmech(ready, "server", "status").stdout


def test_two_commands_at_once_start_one_and_an_idle_one_ends(ready: Path) -> None:
    """Two commands started together where none runs both succeed, and one resident process is left
    (the lock keeps one). Without commands for TILMECH_RESIDENT_IDLE seconds it ends and clears its socket."""
    procs = [subprocess.Popen([sys.executable, "-m", "tilmech", "status"], cwd=ready,
                              env=environment("auto", TILMECH_RESIDENT_IDLE="4"), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0 and "ru:" in out, err
    pid = int(running(ready)["pid"])  # type: ignore[arg-type]
    assert only(ready, pid)
    assert gone(pid, timeout=30)
    assert not (ready / ".tilmech" / "resident" / "socket").exists()
    assert resident.status(str(ready))["state"] == "stopped"


def test_off_and_manual_start_none_and_a_wrong_mode_is_said(ready: Path) -> None:
    for mode in ("off", "manual"):
        done = tilmech(ready, "status", mode=mode)
        assert done.returncode == 0, done
    time.sleep(1)
    assert not residents(ready)
    wrong = tilmech(ready, "status", mode="sometimes")
    assert wrong.returncode == 0 and "ru:" in wrong.stdout
    assert "TILMECH_RESIDENT='sometimes': expected one of auto, manual, off" in wrong.stderr
    assert not residents(ready)


def test_a_command_that_is_not_a_daily_one_runs_in_its_own_process(ready: Path) -> None:
    """Servers, workers, the database's commands, --help and --version never go to the resident process."""
    tilmech(ready, "status")
    served = int(running(ready)["served"])  # type: ignore[arg-type]
    for argv in (["--version"], ["--help"], ["db", "check"], ["server", "status"], ["--server", "http://127.0.0.1:9",
                                                                                   "status"]):
        tilmech(ready, *argv, TILMECH_TOKEN="x")
    assert int(resident.status(str(ready))["served"]) == served  # type: ignore[arg-type]
    assert json.loads((ready / ".tilmech" / "resident" / "resident.json").read_text())["pid"] == \
        resident.status(str(ready))["pid"]


def test_what_the_hand_over_knows_of_the_cli_matches_the_cli() -> None:
    """tilmech.resident keeps its own copies (it must not import the CLI): the daily commands, the root
    options it reads past, the settings file's name. Each must be the CLI's."""
    from tilmech.cli import cli
    from tilmech.settings import CONFIG_NAME

    assert set(cli.commands) >= resident.COMMANDS
    flag = {opt: getattr(param, "is_flag", False) for param in cli.params for opt in param.opts}
    assert [flag[name] for name in sorted(resident._VALUE_OPTIONS)] == [False] * len(resident._VALUE_OPTIONS)
    assert all(flag[name] for name in resident._FLAGS)
    assert all(flag[f"-{letter}"] for letter in resident._FLAG_LETTERS)
    assert resident.CONFIG_NAME == CONFIG_NAME
