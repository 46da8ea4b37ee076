"""Engines beside Argos: the ct2 engine on an NLLB-shaped model, the openai engine's request overhead.

ct2: builds (once, into bench/.cache/) a Transformer-base copy model shaped like a
converted NLLB-200 model (language tokens, forced target token), int8, with the test
kit, and compares raw CTranslate2 ``translate_batch`` with Tilmech's ct2 engine on
the same sentences. The copy model costs what a real model of its size costs and its
output equals its input: nothing here is a translation quality figure (a real
NLLB-200 600M is about 3 times larger than this model).

openai: runs the tests' loopback chat-completions server (answers at once) and
measures segments/s through the engine for batch sizes and concurrency: the cost of
the engine itself (prompt building, JSON, threads), not of any LLM.

    .venv/bin/python bench/engines.py [--sentences 200] [--beam 4]

Prints the figures and writes them as JSON to bench/results/engines.json.
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
sys.path.insert(0, str(HERE.parent / "tests"))


def corpus(count: int) -> list[str]:
    """English news sentences from the project's articles, repeated to ``count``."""
    from tilmech.articles import load_articles
    from tilmech.markdown.extract import segment_article

    sentences = [s.text for a in load_articles(HERE.parent / "content" / "en") for s in segment_article(a).segments]
    return [sentences[i % len(sentences)] + ("" if i < len(sentences) else f" ({i})") for i in range(count)]


def bench_ct2(sentences: list[str], beam: int) -> dict[str, object]:
    import ctranslate2
    import sentencepiece

    from argos_kit import build_ct2_model
    from tilmech.languages import get_language
    from tilmech.mt.ct2 import Ct2Config, Ct2Engine

    model_dir = CACHE / "nllb-shaped-base-int8"
    if not (model_dir / "model.bin").exists():
        t0 = time.perf_counter()
        build_ct2_model(model_dir, "nllb", size="base", quantization="int8")
        print(f"built {model_dir.name} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    sp = sentencepiece.SentencePieceProcessor(model_file=str(model_dir / "sentencepiece.bpe.model"))
    translator = ctranslate2.Translator(str(model_dir), inter_threads=os.cpu_count() or 1, intra_threads=1)
    tokens = sorted((["eng_Latn", *sp.encode(s, out_type=str), "</s>"] for s in sentences), key=len)
    t0 = time.perf_counter()
    translator.translate_batch(tokens, target_prefix=[["kir_Cyrl"]] * len(tokens), beam_size=beam,
                               max_batch_size=32, max_decoding_length=512)
    raw = time.perf_counter() - t0
    del translator

    config = Ct2Config("ct2-nllb", model_dir, model_dir / "sentencepiece.bpe.model",
                       model_dir / "sentencepiece.bpe.model", ("{source}",), ("</s>",), ("{target}",),
                       {"en": "eng_Latn", "ky": "kir_Cyrl"})
    engine = Ct2Engine(config, beam_size=beam, max_batch_size=32)
    en, ky = get_language("en"), get_language("ky")
    engine.translate(sentences[:1], en, ky)  # load the model outside the timing
    t0 = time.perf_counter()
    outputs = engine.translate(sentences, en, ky)
    ours = time.perf_counter() - t0
    exact = sum(o.text == s for o, s in zip(outputs, sentences, strict=True))
    print(f"{'ct2 (NLLB-shaped, base, int8)':<34}{'sent/s':>10}{'ratio':>8}{'wall s':>9}")
    print(f"{'  raw CTranslate2':<34}{len(sentences) / raw:>10.1f}{1:>8.2f}{raw:>9.2f}")
    print(f"{'  Tilmech ct2 engine':<34}{len(sentences) / ours:>10.1f}{raw / ours:>8.2f}{ours:>9.2f}")
    print(f"  exact copies: {exact}/{len(sentences)}")
    return {"raw_ctranslate2": {"seconds": round(raw, 3), "sentences_per_s": round(len(sentences) / raw, 1)},
            "tilmech_ct2": {"seconds": round(ours, 3), "sentences_per_s": round(len(sentences) / ours, 1),
                            "ratio_to_raw": round(raw / ours, 3), "exact_copies": exact}}


def bench_openai(sentences: list[str]) -> list[dict[str, object]]:
    from llm_server import Script, serve
    from tilmech.languages import get_language
    from tilmech.mt.openai import OpenAIEngine
    from tilmech.settings import OpenAIEngineDef

    rows = []
    print(f"{'openai (loopback, instant answers)':<34}{'seg/s':>10}{'requests':>10}")
    for batch_size, concurrency in ((1, 1), (1, 4), (8, 1), (8, 4)):
        script = Script()
        with serve(script) as url:
            definition = OpenAIEngineDef(type="openai", url=url, model="bench", batch_size=batch_size,
                                         concurrency=concurrency)
            engine = OpenAIEngine("llm", definition)
            t0 = time.perf_counter()
            engine.translate(sentences, get_language("en"), get_language("ky"))
            seconds = time.perf_counter() - t0
        label = f"  batch {batch_size}, concurrency {concurrency}"
        print(f"{label:<34}{len(sentences) / seconds:>10.1f}{len(script.requests):>10}")
        rows.append({"batch_size": batch_size, "concurrency": concurrency, "seconds": round(seconds, 3),
                     "segments_per_s": round(len(sentences) / seconds, 1), "requests": len(script.requests)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=200)
    parser.add_argument("--beam", type=int, default=4)
    args = parser.parse_args()
    CACHE.mkdir(exist_ok=True)
    sentences = corpus(args.sentences)
    results = {"sentences": len(sentences), "beam": args.beam, "cpus": os.cpu_count(),
               "ct2": bench_ct2(sentences, args.beam), "openai": bench_openai(sentences)}
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "engines.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
