"""Candidate terms from English text: what the term base may be missing.

Three patterns, as the organisation's articles name things:

* **an acronym with its expansion**: "Kyrgyz National University (KNU)", "International
  Centre for Higher Education Innovation under the auspices of UNESCO (UNESCO-ICHEI)":
  the capitalised words before the parenthesis whose initials spell the acronym
  (small words such as "of", "for", "the", "under" may come between them);
* **names of people**: the capitalised words after a title ("Prof. Irina Dmitrienko",
  "Mr. XU Mingshun");
* **proper-noun phrases** of two or more capitalised words ("Central Asia", "Vice Rector
  for Academic Affairs"; a title whose "for" takes a list, "Vice Rector for Innovation,
  Digitization, and Strategy Development", is one), an article or a sentence's first word
  taken off, and single
  capitalised words that are never written in lower case and do not start a sentence
  ("Kyrgyzstan"), and acronyms ("HEI").

Each candidate is counted (an expansion together with its acronym), with up to two example
sentences; what the term base already holds (any English form, or a phrase a term covers
entirely) is left out, as is a phrase inside a longer candidate seen as often.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from .match import TermMatcher

SMALL_WORDS = frozenset(["of", "for", "and", "the", "in", "on", "under", "at", "to", "de", "du", "named", "after"])
_LEADING = frozenset(["the", "a", "an", "this", "that", "these", "those", "its", "their", "our", "his", "her",
                      "both", "each", "every", "all", "after", "later", "on", "in", "at", "according", "meanwhile",
                      "during", "as", "with", "by", "from", "for", "about", "and", "or", "but", "also"])
_NOT_NAMES = frozenset(["january", "february", "march", "april", "may", "june", "july", "august", "september",
                        "october", "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday",
                        "saturday", "sunday", "i", "prof", "mr", "mrs", "ms", "dr"])
_TITLES = r"(?:Prof|Professor|Mr|Mrs|Ms|Dr|Dean|Rector|President|Director)\.?"
_ORGANISATION_WORDS = frozenset(["university", "centre", "center", "ministry", "institute", "academy", "company",
                                 "technology", "organization", "organisation", "foundation", "association",
                                 "committee", "department", "office", "network", "council", "agency", "school",
                                 "college", "bank", "fund", "programme", "program", "project"])
_WORD = r"[A-Z][\w’'&.-]*[\w]|[A-Z]"
_CONNECTORS = ("of", "for", "and", "the", "under", "de", "du", "named", "after")  # inside a name
_CAPITALISED = re.compile(rf"(?:{_WORD})(?:\s+(?:(?:{'|'.join(_CONNECTORS)})\s+)*(?:{_WORD}))*")
_ACRONYM = re.compile(r"\b[A-Z][A-Za-z]*[A-Z](?:[-&][A-Z]+)*s?\b")
_EXPANSION = re.compile(r"((?:[A-Z][\w’'-]*\s+|(?:" + "|".join(sorted(SMALL_WORDS)) + r")\s+){1,16})"
                        r"\(([A-Z][A-Za-z0-9]*(?:[-&][A-Z0-9]+)*)\)")
_PERSON = re.compile(rf"\b{_TITLES}\s+((?:[A-Z][A-Za-z’'-]+\s+){{0,2}}[A-Z][A-Za-z’'-]+)")
# a title whose "for" takes a list: "Vice Rector for Innovation, Digitization, and Strategy Development"
_CAP_RUN = r"[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*"
_LISTED_TITLE = re.compile(rf"{_CAP_RUN}\s+for\s+{_CAP_RUN}(?:,\s+{_CAP_RUN})*,?\s+and\s+{_CAP_RUN}")
_SENTENCE_START = re.compile(r"(?:^|[.!?:]\s+|[\"“(]\s*)$")


@dataclass
class Candidate:
    text: str
    kind: str  # expansion | acronym | person | organization | proper-noun
    count: int = 0
    acronym: str = ""  # an expansion's acronym
    examples: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {"text": self.text, "kind": self.kind, "count": self.count, "acronym": self.acronym,
                "examples": list(self.examples)}


def _initials_spell(expansion: str, acronym: str) -> bool:
    """Whether the capitalised words of ``expansion`` spell ``acronym`` (its last part, as in
    "UNESCO-ICHEI" for "… Innovation under the auspices of UNESCO", counts too)."""
    words = [w for w in re.split(r"[\s-]+", expansion) if w and w[0].isupper()]
    letters = re.sub(r"[^A-Z]", "", acronym.rstrip("s"))
    initials = "".join(w[0] for w in words)
    if letters and (initials == letters or initials.endswith(letters)):
        return True
    # a part of the acronym that is itself a word of the expansion: "…of UNESCO (UNESCO-ICHEI)"
    parts = re.split(r"[-&]", acronym)
    rest = "".join(p for p in parts if p not in words)
    return bool(rest) and rest != letters and "".join(w[0] for w in words if w not in parts).endswith(rest)


_SEPARATOR = " | "  # stands for a known term: no capitalised phrase runs across it


def _without_terms(sentence: str, matcher: TermMatcher) -> str:
    out, pos = [], 0
    for m in matcher.find(sentence):
        out += [sentence[pos : m.start], _SEPARATOR]
        pos = m.end
    return "".join(out) + sentence[pos:]


def _trim(words: list[str]) -> list[str]:
    words = [re.sub(r"['’]s$", "", w) for w in words]  # a possessive stays outside the name
    while words and (words[0].lower() in _LEADING or words[0].lower() in SMALL_WORDS):
        words = words[1:]
    while words and words[-1].lower() in SMALL_WORDS:
        words = words[:-1]
    return words


def _kind(text: str) -> str:
    words = text.split()
    if len(words) == 1 and _ACRONYM.fullmatch(text):
        return "acronym"
    if {w.lower().strip(".,") for w in words} & _ORGANISATION_WORDS:
        return "organization"
    return "proper-noun"


def _known(text: str, matcher: TermMatcher, forms: set[str]) -> bool:
    if text.casefold() in forms:
        return True
    matches = matcher.find(text)
    return any(m.start == 0 and m.end == len(text) for m in matches)


def _split_names(words: list[str]) -> list[list[str]]:
    """Two names joined by "and" are two: "Kyrgyz State Technical University and Osh State University"
    (not "Ministry of Education and Science": the word before "and" is not one that ends a name)."""
    for i, word in enumerate(words):
        if word == "and" and 0 < i < len(words) - 1 and words[i - 1].lower().strip(".,") in _ORGANISATION_WORDS:
            return [_trim(words[:i]), *_split_names(_trim(words[i + 1 :]))]
    return [words]


def _add_phrase(words: list[str], sentence: str, at: int, texts: list[str], add: Callable[..., None]) -> None:
    if not words:
        return
    text = " ".join(words).rstrip(".")
    start = sentence.find(text, at)
    if len(words) == 1:
        if words[0].lower() in _NOT_NAMES or _SENTENCE_START.search(sentence[:start]) is not None:
            return
        if _ACRONYM.fullmatch(text):
            add(text, "acronym")
        elif len(text) > 2 and not re.search(rf"(?<![\w-]){re.escape(text.lower())}(?![\w-])", "\n".join(texts)):
            add(text, "proper-noun")  # never written in lower case
        return
    if words[0].lower() not in _NOT_NAMES:
        add(text, _kind(text))


def suggest_terms(sentences: Iterable[str], matcher: TermMatcher, *, min_count: int = 2) -> list[Candidate]:
    """Candidate terms of ``sentences`` (plain English) not in ``matcher``'s term base, most frequent first."""
    originals = [" ".join(s.split()) for s in sentences if s.strip()]
    # what the term base holds is taken out first: a phrase does not run across a known term
    texts = [_without_terms(s, matcher) for s in originals]
    found: dict[str, Candidate] = {}

    def add(text: str, kind: str, acronym: str = "") -> None:
        text = text.strip(" ,;:")
        if text and (text not in found or (acronym and not found[text].acronym)):
            found[text] = Candidate(text, kind, acronym=acronym)  # an expansion seen earlier without its acronym

    for sentence in texts:
        for m in _EXPANSION.finditer(sentence):
            words = _trim(m.group(1).split())
            acronym = m.group(2)
            # the shortest tail of the words whose initials spell the acronym
            for start in range(len(words) - 1, -1, -1):
                expansion = " ".join(words[start:])
                if words[start][0].isupper() and _initials_spell(expansion, acronym):
                    add(expansion, "expansion", acronym)
                    break
        for m in _PERSON.finditer(sentence):
            add(m.group(1), "person")
        for m in _LISTED_TITLE.finditer(sentence):
            add(" ".join(_trim(m.group(0).split())), "proper-noun")
        sentence = _LISTED_TITLE.sub(_SEPARATOR, sentence)  # its parts are not names of their own
        for m in _CAPITALISED.finditer(sentence):
            for words in _split_names(_trim(m.group(0).split())):
                _add_phrase(words, sentence, m.start(), texts, add)

    forms = {f.casefold() for t in matcher.glossary.terms for f in t.forms}
    acronyms = {c.acronym for c in found.values() if c.acronym}  # counted with their expansions
    candidates = [c for c in found.values() if not _known(c.text, matcher, forms) and c.text not in acronyms]
    for c in candidates:
        patterns = [re.compile(rf"(?<![\w-]){re.escape(c.text)}(?![\w-])")]
        if c.acronym and not _known(c.acronym, matcher, forms):
            patterns.append(re.compile(rf"(?<![\w-]){re.escape(c.acronym)}(?![\w-])"))
        for sentence, original in zip(texts, originals, strict=True):
            hits = sum(len(p.findall(sentence)) for p in patterns)
            if c.acronym:  # "Kyrgyz National University (KNU)" is one use, not two
                hits -= len(re.findall(rf"{re.escape(c.text)}\s*\({re.escape(c.acronym)}\)", sentence))
            if hits:
                c.count += hits
                if len(c.examples) < 2:
                    c.examples.append(original)
    kept = [c for c in candidates if c.count >= min_count]
    # a phrase inside a longer candidate seen as often is that candidate
    kept = [c for c in kept if not any(o is not c and o.count >= c.count and len(o.text) > len(c.text)
                                       and re.search(rf"(?<![\w-]){re.escape(c.text)}(?![\w-])", o.text)
                                       for o in kept)]
    order = {"expansion": 0, "person": 1, "organization": 2, "acronym": 3, "proper-noun": 4}
    return sorted(kept, key=lambda c: (-c.count, order[c.kind], c.text))


def term_id(text: str, taken: Sequence[str]) -> str:
    """A term id for ``text`` (lower case, hyphens) not among ``taken``."""
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48].strip("-") or "term"
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate
