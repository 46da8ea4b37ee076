"""Numbers and dates: every one of the source in the target, compared as values in the target's locale.

English ``1,250`` reads ``1 250`` in Russian and ``1,250`` in Chinese: the target's
numbers are parsed with the target locale's group and decimal symbols (Babel), so
``1,250`` in a Russian text is the decimal 1.25 and is reported. Ordinals (``1st``)
may be written as digits or as the language's ordinal word; Chinese ``万`` and
``亿`` multiply. Dates of the source (``June 5th, 2023``, ``5 June 2023``,
``2023-06-05``) are found in the target by their day, year and month (name in the
target language, or number in a numeric date).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache

from babel.dates import format_date
from babel.numbers import format_decimal, get_decimal_symbol, get_group_symbol

from ..languages import Language
from .model import Pair, Severity, register
from .spelled import chinese_value, english_number_words, number_words

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
_MONTH = "(" + "|".join(m.capitalize() for m in MONTHS) + "|" + "|".join(m[:3].capitalize() for m in MONTHS) + r")\.?"
_ORD = r"(?:st|nd|rd|th)?"
_DATE_PATTERNS = (
    re.compile(rf"\b{_MONTH}\s+(\d{{1,2}}){_ORD},?\s+(\d{{4}})\b"),  # June 5th, 2023
    re.compile(rf"\b(\d{{1,2}}){_ORD}\s+(?:of\s+)?{_MONTH},?\s+(\d{{4}})\b"),  # 5 June 2023
    re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"),  # 2023-06-05
    re.compile(rf"\b{_MONTH}\s+(\d{{1,2}}){_ORD}\b(?!,?\s*\d)"),  # June 5th
)

# ordinal words a translation may use instead of digits (1st → первый), stems matched at a word start
ORDINAL_WORDS: dict[str, dict[int, str]] = {
    "ru": {1: "перв", 2: "втор", 3: "трет", 4: "четв[её]рт", 5: "пят", 6: "шест", 7: "седьм", 8: "восьм",
           9: "девят", 10: "десят"},
    "ky": {1: "биринчи", 2: "экинчи", 3: "үчүнчү", 4: "төртүнчү", 5: "бешинчи", 6: "алтынчы", 7: "жетинчи",
           8: "сегизинчи", 9: "тогузунчу", 10: "онунчу"},
    "zh": {1: "(?:第一|首)", 2: "第二", 3: "第三", 4: "第四", 5: "第五", 6: "第六", 7: "第七", 8: "第八", 9: "第九",
           10: "第十"},
}

_SOURCE_NUMBER = re.compile(r"(?<![\d.,])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(st|nd|rd|th)?(?!\d)"
                            r"(?:\s+(thousand|million|billion)\b)?")
_SCALES = {"thousand": Decimal(1000), "million": Decimal(10) ** 6, "billion": Decimal(10) ** 9}


@dataclass(frozen=True)
class SourceNumber:
    text: str
    value: Decimal
    ordinal: bool
    scaled: Decimal | None = None  # "3.5 million": 3500000 (Chinese writes 350万)


@dataclass(frozen=True)
class SourceDate:
    text: str
    year: int | None
    month: int
    day: int | None


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def source_dates(text: str) -> tuple[list[SourceDate], str]:
    """Dates of English ``text``, and the text with them blanked out (their numbers are the date's)."""
    dates: list[SourceDate] = []
    for number, pattern in enumerate(_DATE_PATTERNS):
        def take(m: re.Match[str], number: int = number) -> str:
            g = m.groups()
            if number == 0:
                dates.append(SourceDate(m.group(0), int(g[2]), _month(g[0]), int(g[1])))
            elif number == 1:
                dates.append(SourceDate(m.group(0), int(g[2]), _month(g[1]), int(g[0])))
            elif number == 2:
                dates.append(SourceDate(m.group(0), int(g[0]), int(g[1]), int(g[2])))
            else:
                dates.append(SourceDate(m.group(0), None, _month(g[0]), int(g[1])))
            return " "
        text = pattern.sub(take, text)
    return dates, text


def _month(name: str) -> int:
    return next(i for i, m in enumerate(MONTHS, 1) if m.startswith(name.lower().rstrip(".")[:3]))


def source_numbers(text: str) -> list[SourceNumber]:
    out = []
    for m in _SOURCE_NUMBER.finditer(text):
        value = _decimal(m.group(1).replace(",", ""))
        if value is not None:
            scale = _SCALES.get(m.group(3) or "")
            out.append(SourceNumber(m.group(0).split()[0], value, bool(m.group(2)), value * scale if scale else None))
    return out


@cache
def _target_pattern(babel: str) -> re.Pattern[str]:
    group, decimal = get_group_symbol(babel), get_decimal_symbol(babel)
    groups = {group}
    if group in ("\u00a0", "\u202f", " "):
        groups |= {" ", "\u00a0", "\u202f"}
    g = "[" + "".join(re.escape(c) for c in sorted(groups)) + "]"
    d = re.escape(decimal)
    return re.compile(rf"(?<![\d.,])(\d{{1,3}}(?:{g}\d{{3}})+(?:{d}\d+)?|\d+(?:{d}\d+)?)(?!\d)(\s*[万亿])?")


def target_numbers(text: str, lang: Language) -> Counter[Decimal]:
    """The values of the numbers in ``text`` read in ``lang``'s format (a spaced group also as its parts)."""
    group, decimal = get_group_symbol(lang.babel), get_decimal_symbol(lang.babel)
    values: Counter[Decimal] = Counter()
    for m in _target_pattern(lang.babel).finditer(text):
        raw = m.group(1)
        plain = re.sub(r"[\s\u00a0\u202f]" if group.isspace() or group in "\u00a0\u202f" else re.escape(group), "",
                       raw).replace(decimal, ".")
        value = _decimal(plain)
        if value is None:
            continue
        if m.group(2):
            value *= 10000 if m.group(2).strip() == "万" else 100000000
        values[value] += 1
        if group in ("\u00a0", "\u202f") and re.search(r"[\s\u00a0\u202f]", raw):
            for part in re.split(r"[\s\u00a0\u202f]", raw.split(decimal)[0]):  # "в 1932 году 5" is not 19325
                values[Decimal(part)] += 1
    return values


def _ordinal_present(number: SourceNumber, text: str, lang: str) -> bool:
    stem = ORDINAL_WORDS.get(lang, {}).get(int(number.value)) if number.value == int(number.value) else None
    if stem is None:
        return False
    boundary = "" if lang == "zh" else r"(?<![^\W\d_])"
    return re.search(boundary + stem, text, re.IGNORECASE) is not None


def _shown(value: Decimal, lang: Language) -> str:
    """As the target locale writes it (years and other four-digit numbers without a group separator)."""
    if abs(value) < 10000:
        return str(value).replace(".", get_decimal_symbol(lang.babel))
    return format_decimal(value, locale=lang.babel)


@register("number", Severity.FUNCTIONAL,
          "every number of the source in the target, read in the target locale's format (1,250 = 1 250 in ru)",
          "numbers")
def check_numbers(pair: Pair) -> Iterator[str]:
    _, source = source_dates(pair.source_prose)
    found = target_numbers(pair.target_prose, pair.lang)
    found.update(number_words(pair.target_prose, pair.lang.code))
    # English number words from ten up ("twelve lectures"); below ten a translation often says it
    # otherwise ("the two organizations": "обе организации", 双方)
    spelled = [SourceNumber(words, value, False) for words, value in english_number_words(source) if value >= 10]
    for number in [*source_numbers(source), *spelled]:
        present = [v for v in (number.value, number.scaled) if v is not None and found[v] > 0]
        if present:
            found[present[0]] -= 1
        elif not (number.ordinal and _ordinal_present(number, pair.target_prose, pair.lang.code)):
            yield (f"number {number.text} of the source is missing or changed "
                   f"(in {pair.lang.code}: {_shown(number.value, pair.lang)})")


def _month_names(lang: Language, month: int) -> list[str]:
    names = set()
    locale = lang.locale
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated"):
            name = locale.months[context][width][month].lower().rstrip(".")
            names.add(name[:-1] if len(name) > 4 else name)  # a stem: июня, июнь → июн
    return sorted(names, key=len, reverse=True)


_RU_MONTHS = ("январ", "феврал", "март", "апрел", "ма[йяеюі]", "июн", "июл", "август", "сентябр", "октябр",
              "ноябр", "декабр")
_RU_MONTH = "(" + "|".join(f"{stem}" for stem in _RU_MONTHS) + r")[а-яёөүң]*"
_ZH_NUMERAL = r"\d{1,4}|[零〇一二两三四五六七八九十]{1,4}"
_TARGET_DATES: dict[str, tuple[re.Pattern[str], ...]] = {
    # 2023年6月5日, 6月5日, 2023年6月, 二〇二三年六月五日
    "zh": (re.compile(rf"(?:({_ZH_NUMERAL})\s*年\s*)?({_ZH_NUMERAL})\s*月(?:\s*({_ZH_NUMERAL})\s*[日号])?"),),
    # 5 июня 2023 года, 5-го июня, в июне 2023 года
    "ru": (re.compile(rf"(?:(?<!\d)(\d{{1,2}})(?:-?го)?\s+)?{_RU_MONTH}(?:\s+(\d{{4}}))?", re.IGNORECASE),),
    # 2023-жылдын 6-июнунда, 6-июнь 2023-жыл, 2023-жылы 5-июнда
    "ky": (re.compile(rf"(?:(\d{{4}})\s*-?\s*ж(?:ыл[а-яөүң]*|\.)\s*)?(?:(?<!\d)(\d{{1,2}})\s*-?\s*)?{_RU_MONTH}"
                      rf"(?:\s+(\d{{4}})\s*-?\s*ж)?", re.IGNORECASE),),
}
_NUMERIC_DATES = (
    re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.(\d{4})(?![\d])"),  # 05.06.2023 (day first)
    re.compile(r"(?<![\d-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\d])"),  # 2023-06-05
    re.compile(r"(?<![\d/])(\d{4})/(\d{1,2})/(\d{1,2})(?![\d])"),  # 2023/6/5
)


@dataclass(frozen=True)
class TargetDate:
    year: int | None
    month: int
    day: int | None


def _numeral(text: str | None) -> int | None:
    if not text:
        return None
    return int(text) if text.isdigit() else chinese_value(text)


def target_dates(text: str, lang: str) -> list[TargetDate]:
    """The dates written in a ``lang`` text, read component by component (year, month, day)."""
    found: list[TargetDate] = []
    for pattern in _NUMERIC_DATES:
        for m in pattern.finditer(text):
            a, b, c = (int(g) for g in m.groups())
            year, month, day = (c, b, a) if pattern is _NUMERIC_DATES[0] else (a, b, c)
            if 1 <= month <= 12:
                found.append(TargetDate(year, month, day))
    for pattern in _TARGET_DATES.get(lang, ()):
        for m in pattern.finditer(text):
            if lang == "zh":
                zh_year, zh_month, zh_day = (_numeral(g) for g in m.groups())
                if zh_month is not None and 1 <= zh_month <= 12:
                    found.append(TargetDate(zh_year, zh_month, zh_day))
                continue
            groups = m.groups()
            if lang == "ru":
                day_text, name, year_text = groups
            else:
                year_text, day_text, name, later_year = groups
                year_text = year_text or later_year
            month = next(i for i, stem in enumerate(_RU_MONTHS, 1) if re.match(stem, name, re.IGNORECASE))
            if day_text or year_text:  # a month name alone ("марка", "май" the verb) is not taken for a date
                found.append(TargetDate(int(year_text) if year_text else None, month,
                                        int(day_text) if day_text else None))
    return found


def _date_matches(date: SourceDate, written: TargetDate, digits: Counter[int]) -> bool:
    if written.month != date.month or (written.day if date.day is not None else None) != date.day:
        return False
    if date.year is None or written.year == date.year:
        return True
    return written.year is None and digits[date.year] > 0  # "5 июня … 2023 года" apart


def _date_present(date: SourceDate, text: str, lang: Language) -> bool:
    digits = Counter(int(v) for v in re.findall(r"\d+", text))
    written = target_dates(text, lang.code)
    if any(_date_matches(date, w, digits) for w in written):
        return True
    if any(w.month == date.month for w in written):
        return False  # the month is there, with another day or year: changed
    if date.year is not None and digits[date.year] == 0:
        return False
    if date.day is not None and digits[date.day] == 0:
        return False
    lowered = text.lower()
    if any(name in lowered for name in _month_names(lang, date.month)):
        return True
    m, d, y = date.month, date.day, date.year
    numeric = [rf"(?<!\d)0?{m}\s*月"]
    if d is not None:
        numeric += [rf"(?<!\d)0?{d}\.0?{m}\.(?:\d{{4}})?", rf"(?<!\d)0?{m}/0?{d}(?!\d)"]
        if y is not None:
            numeric += [rf"{y}-0?{m}-0?{d}(?!\d)"]
    return any(re.search(p, text) for p in numeric)


@register("date", Severity.FUNCTIONAL,
          "every date of the source in the target: same day, month (name or number) and year", "numbers")
def check_dates(pair: Pair) -> Iterator[str]:
    dates, _ = source_dates(pair.source_prose)
    for date in dates:
        if not _date_present(date, pair.target_prose, pair.lang):
            yield f"date {date.text!r} of the source is missing or changed{_example(date, pair)}"


def _example(date: SourceDate, pair: Pair) -> str:
    """The date as the target locale writes it, when it is a whole and real date ("30 February" is not)."""
    if date.year is None or date.day is None:
        return ""
    try:
        day = dt.date(date.year, date.month, date.day)
    except ValueError:
        return ""
    return f": expected e.g. {format_date(day, 'long', pair.lang.babel)}"
