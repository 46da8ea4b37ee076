"""The daily loop as a person feels it: each command run as a process, wall time, against its target.

    .venv/bin/python bench/daily.py                    # 20 articles, pseudo engine, 5 runs each
    .venv/bin/python bench/daily.py --articles 100 --runs 3 --only review

A project of ``--articles`` generated articles (``bench/corpus.py``, seed 7) translated into
ru, ky and zh by the pseudo engine (no model to load: what is left is tilmech's own time), is
built once per invocation in ``--work`` (default a temporary folder). Rows:

  translate no-op       ``tilmech translate`` with nothing changed          target 2 s
  translate missing     ``tilmech translate`` in a project whose engine is argos and
                        no model is installed (exit 3 expected)            target 2 s
  translate 1 edit      one sentence of one article edited, then translate  target 4 s
  review list/show/edit/approve, status, releases                          target 0.5 s each
  edit→publish          edit one sentence, translate, approve the article in every language,
                        release create, release approve, publish           target 10 s

Each row runs ``--runs`` times: median and max wall seconds. The machine's load average is
printed with the table: on a shared machine, compare figures taken at similar loads.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TILMECH = [sys.executable, "-m", "tilmech.cli"]
LANGS = ("ru", "ky", "zh")


def environment(work: Path) -> dict[str, str]:
    """Prefect's and argostranslate's folders inside the work folder; no model installed."""
    return {
        **os.environ,
        "PREFECT_HOME": str(work / "prefect"),
        "ARGOS_PACKAGES_DIR": str(work / "argos" / "packages"),
        "XDG_DATA_HOME": str(work / "argos" / "data"),
        "XDG_CONFIG_HOME": str(work / "argos" / "config"),
        "XDG_CACHE_HOME": str(work / "xdg-cache"),
        "DO_NOT_TRACK": "1",
        "TILMECH_USER": "bench",
    }


def run(args: Sequence[str], project: Path, env: dict[str, str], expect: int = 0,
        stdin: str | None = None) -> tuple[float, str]:
    """Run ``tilmech ARGS`` in ``project``; its wall seconds and stdout. Another exit code than
    ``expect`` stops the bench with the command's output."""
    t0 = time.perf_counter()
    done = subprocess.run([*TILMECH, *args], cwd=project, env=env, capture_output=True, text=True, input=stdin)
    wall = time.perf_counter() - t0
    if done.returncode != expect:
        sys.exit(f"tilmech {' '.join(args)}: exit {done.returncode} (expected {expect})\n{done.stdout}\n{done.stderr}")
    return wall, done.stdout


def wall(args: Sequence[str], project: Path, env: dict[str, str]) -> float:
    return run(args, project, env)[0]


def make_project(work: Path, articles: int, engine: str) -> Path:
    sys.path.insert(0, str(HERE))
    from corpus import write_corpus

    project = work / f"project-{engine}"
    shutil.rmtree(project, ignore_errors=True)
    write_corpus(project / "content" / "en", articles, 7)
    shutil.copytree(ROOT / "glossary", project / "glossary")
    shutil.copytree(ROOT / "locales", project / "locales", ignore=shutil.ignore_patterns("*.mo"))
    (project / "tilmech.yaml").write_text(
        f"target_languages: [{', '.join(LANGS)}]\nstore: sqlite:///tilmech.db\n"
        f"engines: {{{', '.join(f'{lang}: {engine}' for lang in LANGS)}}}\n", encoding="utf-8")
    return project


_EDITS = [0]


def edit_one_sentence(project: Path) -> str:
    """Change one word of the first paragraph of one article; the article's slug."""
    path = sorted((project / "content" / "en").glob("*.md"))[0]
    text = path.read_text(encoding="utf-8")
    body = text.split("\n---\n", 1)
    _EDITS[0] += 1
    word = f"Edit{_EDITS[0]}x{os.getpid()}"
    body[1] = re.sub(r"^(\s*)(\w+)", lambda m: f"{m.group(1)}{word}", body[1], count=1)
    path.write_text("\n---\n".join(body), encoding="utf-8")
    return path.stem


def a_segment(project: Path) -> str:
    """The id of a segment of the queue (ru)."""
    from tilmech import services
    from tilmech.runtime import load_runtime

    rt = load_runtime(project)
    try:
        return services.review_list(rt, "ru", limit=1)[0].segment_id
    finally:
        rt.close()


