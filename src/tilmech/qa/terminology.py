"""Glossary findings among the QA findings: forbidden, missing or untranslated terms (any inflected form)."""

from __future__ import annotations

from collections.abc import Iterator

from .model import Pair, Severity, register, register_external


def _issues(pair: Pair, code: str) -> Iterator[str]:
    return (issue.message for issue in pair.term_issues if issue.code == code)


@register("term-forbidden", Severity.CRITICAL, "a glossary term written in a forbidden rendering", "terminology")
def check_term_forbidden(pair: Pair) -> Iterator[str]:
    return _issues(pair, "term-forbidden")


@register("term-untranslated", Severity.FUNCTIONAL, "a glossary term left in English", "terminology")
def check_term_untranslated(pair: Pair) -> Iterator[str]:
    return _issues(pair, "term-untranslated")


@register("term-missing", Severity.FUNCTIONAL, "a glossary term of the source absent from the target",
          "terminology")
def check_term_missing(pair: Pair) -> Iterator[str]:
    return _issues(pair, "term-missing")


register_external("term-lost", Severity.FUNCTIONAL,
                  "machine translation lost a protected glossary term (found during MT)", "terminology")
register_external("term-case", Severity.FUNCTIONAL,
                  "a glossary term left in its base form: its case could not be told (found during MT)",
                  "terminology")


def term_severity(code: str) -> Severity:
    """A forbidden rendering blocks approval; a missing or untranslated term is shown."""
    return Severity.CRITICAL if code == "term-forbidden" else Severity.FUNCTIONAL
