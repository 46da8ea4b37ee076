"""Finding terms in English text, protecting them through MT, restoring and checking them.

* **Matching**: every English form of every term, longest match first ("Southern
  University of Science and Technology" is one term, not "University"), on word
  boundaries, with any whitespace between words. A possessive "'s" stays in the
  text, outside the term.
* **Protection**: before MT each match becomes an atomic placeholder numbered after
  the segment's own markup placeholders, so the engine cannot translate, transliterate
  or drop half of it.
* **Restoration**: after MT each term placeholder becomes the fixed rendering. A
  placeholder the engine lost is restored where the English form or a forbidden
  rendering stands in its place; otherwise the segment is flagged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from ..markdown.placeholders import PLACEHOLDER_RE
from . import morphology
from .model import Glossary, Term


@dataclass(frozen=True)
class TermMatch:
    term: Term
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Protected:
    """A segment's MT input with its terms replaced by placeholders."""

    text: str  # what the engine sees
    terms: tuple[tuple[str, TermMatch], ...]  # placeholder tag -> match


@dataclass(frozen=True)
class Restored:
    text: str
    lost: tuple[TermMatch, ...]  # terms that could not be restored
    uncertain: tuple[TermMatch, ...] = ()  # terms left in the base form: the case could not be told


class TermMatcher:
    def __init__(self, glossary: Glossary) -> None:
        self.glossary = glossary

    @cached_property
    def _patterns(self) -> tuple[re.Pattern[str], re.Pattern[str]] | None:
        """One alternation per case mode; each group name is the term index."""
        sensitive: list[tuple[str, str]] = []
        insensitive: list[tuple[str, str]] = []
        for i, term in enumerate(self.glossary.terms):
            for form in term.forms:
                # words may be split by spaces, no-break spaces or hyphens ("Smart-Classroom");
                # a common noun may be plural ("Smart Classrooms")
                body = r"[\s\u00a0-]+".join(re.escape(word) for word in re.split(r"[\s-]+", form))
                if term.pos == "noun":
                    body += "(?:e?s)?"
                name = f"t{i}_{len(sensitive) + len(insensitive)}"
                (sensitive if term.case_sensitive else insensitive).append((form, f"(?P<{name}>{body})"))
        if not sensitive and not insensitive:
            return None

        def build(items: list[tuple[str, str]], flags: int) -> re.Pattern[str]:
            items = sorted(items, key=lambda fi: -len(fi[0]))
            alternation = "|".join(p for _, p in items) or r"(?!x)x"
            # "UNESCO" does not match inside "UNESCO-ICHEI"; "KNU" does match in "KNU-based"
            return re.compile(rf"(?<![\w-])(?:{alternation})(?!\w|-[A-ZА-ЯЁ0-9])", flags)

        return build(sensitive, 0), build(insensitive, re.IGNORECASE)

    def find(self, text: str) -> list[TermMatch]:
        """Non-overlapping term matches in ``text``, longest first, in text order."""
        if self._patterns is None:
            return []
        candidates: list[TermMatch] = []
        for pattern in self._patterns:
            for m in pattern.finditer(text):
                group = m.lastgroup or ""
                index = int(group[1:].split("_")[0])
                candidates.append(TermMatch(self.glossary.terms[index], m.start(), m.end(), m.group(0)))
        candidates.sort(key=lambda c: (-(c.end - c.start), c.start))
        chosen: list[TermMatch] = []
        for c in candidates:
            if all(c.end <= o.start or c.start >= o.end for o in chosen):
                chosen.append(c)
        return sorted(chosen, key=lambda c: c.start)

    def protect(self, text: str, lang: str) -> Protected:
        """Replace each term fixed in ``lang`` by a placeholder after the segment's own."""
        matches = [m for m in self.find(text) if m.term.enforced and m.term.rendering(lang) is not None]
        if not matches:
            return Protected(text, ())
        numbers = [int(n) for _, n in PLACEHOLDER_RE.findall(text)]
        next_number = max(numbers, default=0) + 1
        parts: list[str] = []
        terms: list[tuple[str, TermMatch]] = []
        pos = 0
        for m in matches:
            tag = f"{{{next_number}}}"
            next_number += 1
            parts.append(text[pos : m.start])
            parts.append(tag)
            terms.append((tag, m))
            pos = m.end
        parts.append(text[pos:])
        return Protected("".join(parts), tuple(terms))

    def restore(self, output: str, protected: Protected, lang: str) -> Restored:
        """Put the fixed renderings in place of the term placeholders of ``output``.

        In Russian and Kyrgyz the rendering takes the grammatical case the sentence
        needs: from the preposition before the placeholder (Russian) or the suffix the
        engine attached to it (Kyrgyz), else from the English (a possessive, "at",
        "to", "from", the start of the sentence). When the case cannot be told, the
        base form goes in and the term is reported in ``uncertain``.

        A placeholder the engine lost is restored where the engine wrote the English
        form or a forbidden rendering instead (as a whole word); a term still missing
        after that is reported in ``lost``.
        """
        missing: list[TermMatch] = []
        uncertain: list[TermMatch] = []
        for tag, m in protected.terms:
            position = output.find(tag)
            if position < 0:
                missing.append(m)
                continue
            rendering = m.term.rendering(lang) or m.text
            end = position + len(tag)
            form = rendering
            if m.term.declinable(lang) and morphology.is_declinable(rendering, lang):
                chain = self._kyrgyz_chain(output, end) if lang == "ky" else None
                if chain is not None:  # plural, possessive or relative-locative: the whole chain again
                    inflected = morphology.inflect_kyrgyz(rendering, chain[0])
                    consumed = chain[1]
                else:
                    case, consumed = self._target_case(output, position, end, lang)
                    if lang == "ru" and case is not None:
                        case = _two_case(output[:position], case, protected.text, tag)
                    if case is None:
                        case = _english_case(protected.text, tag, lang)
                    plural = lang == "ru" and _english_plural(m)
                    inflected = morphology.inflect(rendering, lang, case, plural=plural) if case else None
                if inflected is None:
                    uncertain.append(m)
                else:
                    form = inflected
                    end += consumed
            output = output[:position] + form + output[end:]
        lost: list[TermMatch] = []
        for m in missing:
            rendering = m.term.rendering(lang) or m.text
            for wrong in (*m.term.forbidden.get(lang, ()), *m.term.forms):
                if wrong == rendering:
                    continue
                pattern = re.compile(rf"(?<![\w-]){re.escape(wrong)}(?![\w-])",
                                     0 if m.term.case_sensitive else re.IGNORECASE)
                output, count = pattern.subn(rendering.replace("\\", r"\\"), output, count=1)
                if count:
                    break
            else:
                expected = sum(1 for _, other in protected.terms if other.term.id == m.term.id)
                if output.count(rendering) < expected:
                    lost.append(m)
        return Restored(output, tuple(lost), tuple(uncertain))

    @staticmethod
    def _kyrgyz_chain(output: str, end: int) -> tuple[morphology.KyrgyzForm, int] | None:
        """A Kyrgyz plural, possessive or relative-locative the engine attached to a placeholder, and
        how many characters it takes (None for a plain case suffix or none)."""
        letters = re.match(r"[-'’]?([а-яөүң]+)", output[end:])
        if not letters:
            return None
        form = morphology.kyrgyz_form_of_suffix(letters.group(1))
        if form is None or not (form.plural or form.person or form.relative):
            return None
        return form, len(letters.group(0))

    @staticmethod
    def _target_case(output: str, start: int, end: int, lang: str) -> tuple[morphology.Case | None, int]:
        """The case the engine's own sentence asks for, and how many letters of its suffix to drop."""
        if lang == "ru":
            before = re.findall(r"[\w-]+", output[:start])
            if before:
                return RUSSIAN_PREPOSITIONS.get(before[-1].lower()), 0
            return None, 0
        if lang == "ky":
            letters = re.match(r"[-'’]?([а-яөүң]+)", output[end:])
            if letters:
                found = morphology.kyrgyz_case_of_suffix(letters.group(1))
                if found:
                    return found[0], len(letters.group(0)) - len(letters.group(1)) + found[1]
        return None, 0

    def verify(self, source: str, target: str, lang: str) -> list[TermIssue]:
        """Problems with the approved terms of ``source`` in its translation ``target``.

        A term holds when any allowed rendering appears in any inflected form. A
        forbidden rendering in any form, an English form left untranslated, or a
        term that is simply absent is reported, naming the expected rendering.
        """
        issues: list[TermIssue] = []
        seen: set[str] = set()
        for m in self.find(source):
            term = m.term
            if term.id in seen or not term.enforced:
                continue
            seen.add(term.id)
            rendering = term.rendering(lang)
            # a forbidden rendering is wrong in every language, whether or not the term is fixed there
            for wrong in term.forbidden.get(lang, ()):
                if morphology.form_pattern(wrong, lang, declinable=True).search(target):
                    advice = f": use {rendering!r}" if rendering else ""
                    issues.append(TermIssue("term-forbidden", term, m.text,
                                            f"{wrong!r} is a forbidden rendering of {m.text!r}{advice}"))
            if rendering is None:
                continue
            declinable = term.declinable(lang)
            expected = rendering
            if any(morphology.form_pattern(r, lang, declinable=declinable,
                                           case_sensitive=term.keeps(lang) and term.case_sensitive).search(target)
                   for r in term.allowed(lang)):
                continue
            # English forms end at Latin letters and digits only: "University成立" has one
            english = [f for f in term.forms
                       if re.search(rf"(?<![A-Za-z0-9-]){re.escape(f)}(?![A-Za-z0-9])", target,
                                    0 if term.case_sensitive else re.IGNORECASE)]
            if english and not term.keeps(lang):
                issues.append(TermIssue("term-untranslated", term, m.text,
                                        f"{english[0]!r} is left in English: write {expected!r}"))
            elif not any(i.term.id == term.id for i in issues):
                issues.append(TermIssue("term-missing", term, m.text,
                                        f"glossary term {m.text!r} should read {expected!r}"))
        return issues


