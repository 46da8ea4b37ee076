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

from ..segments import PLACEHOLDER_RE
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
                body = r"\s+".join(re.escape(word) for word in form.split())
                (sensitive if term.case_sensitive else insensitive).append((form, f"(?P<t{i}_{len(sensitive) + len(insensitive)}>{body})"))
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
        matches = [m for m in self.find(text) if m.term.rendering(lang) is not None]
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

        A placeholder the engine lost is restored where the engine wrote the English
        form or a forbidden rendering instead (as a whole word); a term still missing
        after that is reported in ``lost``.
        """
        missing: list[TermMatch] = []
        for tag, m in protected.terms:
            rendering = m.term.rendering(lang) or m.text
            if tag in output:
                output = output.replace(tag, rendering, 1)
            else:
                missing.append(m)
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
        return Restored(output, tuple(lost))
