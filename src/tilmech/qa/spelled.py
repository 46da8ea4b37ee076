"""Numbers written as words: read them as values, in English sources and in ru, ky and zh targets.

A translation may write "12 lectures" as "двенадцать лекций" or 十二场讲座, and "twelve
lectures" as "12 лекций": the number check reads number words as values on both sides,
from 0 to 999 999 999, so a right number in words passes and a wrong one is still found.

* **Russian**: each word's dictionary form (pymorphy3: "двенадцати", "двумя", "тысячи"
  → двенадцать, два, тысяча), then the values added up, thousands and millions multiplying.
* **Kyrgyz**: rules. The stems (бир, эки, … он, жыйырма, … жүз, миң, миллион) written
  apart ("он эки" 12, "эки жүз элүү" 250, "үч миң" 3000), each with or without the ordinal
  suffix (-инчи: "экинчи") and a case suffix ("онго", "бештен").
* **Chinese**: 零〇一二两三…十百千万亿, as 十二, 一百零五, 两千, 三十万; a run of digit characters
  without units (二〇二三) reads digit by digit.
* **English** (the source): two to ninety-nine and their hundreds, thousands and millions
  ("twelve", "twenty-five", "three hundred"); "one" alone is left out ("one of the …").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from functools import cache

from ..glossary.morphology import KYRGYZ_SUFFIXES

_UNIT, _HUNDREDS, _SCALE = "unit", "hundreds", "scale"  # added; multiplies the units before; closes a group


def _total(items: list[tuple[Decimal, str]]) -> Decimal:
    total = current = Decimal(0)
    for value, kind in items:
        if kind == _SCALE:
            total += (current or 1) * value
            current = Decimal(0)
        elif kind == _HUNDREDS:
            current = (current or 1) * value
        else:
            current += value
    return total + current


def _runs(words: list[tuple[str, tuple[Decimal, str] | None]]) -> list[Decimal]:
    """The values of runs of consecutive number words (a ``None`` ends a run)."""
    values: list[Decimal] = []
    run: list[tuple[Decimal, str]] = []
    for _, item in [*words, ("", None)]:
        if item is not None:
            # "два три" (two numbers) is rare; a new run starts when a unit follows a unit below ten
            if run and item[1] == _UNIT and run[-1][1] == _UNIT and run[-1][0] < 10 and item[0] >= 1:
                values.append(_total(run))
                run = []
            run.append(item)
        elif run:
            values.append(_total(run))
            run = []
    return values


# -- English --------------------------------------------------------------------------------

_EN_UNITS = {w: i for i, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"])}
_EN_TENS = {w: 10 * i for i, w in enumerate(["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"], 2)}
_EN_SCALES = {"thousand": 1000, "million": 10**6}
_EN_WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)?")


def _english_item(word: str) -> list[tuple[Decimal, str]] | None:
    lower = word.lower()
    if "-" in lower:
        tens, _, unit = lower.partition("-")
        if tens in _EN_TENS and unit in _EN_UNITS and 0 < _EN_UNITS[unit] < 10:
            return [(Decimal(_EN_TENS[tens] + _EN_UNITS[unit]), _UNIT)]
        return None
    if lower in _EN_UNITS:
        return [(Decimal(_EN_UNITS[lower]), _UNIT)]
    if lower in _EN_TENS:
        return [(Decimal(_EN_TENS[lower]), _UNIT)]
    if lower == "hundred":
        return [(Decimal(100), _HUNDREDS)]
    if lower in _EN_SCALES:
        return [(Decimal(_EN_SCALES[lower]), _SCALE)]
    return None


def english_number_words(text: str) -> list[tuple[str, Decimal]]:
    """Numbers written as English words in ``text``: (the words, the value)."""
    found: list[tuple[str, Decimal]] = []
    span: list[int] = []  # start and end of the run in ``text``
    items: list[tuple[Decimal, str]] = []

    def close() -> None:
        # "one" alone, and a bare "hundred" or "thousand" ("thousands of"), are not counted
        if items and not (len(items) == 1 and (items[0][0] == 1 or items[0][1] != _UNIT)):
            found.append((text[span[0] : span[1]], _total(items)))
        span.clear()
        items.clear()

    pos = 0
    for m in _EN_WORD.finditer(text):
        between = text[pos : m.start()]
        pos = m.end()
        item = _english_item(m.group(0))
        if item is None and m.group(0).lower() == "and" and items and items[-1][1] == _HUNDREDS:
            continue  # "three hundred and twenty"
        if item is None or (items and not re.fullmatch(r"\s+", between)):
            close()
        if item is not None:
            span[:] = [span[0] if span else m.start(), m.end()]
            items.extend(item)
    close()
    return found


# -- Russian --------------------------------------------------------------------------------

_RU_LEMMAS: dict[str, tuple[int | float, str]] = {
    **{w: (i, _UNIT) for i, w in enumerate(
        ["ноль", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять", "десять", "одиннадцать", "двенадцать", "тринадцать", "четырнадцать", "пятнадцать", "шестнадцать", "семнадцать", "восемнадцать", "девятнадцать"])},
    **{w: (10 * i, _UNIT) for i, w in enumerate(
        ["двадцать", "тридцать", "сорок", "пятьдесят", "шестьдесят", "семьдесят", "восемьдесят", "девяносто"], 2)},
    **{w: (100 * i, _UNIT) for i, w in enumerate(
        ["сто", "двести", "триста", "четыреста", "пятьсот", "шестьсот", "семьсот", "восемьсот", "девятьсот"], 1)},
    "нуль": (0, _UNIT), "полтора": (1.5, _UNIT), "половина": (0.5, _UNIT), "тысяча": (1000, _SCALE), "миллион": (10**6, _SCALE), "миллиард": (10**9, _SCALE),
}
_RU_STEMS = re.compile(r"^(?:нол|нул|од|дв|тр|чет|пят|шест|сем|вос|дев|дес|сор|ст|тыс|мил|пол)", re.IGNORECASE)


@cache
def _russian_item(word: str) -> tuple[Decimal, str] | None:
    if not _RU_STEMS.match(word):
        return None
    from ..glossary.morphology import _morph

    for parse in _morph().parse(word.lower()):
        if parse.tag.POS in ("NUMR", "NOUN", "ADJF") and parse.normal_form in _RU_LEMMAS:
            if parse.normal_form == "один" and parse.tag.POS != "ADJF" and "NUMR" not in parse.tag:
                continue
            value, kind = _RU_LEMMAS[parse.normal_form]
            return Decimal(str(value)), kind
    return None


# -- Kyrgyz ---------------------------------------------------------------------------------

_KY_STEMS: dict[str, tuple[int | float, str]] = {
    **{w: (i, _UNIT) for i, w in enumerate(["нөл", "бир", "эки", "үч", "төрт", "беш", "алты", "жети", "сегиз", "тогуз"])},
    **{w: (10 * i, _UNIT) for i, w in enumerate(
        ["он", "жыйырма", "отуз", "кырк", "элүү", "алтымыш", "жетимиш", "сексен", "токсон"], 1)},
    "жүз": (100, _HUNDREDS), "миң": (1000, _SCALE), "миллион": (10**6, _SCALE), "миллиард": (10**9, _SCALE),
    "жарым": (0.5, _UNIT),  # "эки жарым миң": 2 500
}
# what may follow a stem: an ordinal suffix (экинчи, үчүнчү, онунчу), then a case suffix; the bare
# accusative "-н" is left out ("алтын" is gold, not six)
_KY_CASE = "|".join(s for s, _ in KYRGYZ_SUFFIXES if s != "н")
_KY_TAIL = re.compile(rf"(?:[ыиуү]?нч[ыиуү])?(?:{_KY_CASE})?")
_KY_WORD = re.compile(r"^(" + "|".join(sorted(_KY_STEMS, key=len, reverse=True)) + r")(.*)$")


def _kyrgyz_item(word: str) -> tuple[Decimal, str] | None:
    m = _KY_WORD.match(word.lower())
    if m is None or not _KY_TAIL.fullmatch(m.group(2)):
        return None
    value, kind = _KY_STEMS[m.group(1)]
    return Decimal(str(value)), kind


# -- Chinese --------------------------------------------------------------------------------

_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}
_ZH_SCALES = {"万": 10**4, "亿": 10**8}
ZH_NUMBER = re.compile("[零〇一二两三四五六七八九十百千万亿]+")


def chinese_value(text: str) -> int | None:
    """The value of Chinese numerals (十二 12, 一百零五 105, 两千 2000, 三十万 300000, 二〇二三 2023)."""
    if not text or text[0] in _ZH_SCALES:
        return None
    if all(c in _ZH_DIGITS for c in text):
        return int("".join(str(_ZH_DIGITS[c]) for c in text)) if len(text) > 1 or text != "两" else 2
    total = section = digit = 0
    for char in text:
        if char in _ZH_DIGITS:
            digit = _ZH_DIGITS[char]
        elif char in _ZH_UNITS:
            section += (digit or 1) * _ZH_UNITS[char]
            digit = 0
        else:
            total = (total + section + digit) * _ZH_SCALES[char]
            section = digit = 0
    return total + section + digit


# -- all languages ----------------------------------------------------------------------------

_CYRILLIC_WORD = re.compile(r"[а-яёөүңА-ЯЁӨҮҢ]+")


def number_words(text: str, lang: str) -> list[Decimal]:
    """The values of the numbers ``text`` writes as words in ``lang`` (ru, ky, zh)."""
    if lang == "zh":
        return [Decimal(v) for m in ZH_NUMBER.finditer(text) if (v := chinese_value(m.group(0))) is not None]
    readers: dict[str, Callable[[str], tuple[Decimal, str] | None]] = {"ru": _russian_item, "ky": _kyrgyz_item}
    item = readers.get(lang)
    if item is None:
        return []
    words: list[tuple[str, tuple[Decimal, str] | None]] = []
    pos = 0
    for m in _CYRILLIC_WORD.finditer(text):
        if words and words[-1][1] is not None and not re.fullmatch(r"\s+", text[pos : m.start()]):
            words.append(("", None))
        if lang == "ru" and m.group(0).lower() == "с" and words and words[-1][1] is not None \
                and re.match(r"\s+половин", text[m.end() :]):
            pos = m.end()
            continue  # "две с половиной тысячи": 2 500
        words.append((m.group(0), item(m.group(0))))
        pos = m.end()
    return [v.normalize() if v != v.to_integral_value() else v.quantize(Decimal(1)) for v in _runs(words)]
