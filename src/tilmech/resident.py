"""The project's resident process, which lets the ``tilmech`` command start fast.

Importing SQLAlchemy, pydantic and tilmech's store, QA and Markdown modules costs about 0.7 s on a
small machine: more than the work of ``review approve`` or ``status``. So, as Mercurial's ``chg``
does with its command server, a project keeps one *resident process* that has those modules
imported. ``tilmech`` (:mod:`tilmech.launch`: a few milliseconds of standard-library imports) hands a daily
command to it over a Unix socket: the arguments, the current folder, the environment, the umask,
and its standard input, output and error themselves (file descriptors, ``SCM_RIGHTS``). The
resident process forks; the fork runs the command exactly as a new process would -- it reads
``tilmech.yaml`` and opens the store anew, acts as the same user, writes straight to the same
terminal or pipe -- and its exit status becomes ``tilmech``'s. Without a resident process the
command runs in ``tilmech``'s own process, as before: the resident process only saves start-up.

Life cycle, by ``TILMECH_RESIDENT``:

* ``auto`` (default): a daily command that finds none runs in its own process and starts one in
  the background for the project; the next commands use it.
* ``manual``: one is used when running; ``tilmech server start`` starts it.
* ``off``: never used nor started.

It ends after ``TILMECH_RESIDENT_IDLE`` seconds without a command (default 3600), with
``tilmech server stop``, or when tilmech changed under it (another version installed, a module
edited): the next command finds it *stale*, ends it, runs in its own process and starts a new one.
One whose process died leaves a socket that refuses: detected the same way and replaced. Two
started at once: a lock keeps one. ``tilmech server status`` shows it.

Everything lives in the project's ``.tilmech/resident/``: ``socket`` (mode 0600, and the peer's
uid is checked: only the same OS user, who can open the store anyway, is served),
``resident.json`` (its pid and start), ``resident.log`` (what it served), ``lock``, ``starting``
(there while one starts, or after a start that failed: then commands wait a few seconds before
trying again).

Signals: Ctrl+C, SIGTERM, SIGHUP and SIGQUIT sent to ``tilmech`` are passed on to the command. If
``tilmech`` is killed outright (SIGKILL), its socket closes and the command is killed with it, as it
would have died in ``tilmech``'s own process. POSIX only (``fork``, Unix sockets); elsewhere every
command runs in its own process.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import struct
import sys
from collections.abc import Callable
from typing import Any, NoReturn

MODE_VARIABLE = "TILMECH_RESIDENT"
MODES = ("auto", "manual", "off")
IDLE_VARIABLE = "TILMECH_RESIDENT_IDLE"
DEFAULT_IDLE = 3600.0  # seconds without a command before the resident process ends
STATE_DIR = os.path.join(".tilmech", "resident")  # relative to the project folder
CONFIG_NAME = "tilmech.yaml"  # settings.CONFIG_NAME, not imported: this module must stay light
LOG_LIMIT = 1 << 20  # bytes of resident.log before a new start moves it to resident.log.1
START_BACKOFF = 10.0  # seconds after a start before a command starts another (unless the last one died)

# The commands handed to the resident process: the daily ones. Servers, workers and deployments
# stay in the foreground process; db and models act before there is a store to speak of.
COMMANDS = frozenset({"translate", "sync", "status", "inbox", "review", "release", "releases", "publish",
                      "rollback", "verify", "qa", "tm", "xliff", "glossary", "users"})
# The root options of cli/__init__.py that the hand-over understands: --server, --help and
# --version (and any option unknown here) leave the command to its own process.
_VALUE_OPTIONS = frozenset({"--project", "--user"})
_FLAG_LETTERS = frozenset("vq")
_FLAGS = frozenset({"--verbose", "--quiet"})

# What the resident process imports before it serves: what those commands use. Not Prefect,
# argostranslate or torch: they read their folders from the environment when imported, which is
# each command's own; the commands that need them import them in the fork.
PRELOAD = (
    "tilmech.cli", "tilmech.cli.backend", "tilmech.runtime", "tilmech.settings", "tilmech.store",
    "tilmech.store.schema", "tilmech.store.queries", "tilmech.store.integrity", "tilmech.auth", "tilmech.review",
    "tilmech.services.review", "tilmech.services.users", "tilmech.services.inbox", "tilmech.services.releases",
    "tilmech.services.quality", "tilmech.services.documents", "tilmech.services.acknowledge",
    "tilmech.services.desk", "tilmech.services.translate", "tilmech.services.planning", "tilmech.services.memory",
    "tilmech.services.publishing", "tilmech.services.tm", "tilmech.qa", "tilmech.glossary",
    "tilmech.glossary.morphology", "tilmech.markdown", "tilmech.publish.site", "tilmech.articles",
    "sqlalchemy.dialects.sqlite.pysqlite", "sqlalchemy.dialects.postgresql.psycopg",
)
_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT")  # passed on to the command by tilmech


# ---------------------------------------------------------------------------------------------
# The client side: tilmech's own process. Standard library only, imported on use.


def mode() -> str:
    """``TILMECH_RESIDENT``: auto, manual or off (a wrong value: off, and a warning on stderr)."""
    value = os.environ.get(MODE_VARIABLE, "").strip().lower() or "auto"
    if value not in MODES:
        print(f"tilmech: {MODE_VARIABLE}={value!r}: expected one of {', '.join(MODES)}; "
              "running without the resident process", file=sys.stderr)
        return "off"
    return value if supported() else "off"


def supported() -> bool:
    return hasattr(os, "fork") and hasattr(socket, "AF_UNIX") and hasattr(socket, "send_fds")


def hand_over(argv: list[str]) -> int | None:
    """Run ``tilmech ARGV`` in the project's resident process: its exit status, or None when it is
    not handed over (not a daily command, no resident process, or one that did not start it)."""
    if os.environ.get("TILMECH_SERVER"):  # the remote CLI: nothing of this project's is loaded anyway
        return None
    plan = _plan(argv)
    if plan is None:
        return None
    current = mode()
    if current == "off":
        return None
    try:
        root = _project_root(plan)
    except OSError:  # the current folder is gone: the CLI says so, in its own process
        return None
    if root is None:  # the CLI says why, in its own process
        return None
    folder = os.path.join(root, STATE_DIR)
    connection = _connect(folder)
    if connection is None:
        if current == "auto":  # a socket that refuses: the process died, no start is under way
            start_in_background(root, now=os.path.exists(os.path.join(folder, "socket")))
        return None
    with connection:
        code, stale = _run_there(connection, argv)
    if stale and current == "auto":
        start_in_background(root, now=True)
    return code


def _plan(argv: list[str]) -> str | None:
    """The ``--project`` value ("" when not given) of a daily command; None for anything else."""
    project, i = "", 0
    while i < len(argv):
        arg = argv[i]
        name, eq, value = arg.partition("=")
        if arg in _VALUE_OPTIONS:
            if i + 1 == len(argv):
                return None
            project = argv[i + 1] if arg == "--project" else project
            i += 2
        elif eq and name in _VALUE_OPTIONS:
            project = value if name == "--project" else project
            i += 1
        elif arg in _FLAGS or (len(arg) > 1 and arg[0] == "-" and arg[1] != "-" and set(arg[1:]) <= _FLAG_LETTERS):
            i += 1
        elif arg.startswith("-"):
            return None
        else:
            return project if arg in COMMANDS else None
    return None


def _project_root(project: str) -> str | None:
    """The project folder as the CLI finds it (settings.find_project), or None when there is none."""
    if project:
        root = os.path.realpath(project)
        return root if os.path.isfile(os.path.join(root, CONFIG_NAME)) else None
    folder = os.path.realpath(os.getcwd())
    while True:
        if os.path.isfile(os.path.join(folder, CONFIG_NAME)):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _address(path: str, act: Any) -> Any:
    """``act(address)`` for the socket at ``path``. A Unix socket's address holds about 100 bytes;
    a longer path is reached through the open folder (``/proc/self/fd/N/socket``, Linux)."""
    if len(os.fsencode(path)) < 100:
        return act(path)
    if not os.path.isdir("/proc/self/fd"):
        raise OSError(f"socket path too long: {path}")
    fd = os.open(os.path.dirname(path), os.O_RDONLY | os.O_DIRECTORY)
    try:
        return act(f"/proc/self/fd/{fd}/{os.path.basename(path)}")
    finally:
        os.close(fd)


def _connect(folder: str) -> socket.socket | None:
    path = os.path.join(folder, "socket")
    if not os.path.exists(path):
        return None
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        _address(path, connection.connect)
    except OSError:  # a resident process that died: the next start replaces its socket
        connection.close()
        return None
    return connection


def _send(connection: socket.socket, message: dict[str, Any], fds: list[int] | None = None) -> None:
    data = json.dumps(message).encode()
    frame = struct.pack("!I", len(data)) + data
    if fds:
        sent = socket.send_fds(connection, [frame], fds)
        if sent < len(frame):  # (not an empty send: the other side may have read it all and closed)
            connection.sendall(frame[sent:])
    else:
        connection.sendall(frame)


def _messages(connection: socket.socket) -> Any:
    """The newline-delimited JSON messages of the resident side, until it closes."""
    for line in connection.makefile("rb"):
        yield json.loads(line)


def _request(argv: list[str]) -> dict[str, Any]:
    umask = os.umask(0)
    os.umask(umask)
    streams = (sys.stdin, sys.stdout, sys.stderr)
    return {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ), "umask": umask,
            "stdio": [[s.encoding, s.errors] for s in streams], "fingerprint": fingerprint()}


def _run_there(connection: socket.socket, argv: list[str]) -> tuple[int | None, bool]:
    """(exit status, stale): the command run by the resident process; (None, …) when it did not start."""
    if any(s is None for s in (sys.stdin, sys.stdout, sys.stderr)):
        return None, False
    try:
        _send(connection, _request(argv), [0, 1, 2])
        replies = _messages(connection)
        first = next(replies, None)
    except (OSError, ValueError):
        return None, False
    if first is None or "started" not in first:
        return None, bool(first and first.get("stale"))
    pid = int(first["started"])

    def forward(signum: int, frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)

    for name in _SIGNALS:
        signal.signal(getattr(signal, name), forward)
    try:
        ended = next(replies, None)
    except (OSError, ValueError):
        ended = None
    if ended is None or "exit" not in ended:
        print(f"tilmech: the resident process ended while the command ran (pid {pid}): its exit status is "
              f"unknown; see {STATE_DIR}/resident.log", file=sys.stderr)
        return 1, False
    code = int(ended["exit"])
    if code < 0:  # ended by a signal: end the same way
        for name in _SIGNALS:
            signal.signal(getattr(signal, name), signal.SIG_DFL)
        sys.stdout.flush()
        os.kill(os.getpid(), -code)
        return 128 - code, False
    return code, False


def fingerprint() -> str:
    """What the running code is: the Python environment (and PYTHONPATH), and the newest of tilmech's
    modules (an edit, an upgrade). A resident process whose fingerprint differs from the command's is stale."""
    here = os.path.dirname(os.path.abspath(__file__))
    newest, count, folders = 0, 0, [here]
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        folders.append(entry.path)
                elif entry.name.endswith(".py"):
                    newest, count = max(newest, entry.stat().st_mtime_ns), count + 1
    return f"{sys.prefix} {sys.version_info[:3]} {os.environ.get('PYTHONPATH', '')} {here} {count} {newest}"


