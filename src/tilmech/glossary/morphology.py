"""Inflection of glossary renderings, and finding them in any inflected form.

* **Russian**: pymorphy3 (OpenCorpora dictionaries). The head of a term — its
  leading adjectives, the first noun and the personal names that follow it — is
  inflected, in the singular and the plural (a hyphenated compound, "смарт-класс", in its
  last part), with adjectives agreeing in animacy; the rest (genitive attributes such
  as "науки и технологий") stays. Words pymorphy3 does not know, acronyms (КНУ) and
  renderings marked ``declinable: false`` do not change.
* **Kyrgyz**: rules for vowel harmony and consonant assimilation on the last word
  (case suffixes never change the stem), including the possessive compounds of
  names ("Кыргыз улуттук университети" → "университетинин", "университетине",
  "университетин", "университетинде", "университетинен"). After an acronym the
  suffix is written in lower case ("КУУнун").
* **Kyrgyz forms** (:func:`inflect_kyrgyz`): the plural (-лар/-дар/-тар…), the possessives of
  every person (-ым, -ыбыз, -ың, -ыңыз, -ыңар, -ы), the case, and the relative-locative
  -дагы/-деги/-догу/-дөгү/-тагы/-теги ("университетиндеги", "КУУдагы"), each in harmony with
  what comes before; :func:`kyrgyz_form_of_suffix` reads such a chain off the letters an
  engine attached to a placeholder.
* **Chinese**: no inflection; forms are exact.

Kyrgyz case suffixes only add letters, so a rendering is present in Kyrgyz text
when a word starts with it; that is how it is found, whatever suffixes follow.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
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


def _split_hyphen(word: str) -> tuple[str, str]:
    """A compound with a hyphen declines its last part only: "смарт-класс" → ("смарт-", "класс")."""
    prefix, hyphen, last = word.rpartition("-")
    return (prefix + hyphen, last) if hyphen and prefix and last else ("", word)


@lru_cache(maxsize=8192)  # pure, and asked again for every sentence holding the term
def _inflect_russian(text: str, case: Case, plural: bool = False) -> str:
    words = text.split(" ")
    prefixes = [_split_hyphen(w)[0] for w in words]
    words = [_split_hyphen(w)[1] for w in words]
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
    grammemes = {_PYMORPHY_CASE[case]} | ({"plur"} if plural else set())
    for i in range(head_end):
        p = parses[i]
        wanted = grammemes | ({animacy} if p.tag.POS == "ADJF" and case is Case.ACCUSATIVE else set())
        inflected = p.inflect(wanted)
        if inflected is not None:
            out[i] = _restore_case(words[i], inflected.word)
    return " ".join(prefix + word for prefix, word in zip(prefixes, out, strict=True))


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


class Person(StrEnum):
    """Kyrgyz possessive suffixes: my, our, your (familiar, polite, plural), his/her/its/their."""

    FIRST = "1sg"
    FIRST_PLURAL = "1pl"
    SECOND = "2sg"
    SECOND_POLITE = "2pol"
    SECOND_PLURAL = "2pl"
    THIRD = "3"


@dataclass(frozen=True)
class KyrgyzForm:
    """What a Kyrgyz word carries after its stem, in this order: plural, possessive, case, relative -гы."""

    plural: bool = False
    person: Person | None = None
    case: Case = Case.NOMINATIVE
    relative: bool = False  # -дагы/-деги/-догу/-дөгү/-тагы/-теги…: "the one in" (after the locative)


def _kyrgyz_morpheme(word: str, morpheme: str, after_possessive: Person | None) -> str:
    """The suffix ``morpheme`` takes after ``word`` (vowel harmony, assimilation of its first consonant)."""
    sound = _sound(word)
    vowel = _last_vowel(sound)
    low, high = _LOW[vowel], _HIGH[vowel]
    last = sound[-1:]
    after_vowel, voiceless = last in _VOWELS, last in _VOICELESS
    if morpheme == "plural":
        return ("л" if after_vowel or last in "йр" else "т" if voiceless else "д") + low + "р"
    if morpheme == "relative":
        return ("к" if voiceless else "г") + high
    if morpheme in _PERSONS:
        body = {"1sg": "м", "1pl": f"б{high}з", "2sg": "ң", "2pol": f"ң{high}з", "2pl": f"ң{low}р",
                "3": high}[morpheme]
        if after_vowel:
            return ("с" + body) if morpheme == "3" else body
        return body if morpheme == "3" else high + body
    case = Case(morpheme)
    if after_possessive is Person.THIRD:
        return {Case.GENITIVE: f"н{high}н", Case.ACCUSATIVE: "н", Case.DATIVE: f"н{low}",
                Case.LOCATIVE: f"нд{low}", Case.ABLATIVE: f"н{low}н"}[case]
    if after_possessive in (Person.FIRST, Person.SECOND) and case is Case.DATIVE:
        return low  # университетиме, университетиңе
    n_t_d = "н" if after_vowel else ("т" if voiceless else "д")
    g_k = "к" if voiceless else "г"
    d_t = "т" if voiceless else "д"
    return {Case.GENITIVE: f"{n_t_d}{high}н", Case.ACCUSATIVE: f"{n_t_d}{high}", Case.DATIVE: f"{g_k}{low}",
            Case.LOCATIVE: f"{d_t}{low}", Case.ABLATIVE: f"{d_t}{low}н"}[case]


@lru_cache(maxsize=8192)
def inflect_kyrgyz(text: str, form: KyrgyzForm) -> str | None:
    """``text`` with the plural, possessive, case and relative suffixes of ``form``; None for Latin script.

    A possessive compound ("Кыргыз улуттук университети") already ends in the 3rd-person
    possessive: a plural or another person takes its place ("университеттери",
    "университетибиз"). After an acronym the suffixes are written in lower case.
    """
    words = text.split()
    if not words or not re.fullmatch(f"{_CYRILLIC_WORD}+", words[-1]):
        return None
    head, word = text[: len(text) - len(words[-1])], words[-1]
    owner: Person | None = None  # the possessive the word ends in
    person = form.person
    if is_possessive_compound(text):
        if form.plural or person not in (None, Person.THIRD):
            word = word[:-1]  # the 3rd-person possessive gives way
            if word[-1:].lower() == "с" and word[-2:-1].lower() in _VOWELS:
                word = word[:-1]  # "…сы" after a vowel
            person = person or Person.THIRD
        else:
            owner, person = Person.THIRD, None  # it is there already
    chain: list[str] = []
    if form.plural:
        chain.append("plural")
    if person is not None:
        chain.append(person.value)
    if form.case is not Case.NOMINATIVE:
        chain.append(form.case.value)
    if form.relative:
        if form.case is not Case.LOCATIVE:
            return None
        chain.append("relative")
    for morpheme in chain:
        word += _kyrgyz_morpheme(word, morpheme, owner)
        if morpheme in _PERSONS:
            owner = Person(morpheme)
        elif morpheme != "plural":
            owner = None
    return head + word


_PERSONS = frozenset(p.value for p in Person)
_HIGH_V, _LOW_V = "[ыиуү]", "[аеоө]"
_KYRGYZ_CHAIN = re.compile(
    rf"(?P<plural>[лдт]{_LOW_V}р)?"
    rf"(?P<person>{_HIGH_V}?б{_HIGH_V}з|{_HIGH_V}?ң{_HIGH_V}з|{_HIGH_V}?ң{_LOW_V}р|{_HIGH_V}?ң|{_HIGH_V}?м|с?{_HIGH_V})?"
    rf"(?:(?P<genitive>н?[нтд]{_HIGH_V}н)|(?P<ablative>н?[дт]{_LOW_V}н)|(?P<locative>н?[дт]{_LOW_V})"
    rf"|(?P<dative>н?[гкн]?{_LOW_V})|(?P<accusative>н?[нтд]?{_HIGH_V}|н))?"
    rf"(?P<relative>[гк]{_HIGH_V})?")
_PERSON_OF = {"м": Person.FIRST, "з": Person.FIRST_PLURAL, "ң": Person.SECOND}


def kyrgyz_form_of_suffix(letters: str) -> KyrgyzForm | None:
    """The plural, possessive, case and relative marks of the suffix letters ``letters`` (all of them)."""
    m = _KYRGYZ_CHAIN.fullmatch(letters.lower())
    if m is None or not letters:
        return None
    person: Person | None = None
    written = m.group("person")
    if written:
        if written.endswith("з"):
            person = Person.FIRST_PLURAL if "б" in written else Person.SECOND_POLITE
        elif written.endswith("р"):
            person = Person.SECOND_PLURAL
        else:
            person = _PERSON_OF.get(written[-1], Person.THIRD)
    case = next((Case(name) for name in ("genitive", "ablative", "locative", "dative", "accusative")
                 if m.group(name)), Case.NOMINATIVE)
    if m.group("relative") and case is not Case.LOCATIVE:
        return None
    return KyrgyzForm(bool(m.group("plural")), person, case, bool(m.group("relative")))


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
def inflect(text: str, lang: str, case: Case, *, declinable: bool = True, plural: bool = False) -> str | None:
    """``text`` in ``case`` (and the plural); the text itself for the nominative singular or an
    indeclinable term; None if not known."""
    if (case is Case.NOMINATIVE and not plural) or not declinable or lang not in INFLECTING:
        return text
    if case not in INFLECTING[lang]:
        return None
    if lang == "ru":
        return _inflect_russian(text, case, plural)
    if plural:
        return inflect_kyrgyz(text, KyrgyzForm(plural=True, case=case))
    return _inflect_kyrgyz(text, case)


@lru_cache(maxsize=8192)  # pure, and asked again for every sentence holding the term
def forms(text: str, lang: str, *, declinable: bool = True) -> tuple[str, ...]:
    """Every form of ``text`` in ``lang`` (the text first)."""
    found = [text]
    if declinable and lang == "ru":
        for plural in (False, True):
            for case in RUSSIAN_CASES:
                form = _inflect_russian(text, case, plural)
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
    return any(_inflect_russian(text, case) != text for case in RUSSIAN_CASES)


@lru_cache(maxsize=8192)  # pure, and asked again for every sentence holding the term
def form_pattern(text: str, lang: str, *, declinable: bool = True, case_sensitive: bool = False) -> re.Pattern[str]:
    """A pattern finding ``text`` in any of its forms in a ``lang`` sentence."""
    flags = 0 if case_sensitive or (text.isupper() and len(text) > 1) else re.IGNORECASE
    if lang == "zh":
        return re.compile(re.escape(text))
    if lang == "ky":
        tail = "[а-яёөүң]*" if declinable else ""
        # an acronym takes lower-case suffixes (КУУнун); optional hyphen or apostrophe after Latin script;
        # a longer name the term is part of ("ЮНЕСКО-ИЧЕИ" for "ЮНЕСКО") is not the term
        return re.compile(rf"(?<![\w-]){re.escape(text)}(?:[-'’]?{tail})(?!\w|-[^\W\d_])", flags)
    alternatives = "|".join(re.escape(f) for f in sorted(forms(text, lang, declinable=declinable), key=len,
                                                         reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?!\w|-[^\W\d_])", flags)
