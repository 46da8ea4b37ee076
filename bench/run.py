"""Tilmech's throughput, re-run and memory benchmark: one command, figures side by side.

    .venv/bin/python bench/run.py                      # 100 articles, base-size copy model, beam 4
    .venv/bin/python bench/run.py --articles 10 --beam 1 --quick
    .venv/bin/python bench/run.py --articles 100 --memory-articles 10000

It builds (once, into the cache folder: ``--cache``, default ``~/.cache/tilmech-bench``)
Argos packages made by ``tests/argos_kit.py`` — a *copy* model (output = input, stops
like a real model and costs what a real model of its shape costs) or a *random* one,
``base`` size (Transformer-base: d 512, 6+6 layers, int8) or ``tiny`` — and a generated
corpus of English news articles (``bench/corpus.py``, seed 7). Nothing it prints is a
translation quality figure.

Rows, on the same model, settings and sentences (en→ru):
  raw-ct2        one CTranslate2 ``translate_batch`` over every segment's text, sorted by
                 length (the ceiling; tokenization, model load and a warm-up call not timed);
                 over more than ``--raw-sentences`` sentences, on every n-th of them (a sample)
  argos          argostranslate's own ``translate()`` per paragraph of three sentences, on a
                 sample (``--argos-sentences``); its sentence splitter is replaced by a
                 regular expression (its MiniSBD model would be downloaded, and no network)
  mt-stage       ``services.translate_language`` after ingest (the MT stage, store writes included)
  flow           the ``translate-articles`` Prefect flow on a fresh store: ingest → queue
  rerun          the flow again over unchanged content
  edit-1%        the flow after editing 1 % of the sentences
  3-lang-threads    (with ``--languages``) the flow into ru, ky and zh, languages as threads of one process
  3-lang-processes  the same in two processes sharing the cores (``translate --processes 2``)
  memory         (with ``--memory-articles``) the flow over that many articles into ru, ky and zh
                 on the tiny copy model, then the review queue queries on that store

Each row runs in its own process, which loads the model before timing starts; peak RSS
is that process's maximum resident set (Prefect's temporary API server is a separate
process, not counted). "outside engine" is the share of wall time not spent in
``translate_batch``. Results go to stdout as a table and to a JSON file
(``--json``, default ``bench/results/run-<time>.json``) to compare commits.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LANGS = ("ru", "ky", "zh")


# -- the cache: models, corpora --------------------------------------------------------------


def environment(cache: Path, model: str) -> dict[str, str]:
    """Environment of a row's process: argostranslate and Prefect folders inside the cache."""
    return {
        **os.environ,
        "ARGOS_PACKAGES_DIR": str(cache / "argos" / model / "packages"),
        "XDG_DATA_HOME": str(cache / "argos" / model / "data"),
        "XDG_CONFIG_HOME": str(cache / "argos" / model / "config"),
        "XDG_CACHE_HOME": str(cache / "xdg-cache"),
        "PREFECT_HOME": str(cache / "prefect"),
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "CRITICAL",
        "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
        "TILMECH_USER": "bench",
        "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")]),
    }