def start_in_background(root: str, now: bool = False) -> bool:
    """Start the project's resident process (``python -m tilmech.launch ROOT``) in a session of its
    own, not waiting for it. Unless ``now``, not when one was started in the last few seconds: it is
    on its way (or it failed, and says why in its log). False when nothing was started."""
    import subprocess
    import time

    folder = os.path.join(root, STATE_DIR)
    marker = os.path.join(folder, "starting")
    try:
        if not now and time.time() - os.stat(marker).st_mtime < START_BACKOFF:
            return False
    except OSError:
        pass
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        log = os.path.join(folder, "resident.log")
        if os.path.exists(log) and os.path.getsize(log) > LOG_LIMIT:  # one older log is kept
            os.replace(log, log + ".1")
        with open(marker, "w", encoding="utf-8"), open(log, "a", encoding="utf-8") as out:
            out.write(f"{_stamp()} starting (for `tilmech {' '.join(sys.argv[1:3])}`)\n")
            out.flush()
            subprocess.Popen([sys.executable, "-m", "tilmech.launch", root], stdin=subprocess.DEVNULL,
                             stdout=out, stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
    except OSError:
        return False
    return True


def _stamp() -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M:%S")


def ask(root: str, message: dict[str, Any]) -> dict[str, Any] | None:
    """A ``status`` or ``stop`` message to the project's resident process: its reply, None when none answers."""
    connection = _connect(os.path.join(root, STATE_DIR))
    if connection is None:
        return None
    with connection:
        connection.settimeout(5)
        try:
            _send(connection, message)
            return next(_messages(connection), None)
        except (OSError, ValueError):
            return None


def status(root: str) -> dict[str, Any]:
    """What is known of the project's resident process: ``state`` running (with pid, started,
    served, idle, fingerprint), stale (another tilmech's), or stopped; and its ``folder``."""
    reply = ask(root, {"status": True})
    found: dict[str, Any] = {"state": "stopped", "folder": os.path.join(root, STATE_DIR)}
    if reply is not None:
        found.update(reply)
        found["state"] = "running" if reply.get("fingerprint") == fingerprint() else "stale"
    return found


def ensure(root: str, say: Callable[[str], object] = lambda message: None, timeout: float = 60) -> dict[str, Any]:
    """The project's resident process, running: the one that runs (``new`` false), or one started now
    (a stale one ended first, ``say`` told) once it answers. State ``stopped`` when none answered
    within ``timeout`` seconds: its log says why."""
    import time

    found = status(root)
    if found["state"] == "running":
        return {**found, "new": False}
    if found["state"] == "stale":
        stop(root)
    say("starting the resident process (the daily commands' modules imported once)")
    start_in_background(root, now=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = status(root)
        if found["state"] == "running":
            return {**found, "new": True}
        time.sleep(0.1)
    return found


def stop(root: str) -> dict[str, Any] | None:
    """End the project's resident process (commands it is running go on): its last status, or None."""
    import time

    reply = ask(root, {"stop": True})
    if reply is None:
        return None
    pid = int(reply.get("pid", 0))
    deadline = time.monotonic() + 5
    while pid and time.monotonic() < deadline and os.path.exists(os.path.join(root, STATE_DIR, "socket")):
        time.sleep(0.02)
    return reply


# ---------------------------------------------------------------------------------------------
# The resident side: ``python -m tilmech.launch ROOT`` (:func:`serve`).


class _Resident:
    """The serving loop: one fork per command; the exit status of each sent back when it ends."""

    def __init__(self, root: str) -> None:
        import time

        self.root = root
        self.folder = os.path.join(root, STATE_DIR)
        self.owner = os.getpid()
        self.started = time.time()
        self.served = 0
        self.idle = DEFAULT_IDLE
        with contextlib.suppress(ValueError):
            self.idle = float(os.environ.get(IDLE_VARIABLE) or DEFAULT_IDLE)
        if not self.idle > 0:
            self.idle = DEFAULT_IDLE
        self.fingerprint = ""
        self.running: dict[int, tuple[socket.socket, int, str]] = {}  # pidfd: (connection, pid, command)

    def log(self, line: str) -> None:
        print(f"{_stamp()} [{os.getpid()}] {line}", flush=True)

    def serve(self) -> tuple[socket.socket, dict[str, Any], list[int]] | None:
        """Serve until idle or stopped (None); in a fork: the command to run there."""
        import fcntl
        import time

        os.makedirs(self.folder, mode=0o700, exist_ok=True)
        with open(os.path.join(self.folder, "lock"), "a+") as lock:
            deadline = time.monotonic() + 10  # a stale one may still be closing
            while True:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline or self._answers():
                        self.log("another resident process serves this project: not starting")
                        return None
                    time.sleep(0.05)
            t0 = time.perf_counter()
            self._preload()
            import gc

            gc.freeze()  # what is imported stays shared with the forks, and out of their garbage collections
            self.fingerprint = fingerprint()
            self.log(f"imported what the daily commands use in {time.perf_counter() - t0:.2f} s")
            try:
                return self._loop()
            finally:
                if os.getpid() == self.owner:
                    self._clean()

    def _answers(self) -> bool:
        return ask(self.root, {"status": True}) is not None

    def _preload(self) -> None:
        import importlib

        for name in PRELOAD:
            with contextlib.suppress(ImportError):  # psycopg where PostgreSQL is not installed
                importlib.import_module(name)
        from sqlalchemy.orm import configure_mappers

        configure_mappers()  # the store's mappings, done once here rather than by every command

    def _clean(self) -> None:
        for name in ("socket", "resident.json"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(self.folder, name))

    def _loop(self) -> tuple[socket.socket, dict[str, Any], list[int]] | None:
        import selectors
        import time

        path = os.path.join(self.folder, "socket")
        self._clean()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        umask = os.umask(0o177)
        try:
            _address(path, listener.bind)
        finally:
            os.umask(umask)
        listener.listen(64)
        with open(os.path.join(self.folder, "resident.json"), "w", encoding="utf-8") as state:
            json.dump({"pid": self.owner, "started": self.started}, state)
        with contextlib.suppress(FileNotFoundError):  # started: the next stop and start need no pause
            os.unlink(os.path.join(self.folder, "starting"))
        signal.signal(signal.SIGTERM, _stop_on_signal)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        self.log(f"serving {self.root} (ends after {self.idle:g} s without a command)")
        selector = selectors.DefaultSelector()
        selector.register(listener, selectors.EVENT_READ, None)
        last = time.monotonic()
        try:
            while True:
                wait = None if self.running else max(0.0, self.idle - (time.monotonic() - last))
                events = selector.select(wait)
                if not events and not self.running:
                    self.log("idle: ending")
                    return None
                for key, _ in events:
                    if key.data is None:
                        last = time.monotonic()
                        job = self._accept(listener, selector)
                        if job is not None:  # in the fork
                            selector.close()
                            listener.close()
                            return job
                    else:
                        self._ended(key.fd, selector)
                        last = time.monotonic()
        except _Stop:
            return None
        finally:
            if os.getpid() == self.owner:
                listener.close()

    def _accept(self, listener: socket.socket, selector: Any) -> tuple[socket.socket, dict[str, Any], list[int]] | None:
        import selectors

        connection, _ = listener.accept()
        fds: list[int] = []
        try:
            if not self._same_user(connection):
                connection.close()
                return None
            connection.settimeout(10)
            message, fds = _receive(connection)
            if message.get("status"):
                self._reply(connection, {"pid": self.owner, "started": self.started, "served": self.served,
                                         "running": len(self.running), "idle": self.idle,
                                         "fingerprint": self.fingerprint})
                return None
            if message.get("stop"):
                self.log("stopped (tilmech server stop)")
                self._reply(connection, {"pid": self.owner, "served": self.served})
                raise _Stop
            if message.get("fingerprint") != self.fingerprint:
                self.log("stale: tilmech changed since this process started; ending")
                self._reply(connection, {"stale": "tilmech changed since the resident process started"})
                raise _Stop
            if len(fds) != 3:
                connection.close()
                return None
        except (OSError, ValueError, KeyError):
            connection.close()
            for fd in fds:
                os.close(fd)
            return None
        connection.settimeout(None)
        command = " ".join(message["argv"][:2])
        pid = os.fork()
        if pid == 0:
            for pidfd, (other, _, _) in self.running.items():
                os.close(pidfd)
                other.close()
            return connection, message, fds
        for fd in fds:
            os.close(fd)
        self.served += 1
        pidfd = os.pidfd_open(pid)
        self.running[pidfd] = (connection, pid, command)
        selector.register(pidfd, selectors.EVENT_READ, pid)
        return None

    def _ended(self, pidfd: int, selector: Any) -> None:
        connection, pid, command = self.running.pop(pidfd)
        selector.unregister(pidfd)
        os.close(pidfd)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        self.log(f"tilmech {command}: exit {code} (pid {pid})")
        with connection, contextlib.suppress(OSError):  # tilmech is gone
            connection.sendall(json.dumps({"exit": code}).encode() + b"\n")

    @staticmethod
    def _reply(connection: socket.socket, message: dict[str, Any]) -> None:
        with connection:
            connection.sendall(json.dumps(message).encode() + b"\n")

    @staticmethod
    def _same_user(connection: socket.socket) -> bool:
        option = getattr(socket, "SO_PEERCRED", None)
        if option is None:  # the socket's mode (0600) is the check
            return True
        _, uid, _ = struct.unpack("3i", connection.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i")))
        return uid == os.getuid()


class _Stop(Exception):
    """Leave the serving loop (stop, stale, SIGTERM)."""


def _stop_on_signal(signum: int, frame: object) -> None:
    raise _Stop


def _receive(connection: socket.socket) -> tuple[dict[str, Any], list[int]]:
    """A length-prefixed JSON message and the file descriptors that came with it."""
    data, fds, _, _ = socket.recv_fds(connection, 1 << 16, 3)
    while len(data) < 4 or len(data) < 4 + struct.unpack("!I", data[:4])[0]:
        more = connection.recv(1 << 16)
        if not more:
            raise ValueError("message cut short")
        data += more
    size = struct.unpack("!I", data[:4])[0]
    return json.loads(data[4:4 + size]), fds


def _run_command(run: Callable[[list[str]], object], connection: socket.socket, request: dict[str, Any],
                 fds: list[int]) -> NoReturn:
    """In the fork: become the command's process (its folder, environment, streams, signals), say it
    started, run it, and end as Python ends a process: its exit status goes back through the
    resident process."""
    import threading
    import time

    try:
        for name in ("SIGCHLD", "SIGTERM", "SIGHUP", "SIGQUIT"):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for target, fd in enumerate(fds):
            if fd != target:
                os.dup2(fd, target)
                os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        time.tzset()
        os.umask(int(request["umask"]))
        _reopen_streams(request["stdio"])
        sys.argv = ["tilmech", *request["argv"]]
        connection.sendall(json.dumps({"started": os.getpid()}).encode() + b"\n")
    except BaseException:  # not started (its folder gone...): tilmech runs it in its own process instead
        os._exit(70)
    threading.Thread(target=_die_with_client, args=(connection,), daemon=True, name="tilmech-client").start()
    try:
        run(list(request["argv"]))
        code = 0
    except SystemExit as exc:
        code = _exit_status(exc.code)
    except BaseException:  # what the interpreter would print
        import traceback

        traceback.print_exc()
        code = 1
    _end(code)


def _exit_status(value: object) -> int:
    """``sys.exit(value)``'s status, as the interpreter makes it."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    print(value, file=sys.stderr)
    return 1


def _end(code: int) -> NoReturn:
    """What the interpreter does at the end of a process (wait for its threads, run the ``atexit``
    functions, flush the streams), then end without tearing down every imported module: in a
    process that imported this much, the teardown alone takes 0.3 s (as multiprocessing's forks do)."""
    import atexit
    import threading

    threading._shutdown()  # type: ignore[attr-defined]  # the non-daemon threads, as at the end of any process
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 120  # the interpreter's status when flushing fails at exit
    os._exit(code)


def _die_with_client(connection: socket.socket) -> None:
    """When tilmech's process is gone (its end of the socket closed), so is the command's."""
    try:
        while connection.recv(4096):
            pass
    except OSError:
        pass
    os.kill(os.getpid(), signal.SIGKILL)


def _reopen_streams(stdio: list[list[str]]) -> None:
    """sys.stdin/stdout/stderr on the descriptors passed, as Python makes them at start-up: tilmech's
    encodings; stdout line-buffered on a terminal, stderr always; none with PYTHONUNBUFFERED."""
    import io

    unbuffered = bool(os.environ.get("PYTHONUNBUFFERED"))
    for fd, name in enumerate(("stdin", "stdout", "stderr")):
        encoding, errors = stdio[fd]
        raw = io.FileIO(fd, "r" if fd == 0 else "w", closefd=False)
        buffered: Any = io.BufferedReader(raw) if fd == 0 else io.BufferedWriter(raw)
        stream = io.TextIOWrapper(buffered, encoding=encoding, errors=errors,
                                  line_buffering=fd == 2 or (fd == 1 and os.isatty(1)),
                                  write_through=unbuffered and fd != 0)
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def serve(root: str, run: Callable[[list[str]], object]) -> None:
    """Be the resident process of the project at ``root`` until idle or stopped; each command is run
    by ``run(argv)`` in a fork (the CLI's entry point: :mod:`tilmech.launch` passes it)."""
    job = _Resident(root).serve()
    if job is not None:  # in the fork: the command, then the end of the process
        _run_command(run, *job)
