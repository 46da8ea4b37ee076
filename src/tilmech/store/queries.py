"""Query fragments and row-to-value helpers shared by the use cases: the active-segment
filter, chunked IN lists, segment counts, stored segments, the review queue's item and its
counts by article and language, approved texts, and segment look-ups by id.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import Text, case, func, select
from sqlalchemy.orm import Session

from ..errors import (
    NotFound,
    UsageError,
)
from ..markdown.placeholders import Field, Segment
from ..qa import Finding, Severity
from ..qa.model import segment_from_text
from ..review import State
from . import (
    SegmentRow,
    TranslationRow,
)


def stored_segments(s: Session, slugs: Sequence[str]) -> dict[str, list[Segment]]:
    """The active segments of these articles as ingest stored them, in order: what splitting the
    articles again would give, as long as their files have the bytes they had then."""
    out: dict[str, list[Segment]] = {slug: [] for slug in slugs}
    for start in range(0, len(slugs), 500):
        for row in s.execute(select(SegmentRow.id, SegmentRow.article, SegmentRow.field, SegmentRow.position,
                                    SegmentRow.source, SegmentRow.placeholders)
                             .where(SegmentRow.article.in_(list(slugs[start : start + 500])), IS_ACTIVE)
                             .order_by(SegmentRow.article, SegmentRow.position)):
            out[row.article].append(segment_model(row))
    return out


def source_diff(old: str, new: str) -> str:
    """A word diff for reviewers: ``[-removed-]{+added+}``."""
    a, b = old.split(), new.split()
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b).get_opcodes():
        if op == "equal":
            out.extend(a[i1:i2])
            continue
        if i2 > i1:
            out.append("[-" + " ".join(a[i1:i2]) + "-]")
        if j2 > j1:
            out.append("{+" + " ".join(b[j1:j2]) + "+}")
    return " ".join(out)


def segment_counts(s: Session, slugs: Sequence[str]) -> dict[str, int]:
    """Active segments per article of ``slugs``."""
    counts: dict[str, int] = {}
    for start in range(0, len(slugs), 500):
        chunk = list(slugs[start : start + 500])
        counts.update((slug, int(n)) for slug, n in s.execute(select(SegmentRow.article, func.count()).where(
            SegmentRow.article.in_(chunk), IS_ACTIVE).group_by(SegmentRow.article)).all())
    return counts


# "The segment is active", written so that SQLite looks the articles up in the article index:
# given ``active = 1``, it chose the index on ``active``, which nearly every segment matches,
# and read them all (50 ms for 500 articles of 10 000, against 5).
IS_ACTIVE = func.coalesce(SegmentRow.active, False).is_(True)


@dataclass(frozen=True)
class ReviewItem:
    segment_id: str
    article: str
    field: str
    position: int
    lang: str
    source: str
    machine: str
    text: str
    state: str
    engine: str
    origin: str
    score: float | None
    findings: tuple[Finding, ...]
    placeholders: dict[str, str] = dataclasses.field(default_factory=dict)
    version: int = 1
    source_diff: str = ""  # for an edited English sentence: [-old-]{+new+}
    risk: float | None = None  # 0 (safe) to 100, see tilmech.qa.risk; None: not checked yet
    model: str = ""  # the model that made the machine draft, and its version
    model_version: str = ""


def item_of(seg: SegmentRow, tr: TranslationRow) -> ReviewItem:
    return ReviewItem(seg.id, seg.article, seg.field, seg.position, tr.lang, seg.source, tr.machine, tr.text,
                      tr.state, tr.engine, tr.origin, tr.score,
                      tuple(Finding.from_dict(f) for f in tr.qa or []), dict(seg.placeholders or {}), tr.version,
                      source_diff(seg.previous_source, seg.source) if seg.previous_source else "", tr.risk,
                      tr.model, tr.model_version)


# The columns of a queue entry: selected as columns, the queue skips building ORM objects
ITEM_COLUMNS = (SegmentRow.id, SegmentRow.article, SegmentRow.field, SegmentRow.position, TranslationRow.lang,
                 SegmentRow.source, TranslationRow.machine, TranslationRow.text, TranslationRow.state,
                 TranslationRow.engine, TranslationRow.origin, TranslationRow.score, TranslationRow.qa,
                 SegmentRow.placeholders, TranslationRow.version, SegmentRow.previous_source, TranslationRow.risk,
                 TranslationRow.model, TranslationRow.model_version)


def item_of_row(row: Any) -> ReviewItem:
    (sid, article, field, position, lang, source, machine, text, state, engine, origin, score, qa, placeholders,
     version, previous, risk, model, model_version) = row
    return ReviewItem(sid, article, field, position, lang, source, machine, text, state, engine, origin, score,
                      tuple(Finding.from_dict(f) for f in qa or []), dict(placeholders or {}), version,
                      source_diff(previous, source) if previous else "", risk, model, model_version)


def resolve_segment(s: object, segment_id: str) -> SegmentRow:
    from sqlalchemy.orm import Session

    assert isinstance(s, Session)
    if len(segment_id) < 6:
        raise UsageError(f"segment id {segment_id!r} is too short: give at least 6 characters")
    exact = s.get(SegmentRow, segment_id)
    if exact is not None:  # a whole id, as the workbench and the API send it
        return exact
    # a prefix, as people type it: a range of the primary key, which the index answers
    rows = list(s.scalars(select(SegmentRow).where(SegmentRow.id >= segment_id,
                                                   SegmentRow.id < segment_id + "\U0010ffff").limit(2)))
    if not rows:
        raise NotFound(f"no segment {segment_id!r}: see `tilmech review list` for ids")
    if len(rows) > 1:
        raise UsageError(f"segment id {segment_id!r} is ambiguous: give more characters")
    return rows[0]


def translation_of(s: object, seg: SegmentRow, lang: str) -> TranslationRow:
    from sqlalchemy.orm import Session

    assert isinstance(s, Session)
    row = s.scalars(select(TranslationRow).where(TranslationRow.segment_id == seg.id,
                                                 TranslationRow.lang == lang)).first()
    if row is None:
        raise NotFound(f"segment {seg.id} has no {lang} translation yet: run `tilmech translate --lang {lang}`")
    return row


def segment_model(seg: Any) -> Segment:
    """The segment of a stored row (a :class:`SegmentRow`, or a row of its columns) with its markup
    as the QA checks see it (kind and label of each placeholder), without reading and splitting
    its article again."""
    base = segment_from_text(seg.source, seg.article)
    labels = seg.placeholders or {}
    markup = tuple((number, dataclasses.replace(mark, label=labels.get(
        f"{{/{number}}}" if mark.kind == "close" else f"{{{number}}}", mark.label)))
        for number, mark in base.markup)
    return Segment(seg.id, seg.article, cast(Field, seg.field), seg.position, seg.source, markup)


_T = TypeVar("_T")
IN_CHUNK = 500  # values in one IN list: far under any store's limit on bound parameters


def in_chunks(values: Sequence[_T], size: int = IN_CHUNK) -> Iterator[list[_T]]:
    """``values`` a ``size`` at a time: the IN lists of a query over any number of keys."""
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


def active_segment_ids(s: Session, slugs: Sequence[str]) -> dict[str, list[str]]:
    """The ids of the active segments of these articles, in order (an article without any: empty)."""
    out: dict[str, list[str]] = {slug: [] for slug in slugs}
    for chunk in in_chunks(slugs):
        for sid, article in s.execute(select(SegmentRow.id, SegmentRow.article)
                                      .where(SegmentRow.article.in_(chunk), IS_ACTIVE)
                                      .order_by(SegmentRow.article, SegmentRow.position)):
            out[article].append(sid)
    return out


@dataclass(frozen=True)
class QueueCounts:
    """An article's entries in the review queue in one language."""

    segments: int  # active segments translated in the language
    open: int  # of them, those not approved
    critical: int  # of the open ones, those with a critical QA finding