@dataclass(frozen=True)
class TermIssue:
    code: str  # term-missing | term-forbidden | term-untranslated
    term: Term
    source_text: str
    message: str


_C = morphology.Case
RUSSIAN_PREPOSITIONS: dict[str, morphology.Case] = {
    **dict.fromkeys(("в", "во", "на", "о", "об", "обо", "при"), _C.PREPOSITIONAL),
    **dict.fromkeys(("из", "от", "до", "для", "без", "у", "около", "после", "среди", "вокруг", "из-за", "кроме",
                     "возле", "со стороны"), _C.GENITIVE),
    **dict.fromkeys(("к", "ко", "благодаря", "согласно"), _C.DATIVE),
    **dict.fromkeys(("с", "со", "над", "перед", "между", "за", "под"), _C.INSTRUMENTAL),
    **dict.fromkeys(("про", "через", "сквозь"), _C.ACCUSATIVE),
}
# prepositions that govern two cases: the other one, and the English words that ask for it
# ("went to the University": в + accusative; "a letter from the Ministry": с + genitive)
TWO_CASE_PREPOSITIONS: dict[str, tuple[morphology.Case, frozenset[str]]] = {
    **dict.fromkeys(("в", "во", "на"), (_C.ACCUSATIVE, frozenset(("to", "into", "onto", "for")))),
    **dict.fromkeys(("за", "под"), (_C.ACCUSATIVE, frozenset(("for", "to", "into")))),
    **dict.fromkeys(("с", "со"), (_C.GENITIVE, frozenset(("from", "since", "off")))),
}


