"""Quality checks on the queue: the findings and risk of a draft, `qa verify`, `qa recheck`
and the QA report.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ..errors import (
    NotFound,
)
from ..languages import Language, get_language
from ..markdown.placeholders import Segment
from ..qa import Finding, Severity, check_pair, check_translation, risk_score
from ..runtime import Runtime
from ..store import (
    ArticleRow,
    SegmentRow,
    TranslationRow,
)
from ..store.queries import ITEM_COLUMNS, ReviewItem, item_of_row
from ..store.schema import AcknowledgementRow


def check_draft(rt: Runtime, segment: Segment, text: str, lang: Language) -> list[Finding]:
    """The QA findings of one translation, without the checks tilmech.yaml switches off for ``lang``."""
    return check_translation(segment, text, lang, rt.matcher, rt.settings.disabled_checks(lang.code))


def draft_risk(rt: Runtime, source: str, findings: Sequence[Finding], score: float | None, *, edited: bool,
               acknowledged: Collection[str] = ()) -> float:
    """The risk of a draft; the findings whose codes were ``acknowledged`` on approval (services.acknowledge)
    do not count, critical ones always do."""
    has_terms = any(m.term.enforced for m in rt.matcher.find(source))
    counted = [f for f in findings if f.code not in acknowledged or f.severity is Severity.CRITICAL]
    return risk_score(counted, score, source, edited=edited, has_terms=has_terms)


def qa_verify(rt: Runtime, lang: str, source: str, target: str) -> list[Finding]:
    """Every QA finding for one pair, checked as the queue checks it: Markdown source and target parsed
    as ingest parses them (inline markup to placeholders); a source holding placeholders {1}, {/1} is
    the queue's own form and is taken as it is."""
    language = rt.settings.resolve_languages([lang])[0]
    return check_pair(source, target, language, rt.matcher, rt.settings.disabled_checks(language.code),
                      markdown=True)


@dataclass(frozen=True)
class RecheckReport:
    checked: int
    changed: int  # translations whose findings changed


def qa_recheck(rt: Runtime, lang: str | None = None, article: str | None = None) -> RecheckReport:
    """Run the checks again on the current text of every segment (after a change of checks or settings)
    and store findings and risk, in one transaction."""
    codes = [x.code for x in rt.settings.resolve_languages([lang] if lang else None)]
    from .documents import load_documents  # Markdown's parser: only for a recheck

    models = {seg.id: seg for doc in load_documents(rt, [article] if article else None) for seg in doc.segments}
    checked = changed = 0
    with rt.store.session() as s:
        query = (select(SegmentRow, TranslationRow).join(TranslationRow, TranslationRow.segment_id == SegmentRow.id)
                 .where(SegmentRow.active.is_(True), TranslationRow.lang.in_(codes)))
        if article:
            query = query.where(SegmentRow.article == article)
        # findings acknowledged for a translation's current version stay out of its risk
        acknowledged: dict[tuple[int, int], set[str]] = {}
        for tid, version, code in s.execute(select(AcknowledgementRow.translation_id, AcknowledgementRow.version,
                                                   AcknowledgementRow.code)):
            acknowledged.setdefault((tid, version), set()).add(code)
        for seg, tr in s.execute(query).all():
            model = models.get(seg.id)
            if model is None:  # its article changed on disk since the last ingest
                continue
            findings = check_draft(rt, model, tr.text, get_language(tr.lang))
            findings += [Finding.from_dict(f) for f in tr.qa or [] if f["code"] in ("term-lost", "term-case")
                         and tr.text == tr.machine and f["code"] not in rt.settings.disabled_checks(tr.lang)]
            data = [f.to_dict() for f in findings]
            risk = draft_risk(rt, seg.source, findings, tr.score, edited=tr.text != tr.machine,
                              acknowledged=acknowledged.get((tr.id, tr.version), ()))
            checked += 1
            if data != (tr.qa or []) or risk != tr.risk:
                changed += 1
                tr.qa, tr.risk = data, risk
    return RecheckReport(checked, changed)


