"""QA checks on a translated segment. Findings are data: all are collected, none stops the others.

One module per family of checks (``markup``, ``numbers``, ``script`` for language
and script, ``degenerate``, ``punctuation``, ``terminology``); each check registers
itself with its code, severity, one-line description and languages in
:data:`CHECKS`, which ``tilmech qa checks`` lists and ``qa.disabled`` in
tilmech.yaml switches off per language. :mod:`.risk` turns findings and the
engine's score into one number per segment.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from ..languages import Language
from ..markdown.placeholders import Segment
from . import degenerate, markup, numbers, punctuation, script, terminology  # noqa: F401  (they register)
from .model import CHECKS, Check, Finding, Pair, Severity, segment_from_text
from .risk import risk_score
from .terminology import term_severity

if TYPE_CHECKING:
    from ..glossary import TermMatcher

__all__ = ["CHECKS", "Check", "Finding", "Pair", "Severity", "check_pair", "check_translation", "checks_for",
           "has_critical", "risk_score", "segment_from_text", "term_severity"]

FAMILIES = ("degenerate", "markup", "numbers", "language", "terminology", "punctuation")


def all_checks() -> list[Check]:
    """Every registered check, by family, in a stable order."""
    return sorted(CHECKS.values(), key=lambda c: FAMILIES.index(c.family))


def checks_for(lang: str, disabled: Collection[str] = ()) -> list[Check]:
    return [c for c in all_checks() if c.applies_to(lang) and c.code not in disabled]


def check_translation(segment: Segment, target: str, lang: Language, matcher: TermMatcher | None = None,
                      disabled: Collection[str] = ()) -> list[Finding]:
    """Every finding for ``target`` as the ``lang`` translation of ``segment`` (an empty target: only that)."""
    pair = Pair(segment, target, lang, matcher)
    if not target.strip():
        return [] if "empty" in disabled else CHECKS["empty"](pair)
    return [f for check in checks_for(lang.code, disabled) for f in check(pair)]


def check_pair(source: str, target: str, lang: Language, matcher: TermMatcher | None = None,
               disabled: Collection[str] = ()) -> list[Finding]:
    """The findings for free text: ``source`` as a segment text (placeholders ``{1}`` allowed) and ``target``."""
    return check_translation(segment_from_text(source), target, lang, matcher, disabled)


def has_critical(findings: list[Finding]) -> bool:
    return any(f.severity is Severity.CRITICAL for f in findings)
