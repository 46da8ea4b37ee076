"""The risk of a segment: one number, 0 (safe) to 100 (surely wrong), to put the worst first.

    risk = min(100, 40·critical + 20·functional + 5·cosmetic   (findings, by severity)
                    + 30·engine + 10·length + 10·terms)

* ``engine``: how unsure the engine was, from its score (CTranslate2's log-probability
  of the hypothesis normalised by its length, 0 is certain): ``min(1, −score / 2)``;
  0.5 when the engine gives no score (pseudo, or a reused translation without one);
  0 once a person has edited the text (the score no longer describes it).
* ``length``: long segments hide more errors: ``min(1, words / 40)`` of the source.
* ``terms``: 1 when the source holds a glossary term (a rendering to get right), else 0.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..markdown.placeholders import PLACEHOLDER_RE
from .model import Finding, Severity

SEVERITY_POINTS = {Severity.CRITICAL: 40.0, Severity.FUNCTIONAL: 20.0, Severity.COSMETIC: 5.0}
ENGINE_WEIGHT = 30.0
ENGINE_SCORE_SCALE = 2.0  # a mean log-probability of -2 per token or lower counts as fully unsure
UNKNOWN_ENGINE = 0.5
LENGTH_WEIGHT = 10.0
LENGTH_WORDS = 40
TERMS_WEIGHT = 10.0


def engine_uncertainty(score: float | None, edited: bool) -> float:
    if edited:
        return 0.0
    if score is None:
        return UNKNOWN_ENGINE
    return min(1.0, max(0.0, -score) / ENGINE_SCORE_SCALE)


def risk_score(findings: Iterable[Finding], score: float | None, source: str, *, edited: bool = False,
               has_terms: bool = False) -> float:
    """The documented formula (see the module docstring and docs/quality.md)."""
    points = sum(SEVERITY_POINTS[f.severity] for f in findings)
    words = len(PLACEHOLDER_RE.sub(" ", source).split())
    total = (points + ENGINE_WEIGHT * engine_uncertainty(score, edited)
             + LENGTH_WEIGHT * min(1.0, words / LENGTH_WORDS) + TERMS_WEIGHT * (1.0 if has_terms else 0.0))
    return round(min(100.0, total), 1)
