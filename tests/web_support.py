"""Web tests' parts: a workbench project (articles translated with the pseudo engine, four users),
a signed-in client, `tilmech serve` in a process of its own, and a store held busy."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from conftest import drafted
from tilmech import services
from tilmech.runtime import Runtime
from tilmech.web import create_app

PASSWORD = "correct horse battery"
USERS = {"aida": ("translator", ["ru"]), "bakyt": ("translator", ["ky"]), "elena": ("editor", []),
         "root": ("admin", [])}


def workbench_runtime(project: Path) -> Runtime:
    rt = drafted(project)
    for name, (role, langs) in USERS.items():
        services.users_add(rt, name, role, PASSWORD, langs)
    return rt


def signed_in(app: Any, name: str = "aida") -> TestClient:
    """An in-process client signed in as ``name`` through the API, sending its CSRF token."""
    client = TestClient(app)
    response = client.post("/api/login", json={"name": name, "password": PASSWORD})
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf"]
    return client


@contextmanager
def write_lock(database: Path) -> Iterator[None]:
    """Another process holding the SQLite store's write lock (BEGIN IMMEDIATE) while inside."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys\n"
         f"db = sqlite3.connect({str(database)!r}, isolation_level=None)\n"
         "db.execute('BEGIN IMMEDIATE')\nprint('locked', flush=True)\nsys.stdin.read()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield
    finally:
        if holder.stdin is not None:
            holder.stdin.close()
        holder.wait(timeout=30)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(project: Path, *options: str, tmp: Path | None = None) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`tilmech serve` on ``project`` in a process of its own (its temporary files in ``tmp``)."""
    port = free_port()
    env = {**os.environ, **({"TMPDIR": str(tmp)} if tmp else {})}
    proc = subprocess.Popen([str(Path(sys.executable).with_name("tilmech")), "--project", str(project), "serve",
                             "--port", str(port), *options], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{url}/login", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "the server did not start in 90 s"
            time.sleep(0.2)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def served_in_thread(rt: Runtime) -> Iterator[str]:
    """The workbench of ``rt`` served by uvicorn in a thread of this process (for a browser)."""
    import uvicorn

    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(rt), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)