def approve_all(project: Path) -> None:
    from tilmech import services
    from tilmech.runtime import load_runtime

    rt = load_runtime(project)
    try:
        for lang in LANGS:
            for path in sorted((project / "content" / "en").glob("*.md")):
                services.review_approve(rt, lang, article=path.stem)
    finally:
        rt.close()


def measure(name: str, target: float, runs: int, once: Callable[[], float]) -> dict[str, object]:
    times = [once() for _ in range(runs)]
    row = {"row": name, "target": target, "median": statistics.median(times), "max": max(times), "runs": runs}
    print(f"  {name:<22} median {row['median']:6.2f} s  max {row['max']:6.2f} s", file=sys.stderr, flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", type=Path, default=None, help="Folder for the projects (default: temporary).")
    parser.add_argument("--only", default="", help="Comma-separated row groups: translate, missing, review, publish.")
    args = parser.parse_args()
    groups = set(filter(None, args.only.split(","))) or {"translate", "missing", "review", "publish"}
    work = args.work or Path(tempfile.mkdtemp(prefix="tilmech-daily-"))
    work.mkdir(parents=True, exist_ok=True)
    env = environment(work)
    project = make_project(work, args.articles, "pseudo")
    t0 = time.perf_counter()
    run(["translate"], project, env)
    print(f"built a {args.articles}-article project in {time.perf_counter() - t0:.1f} s: {project}", file=sys.stderr)
    rows: list[dict[str, object]] = []
    if "translate" in groups:
        rows.append(measure("translate no-op", 2.0, args.runs, lambda: run(["translate"], project, env)[0]))

        def edited() -> float:
            edit_one_sentence(project)
            return run(["translate"], project, env)[0]

        rows.append(measure("translate 1 edit", 4.0, args.runs, edited))
    if "missing" in groups:
        missing = make_project(work, args.articles, "argos")
        rows.append(measure("translate missing", 2.0, args.runs,
                            lambda: run(["translate"], missing, env, expect=3)[0]))
    if "review" in groups:
        sid = a_segment(project)
        counter = [0]

        def review_edit() -> float:
            counter[0] += 1
            return run(["review", "edit", sid, "--lang", "ru", "--text", f"Правка {counter[0]}"], project, env)[0]

        for name, argv in (("review list", ["review", "list", "--lang", "ru"]),
                           ("review show", ["review", "show", sid, "--lang", "ru"]),
                           ("status", ["status"]),
                           ("releases", ["releases"])):
            rows.append(measure(name, 0.5, args.runs, functools.partial(wall, argv, project, env)))
        rows.append(measure("review edit", 0.5, args.runs, review_edit))
        rows.append(measure("review approve", 0.5, args.runs,
                            lambda: run(["review", "approve", sid, "--lang", "ru"], project, env)[0]))
    if "publish" in groups:
        site = work / "site"

        def sequence() -> float:
            t = time.perf_counter()
            slug = edit_one_sentence(project)
            run(["translate"], project, env)
            for lang in LANGS:
                run(["review", "approve", "--lang", lang, "--article", slug], project, env)
            _, out = run(["release", "create"], project, env)
            found = re.search(r"release (\d+)", out)
            if not found:
                sys.exit(f"release create printed no id: {out!r}")
            run(["release", "approve", found.group(1)], project, env)
            run(["publish", found.group(1), "--to", str(site)], project, env)
            return time.perf_counter() - t

        approve_all(project)  # every article approved once: each release ships them all
        rows.append(measure("edit→publish", 10.0, args.runs, sequence))
    load = os.getloadavg()
    print(f"\ndaily loop: {args.articles} articles, pseudo engine, {args.runs} runs each; "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    print(f"| {'command':<22} | median s | max s | target s | ok |")
    print(f"|{'-' * 24}|----------|-------|----------|----|")
    for r in rows:
        ok = "yes" if float(r["median"]) <= float(r["target"]) else "no"  # type: ignore[arg-type]
        print(f"| {r['row']:<22} | {r['median']:8.2f} | {r['max']:5.2f} | {r['target']:8.1f} | {ok:<3}|")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
