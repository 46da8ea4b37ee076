"""QA checks on a translated segment. Findings are data: all are collected, none stops the others.

Severities: ``critical`` blocks approval and release; ``functional`` and
``cosmetic`` are shown to the reviewer.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from .glossary import TermMatcher
from .languages import Language
from .segments import Segment, check_placeholders


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


_NUMBER = re.compile(r"\d+(?:[.,\u00a0\u202f ]\d{3})*(?:[.,]\d+)?")


def _numbers(text: str) -> list[str]:
    text = re.sub(r"\{/?\d+\}", " ", text)
    return sorted(re.sub(r"[,\u00a0\u202f ]", "", n).replace(".", "") for n in _NUMBER.findall(text))


def check_empty(segment: Segment, target: str) -> list[Finding]:
    if not target.strip():
        return [Finding("empty", Severity.CRITICAL, "the translation is empty")]
    return []


def check_markup(segment: Segment, target: str) -> list[Finding]:
    return [Finding("placeholder", Severity.CRITICAL, problem) for problem in check_placeholders(target, segment)]


def check_numbers(segment: Segment, target: str) -> list[Finding]:
    missing = list(_numbers(segment.text))
    for number in _numbers(target):
        if number in missing:
            missing.remove(number)
    if missing:
        return [Finding("number", Severity.FUNCTIONAL, f"number {n} of the source is missing or changed") for n in missing]
    return []


def term_severity(code: str) -> Severity:
    """A forbidden rendering blocks approval; a missing or untranslated term is shown."""
    return Severity.CRITICAL if code == "term-forbidden" else Severity.FUNCTIONAL


def check_terms(segment: Segment, target: str, lang: Language, matcher: TermMatcher) -> list[Finding]:
    """Glossary terms in any inflected form."""
    return [Finding(issue.code, term_severity(issue.code), issue.message)
            for issue in matcher.verify(segment.text, target, lang.code)]


def check_translation(segment: Segment, target: str, lang: Language, matcher: TermMatcher) -> list[Finding]:
    """Every finding for ``target`` as the ``lang`` translation of ``segment``."""
    findings = check_empty(segment, target)
    if findings:
        return findings
    return [*check_markup(segment, target), *check_numbers(segment, target),
            *check_terms(segment, target, lang, matcher)]


def has_critical(findings: list[Finding]) -> bool:
    return any(f.severity is Severity.CRITICAL for f in findings)
