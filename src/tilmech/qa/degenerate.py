"""Degenerate output: empty, untranslated, looping, or far longer or shorter than the source."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..markdown.placeholders import LETTER_RE
from .model import LATIN_WORD_RE, Pair, Severity, register, strip_markup
from .script import english_words

# Target length / source length: non-space characters outside markup, less the Latin words both
# share (names and acronyms kept as written). Measured on the correct translations of the labelled
# set (tests/data/qa/labelled.yaml, sources of 20 or more such characters; most are sentences of the
# seed article): ru 0.74–1.39 (17 pairs, mean 1.05), ky 0.87–1.30 (15, mean 1.06), zh 0.26–0.50
# (14, mean 0.38). The bounds are half the lowest and 1.6 times the highest ratio measured.
LENGTH_RATIOS: dict[str, tuple[float, float]] = {"ru": (0.37, 2.22), "ky": (0.43, 2.08), "zh": (0.13, 0.8)}
LENGTH_MIN_SOURCE = 20  # shorter sources (names, headings) vary too much to judge

_SHORT_LOOP = re.compile(r"(.{2,11}?)(?:\s*\1){2,}", re.S)  # a short unit three or more times in a row
_LONG_LOOP = re.compile(r"(.{12,80}?)[\s,;，；]*\1", re.S)  # a long unit twice in a row
_WORD_LOOP = re.compile(r"(?<!\w)(\w+(?:\s+\w+){0,3})(?:[\s,，]+\1(?!\w)){2,}", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s*")


@register("empty", Severity.CRITICAL, "the translation is empty", "degenerate")
def check_empty(pair: Pair) -> Iterator[str]:
    if not pair.target.strip():
        yield "the translation is empty"


def _normal(text: str) -> str:
    return " ".join(strip_markup(text).split()).casefold()


@register("untranslated", Severity.FUNCTIONAL,
          "the target is the source, or still has English words (outside glossary terms, URLs, code)",
          "degenerate")
def check_untranslated(pair: Pair) -> Iterator[str]:
    if _normal(pair.target) == _normal(pair.source) and any(
            not w.isupper() for w in LATIN_WORD_RE.findall(pair.source_prose) if len(w) > 1):
        yield "the target is the English source: not translated"
        return
    left = english_words(pair)
    if left:
        yield f"English words left in the target: {' '.join(dict.fromkeys(left))}"


def _loops(text: str) -> list[str]:
    found = []
    for pattern in (_WORD_LOOP, _SHORT_LOOP, _LONG_LOOP):
        for m in pattern.finditer(text):
            unit = m.group(1).strip()
            if LETTER_RE.search(unit) and unit not in found:
                found.append(unit)
    sentences = [s.strip() for s in _SENTENCE_END.split(text) if len(LETTER_RE.findall(s)) >= 8]
    found += [s for i, s in enumerate(sentences) if s in sentences[:i] and s not in found]
    return found


@register("repeat", Severity.FUNCTIONAL,
          "repeated words, phrases or sentences that the source does not repeat (MT loops)", "degenerate")
def check_repeat(pair: Pair) -> Iterator[str]:
    in_source = _loops(pair.source_prose)
    for unit in _loops(pair.target_prose):
        if unit not in in_source:
            yield f"{unit!r} is repeated: the engine looped"


def _size(text: str) -> int:
    return len(re.sub(r"\s", "", text))


def translated_sizes(pair: Pair) -> tuple[int, int]:
    """Non-space characters of source and target prose, less the Latin words both share (names, acronyms)."""
    source, target = pair.source_prose, pair.target_prose
    shared = set(LATIN_WORD_RE.findall(source)) & set(LATIN_WORD_RE.findall(target))
    for word in shared:
        pattern = rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])"
        source, target = re.sub(pattern, " ", source), re.sub(pattern, " ", target)
    return _size(source), _size(target)


@register("length", Severity.FUNCTIONAL,
          "the target far longer or shorter than the source, by ratios measured for each language", "degenerate")
def check_length(pair: Pair) -> Iterator[str]:
    bounds = LENGTH_RATIOS.get(pair.lang.code)
    source, target = translated_sizes(pair)
    if bounds is None or source < LENGTH_MIN_SOURCE or target == 0:
        return
    ratio = target / source
    low, high = bounds
    if ratio < low:
        yield f"the target is {ratio:.2f} times the source's length: too short for {pair.lang.code} (at least {low})"
    elif ratio > high:
        yield f"the target is {ratio:.2f} times the source's length: too long for {pair.lang.code} (at most {high})"
