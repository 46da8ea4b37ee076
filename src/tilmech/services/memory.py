"""The translation memory: what earlier work gives a new segment before any engine runs.

Two sources, in this order: the approved translation of the identical English sentence
elsewhere, then the engines' earlier output for the identical MT input (keyed by the input's
hash, engine, model and model version, so a new model never reuses an old model's draft).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..mt.chain import Draft
from ..review import State
from ..store import MemoryRow, SegmentRow, TranslationRow


def memory_key(text: str) -> str:
    """The key of an MT input (the sentence with its placeholders) in the memory."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def approved_translations(s: Session, lang: str, sources: Sequence[str]) -> dict[str, str]:
    """English sentence -> its approved ``lang`` translation, for those of ``sources`` that have one."""
    if not sources:
        return {}
    return {source: text for source, text in s.execute(
        select(SegmentRow.source, TranslationRow.text)
        .join(TranslationRow, TranslationRow.segment_id == SegmentRow.id)
        .where(TranslationRow.lang == lang, TranslationRow.state == State.APPROVED.value,
               SegmentRow.source.in_(list(sources))))}


def memory_matches(s: Session, lang: str, keys: Iterable[str],
                   models: Sequence[tuple[str, str, str]]) -> dict[str, MemoryRow]:
    """Key -> the memory entry of the first of ``models`` (engine, model, version), in chain order,
    that translated that input; entries of other models are never used."""
    rank = {model: i for i, model in enumerate(models)}
    best: dict[str, MemoryRow] = {}
    for m in s.scalars(select(MemoryRow).where(MemoryRow.lang == lang, MemoryRow.source_hash.in_(list(keys)),
                                               MemoryRow.engine.in_([engine for engine, _, _ in models]))):
        here = rank.get((m.engine, m.model, m.model_version))
        kept = best.get(m.source_hash)
        if here is not None and (kept is None or here < rank[(kept.engine, kept.model, kept.model_version)]):
            best[m.source_hash] = m
    return best


def remember(s: Session, lang: str, drafts: Sequence[tuple[str, Draft]]) -> None:
    """Add the engines' drafts (MT input, draft) to the memory, but those another run stored meanwhile
    (the caller holds the language's memory lock)."""
    if not drafts:
        return
    known = set(s.execute(select(MemoryRow.source_hash, MemoryRow.engine, MemoryRow.model, MemoryRow.model_version)
                          .where(MemoryRow.lang == lang,
                                 MemoryRow.source_hash.in_([memory_key(text) for text, _ in drafts]))).all())
    for text, d in drafts:
        if (memory_key(text), d.engine, d.model, d.version) not in known:
            s.add(MemoryRow(source_hash=memory_key(text), lang=lang, engine=d.engine, model=d.model,
                            model_version=d.version, source=text, target=d.text, score=d.score))
