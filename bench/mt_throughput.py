"""MT throughput: raw CTranslate2 against Tilmech's Argos engine, on the same model and sentences.

Builds (once, into bench/.cache/) a Transformer-base copy model of Argos shape,
int8, with the test kit: it costs what a real model of its size costs, and its
output equals its input, so nothing here is a translation quality figure.

    .venv/bin/python bench/mt_throughput.py [--sentences 200] [--beam 4]

Prints sentences/s, the ratio to raw CTranslate2 and wall time; writes the figures
as JSON to bench/results/mt_throughput.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
os.environ.setdefault("ARGOS_PACKAGES_DIR", str(CACHE / "argos-packages"))
os.environ.setdefault("XDG_DATA_HOME", str(CACHE / "xdg-data"))
os.environ.setdefault("XDG_CACHE_HOME", str(CACHE / "xdg-cache"))
os.environ.setdefault("XDG_CONFIG_HOME", str(CACHE / "xdg-config"))
sys.path.insert(0, str(HERE.parent / "tests"))


def corpus(count: int) -> list[str]:
    """English news sentences from the project's articles, repeated to ``count``."""
    from tilmech.articles import load_articles
    from tilmech.segments import segment_article

    sentences = [s.text for a in load_articles(HERE.parent / "content" / "en") for s in segment_article(a).segments]
    return [sentences[i % len(sentences)] + ("" if i < len(sentences) else f" ({i})") for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=200)
    parser.add_argument("--beam", type=int, default=4)
    args = parser.parse_args()

    from argos_kit import build_package

    CACHE.mkdir(exist_ok=True)
    package = CACHE / "copy-base-int8-en_ru.argosmodel"
    if not package.exists():
        t0 = time.perf_counter()
        build_package(package, "en", "ru", kind="copy", size="base", quantization="int8")
        print(f"built {package.name} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    from tilmech.mt import argos

    if not any(m.pair == "en-ru" for m in argos.installed_models()):
        argos.install_file(package)
    model_dir = next(m.path for m in argos.installed_models() if m.pair == "en-ru")

    import ctranslate2
    import sentencepiece

    from tilmech.languages import get_language

    sentences = corpus(args.sentences)
    sp = sentencepiece.SentencePieceProcessor(model_file=str(model_dir / "sentencepiece.model"))
    translator = ctranslate2.Translator(str(model_dir / "model"), inter_threads=os.cpu_count() or 1, intra_threads=1)
    tokens = sorted((sp.encode(s, out_type=str) for s in sentences), key=len)
    t0 = time.perf_counter()
    translator.translate_batch(tokens, beam_size=args.beam, max_batch_size=32, max_decoding_length=512)
    raw = time.perf_counter() - t0

    engine = argos.ArgosEngine(beam_size=args.beam, max_batch_size=32)
    engine.translate(sentences[:1], get_language("en"), get_language("ru"))  # load the model outside the timing
    t0 = time.perf_counter()
    outputs = engine.translate(sentences, get_language("en"), get_language("ru"))
    ours = time.perf_counter() - t0
    exact = sum(o.text == s for o, s in zip(outputs, sentences, strict=True))

    results = {
        "sentences": len(sentences), "beam": args.beam, "cpus": os.cpu_count(),
        "raw_ctranslate2": {"seconds": round(raw, 3), "sentences_per_s": round(len(sentences) / raw, 1)},
        "tilmech_engine": {"seconds": round(ours, 3), "sentences_per_s": round(len(sentences) / ours, 1),
                           "ratio_to_raw": round(raw / ours, 3), "exact_copies": exact},
    }
    print(f"{'path':<28}{'sent/s':>10}{'ratio':>8}{'wall s':>9}")
    print(f"{'raw CTranslate2':<28}{len(sentences) / raw:>10.1f}{1:>8.2f}{raw:>9.2f}")
    print(f"{'Tilmech Argos engine':<28}{len(sentences) / ours:>10.1f}{raw / ours:>8.2f}{ours:>9.2f}")
    print(f"exact copies: {exact}/{len(sentences)}")
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "mt_throughput.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
