"""Load on the workbench: concurrent reviewers on a large queue, over loopback.

    python bench/workbench_load.py [--reviewers 50] [--articles 100] [--segments 100] [--seconds 60]
                                   [--ramp 15] [--think 2] [--workers 1]

Builds a project in a temporary folder (generated English articles, every sentence
different; the pseudo engine drafts the Russian queue: articles × segments entries),
starts the real server (`tilmech serve`) in its own process, and lets each reviewer
(an httpx async client with its own session) sign in once — the sign-ins spread over
the first ``--ramp`` seconds, as people arrive — then, for ``--seconds``, loop: open
an article's page in the editor, list its segments through the API, open one segment,
save an edit of it, pausing between actions as a person does (``--think`` seconds on
average, uniform from half to one and a half times that; ``--think 0`` hammers the
server back to back, which measures its capacity rather than what reviewers see).
Prints, per kind of request, the count, p50, p95 and max latency and the errors;
then the requests per second.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery"


def build_project(folder: Path, articles: int, segments: int, reviewers: int) -> None:
    from tilmech import services
    from tilmech.runtime import load_runtime

    for name in ("glossary", "locales"):
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("*.mo"))
    (folder / "tilmech.yaml").write_text("target_languages: [ru, ky, zh]\nengines: {ru: pseudo, ky: pseudo, "
                                         "zh: pseudo}\n", encoding="utf-8")
    content = folder / "content" / "en"
    content.mkdir(parents=True)
    for a in range(articles):
        body = "\n\n".join(f"Partner school {a}-{i} opened {i + 2} classrooms for {a * 1000 + i} students."
                           for i in range(segments - 2))
        (content / f"report-{a:03d}.md").write_text(
            f"---\ntitle: Report {a}\ndate: 2024-01-01\nsummary: Schools of report {a}.\n---\n\n{body}\n",
            encoding="utf-8")
    rt = load_runtime(folder, "bench")
    started = time.perf_counter()
    services.ingest(rt)
    report = services.translate_language(rt, "ru")
    print(f"queue: {report.segments} Russian segments in {articles} articles "
          f"(ingested and drafted in {time.perf_counter() - started:.1f} s)")
    for n in range(reviewers):
        services.users_add(rt, f"reviewer{n}", "translator", PASSWORD, ["ru"])
    rt.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def reviewer(n: int, base: str, articles: int, arrive: float, until: float, think: float,
                   timings: dict[str, list[float]], errors: list[str]) -> None:
    rng = random.Random(n)

    async def pause() -> None:
        if think > 0:
            await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))

    async def timed(kind: str, method: str, url: str, **kwargs: object) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = await client.request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            errors.append(f"{kind}: {type(exc).__name__}: {exc}")
            return None
        timings.setdefault(kind, []).append(time.perf_counter() - started)
        if response.status_code >= 400 and response.status_code != 409:  # 409: someone saved first, by design
            errors.append(f"{kind}: HTTP {response.status_code}: {response.text[:200]}")
        return response

    await asyncio.sleep(arrive)
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        login = await timed("sign in", "POST", "/api/login", json={"name": f"reviewer{n}", "password": PASSWORD})
        if login is None or login.status_code != 200:
            return
        client.headers["X-CSRF-Token"] = login.json()["csrf"]
        while time.perf_counter() < until:
            article = f"report-{rng.randrange(articles):03d}"
            await pause()
            await timed("page /edit/ARTICLE/ru", "GET", f"/edit/{article}/ru")
            listed = await timed("GET /api/segments?article=", "GET", f"/api/segments?lang=ru&article={article}")
            if listed is None or listed.status_code != 200:
                continue
            item = rng.choice(listed.json())
            await pause()
            await timed("GET /api/segments/ID", "GET", f"/api/segments/{item['segment_id']}?lang=ru")
            await pause()
            await timed("PUT /api/segments/ID/ru", "PUT", f"/api/segments/{item['segment_id']}/ru",
                        json={"text": f"Правка {n}: {item['text']}", "version": item["version"]})


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reviewers", type=int, default=50)
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--segments", type=int, default=100, help="segments per article (title and summary too)")
    parser.add_argument("--workers", type=int, default=1, help="server processes (tilmech serve --workers)")
    parser.add_argument("--seconds", type=float, default=60, help="how long reviewers work after the sign-ins")
    parser.add_argument("--ramp", type=float, default=15, help="seconds over which the reviewers sign in")
    parser.add_argument("--think", type=float, default=2.0,
                        help="mean pause between a reviewer's actions, seconds (0: none)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tilmech-load-"))
    server = None
    try:
        build_project(folder, args.articles, args.segments, args.reviewers)
        port = free_port()
        server_log = (folder / "server.log").open("w")
        server = subprocess.Popen([sys.executable, "-m", "tilmech.cli", "--project", str(folder), "serve",
                                   "--port", str(port), "--workers", str(args.workers)], stdout=subprocess.DEVNULL, stderr=server_log,
                                  start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                httpx.get(f"{base}/login", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        timings: dict[str, list[float]] = {}
        errors: list[str] = []
        started = time.perf_counter()

        async def everyone() -> None:
            until = time.perf_counter() + args.ramp + args.seconds
            await asyncio.gather(*(reviewer(n, base, args.articles, args.ramp * n / args.reviewers, until,
                                            args.think, timings, errors)
                                   for n in range(args.reviewers)))

        asyncio.run(everyone())
        elapsed = time.perf_counter() - started
        print(f"{args.reviewers} reviewers for {elapsed:.0f} s on {os.cpu_count()} CPUs, {args.workers} server process(es); "
              f"sign-ins over {args.ramp:.0f} s, pauses of {args.think:g} s on average")
        print(f"{'request':32} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
        total = 0
        for kind, values in timings.items():
            total += len(values)
            print(f"{kind:32} {len(values):6d} {statistics.median(values) * 1000:8.0f} "
                  f"{percentile(values, 0.95) * 1000:8.0f} {max(values) * 1000:8.0f}")
        print(f"{total / elapsed:.0f} requests/s; errors: {len(errors)}")
        for error in sorted(set(errors))[:10]:
            print("  " + error)
        server_log.flush()
        causes = sorted({line.strip() for line in (folder / "server.log").read_text().splitlines()
                         if line.strip() and not line.startswith(" ") and "Error" in line})
        for cause in causes[:10]:
            print("  server: " + cause)
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
