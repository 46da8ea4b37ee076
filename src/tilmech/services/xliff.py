"""XLIFF round trips: export an article's queue for CAT tools, import the translated file.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..auth import (
    require_review,
)
from ..errors import (
    Conflict,
    FindingsNotAcknowledged,
    NotFound,
    UsageError,
    WorkflowError,
)
from ..markdown.placeholders import Segment
from ..review import State
from ..runtime import Runtime
from ..store import SegmentRow
from .documents import load_documents
from .review import (
    approve_translation,
    check_version,
    edit_translation,
    locked_translations,
    review_list,
    segment_terms,
)


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
    longer matches, it was changed in Tilmech since the export, its version note
    (``tilmech-version``) is missing, or its text breaks a critical check on approval;
    the other units are applied. The translations of the file are locked first (in the
    order of their ids), so nobody changes them between the check and the write.
    """
    from ..xliff import read_xliff

    doc = read_xliff(text, source)
    language = rt.settings.resolve_languages([doc.target_lang])[0]
    require_review(rt.actor, language.code)
    rt = rt.on_surface(f"xliff ({rt.surface})" if rt.surface else "xliff")  # recorded in the history
    outcomes: list[ImportOutcome] = []
    with rt.store.session() as s:
        models: dict[str, Segment] = {}
        segs = {unit.segment_id: s.get(SegmentRow, unit.segment_id) for unit in doc.units}
        rows = locked_translations(s, [seg for seg in segs.values() if seg is not None], language.code)
        for unit in doc.units:
            seg = segs[unit.segment_id]
            if seg is None or not seg.active:
                outcomes.append(ImportOutcome(unit.segment_id, "refused", "the segment is no longer in the article"))
                continue
            if unit.source != seg.source:
                outcomes.append(ImportOutcome(unit.segment_id, "refused",
                                              "the English text changed since the export: export again"))
                continue
            tr = rows.get(seg.id)
            if tr is None:
                outcomes.append(ImportOutcome(unit.segment_id, "refused", f"no {language.code} translation yet"))
                continue
            edit = unit.target is not None and unit.target.strip() != tr.text
            if unit.version is None and (edit or (unit.approved and tr.state != State.APPROVED.value)):
                outcomes.append(ImportOutcome(unit.segment_id, "refused",
                                              "its tilmech-version note is missing, so whether the text changed "
                                              "in Tilmech since the export cannot be told: export again"))
                continue
            if seg.article not in {m.article for m in models.values()}:
                models.update({m.id: m for doc_ in load_documents(rt, [seg.article]) for m in doc_.segments})
            done = []
            held = ""  # an edit kept, its approval not: findings to acknowledge in the workbench
            try:
                with s.begin_nested():
                    if edit or (unit.approved and tr.state != State.APPROVED.value):
                        check_version(tr, unit.version)  # an approval too: of the text the file showed
                    if edit and unit.target is not None:
                        edit_translation(s, rt, seg, tr, unit.target, unit.version, models.get(seg.id))
                        done.append("edited")
                    try:
                        if unit.approved and approve_translation(s, rt, seg, tr):
                            done.append("approved")
                    except FindingsNotAcknowledged as exc:  # refused before it changed anything
                        if not done:
                            raise
                        held = f"{exc}: acknowledge them in the workbench or with `tilmech review approve`"
            except (Conflict, WorkflowError, UsageError) as exc:
                outcomes.append(ImportOutcome(unit.segment_id, "refused", str(exc)))
                continue
            outcomes.append(ImportOutcome(unit.segment_id, "+".join(done) or "unchanged", held))
    return outcomes
