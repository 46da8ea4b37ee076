"""The releases page on a large project: the preview, the API, and creating a release.

    .venv/bin/python bench/releases.py                       # 150, 600 and 1 000 articles
    .venv/bin/python bench/releases.py --articles 1000 --repeat 5

For each size it builds a project in a temporary folder (``--workdir`` keeps the projects and
reuses them on the next run): generated English news articles (``bench/corpus.py``, seed 7),
ingested and drafted in ru, ky and zh by the pseudo engine, then given a mix of review states
by article, four kinds in turn: every segment approved; approved but one; drafts left as the
engine wrote them, one of them with a critical QA finding; approved, then one English sentence
edited and translated again (one stale segment). The last tenth of the articles has no zh
translation yet. Then it prints, each the median of ``--repeat`` runs on a copy of that
project:

  preview     ``services.release_preview`` (what each locale would ship, and why the rest waits)
  api         ``GET /api/releases`` through the web app (``tilmech.web.create_app``, in-process
              ASGI client, signed in as an editor): the release list and the preview as JSON
  create      ``services.release_create`` in a process of its own, with its peak RSS and the
              growth of RSS during the call (RSS after loading the project subtracted)
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from corpus import write_corpus  # noqa: E402

LANGS = ("ru", "ky", "zh")
PASSWORD = "correct horse battery"
EDITOR = "elena"
CRITICAL = {"code": "placeholders", "severity": "critical", "message": "a placeholder is missing: {1}"}


def build_project(folder: Path, articles: int) -> None:
    """The project of the module's docstring, in ``folder``."""
    from sqlalchemy import select, update

    from tilmech import services
    from tilmech.runtime import load_runtime
    from tilmech.store import SegmentRow, TranslationRow

    for name in ("glossary", "locales"):
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("*.mo"))
    (folder / "tilmech.yaml").write_text("target_languages: [ru, ky, zh]\n"
                                         "engines: {ru: pseudo, ky: pseudo, zh: pseudo}\n", encoding="utf-8")
    content = folder / "content" / "en"
    paths = write_corpus(content, articles)
    slugs = [p.stem for p in paths]
    rt = load_runtime(folder, "bench")
    services.users_add(rt, EDITOR, "editor", PASSWORD, [])
    services.ingest(rt)
    without_zh = slugs[len(slugs) - len(slugs) // 10:]
    for code in LANGS:
        services.translate_language(rt, code, slugs[: len(slugs) - len(without_zh)] if code == "zh" else None)
    kinds = {kind: slugs[kind::4] for kind in range(4)}  # 0 approved, 1 all but one, 2 drafts, 3 stale
    with rt.store.session() as s:
        for kind in (0, 1, 3):
            for start in range(0, len(kinds[kind]), 500):
                chunk = kinds[kind][start : start + 500]
                ids = select(SegmentRow.id).where(SegmentRow.article.in_(chunk))
                s.execute(update(TranslationRow).where(TranslationRow.segment_id.in_(ids))
                          .values(state="approved", qa=[]))
        for kind, values in ((1, {"state": "draft"}), (2, {"qa": [CRITICAL]})):
            for slug in kinds[kind]:
                last_id = s.scalars(select(SegmentRow.id).where(SegmentRow.article == slug)
                                     .order_by(SegmentRow.position.desc()).limit(1)).first()
                s.execute(update(TranslationRow).where(TranslationRow.segment_id == last_id).values(**values))
    for slug in kinds[3]:  # one English sentence edited: its approved translation goes stale
        path = content / f"{slug}.md"
        text = path.read_text(encoding="utf-8").rstrip("\n")
        path.write_text(text[:-1] + ", officials said" + text[-1] + "\n", encoding="utf-8")
    services.ingest(rt)
    for code in LANGS:
        services.translate_language(rt, code, slugs[: len(slugs) - len(without_zh)] if code == "zh" else None)
    rt.store.analyze()
    (folder / "built").write_text(str(articles), encoding="utf-8")


def copy_project(source: Path, dest: Path) -> Path:
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("built"))
    return dest


