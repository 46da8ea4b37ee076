"""Language and script: the target is written in the target language.

* Kyrgyz that "looks Russian": a long segment with none of the Kyrgyz letters ң, ө, ү
  and with Russian-only function words (text quoted in «» is not counted, so a
  Kyrgyz sentence may quote a Russian name).
* Chinese with Latin words left in it, outside glossary terms, acronyms, URLs, code
  and placeholders.
* Cyrillic and Latin look-alike letters mixed inside one word (``Кыpгыз`` with a Latin p).
* Chinese with letters of any other script (Cyrillic, Greek, kana, Hangul) outside glossary terms.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterator

from .model import CYRILLIC_RE, HAN_RE, LATIN_WORD_RE, Pair, Severity, register

KYRGYZ_LETTERS = re.compile("[ңөүҢӨҮ]")
# words of Russian that Kyrgyz does not use (Kyrgyz "от", "из", "да", "же" are left out: they are Kyrgyz words too)
RUSSIAN_ONLY_WORDS = frozenset(
    ["и", "в", "во", "на", "с", "со", "по", "для", "что", "это", "как", "при", "также", "который", "которая", "которое", "которые", "которых", "которого", "был", "была", "были", "было", "его", "её", "ее", "не", "но", "к", "у", "об"])
LOOKS_RUSSIAN_MIN_LETTERS = 40  # a long segment: short ones may lack ң, ө and ү
LOOKS_RUSSIAN_MIN_WORDS = 2
# English words that never stand alone in a translation: one of them left means the text is (partly) English
ENGLISH_FUNCTION_WORDS = frozenset(
    ["the", "of", "and", "for", "in", "on", "at", "to", "with", "from", "by", "about", "is", "are", "was", "were", "be", "been", "has", "have", "had", "will", "would", "this", "that", "these", "those", "which", "who", "its", "their", "his", "her", "our", "as", "an", "into", "under", "after", "before", "during"])
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9]{1,9}s?$")


def english_words(pair: Pair) -> list[str]:
    """English function words left in the target outside glossary terms, URLs, code and placeholders."""
    return [w for w in LATIN_WORD_RE.findall(pair.target_words) if w.lower() in ENGLISH_FUNCTION_WORDS]


@register("looks-russian", Severity.FUNCTIONAL,
          "Kyrgyz text that reads as Russian: no ң/ө/ү over a long segment and Russian-only function words",
          "language", ("ky",))
def check_looks_russian(pair: Pair) -> Iterator[str]:
    text = re.sub(r"«[^»]*»", " ", pair.target_words)
    letters = len(CYRILLIC_RE.findall(text))
    if letters < LOOKS_RUSSIAN_MIN_LETTERS or KYRGYZ_LETTERS.search(text):
        return
    russian = [w for w in re.findall(r"[\u0400-\u04FF]+", text) if w.lower() in RUSSIAN_ONLY_WORDS]
    if len(russian) >= LOOKS_RUSSIAN_MIN_WORDS:
        yield (f"the text looks Russian, not Kyrgyz: no ң, ө or ү in {letters} letters, and Russian words "
               f"{', '.join(repr(w) for w in dict.fromkeys(russian))}")


@register("latin-in-chinese", Severity.FUNCTIONAL,
          "Latin words left in Chinese text, outside glossary terms, acronyms, URLs, code and placeholders",
          "language", ("zh",))
def check_latin_in_chinese(pair: Pair) -> Iterator[str]:
    if english_words(pair):
        return  # the text is still English: reported as untranslated
    words = [w for w in LATIN_WORD_RE.findall(pair.target_words) if len(w) > 1 and not _ACRONYM.match(w)]
    if words:
        yield f"Latin words left untranslated: {' '.join(dict.fromkeys(words))}"


@register("mixed-script", Severity.FUNCTIONAL,
          "Cyrillic and Latin look-alike letters mixed inside one word", "language")
def check_mixed_script(pair: Pair) -> Iterator[str]:
    for word in dict.fromkeys(re.findall(r"[^\W\d_]+", pair.target_prose)):
        if CYRILLIC_RE.search(word) and re.search("[A-Za-z]", word):
            latin = "".join(dict.fromkeys(c for c in word if c.isascii()))
            cyrillic = "".join(dict.fromkeys(c for c in word if CYRILLIC_RE.match(c)))
            odd = latin if len(latin) <= len(cyrillic) else cyrillic
            script = "Latin" if odd == latin else "Cyrillic"
            yield f"{word!r} mixes Cyrillic and Latin letters ({script}: {odd})"


_OTHER_LETTER = re.compile(r"[^\W\d_]")


def _script(char: str) -> str:
    """The Unicode script of a letter, as its character name starts ("CYRILLIC", "HIRAGANA", "HANGUL")."""
    name = unicodedata.name(char, "")
    if name.startswith(("CJK", "KANGXI", "IDEOGRAPHIC")) or HAN_RE.match(char):  # 〇 is IDEOGRAPHIC NUMBER ZERO
        return "Han"
    if name.startswith("LATIN") or char.isascii():
        return "Latin"
    return name.split(" ")[0].capitalize() or "unknown"


@register("script-in-chinese", Severity.FUNCTIONAL,
          "letters of another script (Cyrillic, Greek, kana, Hangul…) in Chinese text, outside glossary terms, "
          "URLs and code", "language", ("zh",))
def check_script_in_chinese(pair: Pair) -> Iterator[str]:
    by_script: dict[str, list[str]] = {}
    for word in re.findall(r"[^\W\d_]+", pair.target_words):
        for script, run in itertools.groupby(word, _script):
            if script not in ("Han", "Latin"):
                text = "".join(run)
                runs = by_script.setdefault(script, [])
                if text not in runs:
                    runs.append(text)
    for script, runs in by_script.items():
        yield f"{script} letters in Chinese text: {' '.join(runs)}"
