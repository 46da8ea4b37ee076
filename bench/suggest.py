"""Memory suggestions: lookup time at 10 000 and 100 000 translations.

    python bench/suggest.py [--sizes 10000,100000] [--queries 200]

Builds a store in a temporary folder with that many segments (generated English sentences:
a Zipf-like vocabulary whose commonest words are English function words, some numbers,
some two-clause sentences) each with a Russian draft, then asks for the suggestions of
near-matches of stored sentences (one word changed, a number changed, the clauses in the
other order) and of unrelated sentences. Prints, per size, the time to build the index
(the first lookup) and the p50, p95 and max of the lookups after it (wall clock, and the
CPU time of the thread, which a machine busy with other work inflates less), and how many
near-matches found their sentence first. The target: p95 under 50 ms at 100 000.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FUNCTION_WORDS = ["the", "of", "and", "to", "in", "a", "for", "with", "on", "at", "by", "from", "is", "was", "as",
                  "that", "this", "their", "its", "an", "are", "were", "be", "has", "have", "will", "new"]
LETTERS = "abcdefghiklmnoprstuvwy"


def vocabulary(rng: random.Random, size: int = 6000) -> list[str]:
    words = list(FUNCTION_WORDS)
    seen = set(words)
    while len(words) < size:
        w = "".join(rng.choice(LETTERS) for _ in range(rng.randint(3, 11)))
        if w not in seen:
            seen.add(w)
            words.append(w)
    return words


def _clause(rng: random.Random, words: list[str], weights: list[float]) -> str:
    parts = rng.choices(words, weights, k=rng.randint(4, 12))
    if rng.random() < 0.3:
        parts.insert(rng.randint(0, len(parts)), str(rng.choice((rng.randint(2, 99), rng.randint(1990, 2030)))))
    return " ".join(parts)


def sentences(count: int, seed: int = 7) -> list[str]:
    """``count`` different English-like sentences."""
    rng = random.Random(seed)
    words = vocabulary(rng)
    weights = [1 / (rank + 1) for rank in range(len(words))]
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < count:
        text = _clause(rng, words, weights)
        if rng.random() < 0.4:
            text += ", " + _clause(rng, words, weights)
        text = text[0].upper() + text[1:] + "."
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


@dataclass(frozen=True)
class NearMatch:
    kind: str  # word | number | order
    query: str
    original: str
    original_id: str


def near_matches(stored: list[tuple[str, str]], per_kind: int, seed: int = 11) -> list[NearMatch]:
    """Labelled near-matches of stored (segment id, sentence) pairs: one word changed, a number changed,
    the two clauses swapped."""
    rng = random.Random(seed)
    words = vocabulary(random.Random(7))
    out: list[NearMatch] = []
    candidates = list(stored)
    rng.shuffle(candidates)
    found = {"word": 0, "number": 0, "order": 0}
    for sid, text in candidates:
        body = text[:-1]
        tokens = body.split()
        if found["word"] < per_kind and len(tokens) >= 8:
            i = rng.randrange(2, len(tokens) - 1)
            changed = [*tokens[:i], rng.choice(words[100:]), *tokens[i + 1 :]]
            out.append(NearMatch("word", " ".join(changed) + ".", text, sid))
            found["word"] += 1
        elif found["number"] < per_kind and re.search(r"\b\d+\b", body) and len(tokens) >= 6:
            m = re.search(r"\b\d+\b", body)
            assert m is not None
            other = str(int(m.group(0)) + rng.randint(1, 9))
            out.append(NearMatch("number", body[: m.start()] + other + body[m.end() :] + ".", text, sid))
            found["number"] += 1
        elif found["order"] < per_kind and body.count(", ") == 1 and len(tokens) >= 8:
            first, second = body.split(", ")
            swapped = second[0].upper() + second[1:] + ", " + first[0].lower() + first[1:] + "."
            out.append(NearMatch("order", swapped, text, sid))
            found["order"] += 1
        if all(n >= per_kind for n in found.values()):
            break
    return out


def build_memory(rt: Any, count: int, *, lang: str = "ru", per_article: int = 100, seed: int = 7) -> list[tuple[str, str]]:
    """Store ``count`` segments (articles of ``per_article``) with a ``lang`` draft each; returns
    (segment id, English) of each."""
    import hashlib

    from sqlalchemy import insert

    from tilmech.store import ArticleRow, SegmentRow, TranslationRow

    texts = sentences(count, seed)
    out: list[tuple[str, str]] = []
    articles, segments, translations = [], [], []
    for a in range(0, count, per_article):
        slug = f"memory-{a // per_article:05d}"
        articles.append({"slug": slug, "title": slug, "date": dt.date(2024, 1, 1), "content_hash": "0" * 64,
                         "source_path": f"content/en/{slug}.md"})
        for position, text in enumerate(texts[a : a + per_article]):
            sid = hashlib.sha256(f"{slug}/{position}".encode()).hexdigest()[:16]
            segments.append({"id": sid, "article": slug, "field": "body", "position": position, "source": text,
                             "placeholders": {}, "active": True})
            translations.append({"segment_id": sid, "lang": lang, "machine": f"[{lang}] {text}",
                                 "text": f"[{lang}] {text}", "state": "draft", "origin": "mt", "engine": "pseudo",
                                 "updated_by": "bench"})
            out.append((sid, text))
    with rt.store.session() as s:  # one statement per table: a store of 100 000 in seconds
        s.execute(insert(ArticleRow), articles)
        s.execute(insert(SegmentRow), segments)
        s.execute(insert(TranslationRow), translations)
    return out


def add_queries(rt: Any, queries: list[str], slug: str = "queries") -> list[str]:
    """The query sentences as segments of an article of their own (no translation): their ids."""
    import hashlib

    from tilmech.store import ArticleRow, SegmentRow

    ids = []
    with rt.store.session() as s:
        s.add(ArticleRow(slug=slug, title=slug, date=dt.date(2024, 1, 1), content_hash="0" * 64,
                         source_path=f"content/en/{slug}.md"))
        s.flush()
        for position, text in enumerate(queries):
            sid = hashlib.sha256(f"{slug}/{position}".encode()).hexdigest()[:16]
            s.add(SegmentRow(id=sid, article=slug, field="body", position=position, source=text, placeholders={},
                             active=True))
            ids.append(sid)
    return ids


def empty_project(folder: Path) -> Path:
    for name in ("glossary", "locales"):
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("*.mo"))
    (folder / "content" / "en").mkdir(parents=True)
    (folder / "tilmech.yaml").write_text("target_languages: [ru, ky, zh]\nengines: {ru: pseudo, ky: pseudo, "
                                         "zh: pseudo}\n", encoding="utf-8")
    return folder


def measure(size: int, queries: int) -> None:
    from tilmech import services
    from tilmech.runtime import load_runtime

    with tempfile.TemporaryDirectory() as tmp:
        rt = load_runtime(empty_project(Path(tmp)))
        started = time.perf_counter()
        stored = build_memory(rt, size)
        filled = time.perf_counter() - started
        labelled = near_matches(stored, queries // 4)
        unrelated = sentences(queries // 4, seed=99)
        ids = add_queries(rt, [m.query for m in labelled] + unrelated)
        started = time.perf_counter()
        services.suggestions(rt, ids[0], "ru")
        first = time.perf_counter() - started
        times, cpu, right = [], [], 0
        for n, sid in enumerate(ids):
            started, cpu_started = time.perf_counter(), time.thread_time()
            found = services.suggestions(rt, sid, "ru")
            times.append(time.perf_counter() - started)
            cpu.append(time.thread_time() - cpu_started)
            if n < len(labelled) and found and found[0].segment_id == labelled[n].original_id:
                right += 1
        ms, cpu_ms = sorted(t * 1000 for t in times), sorted(t * 1000 for t in cpu)
        print(f"{size:>7} translations (stored in {filled:.1f} s): first lookup (builds the index) "
              f"{first * 1000:.0f} ms; then {len(ms)} lookups: p50 {statistics.median(ms):.1f} ms, "
              f"p95 {ms[int(len(ms) * 0.95) - 1]:.1f} ms, max {ms[-1]:.1f} ms (CPU time of this thread: "
              f"p50 {statistics.median(cpu_ms):.1f} ms, p95 {cpu_ms[int(len(cpu_ms) * 0.95) - 1]:.1f} ms); "
              f"near-matches found first: {right}/{len(labelled)}", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args(argv)
    for size in (int(x) for x in args.sizes.split(",")):
        measure(size, args.queries)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    main()