def time_preview(folder: Path) -> tuple[float, int, int]:
    """Seconds of one ``release_preview``, with the numbers of ready and blocked (article, locale)."""
    from tilmech import services
    from tilmech.runtime import load_runtime

    rt = load_runtime(folder, "bench")
    started = time.perf_counter()
    preview = services.release_preview(rt)
    seconds = time.perf_counter() - started
    return seconds, sum(len(p.ready) for p in preview), sum(len(p.blocked) for p in preview)


def time_api(folder: Path, repeat: int) -> list[float]:
    """Seconds of ``GET /api/releases`` as an editor, ``repeat`` times on one app."""
    with warnings.catch_warnings():  # starlette's note on its httpx dependency
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from tilmech.runtime import load_runtime
    from tilmech.web import create_app

    client = TestClient(create_app(load_runtime(folder, "bench")))
    response = client.post("/api/login", json={"name": EDITOR, "password": PASSWORD})
    response.raise_for_status()
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get("/api/releases")
        out.append(time.perf_counter() - started)
        response.raise_for_status()
    return out


# Peak RSS from the kernel's VmHWM of this process (ru_maxrss would carry over the parent's across exec).
CREATE = """
import json, re, sys, time
from tilmech import services
from tilmech.runtime import load_runtime
def hwm():
    with open("/proc/self/status") as f:
        return int(re.search(r"VmHWM:\\s+(\\d+)", f.read()).group(1))
rt = load_runtime(sys.argv[1], "bench")
rt.store.analyze()
before = hwm()
started = time.perf_counter()
info = services.release_create(rt)
seconds = time.perf_counter() - started
peak = hwm()
print(json.dumps({"seconds": seconds, "peak_kib": peak, "growth_kib": peak - before,
                  "locales": {k: len(v) for k, v in info.locales.items()}}))
"""


def time_create(folder: Path) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", CREATE, str(folder)], capture_output=True, text=True, check=True)
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, nargs="+", default=[150, 600, 1000])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement (the median is shown)")
    parser.add_argument("--workdir", type=Path, help="keep the built projects here and reuse them")
    args = parser.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="tilmech-bench-releases-"))
    print(f"{'articles':>8}  {'preview s':>9}  {'GET /api/releases s':>19}  {'create s':>8}  "
          f"{'create peak RSS MiB':>19}  {'RSS growth MiB':>14}  ready/blocked  shipped per locale")
    try:
        for articles in args.articles:
            base = work / f"project-{articles}"
            if not (base / "built").is_file():
                shutil.rmtree(base, ignore_errors=True)
                started = time.perf_counter()
                build_project(base, articles)
                print(f"# built {articles} articles in {time.perf_counter() - started:.0f} s", file=sys.stderr)
            previews, apis, creates = [], [], []
            counts: tuple[int, int] = (0, 0)
            for run in range(args.repeat):
                copy = copy_project(base, work / f"run-{articles}-{run}")
                try:
                    seconds, ready, blocked = time_preview(copy)
                    previews.append(seconds)
                    counts = (ready, blocked)
                    apis += time_api(copy, 1)
                    creates.append(time_create(copy))
                finally:
                    shutil.rmtree(copy, ignore_errors=True)
            create_s = statistics.median(float(str(c["seconds"])) for c in creates)
            peak = max(int(str(c["peak_kib"])) for c in creates) / 1024
            growth = max(int(str(c["growth_kib"])) for c in creates) / 1024
            shipped = ", ".join(f"{k} {v}" for k, v in dict(creates[-1]["locales"]).items())  # type: ignore[call-overload]
            print(f"{articles:>8}  {statistics.median(previews):>9.3f}  {statistics.median(apis):>19.3f}  "
                  f"{create_s:>8.2f}  {peak:>19.0f}  {growth:>14.0f}  {counts[0]}/{counts[1]:<9}  {shipped}",
                  flush=True)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
