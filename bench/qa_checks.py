"""QA check throughput: every check, with the project's glossary, on the labelled pairs.

    .venv/bin/python bench/qa_checks.py [--rounds 20]

Runs all checks over the labelled set of tests/data/qa/labelled.yaml ``rounds`` times
and prints pairs/s per language and the slowest checks (ms per 1000 pairs).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def main() -> None:
    from tilmech.glossary import TermMatcher, load_glossary
    from tilmech.languages import get_language
    from tilmech.qa import Pair, checks_for, segment_from_text

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    matcher = TermMatcher(load_glossary(ROOT / "glossary"))
    pairs = yaml.safe_load((ROOT / "tests" / "data" / "qa" / "labelled.yaml").read_text(encoding="utf-8"))["pairs"]
    per_check: dict[str, float] = {}
    per_lang: dict[str, tuple[int, float]] = {}
    for _ in range(args.rounds):
        for p in pairs:
            lang = get_language(p["lang"])
            pair = Pair(segment_from_text(p["source"]), p["target"], lang, matcher)
            start = time.perf_counter()
            for check in checks_for(lang.code):
                t0 = time.perf_counter()
                check(pair)
                per_check[check.code] = per_check.get(check.code, 0.0) + time.perf_counter() - t0
            count, spent = per_lang.get(lang.code, (0, 0.0))
            per_lang[lang.code] = (count + 1, spent + time.perf_counter() - start)
    total = sum(n for n, _ in per_lang.values())
    print(f"{len(pairs)} labelled pairs x {args.rounds} rounds = {total} checked pairs")
    for code, (n, spent) in sorted(per_lang.items()):
        print(f"  {code}: {n / spent:8.0f} pairs/s")
    print("slowest checks (ms per 1000 pairs):")
    for code, spent in sorted(per_check.items(), key=lambda kv: -kv[1])[:6]:
        print(f"  {code:<18} {spent / total * 1e6:8.1f}")


if __name__ == "__main__":
    main()
