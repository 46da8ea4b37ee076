"""QA checks on a translated segment. Findings are data: all are collected, none stops the others.

One module per family of checks (``markup``, ``numbers``, ``script`` for language
and script, ``degenerate``, ``punctuation``, ``terminology``); each check registers
itself with its code, severity, one-line description and languages in
:data:`CHECKS`, which ``tilmech qa checks`` lists and ``qa.disabled`` in
tilmech.yaml switches off per language. :mod:`.risk` turns findings and the
engine's score into one number per segment; :mod:`.spelled` reads numbers written as
words (ru, ky, zh, English); :mod:`.pairs` reads a Markdown pair as ingest does, for
``tilmech qa verify``.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from ..languages import Language
from ..markdown.placeholders import Segment
from .model import Check, Finding, Pair, Severity, segment_from_text
from .risk import risk_score

if TYPE_CHECKING:
    from ..glossary import TermMatcher
    from .model import CHECKS
    from .terminology import term_severity


def _families() -> None:
    """Import the families, which register their checks (once; Babel, the glossary's morphology and the
    spelled-out numbers come with them): a command that only reads findings stored never pays for them."""
    from . import degenerate, markup, numbers, punctuation, script, terminology  # noqa: F401  (they register)


def __getattr__(name: str) -> Any:
    """``CHECKS`` (the registry, filled) and ``term_severity``, imported on first use (PEP 562)."""
    if name == "CHECKS":
        _families()
        from .model import CHECKS

        return CHECKS
    if name == "term_severity":
        from .terminology import term_severity

        return term_severity
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["CHECKS", "Check", "Finding", "Pair", "Severity", "check_pair", "check_translation", "checks_for",
           "has_critical", "risk_score", "segment_from_text", "term_severity"]

FAMILIES = ("degenerate", "markup", "numbers", "language", "terminology", "punctuation")


def all_checks() -> list[Check]:
    """Every registered check, by family, in a stable order."""
    _families()
    from .model import CHECKS

    return sorted(CHECKS.values(), key=lambda c: FAMILIES.index(c.family))


def checks_for(lang: str, disabled: Collection[str] = ()) -> list[Check]:
    return [c for c in all_checks() if c.applies_to(lang) and c.code not in disabled]


def check_translation(segment: Segment, target: str, lang: Language, matcher: TermMatcher | None = None,
                      disabled: Collection[str] = ()) -> list[Finding]:
    """Every finding for ``target`` as the ``lang`` translation of ``segment`` (an empty target: only that)."""
    pair = Pair(segment, target, lang, matcher)
    if not target.strip():
        _families()
        from .model import CHECKS

        return [] if "empty" in disabled else CHECKS["empty"](pair)
    return [f for check in checks_for(lang.code, disabled) for f in check(pair)]


def check_pair(source: str, target: str, lang: Language, matcher: TermMatcher | None = None,
               disabled: Collection[str] = (), *, markdown: bool = False) -> list[Finding]:
    """The findings for free text: ``source`` as a segment text (placeholders ``{1}`` allowed) and ``target``.

    ``markdown``: both are Markdown, parsed as ingest parses an article (inline markup to
    placeholders, see :mod:`.pairs`), so the pair is checked exactly as the queue checks it.
    """
    if markdown:
        from .pairs import read_markdown_pair

        segment, target = read_markdown_pair(source, target)
        return check_translation(segment, target, lang, matcher, disabled)
    return check_translation(segment_from_text(source), target, lang, matcher, disabled)


def has_critical(findings: list[Finding]) -> bool:
    return any(f.severity is Severity.CRITICAL for f in findings)