def ensure_models(cache: Path, kind: str, size: str) -> str:
    """Build (once) and install the en→ru/ky/zh packages of one model; returns its name."""
    sys.path.insert(0, str(ROOT / "tests"))
    from argos_kit import build_package

    name = f"{kind}-{size}-int8"
    files = cache / "models"
    for lang in LANGS:
        package = files / f"{name}-en_{lang}.argosmodel"
        if not package.exists():
            t0 = time.perf_counter()
            build_package(package.with_suffix(".partial"), "en", lang, kind=kind, size=size, quantization="int8")
            package.with_suffix(".partial").replace(package)
            print(f"built {package.name} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    if not (cache / "argos" / name / "installed").exists():
        code = ("import sys; from pathlib import Path; from tilmech.mt import argos\n"
                "for p in sys.argv[1:]: argos.install_file(Path(p))")
        subprocess.run([sys.executable, "-c", code, *(str(files / f"{name}-en_{lang}.argosmodel") for lang in LANGS)],
                       env=environment(cache, name), check=True)
        (cache / "argos" / name / "installed").write_text("ok\n")
    return name


def ensure_corpus(cache: Path, articles: int, seed: int = 7, short: bool = False) -> Path:
    from corpus import write_corpus

    folder = cache / "corpus" / f"{articles}-seed{seed}{'-short' if short else ''}"
    if not (folder / "complete").exists():
        shutil.rmtree(folder, ignore_errors=True)
        t0 = time.perf_counter()
        write_corpus(folder / "en", articles, seed, short=short)
        (folder / "complete").write_text("ok\n")
        print(f"generated {articles} articles in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return folder / "en"


def make_project(work: Path, corpus: Path, languages: tuple[str, ...], beam: int, fresh: bool = True) -> Path:
    """A fresh project: the corpus, this repository's glossary, settings for the bench. With
    ``fresh=False`` an existing one keeps its articles and store (to re-run ``rerun`` and ``edit-1%`` on the
    store of an earlier ``flow`` row)."""
    if fresh or not (work / "tilmech.yaml").exists():
        shutil.rmtree(work, ignore_errors=True)
        (work / "content").mkdir(parents=True)
        shutil.copytree(corpus, work / "content" / "en")
        shutil.copytree(ROOT / "glossary", work / "glossary")
    (work / "tilmech.yaml").write_text(
        f"target_languages: [{', '.join(languages)}]\nstore: sqlite:///tilmech.db\n"
        f"mt:\n  beam_size: {beam}\n", encoding="utf-8")
    return work


# -- rows (each in its own process) ------------------------------------------------------------


class _TimedTranslator:
    """Wraps a ctranslate2.Translator, adds up the time spent in translate_batch and keeps what it was given."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.seconds = 0.0
        self.tokens: list[list[str]] = []

    def translate_batch(self, *args: Any, **kwargs: Any) -> Any:
        self.tokens += args[0]
        t0 = time.perf_counter()
        try:
            return self.inner.translate_batch(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - t0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _preload(project: Path, languages: tuple[str, ...]) -> list[_TimedTranslator]:
    """Load each language's model as the runtime will (shared per process) and time its calls."""
    from tilmech.mt import argos
    from tilmech.runtime import load_runtime

    rt = load_runtime(project)
    timers = []
    for code in languages:
        lang = rt.settings.resolve_languages([code])[0]
        engine = rt.engine(lang)
        engine.translate(["Warm up."], rt.settings.source, lang)
    for key, model in argos._MODELS.items():
        if key[0].split("-")[1] in languages and not isinstance(model.translator, _TimedTranslator):
            model.translator = _TimedTranslator(model.translator)
            timers.append(model.translator)
    rt.close()
    return timers


def _sentences(project: Path) -> list[str]:
    """The text of every segment of the corpus, in order (repeated sentences repeated)."""
    from tilmech.runtime import load_runtime
    from tilmech.services import iter_documents

    rt = load_runtime(project)
    return [seg.text for docs in iter_documents(rt) for doc in docs for seg in doc.segments]


def row_raw(project: Path, beam: int, sample: int = 0) -> dict[str, Any]:
    import ctranslate2
    import sentencepiece

    from tilmech.mt import argos, ctranslate

    sentences = _sentences(project)
    total = len(sentences)
    if sample and total > sample:  # every n-th sentence: the same mix of lengths, in a fraction of the time
        sentences = sentences[:: -(-total // sample)]
    model_dir = next(m.path for m in argos.installed_models() if m.pair == "en-ru")
    sp = sentencepiece.SentencePieceProcessor(model_file=str(model_dir / "sentencepiece.model"))
    inter, intra = ctranslate.thread_plan(ctranslate.cpu_count())
    translator = ctranslate2.Translator(str(model_dir / "model"), inter_threads=inter, intra_threads=intra)
    tokens = sorted((sp.encode(s, out_type=str) for s in sentences), key=len)
    translator.translate_batch(tokens[:2], beam_size=beam)  # warm up, as the other rows do
    t0 = time.perf_counter()
    outputs = translator.translate_batch(tokens, beam_size=beam, max_batch_size=32,
                                         max_decoding_length=ctranslate.decoding_bound(len(tokens[-1]), 512))
    wall = time.perf_counter() - t0
    exact = sum(sp.decode_pieces(list(o.hypotheses[0])) == sp.decode_pieces(t) for o, t in zip(outputs, tokens,
                                                                                                 strict=True))
    return {"sentences": len(sentences), "wall_s": wall, "engine_s": wall, "exact_copies": exact,
            "threads": f"inter {inter} / intra {intra}", "sample": len(sentences) < total}


def row_argos(project: Path, beam: int, sample: int) -> dict[str, Any]:
    import re

    os.environ.setdefault("ARGOS_BEAM_SIZE", str(beam))
    import argostranslate.translate as at

    class RegexSentencizer:
        def __init__(self, pkg: Any) -> None:
            self.pkg = pkg

        def split_sentences(self, text: str) -> list[str]:
            return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", text) if s]

    at.MiniSBDSentencizer = RegexSentencizer  # type: ignore[attr-defined,misc]
    sentences = _sentences(project)[:sample]
    paragraphs = [" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3)]
    at.translate("Warm up.", "en", "ru")
    t0 = time.perf_counter()
    for paragraph in paragraphs:
        at.translate(paragraph, "en", "ru")
    wall = time.perf_counter() - t0
    return {"sentences": len(sentences), "wall_s": wall, "engine_s": None, "sample": True,
            "beam": int(os.environ["ARGOS_BEAM_SIZE"])}


def row_stage(project: Path) -> dict[str, Any]:
    from tilmech import services
    from tilmech.runtime import load_runtime

    rt = load_runtime(project)
    services.ingest(rt)
    timers = _preload(project, ("ru",))
    t0 = time.perf_counter()
    report = services.translate_language(rt, "ru")
    wall = time.perf_counter() - t0
    rt.close()
    return {"sentences": report.new + report.from_memory, "wall_s": wall,
            "engine_s": sum(t.seconds for t in timers), "segments": report.segments,
            "engine_inputs": report.engine_calls}


def _warm_prefect() -> None:
    from prefect import flow

    @flow(name="bench-warm-up")
    def warm_up() -> None:
        pass

    warm_up()


def raw_cost(timer: _TimedTranslator, beam: int) -> float:
    """Seconds raw CTranslate2 takes over exactly the sentences ``timer`` was given, as the raw-ct2
    row calls it (one translate_batch, sorted by length, batches of 32) or split evenly among the
    translator's threads, whichever is faster: the cost of translating just those sentences."""
    from tilmech.mt import ctranslate

    tokens = sorted(timer.tokens, key=len)
    inter, _ = ctranslate.thread_plan(ctranslate.cpu_count())
    best = float("inf")
    for size in (32, min(32, -(-len(tokens) // inter))):
        t0 = time.perf_counter()
        timer.inner.translate_batch(tokens, beam_size=beam, max_batch_size=size,
                                    max_decoding_length=ctranslate.decoding_bound(len(tokens[-1]), 512))
        best = min(best, time.perf_counter() - t0)
    return best


def row_flow(project: Path, languages: tuple[str, ...], batch_size: int, edit: float = 0.0,
             processes: int = 1, beam: int = 4) -> dict[str, Any]:
    from tilmech.flows import run_here
    from tilmech.flows.translate import translate_articles

    from tilmech import progress

    edited = 0
    if edit:
        from corpus import edit_sentences

        # other sentences each time (as editors do): the same ones would grow longer run after run,
        # and the engine's share with them
        count = project / "edit-runs.txt"
        runs = int(count.read_text(encoding="utf-8")) if count.exists() else 0
        edited = edit_sentences(project / "content" / "en", edit, seed=11 + runs)
        count.write_text(f"{runs + 1}\n", encoding="utf-8")
    _warm_prefect()
    timers = _preload(project, languages) if processes == 1 else []  # processes load their own (timed)
    t0 = time.perf_counter()
    with progress.showing(), run_here():  # as `tilmech translate` runs it
        reports = translate_articles(project=str(project), languages=list(languages), batch_size=batch_size,
                                     processes=processes)
    wall = time.perf_counter() - t0
    result: dict[str, Any] = {
        "sentences": sum(r.new + r.from_memory for r in reports), "wall_s": wall,
        # languages overlap in time: the engine's share is only told for one language
        "engine_s": sum(t.seconds for t in timers) if len(languages) == 1 else None,
        "segments": sum(r.segments for r in reports), "engine_calls": sum(r.engine_calls for r in reports),
        "articles": sum(r.articles for r in reports) // max(1, len(languages)), "languages": list(languages),
        "batch_size": batch_size, "processes": processes,
    }
    if edit:
        result["edited_sentences"] = edited
        given = [t for t in timers if t.tokens]
        if len(given) == 1:
            result["raw_s_of_those_sentences"] = raw_cost(given[0], beam)
    return result


def row_queue(project: Path) -> dict[str, Any]:
    """The review queue on the store the memory row filled."""
    from tilmech import services
    from tilmech.runtime import load_runtime
    from tilmech.store import Store

    rt = load_runtime(project)
    store = Store(rt.settings.store_url, check=False)  # a store the memory row left: this version's schema
    store.upgrade()
    store.close()
    middle = sorted(p.stem for p in (project / "content" / "en").glob("*.md"))[-1]
    middle = f"news-{int(middle.split('-')[1]) // 2:05d}"
    items = services.review_list(rt, "ru", article=middle)
    some = [i.segment_id for i in items[:3]]
    services.review_send_back(rt, "ru", some, "bench")
    timings = {}
    for label, call in (("article (workbench page)", lambda: services.review_list(rt, "ru", article=middle)),
                        ("review list (worst 100)", lambda: services.review_list(rt, "ru", order="risk", limit=100)),
                        ("state needs-work", lambda: services.review_list(rt, "ru", state="needs-work")),
                        ("status counts", lambda: services.stats(rt))):
        call()
        t0 = time.perf_counter()
        call()
        timings[label] = round((time.perf_counter() - t0) * 1000, 1)
    rt.close()
    return {"queries_ms": timings}


def child(args: argparse.Namespace) -> None:
    project = Path(args.project)
    if args.row == "raw-ct2":
        result = row_raw(project, args.beam, args.raw_sentences)
    elif args.row == "argos":
        result = row_argos(project, args.beam, args.argos_sentences)
    elif args.row == "mt-stage":
        result = row_stage(project)
    elif args.row in ("flow", "rerun"):
        result = row_flow(project, ("ru",), args.batch_size)
    elif args.row == "edit-1%":
        result = row_flow(project, ("ru",), args.batch_size, edit=0.01, beam=args.beam)
    elif args.row == "3-lang-threads":
        result = row_flow(project, LANGS, args.batch_size)
    elif args.row == "3-lang-processes":
        result = row_flow(project, LANGS, args.batch_size, processes=2)
    elif args.row == "memory":
        result = row_flow(project, LANGS, args.batch_size)
    elif args.row == "queue":
        result = row_queue(project)
    else:
        raise SystemExit(f"unknown row {args.row!r}")
    result["peak_rss_mb"] = round(_peak_rss_mb(), 1)
    print("RESULT " + json.dumps(result), flush=True)


# -- the orchestrator ----------------------------------------------------------------------------


def run_row(row: str, project: Path, cache: Path, model: str, args: argparse.Namespace) -> dict[str, Any]:
    if args.rows and row not in args.rows.split(","):
        return {"row": row, "model": model, "skipped": True}
    command = [sys.executable, str(Path(__file__).resolve()), "--row", row, "--project", str(project),
               "--beam", str(args.beam), "--batch-size", str(args.batch_size),
               "--argos-sentences", str(args.argos_sentences), "--raw-sentences", str(args.raw_sentences)]
    print(f"… {row} ({model}, {project.name})", file=sys.stderr, flush=True)
    done = subprocess.run(command, env=environment(cache, model), stdout=subprocess.PIPE, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        print(f"row {row} failed (exit {done.returncode})", file=sys.stderr)
        return {"row": row, "model": model, "error": f"exit {done.returncode}"}
    result: dict[str, Any] = json.loads(lines[-1][len("RESULT "):])
    result.update(row=row, model=model)
    return result


def summarize(rows: list[dict[str, Any]]) -> None:
    raw = next((r for r in rows if r["row"] == "raw-ct2" and "wall_s" in r), None)
    raw_rate = raw["sentences"] / raw["wall_s"] if raw else None
    for r in rows:
        if "wall_s" not in r:
            continue
        r["sentences_per_s"] = round(r["sentences"] / r["wall_s"], 2) if r["wall_s"] and r["sentences"] else None
        if raw_rate and r["sentences_per_s"] and r["model"] == raw["model"]:
            r["ratio_to_raw"] = round(r["sentences_per_s"] / raw_rate, 3)
        if r.get("engine_s") is not None and r["wall_s"]:
            r["outside_engine"] = round(max(0.0, 1 - r["engine_s"] / r["wall_s"]), 3)
    first = next((r for r in rows if r["row"] == "flow" and "wall_s" in r), None)
    for r in rows:
        if "wall_s" not in r:
            continue
        if r["row"] == "rerun" and first:
            r["speedup_vs_first_run"] = round(first["wall_s"] / r["wall_s"], 1)
        if r["row"] == "edit-1%" and (raw_rate or r.get("raw_s_of_those_sentences")):
            # raw CTranslate2 over exactly the sentences the engine got (else: at the raw row's rate)
            just_those = r.get("raw_s_of_those_sentences") or r["sentences"] / raw_rate
            r["cost_vs_just_those_sentences"] = round(r["wall_s"] / just_those, 2) if just_those else None
            if just_those and r.get("engine_s") is not None:  # the engine's part: is the batching as good?
                r["engine_vs_just_those_sentences"] = round(r["engine_s"] / just_those, 2)
    threads = next((r for r in rows if r["row"] == "3-lang-threads" and "wall_s" in r), None)
    for r in rows:
        if r["row"] == "3-lang-processes" and threads and "wall_s" in r:
            r["speedup_vs_threads"] = round(threads["wall_s"] / r["wall_s"], 2)


def print_table(rows: list[dict[str, Any]]) -> None:
    header = f"{'row':<10} {'model':<16} {'articles':>8} {'sentences':>9} {'sent/s':>8} {'vs raw':>7} " \
             f"{'wall s':>8} {'peak RSS MB':>11} {'outside engine':>14}  note"
    print(header)
    print("-" * len(header))
    for r in rows:
        if "wall_s" not in r:
            continue
        note = []
        if r.get("sample"):
            note.append("sample")
        if r.get("earlier"):
            note.append("from the earlier run on this store")
        if "speedup_vs_first_run" in r:
            note.append(f"{r['speedup_vs_first_run']}x faster than the first run; {r.get('engine_calls', 0)} engine calls")
        if "cost_vs_just_those_sentences" in r:
            note.append(f"{r.get('edited_sentences')} sentences edited; "
                        f"{r['cost_vs_just_those_sentences']}x the raw cost of just those"
                        + (f" (engine time {r['engine_vs_just_those_sentences']}x)"
                           if "engine_vs_just_those_sentences" in r else ""))
        if r["row"].startswith("3-lang"):
            note.append(" ".join(r["languages"]) + (f", {r['processes']} processes" if r["processes"] > 1 else
                                                    ", threads of one process")
                        + (f": {r['speedup_vs_threads']}x the speed of threads" if "speedup_vs_threads" in r else ""))
        if r["row"] == "memory":
            note.append(" ".join(r["languages"]) + (", short articles" if r.get("short") else ""))
        if "exact_copies" in r:
            note.append(f"{r['exact_copies']}/{r['sentences']} exact copies, {r['threads']}")
        rate = f"{r['sentences_per_s']:.1f}" if r.get("sentences_per_s") else "-"
        ratio = f"{r['ratio_to_raw']:.2f}" if r.get("ratio_to_raw") else "-"
        outside = f"{r['outside_engine'] * 100:.0f} %" if r.get("outside_engine") is not None else "-"
        print(f"{r['row']:<10} {r['model']:<16} {r.get('articles', '') or '':>8} {r['sentences']:>9} {rate:>8} "
              f"{ratio:>7} {r['wall_s']:>8.2f} {r['peak_rss_mb']:>11.0f} {outside:>14}  {'; '.join(note)}")
    for r in rows:
        if r.get("skipped"):
            continue
        if "error" in r:
            print(f"{r['row']}: failed ({r['error']}), see its output above")
        if "queries_ms" in r:
            print("review queue on the memory run's store: "
                  + ", ".join(f"{k} {v} ms" for k, v in r["queries_ms"].items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100, choices=(10, 100, 1000, 10000),
                        help="corpus size of the throughput rows (default 100)")
    parser.add_argument("--beam", type=int, default=4, help="beam size of every row (default 4)")
    parser.add_argument("--model", choices=("copy", "random"), default="copy")
    parser.add_argument("--size", choices=("base", "tiny"), default="base", help="model size of the throughput rows")
    parser.add_argument("--memory-articles", type=int, default=0, choices=(0, 1000, 10000),
                        help="also run the memory row (3 languages, tiny copy model) over this many articles")
    parser.add_argument("--memory-short", action="store_true",
                        help="short articles for the memory row (title, summary, one sentence: about 3 segments)")
    parser.add_argument("--argos-sentences", type=int, default=60,
                        help="sentences of the argostranslate translate() sample (default 60)")
    parser.add_argument("--raw-sentences", type=int, default=20000,
                        help="the raw-ct2 row takes every n-th sentence when the corpus has more than this "
                             "(default 20000; 0: all)")
    parser.add_argument("--batch-size", type=int, default=20, help="articles per flow task (the flow's default: 20)")
    parser.add_argument("--quick", action="store_true", help="raw, argos and mt-stage rows only")
    parser.add_argument("--languages", action="store_true",
                        help="also the flow into ru, ky and zh: in threads of one process, then in 2 processes")
    parser.add_argument("--no-throughput", action="store_true", help="only the memory row (with --memory-articles)")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "tilmech-bench",
                        help="models, corpora and bench projects (default ~/.cache/tilmech-bench)")
    parser.add_argument("--json", type=Path, default=None, help="results file (default bench/results/run-TIME.json)")
    parser.add_argument("--rows", default="", help="run only these rows (comma-separated names, e.g. flow,rerun)")
    parser.add_argument("--row", help=argparse.SUPPRESS)
    parser.add_argument("--project", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.row:
        child(args)
        return

    sys.path.insert(0, str(HERE))
    cache = args.cache.expanduser().resolve()
    cache.mkdir(parents=True, exist_ok=True)
    model = ensure_models(cache, args.model, args.size)
    corpus = ensure_corpus(cache, args.articles)
    work = cache / "work"
    rows: list[dict[str, Any]] = []
    project = make_project(work / f"throughput-{args.articles}", corpus, ("ru",), args.beam)
    for row in () if args.no_throughput else ("raw-ct2", "argos", "mt-stage"):
        rows.append(run_row(row, project, cache, model, args))
        rows[-1]["articles"] = args.articles if row != "argos" else None
    if not args.quick and not args.no_throughput:
        wanted = args.rows.split(",") if args.rows else ["flow"]
        project = make_project(work / f"flow-{args.articles}", corpus, ("ru",), args.beam, fresh="flow" in wanted)
        earlier = project / "flow-row.json"  # the first run's figures, for rerun and edit-1% run later alone
        for row in ("flow", "rerun", "edit-1%"):
            rows.append(run_row(row, project, cache, model, args))
            if row == "flow" and "wall_s" in rows[-1]:
                earlier.write_text(json.dumps(rows[-1]) + "\n", encoding="utf-8")
            elif row == "flow" and earlier.exists():
                rows[-1] = dict(json.loads(earlier.read_text(encoding="utf-8")), earlier=True)
    if args.languages and not args.no_throughput:
        for row in ("3-lang-threads", "3-lang-processes"):
            project = make_project(work / f"{row}-{args.articles}", corpus, LANGS, args.beam)
            rows.append(run_row(row, project, cache, model, args))
    if args.memory_articles:
        tiny = ensure_models(cache, "copy", "tiny")
        project = make_project(work / f"memory-{args.memory_articles}",
                               ensure_corpus(cache, args.memory_articles, short=args.memory_short), LANGS, args.beam)
        rows.append(run_row("memory", project, cache, tiny, args))
        rows[-1]["short"] = args.memory_short
        rows.append(run_row("queue", project, cache, tiny, args))
    summarize(rows)
    print(f"\nbeam {args.beam}, int8, {os.cpu_count()} CPUs; corpus {args.articles} articles (seed 7)")
    print_table(rows)
    out = args.json or HERE / "results" / f"run-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"beam": args.beam, "cpus": os.cpu_count(), "articles": args.articles,
                               "model": model, "rows": rows}, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
