"""The daily loop as a person feels it: each command run as a process, wall time, against its target.

    .venv/bin/python bench/daily.py                        # 20 and 1 000 articles, 5 runs each
    .venv/bin/python bench/daily.py --articles 20 --runs 3 --only review,translate

For each size in ``--articles``, a project of generated articles (``bench/corpus.py``, seed 7)
translated into ru, ky and zh by the pseudo engine (no model to load: what is left is tilmech's
own time) is built once per invocation in ``--work`` (default a temporary folder). Its first
``translate`` starts the project's Prefect server and resident process (``tilmech server``), which
the later rows reuse; they are stopped at the end. Rows:

  translate no-op       ``tilmech translate`` with nothing changed          target 2 s
  translate missing     ``tilmech translate`` in a project whose engine is argos and
                        no model is installed (exit 3 expected)            target 2 s
  translate 1 edit      one sentence of one article edited, then translate, the
                        project's Prefect server running                   target 4 s
  translate 1 edit, temporary server    the same with TILMECH_PREFECT_SERVER=off
                        (Prefect's temporary server in the command)        no target (the old way)
  server start (cold)   ``tilmech server start`` with none running: what the first
                        command of the day pays once                        no target
  review list/show/edit/approve/send-back, status, release list,
  releases, qa verify   handed to the project's resident process           target 0.5 s each
  ..., own process      the same with TILMECH_RESIDENT=off: the command imports
                        everything itself                                  no target
  verify                ``tilmech verify R`` of the release served (and in its own process)  target 0.5 s
  edit→publish          edit one sentence, translate, approve the article in every language,
                        release create, release approve, publish           target 10 s (the
                        smallest size only: a release of 1 000 articles is another figure)

Each row runs ``--runs`` times (the two slow server rows at most twice): median and max wall
seconds. The machine's load average is printed with each table: on a shared machine, compare
figures taken at similar loads.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import resource
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
TILMECH = [sys.executable, "-m", "tilmech"]  # what the `tilmech` script runs
LANGS = ("ru", "ky", "zh")


def environment(work: Path) -> dict[str, str]:
    """Prefect's and argostranslate's folders inside the work folder; no model installed; no Prefect server
    configured, so that the commands start and reuse the project's own."""
    # PYTHONDONTWRITEBYTECODE: an installed tilmech has its modules compiled; without it an editable
    # one compiles them once, not in every command measured.
    env = {key: value for key, value in os.environ.items() if key not in ("PREFECT_API_URL", "PYTHONDONTWRITEBYTECODE")}
    return {
        **env,
        "PREFECT_HOME": str(work / "prefect"),
        "ARGOS_PACKAGES_DIR": str(work / "argos" / "packages"),
        "XDG_DATA_HOME": str(work / "argos" / "data"),
        "XDG_CONFIG_HOME": str(work / "argos" / "config"),
        "XDG_CACHE_HOME": str(work / "xdg-cache"),
        "DO_NOT_TRACK": "1",
        "TILMECH_USER": "bench",
        "TILMECH_PREFECT_SERVER": "auto",
        "TILMECH_RESIDENT": "auto",
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

    project = work / f"project-{articles}-{engine}"
    if project.is_dir():
        run(["server", "stop"], project, environment(work))
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


def functional_codes() -> str:
    """Every functional check, comma-separated: what a script acknowledges to approve drafts as they are."""
    from tilmech.qa import all_checks

    return ",".join(c.code for c in all_checks() if str(c.severity) == "functional")


def segments(project: Path, count: int) -> list[str]:
    """Ids of ``count`` segments of the queue (ru)."""
    from tilmech import services
    from tilmech.runtime import load_runtime

    rt = load_runtime(project)
    try:
        return [item.segment_id for item in services.review_list(rt, "ru", limit=count)]
    finally:
        rt.close()


def approve_all(project: Path) -> None:
    from tilmech import services
    from tilmech.runtime import load_runtime

    rt = load_runtime(project)
    codes = functional_codes().split(",")
    try:
        for lang in LANGS:
            for path in sorted((project / "content" / "en").glob("*.md")):
                try:
                    services.review_approve(rt, lang, article=path.stem, acknowledge=codes)
                except TypeError:  # a tilmech without acknowledgements
                    services.review_approve(rt, lang, article=path.stem)
    finally:
        rt.close()


def measure(name: str, target: float | None, runs: int, once: Callable[[], float]) -> dict[str, object]:
    """``once`` run ``runs`` times: median and max wall seconds, and the median CPU seconds of the processes
    it ran (user + system: on a busy machine, what the command itself costs; a server's work is not in it)."""
    times, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(once())
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    row: dict[str, object] = {"row": name, "target": target, "median": statistics.median(times), "max": max(times),
                              "cpu": statistics.median(cpus), "runs": runs}
    print(f"  {name:<36} median {row['median']:6.2f} s  max {row['max']:6.2f} s  cpu {row['cpu']:6.2f} s",
          file=sys.stderr, flush=True)
    return row


def rows_for(size: int, work: Path, env: dict[str, str], runs: int, groups: set[str],
             sequence: bool) -> list[dict[str, object]]:
    project = make_project(work, size, "pseudo")
    t0 = time.perf_counter()
    run(["translate"], project, env)
    print(f"built a {size}-article project in {time.perf_counter() - t0:.1f} s (its Prefect server started "
          f"on the way): {project}", file=sys.stderr, flush=True)
    rows: list[dict[str, object]] = []
    slow = min(runs, 2)
    if "translate" in groups:
        rows.append(measure("translate no-op", 2.0, runs, lambda: run(["translate"], project, env)[0]))

        def edited(environ: dict[str, str]) -> float:
            edit_one_sentence(project)
            return run(["translate"], project, environ)[0]

        rows.append(measure("translate 1 edit", 4.0, runs, functools.partial(edited, env)))
        rows.append(measure("translate 1 edit, temporary server", None, slow,
                            functools.partial(edited, dict(env, TILMECH_PREFECT_SERVER="off"))))

        def cold() -> float:
            run(["server", "stop"], project, env)
            return run(["server", "start"], project, env)[0]

        rows.append(measure("server start (cold)", None, slow, cold))
    if "missing" in groups:
        missing = make_project(work, size, "argos")
        rows.append(measure("translate missing", 2.0, runs, lambda: run(["translate"], missing, env, expect=3)[0]))
    if "review" in groups:
        ids = segments(project, 2 + 4 * runs)
        sid, spare = ids[0], iter(ids[1:])
        codes = functional_codes()
        counter = [0]

        def review_edit(environ: dict[str, str]) -> float:
            counter[0] += 1
            return run(["review", "edit", sid, "--lang", "ru", "--text", f"Правка {counter[0]}"], project, environ)[0]

        own = dict(env, TILMECH_RESIDENT="off")
        run(["server", "start"], project, env)  # the resident process too (the translate above started it)
        for name, argv in (("review list", ["review", "list", "--lang", "ru"]),
                           ("review show", ["review", "show", sid, "--lang", "ru"]),
                           ("status", ["status"]),
                           ("release list", ["release", "list"]),
                           ("releases", ["releases"])):
            rows.append(measure(name, 0.5, runs, functools.partial(wall, argv, project, env)))
            rows.append(measure(f"{name}, own process", None, runs, functools.partial(wall, argv, project, own)))
        verify = ["qa", "verify", "--lang", "ru", "--source", "In 2024, 15 teachers.", "--target",
                  "В 2024 году 15 учителей."]
        rows.append(measure("qa verify", 0.5, runs, functools.partial(wall, verify, project, env)))
        rows.append(measure("qa verify, own process", None, runs, functools.partial(wall, verify, project, own)))
        for environ, suffix, target in ((env, "", 0.5), (own, ", own process", None)):
            rows.append(measure(f"review edit{suffix}", target, runs,
                                functools.partial(review_edit, environ)))
            rows.append(measure(f"review approve{suffix}", target, runs, lambda e=environ: run(
                ["review", "approve", next(spare), "--lang", "ru", "--acknowledge", codes], project, e)[0]))
            rows.append(measure(f"review send-back{suffix}", target, runs, lambda e=environ: run(
                ["review", "send-back", next(spare), "--lang", "ru", "--note", "check the numbers"], project, e)[0]))
    if "publish" in groups and sequence:
        site = work / f"site-{size}"
        codes = functional_codes()
        published: list[str] = []

        def steps() -> float:
            t = time.perf_counter()
            slug = edit_one_sentence(project)
            run(["translate"], project, env)
            for lang in LANGS:
                run(["review", "approve", "--lang", lang, "--article", slug, "--acknowledge", codes], project, env)
            _, out = run(["release", "create"], project, env)
            found = re.search(r"release (\d+)", out)
            if not found:
                sys.exit(f"release create printed no id: {out!r}")
            run(["release", "approve", found.group(1)], project, env)
            run(["publish", found.group(1), "--to", str(site)], project, env)
            published.append(found.group(1))
            return time.perf_counter() - t

        approve_all(project)  # every article approved once: each release ships them all
        rows.append(measure("edit→publish", 10.0, runs, steps))
        verify = ["verify", published[-1], "--to", str(site)]  # every file of the release served, by its manifest
        rows.append(measure("verify", 0.5, runs, functools.partial(wall, verify, project, env)))
        rows.append(measure("verify, own process", None, runs, functools.partial(
            wall, verify, project, dict(env, TILMECH_RESIDENT="off"))))
    run(["server", "stop"], project, env)
    return rows


def print_table(size: int, runs: int, rows: list[dict[str, object]]) -> None:
    load = os.getloadavg()
    print(f"\ndaily loop: {size} articles, pseudo engine, {runs} runs each; "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    print(f"| {'command':<36} | median s | max s | cpu s | target s | ok |")
    print(f"|{'-' * 38}|----------|-------|-------|----------|----|")
    for r in rows:
        target = r["target"]
        ok = "-" if target is None else "yes" if float(r["median"]) <= float(target) else "no"  # type: ignore[arg-type]
        shown = "-" if target is None else f"{float(target):.1f}"  # type: ignore[arg-type]
        print(f"| {r['row']:<36} | {r['median']:8.2f} | {r['max']:5.2f} | {r['cpu']:5.2f} | {shown:>8} | {ok:<3}|",
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", default="20,1000", help="Project sizes, comma-separated (default 20,1000).")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", type=Path, default=None, help="Folder for the projects (default: temporary).")
    parser.add_argument("--only", default="", help="Comma-separated row groups: translate, missing, review, publish.")
    args = parser.parse_args()
    groups = set(filter(None, args.only.split(","))) or {"translate", "missing", "review", "publish"}
    sizes = sorted(int(n) for n in args.articles.split(","))
    work = args.work or Path(tempfile.mkdtemp(prefix="tilmech-daily-"))
    work.mkdir(parents=True, exist_ok=True)
    env = environment(work)
    try:
        for size in sizes:
            print_table(size, args.runs, rows_for(size, work, env, args.runs, groups, sequence=size == sizes[0]))
    finally:
        for project in work.glob("project-*"):
            subprocess.run([*TILMECH, "server", "stop"], cwd=project, env=env, capture_output=True)
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