@dataclass(frozen=True)
class QAReport:
    """QA findings of the queue: counts per check, per language and per article, and the worst segments."""

    segments: int
    flagged: int
    by_check: dict[str, int]  # finding code -> findings
    by_lang: dict[str, dict[str, int]]  # lang -> {segments, flagged, critical, functional, cosmetic}
    by_article: dict[str, dict[str, int]]  # article -> the same
    worst: tuple[ReviewItem, ...]  # highest risk first

    def to_dict(self) -> dict[str, Any]:
        return {"segments": self.segments, "flagged": self.flagged, "by_check": self.by_check,
                "by_lang": self.by_lang, "by_article": self.by_article,
                "worst": [{"segment_id": i.segment_id, "article": i.article, "lang": i.lang, "state": i.state,
                           "risk": i.risk, "source": i.source, "text": i.text,
                           "findings": [f.to_dict() for f in i.findings]} for i in self.worst]}


def qa_report(rt: Runtime, lang: str | None = None, article: str | None = None, *,
              articles: Sequence[str] | None = None, worst: int = 10) -> QAReport:
    """The QA summary of the queue (optionally of one language and one or more articles).

    The queue is read as a stream of rows and only the ``worst`` are kept, so a report on a
    store of any size holds little in memory.
    """
    query_ = (select(*ITEM_COLUMNS).join(TranslationRow, TranslationRow.segment_id == SegmentRow.id)
              .where(SegmentRow.active.is_(True)))
    if lang:
        query_ = query_.where(TranslationRow.lang == rt.settings.resolve_languages([lang])[0].code)
    if article:
        query_ = query_.where(SegmentRow.article == article)
    queries = [query_]
    if articles is not None:  # a run's articles: only theirs are read, 500 at a time
        wanted = sorted(set(articles))
        queries = [query_.where(SegmentRow.article.in_(wanted[i : i + 500])) for i in range(0, len(wanted), 500)]
    by_check: dict[str, int] = {}
    by_lang: dict[str, dict[str, int]] = {}
    by_article: dict[str, dict[str, int]] = {}
    segments = flagged = 0
    candidates: list[tuple[tuple[float, str, int, str], Any]] = []
    with rt.store.reading() as s:
        if article and s.get(ArticleRow, article) is None:
            raise NotFound(f"no article {article!r} in the store: run `tilmech translate` first")
        for row in (row for q in queries for row in s.execute(q.execution_options(yield_per=2000))):
            slug, position, code, qa, risk = row[1], row[3], row[4], row[12] or [], row[16]
            segments += 1
            flagged += bool(qa)
            for group in (by_lang.setdefault(code, _qa_counts()), by_article.setdefault(slug, _qa_counts())):
                group["segments"] += 1
                group["flagged"] += bool(qa)
                for f in qa:
                    group[f["severity"]] += 1
            for f in qa:
                by_check[f["code"]] = by_check.get(f["code"], 0) + 1
            # worst first as review_list orders it: not checked yet, then the highest risk; article order
            candidates.append(((-(risk if risk is not None else 101.0), slug, position, code), row))
            if len(candidates) > 4 * worst + 64:
                candidates = sorted(candidates, key=lambda c: c[0])[:worst]
    order = {code: i for i, code in enumerate(rt.settings.target_languages)}
    return QAReport(segments, flagged,
                    dict(sorted(by_check.items(), key=lambda kv: (-kv[1], kv[0]))),
                    dict(sorted(by_lang.items(), key=lambda kv: order.get(kv[0], 99))),
                    dict(sorted(by_article.items())),
                    tuple(item_of_row(row) for _, row in sorted(candidates, key=lambda c: c[0])[:worst]))


def _qa_counts() -> dict[str, int]:
    return {"segments": 0, "flagged": 0, "critical": 0, "functional": 0, "cosmetic": 0}