def _english_word_before(english: str, tag: str) -> str:
    """The English word before the term at ``tag`` (articles and titles skipped), lower case."""
    position = english.find(tag)
    words = re.findall(r"[A-Za-z]+", re.sub(r"\{/?\d+\}", " ", english[: max(position, 0)]))
    while words and words[-1].lower() in ("the", "a", "an", "prof", "professor", "dr", "mr", "mrs", "ms"):
        words.pop()
    return words[-1].lower() if words else ""


def _two_case(before: str, case: morphology.Case, english: str, tag: str) -> morphology.Case:
    """The case of a Russian preposition that governs two, told by the English."""
    words = re.findall(r"[\w-]+", before)
    other = TWO_CASE_PREPOSITIONS.get(words[-1].lower()) if words else None
    if other is not None and _english_word_before(english, tag) in other[1]:
        return other[0]
    return case


def _english_plural(match: TermMatch) -> bool:
    """A common noun the English writes in the plural ("Smart Classrooms")."""
    written = " ".join(match.text.split()).casefold()
    return match.term.pos == "noun" and written.endswith("s") and \
        written not in {" ".join(f.split()).casefold() for f in match.term.forms}


_ENGLISH_CUES = {
    "ru": {"at": _C.PREPOSITIONAL, "in": _C.PREPOSITIONAL, "on": _C.PREPOSITIONAL, "about": _C.PREPOSITIONAL,
           "to": _C.DATIVE, "from": _C.GENITIVE, "of": _C.GENITIVE, "for": _C.GENITIVE, "by": _C.INSTRUMENTAL,
           "with": _C.INSTRUMENTAL},
    "ky": {"at": _C.LOCATIVE, "in": _C.LOCATIVE, "to": _C.DATIVE, "from": _C.ABLATIVE, "of": _C.GENITIVE},
}


def _english_case(english: str, tag: str, lang: str) -> morphology.Case | None:
    """The case an English context implies for the term at ``tag`` (None when it does not tell)."""
    position = english.find(tag)
    if position < 0:
        return None
    after = english[position + len(tag):]
    if re.match(r"['’]s\b", after):
        return _C.GENITIVE
    before = re.sub(r"\{/?\d+\}", " ", english[:position])
    if before.rstrip().endswith("("):
        return _C.NOMINATIVE  # a parenthesis names the term again: "at KNU (Kyrgyz National University)"
    words = re.findall(r"[A-Za-z]+", before)
    # articles and titles do not tell the case: "at the", "by Prof."
    while words and words[-1].lower() in ("the", "a", "an", "prof", "professor", "dr", "mr", "mrs", "ms"):
        words.pop()
    if not words:
        return _C.NOMINATIVE  # the subject at the start of the sentence
    return _ENGLISH_CUES.get(lang, {}).get(words[-1].lower())
