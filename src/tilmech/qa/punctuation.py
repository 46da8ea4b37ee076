"""Punctuation and typography per language.

Chinese takes full-width punctuation (，。：；？！ and “”) next to Chinese characters;
Russian and Kyrgyz take «» quotes and the non-breaking spaces of Babel's number
formats (``1 250`` with U+00A0, ``80 %`` in Russian); a sentence-final ``.``, ``!``,
``?`` or ``:`` of the source stays at the end of the target.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from babel.numbers import format_decimal, format_percent

from ..markdown.placeholders import PLACEHOLDER_RE
from .model import CODE_SPAN_RE, HAN_RE, Pair, Severity, register, strip_markup

FULL_WIDTH = {",": "，", ".": "。", ":": "：", ";": "；", "?": "？", "!": "！"}
_HAN = HAN_RE.pattern
_ASCII_AFTER_HAN = re.compile(rf"(?<={_HAN})\s?([,.:;?!])(?!\d)")
_ASCII_BEFORE_HAN = re.compile(rf"(?<!\d)([,:;?!])\s?(?={_HAN})")
_STRAIGHT_QUOTE_HAN = re.compile(rf"\"\s*{_HAN}|{_HAN}[。，！？]?\s*\"")


@register("zh-punctuation", Severity.COSMETIC,
          "Chinese text takes full-width punctuation (，。：；？！) and “” quotes, not ASCII", "punctuation", ("zh",))
def check_zh_punctuation(pair: Pair) -> Iterator[str]:
    text = strip_markup(pair.target, "")
    marks = [m for p in (_ASCII_AFTER_HAN, _ASCII_BEFORE_HAN) for m in p.finditer(text)]
    for mark in dict.fromkeys(m.group(1) for m in sorted(marks, key=lambda m: m.start())):
        yield f"ASCII {mark!r} in Chinese text: use {FULL_WIDTH[mark]!r}"
    if _STRAIGHT_QUOTE_HAN.search(text):
        yield 'straight quotes "…" in Chinese text: use “…”'


@register("quotes", Severity.COSMETIC, "Russian and Kyrgyz text takes «» quotes, not \"\" or “”", "punctuation",
          ("ru", "ky"))
def check_quotes(pair: Pair) -> Iterator[str]:
    text = pair.target_prose
    for m in re.finditer(r"[\"“”„]([^\"“”„]*)[\"“”]", text):
        if re.search(r"[\u0400-\u04FF]", m.group(1)):
            yield f"{m.group(0)!r}: use «{m.group(1)}»"


_PLAIN_SPACE_GROUP = re.compile(r"(?<![\d.,])\d{1,3}(?: \d{3})+(?![\d])")
_PLAIN_SPACE_PERCENT = re.compile(r"(?<![\d.,])\d+(?:,\d+)? %")


@register("nbsp", Severity.COSMETIC,
          "Russian and Kyrgyz numbers written with Babel's non-breaking spaces (1 250, 80 %), not plain spaces",
          "punctuation", ("ru", "ky"))
def check_nbsp(pair: Pair) -> Iterator[str]:
    text = pair.target_prose
    babel = pair.lang.babel
    for m in _PLAIN_SPACE_GROUP.finditer(text):
        expected = format_decimal(int(m.group(0).replace(" ", "")), locale=babel)
        yield f"{m.group(0)}: a plain space between digit groups: write {expected} with a non-breaking space (U+00A0)"
    percent_space = "\u00a0" in format_percent(0.5, locale=babel)
    for m in _PLAIN_SPACE_PERCENT.finditer(text):
        number = m.group(0)[:-2]
        expected = "a non-breaking space (U+00A0) before %" if percent_space else f"{number}% with no space"
        yield f"{m.group(0)}: a plain space before %: write {expected}"


_ABBREVIATION_END = re.compile(r"\b(?:[A-Z]|Prof|Dr|Mr|Mrs|Ms|St|Jr|Sr|No|vs|approx)\.$")
_FINAL = {".": ".。…", "!": "!！", "?": "?？", ":": ":：", "…": "….。"}
# closing quotes, brackets, emphasis marks, placeholders, and the pseudo engine's "~~~]" padding
_TRAILING = re.compile(r"(?:\s|[\"'»”’)\]）】」』*_~]|" + PLACEHOLDER_RE.pattern + r")+$")


def _final(text: str) -> str:
    text = CODE_SPAN_RE.sub("code", text)
    text = _TRAILING.sub("", text)
    return text[-1:] if text else ""


@register("final-punct", Severity.COSMETIC,
          "a sentence-final . ! ? : of the source kept at the end of the target (。！？： in Chinese)",
          "punctuation")
def check_final_punctuation(pair: Pair) -> Iterator[str]:
    mark = _final(pair.source)
    if mark not in _FINAL:
        return
    if mark == "." and _ABBREVIATION_END.search(_TRAILING.sub("", pair.source)):
        return  # "Prof." or an initial at the end is not a full stop
    end = _final(pair.target)
    if end not in _FINAL[mark]:
        yield f"the source ends with {mark!r}, the target with {end!r}: keep the sentence-final punctuation"
