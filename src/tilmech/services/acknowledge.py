"""Acknowledged findings: approving a text with open functional QA findings takes acknowledging them.

Like Weblate's dismissed checks. A reviewer who approves a translation whose functional findings
(a glossary term missing, an odd length, a number not found) they judged acceptable names their
codes (``acknowledge=["term-missing"]``; the CLI's ``--acknowledge``, the API's ``"acknowledge"``, the
workbench's confirmation). Without that, one segment's approval is refused
(:class:`~tilmech.errors.FindingsNotAcknowledged`, listing them) and a bulk approval skips it and counts
it. Critical findings block whatever is acknowledged; cosmetic ones need no acknowledgement.

Each acknowledgement is recorded (who, when, through which surface, the finding's code and message,
and the translation's version it holds for: the approved one) and no longer counts in the risk.
Any later change of the translation (an edit, a send-back, a new machine draft) makes a new version:
its findings are open again if they still occur.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import FindingsNotAcknowledged, UsageError
from ..qa import Finding, Severity
from ..runtime import Runtime
from ..store import SegmentRow, TranslationRow
from ..store.queries import IN_CHUNK, in_chunks, resolve_segment
from ..store.schema import AcknowledgementRow
from .quality import draft_risk

#: the severities an approval must acknowledge (critical ones block; cosmetic ones are shown only)
NEEDS_ACKNOWLEDGING = (Severity.FUNCTIONAL.value,)


@dataclass(frozen=True)
class Acknowledgement:
    """A finding acknowledged on approval, as the record keeps it."""

    code: str
    message: str
    version: int  # the translation's version it holds for (the approved one)
    who: str
    at: str  # ISO 8601, to the second
    surface: str  # cli, web, api (token), xliff; as in the history
    current: bool  # it holds for the translation's current version (no change since)


def parse_acknowledge(codes: Collection[str] | str) -> frozenset[str]:
    """The finding codes of ``acknowledge`` (a list; each item may hold several, comma-separated)."""
    if isinstance(codes, str):  # one string is one list item, not a list of its characters
        codes = [codes]
    return frozenset(part.strip() for item in codes for part in item.split(",") if part.strip())


def unacknowledged(tr: TranslationRow, acknowledge: Collection[str]) -> list[dict[str, str]]:
    """The findings of ``tr`` an approval must acknowledge that ``acknowledge`` does not name
    (``{"code", "message", "severity"}`` each)."""
    return [{"code": f["code"], "message": f["message"], "severity": f["severity"]} for f in tr.qa or []
            if f["severity"] in NEEDS_ACKNOWLEDGING and f["code"] not in acknowledge]


def refusal(where: str, findings: Sequence[dict[str, str]]) -> FindingsNotAcknowledged:
    """The error of an approval of ``where`` with ``findings`` open: what they are and how to go on."""
    codes = sorted({f["code"] for f in findings})
    listed = "; ".join(f"{f['code']}: {f['message']}" for f in findings)
    return FindingsNotAcknowledged(
        f"{where}: not approved: {len(findings)} open QA finding{'s' if len(findings) != 1 else ''} "
        f"({listed}). Edit the text, or approve acknowledging {', '.join(codes)}", list(findings))


def require_acknowledged(tr: TranslationRow, where: str, acknowledge: Collection[str]) -> None:
    """Refuse (:class:`FindingsNotAcknowledged`) the approval of ``tr`` while a functional finding is not
    acknowledged."""
    missing = unacknowledged(tr, acknowledge)
    if missing:
        raise refusal(where, missing)


def record_acknowledged(s: Session, rt: Runtime, seg: SegmentRow, tr: TranslationRow,
                        acknowledge: Collection[str]) -> None:
    """Record the findings of ``tr`` that ``acknowledge`` names (critical ones excepted) for its current
    version (call it after the approval bumped it), and store its risk without them."""
    if not acknowledge:
        return
    findings = [f for f in tr.qa or [] if f["code"] in acknowledge and f["severity"] != Severity.CRITICAL.value]
    if not findings:
        return
    for f in {f["code"]: f for f in findings}.values():  # one record per code
        s.add(AcknowledgementRow(translation_id=tr.id, code=f["code"], message=f["message"], version=tr.version,
                                 who=rt.user, surface=rt.surface))
    tr.risk = translation_risk(rt, seg, tr, {f["code"] for f in findings})


def translation_risk(rt: Runtime, seg: SegmentRow, tr: TranslationRow, acknowledged: Collection[str]) -> float:
    """The risk of ``tr``'s stored findings, those acknowledged left out."""
    return draft_risk(rt, seg.source, [Finding.from_dict(f) for f in tr.qa or []], tr.score,
                      edited=tr.text != tr.machine, acknowledged=acknowledged)


def current_acknowledged(s: Session, translations: Sequence[TranslationRow]) -> dict[int, set[str]]:
    """The codes acknowledged for the current version of each of ``translations``, by translation id."""
    versions = {tr.id: tr.version for tr in translations}
    out: dict[int, set[str]] = {}
    for chunk in in_chunks(list(versions), IN_CHUNK):
        for tid, code, version in s.execute(select(AcknowledgementRow.translation_id, AcknowledgementRow.code,
                                                   AcknowledgementRow.version)
                                            .where(AcknowledgementRow.translation_id.in_(chunk))):
            if versions[tid] == version:
                out.setdefault(tid, set()).add(code)
    return out


def reopen_findings(s: Session, rt: Runtime, seg: SegmentRow, tr: TranslationRow, acknowledged: Collection[str]) -> None:
    """After a change that made a new version without new findings (a send-back): the findings acknowledged
    for the old one (``acknowledged``) count in the risk again."""
    if acknowledged:
        tr.risk = translation_risk(rt, seg, tr, ())


def acknowledgements(rt: Runtime, segment_id: str, lang: str) -> list[Acknowledgement]:
    """Every finding acknowledged on ``segment_id``'s ``lang`` translation, oldest first."""
    code = rt.settings.resolve_languages([lang])[0].code
    with rt.store.reading() as s:
        seg = resolve_segment(s, segment_id)
        tr = s.scalars(select(TranslationRow).where(TranslationRow.segment_id == seg.id,
                                                    TranslationRow.lang == code)).first()
        if tr is None:
            return []
        rows: list[Any] = list(s.scalars(select(AcknowledgementRow).where(AcknowledgementRow.translation_id == tr.id)
                                         .order_by(AcknowledgementRow.id)))
        return [Acknowledgement(r.code, r.message, r.version, r.who, r.at.isoformat(timespec="seconds"), r.surface,
                                r.version == tr.version) for r in rows]


def check_codes(acknowledge: Collection[str]) -> None:
    """Refuse codes no check has (a typo would acknowledge nothing, silently)."""
    from ..qa import CHECKS

    unknown = sorted(set(acknowledge) - set(CHECKS))
    if unknown:
        raise UsageError(f"acknowledge {', '.join(unknown)}: no such QA check; see `tilmech qa checks`")