def queue_counts(s: Session, slugs: Sequence[str], langs: Sequence[str]) -> dict[tuple[str, str], QueueCounts]:
    """(article, language) -> its queue entries, for these articles and languages; a pair with no
    entry (not translated) is left out. Counted by the store, a chunk of articles at a time."""
    approved = State.APPROVED.value
    counts: dict[tuple[str, str], list[int]] = {}
    for chunk in in_chunks(slugs):
        in_queue = (SegmentRow.article.in_(chunk), IS_ACTIVE, TranslationRow.lang.in_(list(langs)))
        for article, lang, total, open_ in s.execute(
                select(SegmentRow.article, TranslationRow.lang, func.count(),
                       func.sum(case((TranslationRow.state == approved, 0), else_=1)))
                .join(TranslationRow, TranslationRow.segment_id == SegmentRow.id)
                .where(*in_queue).group_by(SegmentRow.article, TranslationRow.lang)):
            counts[(article, lang)] = [int(total), int(open_ or 0), 0]
        # findings are JSON: the store keeps those that mention "critical", the findings say which are
        for article, lang, qa in s.execute(
                select(SegmentRow.article, TranslationRow.lang, TranslationRow.qa)
                .join(TranslationRow, TranslationRow.segment_id == SegmentRow.id)
                .where(*in_queue, TranslationRow.state != approved,
                       TranslationRow.qa.cast(Text).like("%critical%"))):
            if any(Finding.from_dict(f).severity is Severity.CRITICAL for f in qa or []):
                counts[(article, lang)][2] += 1
    return {key: QueueCounts(*value) for key, value in counts.items()}


def approved_texts(s: Session, segment_ids: Sequence[str], langs: Sequence[str]) -> dict[str, dict[str, str]]:
    """Language -> segment id -> approved text, of these segments in these languages."""
    out: dict[str, dict[str, str]] = {lang: {} for lang in langs}
    for chunk in in_chunks(segment_ids):
        for sid, lang, text in s.execute(select(TranslationRow.segment_id, TranslationRow.lang, TranslationRow.text)
                                         .where(TranslationRow.segment_id.in_(chunk),
                                                TranslationRow.lang.in_(list(langs)),
                                                TranslationRow.state == State.APPROVED.value)):
            out[lang][sid] = text
    return out
