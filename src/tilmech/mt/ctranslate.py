"""Running a CTranslate2 translator on this machine's cores, shared by both CTranslate2 engines
(:mod:`.argos` and :mod:`.ct2`): how many cores this process has, how to spread them over
threads, one process at a time per model on a machine, and batched calls sorted by length.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .base import Advance, MTResult


@contextmanager
def machine_lock(name: str) -> Iterator[None]:
    """One process at a time on this machine uses model ``name`` (an flock in the temp folder):
    two flow runs on one worker machine never hold the same model in memory twice."""
    import fcntl
    import tempfile

    path = Path(tempfile.gettempdir()) / f"tilmech-model-{name}.lock"
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def cpu_count() -> int:
    """Cores this process may run on: its share when the translate flow runs languages in
    several processes (``TILMECH_CORES``), else the affinity mask (not the machine's total)."""
    share = os.environ.get("TILMECH_CORES", "")
    if share.isdigit() and int(share) > 0:
        return int(share)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def thread_plan(cores: int, threads: int = 0) -> tuple[int, int]:
    """(inter_threads, intra_threads) for ``threads`` cores (0: all of them).

    Measured on 2 cores: batches in parallel, one thread each (inter 2, intra 1) beat
    one batch on two threads (inter 1, intra 2) by 40 %. Each inter thread holds a copy
    of the model, so at most 4 run in parallel; further cores go to intra threads.
    """
    total = max(1, threads or cores)
    inter = min(total, 4)
    return inter, max(1, total // inter)


def decoding_bound(source_tokens: int, cap: int) -> int:
    """Most target tokens for a batch whose longest source has ``source_tokens`` tokens.

    A translation is rarely more than twice as long as its source in tokens; a model that
    fails to stop (a broken or mismatched model) then costs bounded time, not ``cap`` steps.
    """
    return max(16, min(cap, 2 * source_tokens + 16))


def translate_sorted(translator: Any, tokens: Sequence[list[str]], prefix: list[str],
                     decode: Callable[[list[str]], str], *, beam_size: int, max_batch_size: int,
                     max_decoding_length: int, chunk: int, advance: Advance | None,
                     workers: int = 1) -> tuple[list[MTResult], int]:
    """Translate token lists with CTranslate2, sorted by length (batches of like length: little
    padding), ``chunk`` of them per ``translate_batch`` call, progress reported between calls.

    A call of few sentences is split into at least ``workers`` batches (the translator's inter
    threads), so that every thread has a share: 12 sentences as one batch run on one thread
    while the others wait (measured on 2 cores: 10 sentences/s, against 15-17 split in two).

    Returns the results in the order of ``tokens`` and the number of calls. Decoding is bounded
    relative to the longest source of each call; a target ``prefix`` (language token) is removed.
    """
    order = sorted(range(len(tokens)), key=lambda i: len(tokens[i]))
    results: list[MTResult | None] = [None] * len(tokens)
    calls = 0
    for start in range(0, len(order), chunk):
        ids = order[start : start + chunk]
        batch = [tokens[i] for i in ids]
        outputs = translator.translate_batch(
            batch,
            target_prefix=[prefix] * len(batch) if prefix else None,
            beam_size=beam_size,
            max_batch_size=min(max_batch_size, -(-len(batch) // max(1, workers))),
            max_decoding_length=decoding_bound(len(batch[-1]), max_decoding_length) + len(prefix),
            return_scores=True,
        )
        calls += 1
        for i, out in zip(ids, outputs, strict=True):
            hyp = list(out.hypotheses[0])
            if prefix and hyp[: len(prefix)] == prefix:
                hyp = hyp[len(prefix) :]
            results[i] = MTResult(decode(hyp).strip(), float(out.scores[0]) if out.scores else None)
        if advance:
            advance(len(ids))
    return [r for r in results if r is not None], calls
