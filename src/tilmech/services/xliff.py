"""XLIFF round trips: export an article's queue for CAT tools, import the translated file.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..auth import (
    require_review,
)
from ..errors import (
    Conflict,
    NotFound,
    UsageError,
    WorkflowError,
)
from ..markdown.placeholders import Segment
from ..runtime import Runtime
from ..store import (
    SegmentRow,
    TranslationRow,
)
from .documents import load_documents
from .review import approve_translation, edit_translation, review_list, segment_terms


def xliff_export(rt: Runtime, article: str, lang: str, version: str = "2.1") -> str:
    """The segments of one article and language as XLIFF (2.1 by default, or 1.2)."""
    from ..xliff import ExportUnit, write_xliff

    code = rt.settings.resolve_languages([lang])[0].code
    items = review_list(rt, code, article=article)
    if not items:
        raise NotFound(f"no {code} translations of {article!r}: run `tilmech translate` first")
    units = []
    for item in items:
        notes = [("glossary", f"{t.english} → {' / '.join(t.renderings.get(code, ()))}")
                 for t in segment_terms(rt, item.source) if t.renderings.get(code)]
        notes += [("qa", f"{f.severity}: {f.message}") for f in item.findings]
        units.append(ExportUnit(item.segment_id, item.source, item.text, item.state, item.version,
                                item.placeholders, tuple(notes)))
    return write_xliff(units, source_lang=rt.settings.source_language, target_lang=code,
                       original=f"{rt.settings.paths.content}/{rt.settings.source_language}/{article}.md",
                       version=version)


@dataclass(frozen=True)
class ImportOutcome:
    segment_id: str
    outcome: str  # edited | approved | edited+approved | unchanged | refused
    detail: str = ""


def xliff_import(rt: Runtime, text: str, source: str) -> list[ImportOutcome]:
    """Apply the targets of an XLIFF file as the importing user, in one transaction.

    A unit is refused (and reported) when its segment is gone, its English text no
    longer matches, it was changed in Tilmech since the export, or its text breaks a
    critical check on approval; the other units are applied.
    """
    from ..xliff import read_xliff

    doc = read_xliff(text, source)
    language = rt.settings.resolve_languages([doc.target_lang])[0]
    require_review(rt.actor, language.code)
    outcomes: list[ImportOutcome] = []
    with rt.store.session() as s:
        models: dict[str, Segment] = {}
        for unit in doc.units:
            seg = s.get(SegmentRow, unit.segment_id)
            if seg is None or not seg.active:
                outcomes.append(ImportOutcome(unit.segment_id, "refused", "the segment is no longer in the article"))
                continue
            if unit.source != seg.source:
                outcomes.append(ImportOutcome(unit.segment_id, "refused",
                                              "the English text changed since the export: export again"))
                continue
            tr = s.scalars(select(TranslationRow).where(TranslationRow.segment_id == seg.id,
                                                        TranslationRow.lang == language.code)).first()
            if tr is None:
                outcomes.append(ImportOutcome(unit.segment_id, "refused", f"no {language.code} translation yet"))
                continue
            if seg.article not in {m.article for m in models.values()}:
                models.update({m.id: m for doc_ in load_documents(rt, [seg.article]) for m in doc_.segments})
            done = []
            try:
                with s.begin_nested():
                    if unit.target is not None and unit.target.strip() != tr.text:
                        edit_translation(s, rt, seg, tr, unit.target, unit.version, models.get(seg.id))
                        done.append("edited")
                    if unit.approved and approve_translation(s, rt, seg, tr):
                        done.append("approved")
            except (Conflict, WorkflowError, UsageError) as exc:
                outcomes.append(ImportOutcome(unit.segment_id, "refused", str(exc)))
                continue
            outcomes.append(ImportOutcome(unit.segment_id, "+".join(done) or "unchanged"))
    return outcomes
