"""Inflection of glossary renderings, and finding them in any inflected form.

* **Russian**: pymorphy3 (OpenCorpora dictionaries). The head of a term — its
  leading adjectives, the first noun and the personal names that follow it — is
  inflected, with adjectives agreeing in animacy; the rest (genitive attributes such
  as "науки и технологий") stays. Words pymorphy3 does not know, acronyms (КНУ) and
  renderings marked ``declinable: false`` do not change.
* **Kyrgyz**: rules for vowel harmony and consonant assimilation on the last word
  (case suffixes never change the stem), including the possessive compounds of
  names ("Кыргыз улуттук университети" → "университетинин", "университетине",
  "университетин", "университетинде", "университетинен"). After an acronym the
  suffix is written in lower case ("КУУнун").
* **Chinese**: no inflection; forms are exact.

Kyrgyz case suffixes only add letters, so a rendering is present in Kyrgyz text
when a word starts with it; that is how it is found, whatever suffixes follow.
"""

from __future__ import annotations

import re
import threading
from enum import StrEnum
from functools import lru_cache
from typing import Any


class Case(StrEnum):
    NOMINATIVE = "nominative"
    GENITIVE = "genitive"
    DATIVE = "dative"
    ACCUSATIVE = "accusative"
    INSTRUMENTAL = "instrumental"  # Russian
    PREPOSITIONAL = "prepositional"  # Russian (locative use)
    LOCATIVE = "locative"  # Kyrgyz
    ABLATIVE = "ablative"  # Kyrgyz


RUSSIAN_CASES = (Case.NOMINATIVE, Case.GENITIVE, Case.DATIVE, Case.ACCUSATIVE, Case.INSTRUMENTAL,
                 Case.PREPOSITIONAL)
KYRGYZ_CASES = (Case.NOMINATIVE, Case.GENITIVE, Case.DATIVE, Case.ACCUSATIVE, Case.LOCATIVE, Case.ABLATIVE)
INFLECTING = {"ru": RUSSIAN_CASES, "ky": KYRGYZ_CASES}

_CYRILLIC_WORD = r"[а-яёөүңА-ЯЁӨҮҢ]"


# -- Russian ---------------------------------------------------------------------------

_PYMORPHY_CASE = {Case.NOMINATIVE: "nomn", Case.GENITIVE: "gent", Case.DATIVE: "datv", Case.ACCUSATIVE: "accs",
                  Case.INSTRUMENTAL: "ablt", Case.PREPOSITIONAL: "loct"}


_MORPH_LOCK = threading.Lock()
_MORPH: list[Any] = []


def _morph() -> Any:
    """pymorphy3's analyser, loaded once per process (half a second: its dictionaries)."""
    with _MORPH_LOCK:  # a second caller waits for the first one's load instead of loading again
        if not _MORPH:
            import pymorphy3

            _MORPH.append(pymorphy3.MorphAnalyzer())
        return _MORPH[0]


def load_in_background(lang: str) -> None:
    """Start loading what inflecting ``lang`` needs while other work goes on (the engine runs
    outside Python); the first inflection then finds it loaded, or waits for the rest."""
    if lang == "ru" and not _MORPH:
        threading.Thread(target=_morph, name="tilmech-morphology", daemon=True).start()


