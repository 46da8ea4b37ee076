"""Findings, the pair a check looks at, and the registry of checks.

A check is a small function of a :class:`Pair` that returns one message per
problem ("what is wrong, and where"); the registry gives each message its code and
severity. Severities: ``critical`` blocks approval and release; ``functional`` and
``cosmetic`` are shown to the reviewer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ..languages import Language
from ..markdown.placeholders import PLACEHOLDER_RE, URL_RE, Markup, Segment

if TYPE_CHECKING:
    from ..glossary import TermMatcher
    from ..glossary.match import TermIssue


class Severity(StrEnum):
    CRITICAL = "critical"
    FUNCTIONAL = "functional"
    COSMETIC = "cosmetic"


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    message: str

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = str(self.severity)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(data["code"], Severity(data["severity"]), data["message"])


CODE_SPAN_RE = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)")
LATIN_WORD_RE = re.compile(r"[A-Za-z\u00C0-\u024F]+(?:['’][A-Za-z]+)?")
CYRILLIC_RE = re.compile(r"[\u0400-\u04FF]")
HAN_RE = re.compile(r"[\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF]")


@dataclass(frozen=True)
class LinkTarget:
    """The ``(destination "title")`` part of an inline link or image written in text."""

    start: int  # at the "(" after "]"
    end: int  # after the closing ")"
    destination: str
    image: bool


def link_targets(text: str) -> list[LinkTarget]:
    """Inline link and image targets of ``text``, read as CommonMark reads them (markdown-it-py's
    own destination and title parsers): balanced parentheses (``javascript:alert('x')``), ``<…>``
    destinations with spaces, an optional title in ``"…"``, ``'…'`` or ``(…)``."""
    from markdown_it.helpers import parseLinkDestination, parseLinkTitle

    found: list[LinkTarget] = []
    position = 0
    while (bracket := text.find("](", position)) >= 0:
        start = bracket + 1
        position = start + 1
        pos = _skip_space(text, position)
        destination = parseLinkDestination(text, pos, len(text))
        if not destination.ok:
            continue
        pos = _skip_space(text, destination.pos)
        if pos > destination.pos and pos < len(text) and text[pos] in "\"'(":
            title = parseLinkTitle(text, pos, len(text))
            if title.ok:
                pos = _skip_space(text, title.pos)
        if pos >= len(text) or text[pos] != ")":
            continue
        image = text.rfind("![", 0, bracket) > text.rfind("]", 0, bracket)
        found.append(LinkTarget(start, pos + 1, destination.str, image))
        position = pos + 1
    return found


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\n":
        pos += 1
    return pos


def without_link_targets(text: str, replacement: str = " ") -> str:
    """``text`` with each inline link target ``(…)`` after a ``]`` replaced."""
    out: list[str] = []
    pos = 0
    for target in link_targets(text):
        out += [text[pos : target.start], replacement]
        pos = target.end
    return "".join(out) + text[pos:]


def strip_markup(text: str, replacement: str = " ") -> str:
    """``text`` without placeholders, code spans, link targets and URLs (they are not prose)."""
    text = CODE_SPAN_RE.sub(replacement, text)
    text = without_link_targets(text, replacement)
    text = URL_RE.sub(replacement, text)
    return PLACEHOLDER_RE.sub(replacement, text)


@dataclass(frozen=True)
class Pair:
    """A source segment and its translation into ``lang``, with what the checks need."""

    segment: Segment
    target: str
    lang: Language
    matcher: TermMatcher | None = None

    @property
    def source(self) -> str:
        return self.segment.text

    @cached_property
    def source_prose(self) -> str:
        return strip_markup(self.source)

    @cached_property
    def target_prose(self) -> str:
        return strip_markup(self.target)

    @cached_property
    def kept_terms(self) -> tuple[str, ...]:
        """Glossary terms of the source as the target may write them (renderings, kept names), longest first."""
        if self.matcher is None:
            return ()
        found: set[str] = set()
        for m in self.matcher.find(self.source):
            found.update(m.term.allowed(self.lang.code))
            if m.term.keeps(self.lang.code):
                found.update(m.term.forms)
        return tuple(sorted(found, key=len, reverse=True))

    @cached_property
    def target_words(self) -> str:
        """The target's prose without the glossary terms of the source (kept as the glossary says)."""
        text = self.target_prose
        for term in self.kept_terms:
            text = re.sub(re.escape(term), " ", text, flags=re.IGNORECASE)
        return text

    @cached_property
    def term_issues(self) -> tuple[TermIssue, ...]:
        if self.matcher is None:
            return ()
        return tuple(self.matcher.verify(self.source, self.target, self.lang.code))


CheckFunction = Callable[[Pair], Iterable[str]]


@dataclass(frozen=True)
class Check:
    code: str
    severity: Severity
    description: str  # one line, for `tilmech qa checks`
    family: str
    languages: tuple[str, ...] = ()  # empty: every target language
    function: CheckFunction | None = None  # None: reported elsewhere (glossary enforcement during MT)

    def applies_to(self, lang: str) -> bool:
        return not self.languages or lang in self.languages

    def __call__(self, pair: Pair) -> list[Finding]:
        if self.function is None or not self.applies_to(pair.lang.code):
            return []
        return [Finding(self.code, self.severity, message) for message in self.function(pair)]


CHECKS: dict[str, Check] = {}


def register(code: str, severity: Severity, description: str, family: str,
             languages: tuple[str, ...] = ()) -> Callable[[CheckFunction], CheckFunction]:
    """Decorator: add a check function to the registry under ``code``."""

    def add(function: CheckFunction) -> CheckFunction:
        if code in CHECKS:
            raise ValueError(f"check {code!r} is registered twice")
        CHECKS[code] = Check(code, severity, description, family, languages, function)
        return function

    return add


def register_external(code: str, severity: Severity, description: str, family: str) -> None:
    """A finding produced outside the checks (during MT) that is listed and can be switched off."""
    CHECKS[code] = Check(code, severity, description, family)


def segment_from_text(text: str, article: str = "-") -> Segment:
    """A segment for free text (``tilmech qa verify``): its ``{n}``/``{/n}`` placeholders as markup."""
    numbers: dict[int, set[str]] = {}
    for m in PLACEHOLDER_RE.finditer(text):
        numbers.setdefault(int(m.group(2)), set()).add(m.group(1))
    markup: list[tuple[int, Markup]] = []
    for number, kinds in sorted(numbers.items()):
        if "/" in kinds:
            markup += [(number, Markup("open", (), "markup", number)), (number, Markup("close", (), "markup", number))]
        else:
            markup.append((number, Markup("atomic", (), "markup")))
    return Segment("-", article, "body", 0, text, tuple(markup))
