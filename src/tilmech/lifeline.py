"""Child processes end with the process that started them (Linux).

A process killed with SIGKILL runs no clean-up: the processes it started (Prefect's
temporary API server, the workers of a process pool) are re-parented to init and live on,
holding memory and ports. :func:`watch_children` starts one small watchdog process for
the calling process. The watchdog notes the caller's child processes (and theirs) every
:data:`INTERVAL` seconds while the caller lives; when the caller is gone, however it ended,
it ends every noted process still running (SIGTERM, then SIGKILL after :data:`GRACE`
seconds) and exits itself. On a normal exit the children have usually been stopped already
and the watchdog just exits.

Processes are told apart by pid and start time (``/proc/PID/stat``), so a pid used again by
an unrelated process is never signalled. A child started less than :data:`INTERVAL` seconds
before the caller died may be missed. Elsewhere than Linux (no ``/proc``) nothing is done.

Run as ``python -m tilmech.lifeline PARENT_PID`` by :func:`watch_children`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

INTERVAL = 0.5  # seconds between two looks at the parent's children
GRACE = 2.0  # seconds a child has to end after SIGTERM before SIGKILL

_PROC = "/proc"
_watching: int | None = None  # the pid whose watchdog has been started (a forked child is another process)


def watch_children() -> None:
    """Start this process's watchdog, once per process; nothing where there is no ``/proc``."""
    global _watching
    if _watching == os.getpid() or not os.path.isfile(os.path.join(_PROC, "self", "stat")):
        return
    subprocess.Popen([sys.executable, "-m", "tilmech.lifeline", str(os.getpid())], stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=True)
    _watching = os.getpid()


def _processes() -> dict[int, tuple[int, int]]:
    """Every running process: pid -> (parent pid, start time), zombies left out; one pass over ``/proc``."""
    found = {}
    for entry in os.scandir(_PROC):
        if not entry.name.isdigit():
            continue
        try:
            with open(os.path.join(entry.path, "stat"), "rb") as fh:
                text = fh.read()
        except OSError:  # ended meanwhile
            continue
        fields = text[text.rindex(b")") + 2:].split()  # after "pid (name) "
        if fields[0] not in (b"Z", b"X"):
            found[int(entry.name)] = (int(fields[1]), int(fields[19]))
    return found


def _descendants(pid: int, processes: dict[int, tuple[int, int]]) -> set[int]:
    children: dict[int, list[int]] = {}
    for child, (parent, _) in processes.items():
        children.setdefault(parent, []).append(child)
    found: set[int] = set()
    level = [pid]
    while level:
        level = [c for p in level for c in children.get(p, ()) if c not in found]
        found.update(level)
    return found


def watch(parent: int) -> None:
    """Note ``parent``'s descendants while it lives, then end those still running."""
    me = os.getpid()
    noted: dict[int, int] = {}  # pid -> start time
    while os.getppid() == parent:
        processes = _processes()
        for pid in _descendants(parent, processes) - {me}:
            noted.setdefault(pid, processes[pid][1])
        noted = {pid: started for pid, started in noted.items()  # forget those that ended
                 if pid in processes and processes[pid][1] == started}
        time.sleep(INTERVAL)
    _end(noted)


def _end(noted: dict[int, int]) -> None:
    """SIGTERM to each noted process still running, SIGKILL to those left after :data:`GRACE` seconds."""

    def running() -> list[int]:
        processes = _processes()
        return [pid for pid, started in noted.items() if pid in processes and processes[pid][1] == started]

    deadline = time.monotonic() + GRACE
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in running():
            with contextlib.suppress(OSError):
                os.kill(pid, sig)
        while sig == signal.SIGTERM and running() and time.monotonic() < deadline:
            time.sleep(0.05)


if __name__ == "__main__":
    # Ctrl-C and a closed terminal reach the whole process group: outlive the parent, then clean up
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    watch(int(sys.argv[1]))