def _restore_case(model: str, word: str) -> str:
    if model.isupper() and len(model) > 1:
        return word.upper()
    if model[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


@lru_cache(maxsize=8192)  # pure, and asked again for every sentence holding the term
def _nominative_parse(word: str) -> Any | None:
    parses = [p for p in _morph().parse(word) if p.tag.POS in ("NOUN", "ADJF") and "nomn" in p.tag]
    return parses[0] if parses else None


@lru_cache(maxsize=8192)  # pure, and asked again for every sentence holding the term
def _inflect_russian(text: str, case: Case) -> str:
    words = text.split(" ")
    parses: list[Any] = [_nominative_parse(w) for w in words]
    head_end = 0
    animacy = "inan"
    for i, p in enumerate(parses):
        if p is None or "Fixd" in p.tag or "Abbr" in p.tag:
            break
        if p.tag.POS == "ADJF":
            head_end = i + 1
            continue
        head_end = i + 1
        animacy = "anim" if "anim" in p.tag else "inan"
        # a personal name continues with the surname / patronymic
        while head_end < len(words) and parses[head_end] is not None and \
                {"Surn", "Patr", "Name"} & set(map(str, parses[head_end].tag.grammemes)) and \
                "Fixd" not in parses[head_end].tag:
            head_end += 1
        break
    out = list(words)
    grammemes = {_PYMORPHY_CASE[case]}
    for i in range(head_end):
        p = parses[i]
        wanted = grammemes | ({animacy} if p.tag.POS == "ADJF" and case is Case.ACCUSATIVE else set())
        inflected = p.inflect(wanted)
        if inflected is not None:
            out[i] = _restore_case(words[i], inflected.word)
    return " ".join(out)


# -- Kyrgyz ------------------------------------------------------------------------------

_VOICELESS = set("кпстфхцчшщ")
_VOWELS = set("аеёиоөуүыэюя")
# what the last letter of an acronym sounds like when spelled out
_LETTER_NAMES = {"б": "бе", "в": "ве", "г": "ге", "д": "де", "ж": "же", "з": "зе", "к": "ка", "л": "эл", "м": "эм",
                 "н": "эн", "ң": "эң", "п": "пе", "р": "эр", "с": "эс", "т": "те", "ф": "эф", "х": "ха", "ц": "це",
                 "ч": "че", "ш": "ша", "щ": "ща"}
_LOW = {"а": "а", "ы": "а", "я": "а", "у": "а", "ю": "а", "е": "е", "э": "е", "и": "е", "о": "о", "ё": "о",
        "ө": "ө", "ү": "ө"}
_HIGH = {"а": "ы", "ы": "ы", "я": "ы", "у": "у", "ю": "у", "е": "и", "э": "и", "и": "и", "о": "у", "ё": "у",
         "ө": "ү", "ү": "ү"}


def _sound(word: str) -> str:
    """The word as pronounced at its end (acronyms spelled out, soft/hard signs dropped)."""
    lower = word.lower().rstrip("ьъ")
    if word.isupper() and len(word) > 1 and lower[-1:] in _LETTER_NAMES:
        return lower + _LETTER_NAMES[lower[-1]]
    return lower


def _last_vowel(sound: str) -> str:
    for char in reversed(sound):
        if char in _VOWELS:
            return char
    return "ы"


def is_possessive_compound(text: str) -> bool:
    """A name like "Кыргыз улуттук университети": several words, the last with the 3rd-person possessive."""
    words = text.split()
    return len(words) > 1 and words[-1][-1:].lower() in "ыиуү" and words[-1][-2:-1].lower() not in _VOWELS


def _kyrgyz_suffix(word: str, case: Case, possessive: bool) -> str:
    sound = _sound(word)
    vowel = _last_vowel(sound)
    low, high = _LOW[vowel], _HIGH[vowel]
    last = sound[-1:]
    if possessive:
        return {Case.GENITIVE: f"н{high}н", Case.ACCUSATIVE: "н", Case.DATIVE: f"н{low}",
                Case.LOCATIVE: f"нд{low}", Case.ABLATIVE: f"н{low}н"}[case]
    after_vowel, voiceless = last in _VOWELS, last in _VOICELESS
    n_t_d = "н" if after_vowel else ("т" if voiceless else "д")
    g_k = "к" if voiceless else "г"
    d_t = "т" if voiceless else "д"
    return {Case.GENITIVE: f"{n_t_d}{high}н", Case.ACCUSATIVE: f"{n_t_d}{high}", Case.DATIVE: f"{g_k}{low}",
            Case.LOCATIVE: f"{d_t}{low}", Case.ABLATIVE: f"{d_t}{low}н"}[case]


def _inflect_kyrgyz(text: str, case: Case) -> str | None:
    last = text.split()[-1] if text.split() else ""
    if not re.fullmatch(f"{_CYRILLIC_WORD}+", last):
        return None  # Latin script or digits: how it is pronounced is not known
    return text + _kyrgyz_suffix(last, case, is_possessive_compound(text))


# Kyrgyz case suffixes, longest first, as a model may write them after a term.
KYRGYZ_SUFFIXES: tuple[tuple[str, Case], ...] = tuple(sorted(
    [(f"{c}{v}н", Case.GENITIVE) for c in "нтд" for v in "ыиуү"]
    + [(f"{c}{v}", Case.ACCUSATIVE) for c in "нтд" for v in "ыиуү"] + [("н", Case.ACCUSATIVE)]
    + [(f"{c}{v}", Case.DATIVE) for c in "гкн" for v in "аеоө"]
    + [(f"{c}{v}", Case.LOCATIVE) for c in ("д", "т", "нд") for v in "аеоө"]
    + [(f"{c}{v}н", Case.ABLATIVE) for c in "дтн" for v in "аеоө"],
    key=lambda item: -len(item[0])))


def kyrgyz_case_of_suffix(letters: str) -> tuple[Case, int] | None:
    """The case a suffix starting ``letters`` marks, and the suffix's length."""
    lower = letters.lower()
    for suffix, case in KYRGYZ_SUFFIXES:
        if lower.startswith(suffix):
            return case, len(suffix)
    return None


# -- all languages ------------------------------------------------------------------------


@lru_cache(maxsize=8192)  # pure, and asked again for every sentence holding the term
def inflect(text: str, lang: str, case: Case, *, declinable: bool = True) -> str | None:
    """``text`` in ``case``; the text itself for the nominative or an indeclinable term; None if not known."""
    if case is Case.NOMINATIVE or not declinable or lang not in INFLECTING:
        return text
    if case not in INFLECTING[lang]:
        return None
    if lang == "ru":
        return _inflect_russian(text, case)
    return _inflect_kyrgyz(text, case)


@lru_cache(maxsize=8192)  # pure, and asked again for every sentence holding the term
def forms(text: str, lang: str, *, declinable: bool = True) -> tuple[str, ...]:
    """Every form of ``text`` in ``lang`` (the text first)."""
    found = [text]
    if declinable and lang == "ru":
        for case in RUSSIAN_CASES:
            form = _inflect_russian(text, case)
            if form not in found:
                found.append(form)
    return tuple(found)


@lru_cache(maxsize=8192)  # pure, and asked again for every sentence holding the term
def is_declinable(text: str, lang: str, declinable: bool = True) -> bool:
    """Whether any case changes ``text``."""
    if not declinable or lang not in INFLECTING:
        return False
    if lang == "ky":
        return _inflect_kyrgyz(text, Case.DATIVE) is not None
    return len(forms(text, lang)) > 1


@lru_cache(maxsize=8192)  # pure, and asked again for every sentence holding the term
def form_pattern(text: str, lang: str, *, declinable: bool = True, case_sensitive: bool = False) -> re.Pattern[str]:
    """A pattern finding ``text`` in any of its forms in a ``lang`` sentence."""
    flags = 0 if case_sensitive or (text.isupper() and len(text) > 1) else re.IGNORECASE
    if lang == "zh":
        return re.compile(re.escape(text))
    if lang == "ky":
        tail = f"{_CYRILLIC_WORD}*" if declinable else ""
        # an acronym takes lower-case suffixes (КУУнун); optional hyphen or apostrophe after Latin script
        return re.compile(rf"(?<![\w-]){re.escape(text)}(?:[-'’]?{tail})(?!\w)", flags)
    alternatives = "|".join(re.escape(f) for f in sorted(forms(text, lang, declinable=declinable), key=len,
                                                         reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?!\w)", flags)
