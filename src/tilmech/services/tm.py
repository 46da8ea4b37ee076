"""The translation memory at a translator's desk: fuzzy suggestions, concordance, propagation.

**Suggestions.** For a segment, the translations (approved first, then the others) and the
memory units (engine output, imported TMX) of the same language whose English is close to the
segment's, with a similarity from 0 to 100 and the English differences word by word.

The lookup runs over an index kept in memory per store and language, built on first use: one
entry per distinct English sentence, with the ids of the segments and memory units that hold
it, and the sentence's words. A lookup takes the candidates that share one of the rarer half of
the query's words (a sentence close enough to suggest shares most of them), scores those with
rapidfuzz (characters, and words in any order), then reads the few best candidates' current
text from the store: states and texts are always fresh. The index takes what was added when the
newest translation of the language or the newest memory unit changed (two reads of an index's
end per lookup); ``bench/suggest.py`` prints the lookup times at 10 000 and 100 000 translations.

**Concordance.** A phrase in the English or the translation of a language's segments.

**Propagation.** After an approval, the same text goes to the language's not-approved
translations of the identical English sentence, each as an edit in its history (left as a draft).
"""

from __future__ import annotations

import difflib
import re
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..errors import UsageError
from ..languages import get_language
from ..review import Action, State
from ..runtime import Runtime
from ..store import MemoryRow, SegmentRow, Store, TranslationRow
from ..store.queries import IS_ACTIVE, in_chunks, resolve_segment, segment_model
from .quality import check_draft, draft_risk
from .review import record_change

MIN_SIMILARITY = 50  # suggestions below this are more noise than help
MAX_LIMIT = 50
CANDIDATES = 3000  # sentences scored per lookup, unless the query's three rarest words are commoner than that
_WORD = re.compile(r"\w+")
_STATE_RANK = {State.APPROVED.value: 0, "memory": 2}  # others (draft, needs-work): 1


@dataclass(frozen=True)
class DiffPart:
    op: str  # equal | insert (words only in this segment's English) | delete (only in the suggestion's)
    text: str


@dataclass(frozen=True)
class Suggestion:
    source: str
    text: str
    similarity: int  # 0-100
    state: str  # a translation's review state, or "memory"
    origin: str  # translations: who last changed the text; memory: the TMX origin, or "engine NAME"
    article: str | None
    segment_id: str | None
    diff: tuple[DiffPart, ...]


def word_diff(theirs: str, ours: str) -> tuple[DiffPart, ...]:
    """How ``theirs`` (a suggestion's English) differs from ``ours`` (this segment's), word by word."""
    a, b = theirs.split(), ours.split()
    out: list[DiffPart] = []

    def add(op: str, words: Sequence[str]) -> None:
        if not words:
            return
        if out and out[-1].op == op:
            out[-1] = DiffPart(op, out[-1].text + " " + " ".join(words))
        else:
            out.append(DiffPart(op, " ".join(words)))

    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            add("equal", a[i1:i2])
        else:
            add("delete", a[i1:i2])
            add("insert", b[j1:j2])
    return tuple(out)


def similarity(a: str, b: str) -> int:
    """0-100: characters in order, or the same words in another order (a little below)."""
    x, y = a.lower(), b.lower()
    return round(max(fuzz.ratio(x, y), 0.9 * fuzz.token_sort_ratio(x, y)))


# -- the index ---------------------------------------------------------------------------------


class _Index:
    """The English sentences of a language's translations and memory units, for fuzzy look-ups."""

    def __init__(self, stamp: tuple[int, int]) -> None:
        self.stamp = stamp
        self.sources: list[str] = []  # distinct English sentences
        self.lowered: list[str] = []
        self.ordered: list[str] = []  # the lowered words sorted: scores for another word order
        self.segments: list[list[str]] = []  # per sentence: ids of the segments with it
        self.memory: list[list[int]] = []  # per sentence: ids of the memory units with it
        self.postings: dict[str, list[int]] = {}  # word -> sentences with it
        self._at: dict[str, int] = {}

    def _entry(self, source: str) -> int:
        i = self._at.get(source)
        if i is None:
            i = self._at[source] = len(self.sources)
            lowered = source.lower()
            words = _WORD.findall(lowered)
            self.sources.append(source)
            self.lowered.append(lowered)
            self.ordered.append(" ".join(sorted(words)))
            self.segments.append([])
            self.memory.append([])
            for word in set(words):
                self.postings.setdefault(word, []).append(i)
        return i

    def add_segment(self, source: str, segment_id: str) -> None:
        ids = self.segments[self._entry(source)]
        if segment_id not in ids:  # PostgreSQL: a row committed between the stamp and the read comes again
            ids.append(segment_id)

    def add_memory(self, source: str, memory_id: int) -> None:
        ids = self.memory[self._entry(source)]
        if memory_id not in ids:
            ids.append(memory_id)

    def candidates(self, query: str) -> list[int] | None:
        """Sentences sharing one of the query's rarest words: the three rarest, and more of the rarer half
        while the candidates stay few (a sentence close enough to suggest shares most of the words, so
        one of the rarest among them). None: look at all."""
        words = sorted(set(_WORD.findall(query.lower())), key=lambda w: len(self.postings.get(w, ())))
        if not words:
            return None
        found: set[int] = set()
        for n, word in enumerate(words[: max(3, (len(words) + 1) // 2)]):
            postings = self.postings.get(word, ())
            if n >= 3 and len(found) + len(postings) > CANDIDATES:
                break
            found.update(postings)
        return sorted(found) if len(found) < len(self.sources) // 2 else None

    def best(self, query: str, count: int) -> list[tuple[int, int]]:
        """(sentence, similarity) of the ``count`` closest sentences, closest first."""
        chosen = self.candidates(query)
        lowered = self.lowered if chosen is None else [self.lowered[i] for i in chosen]
        ordered = self.ordered if chosen is None else [self.ordered[i] for i in chosen]
        q = query.lower()
        q_ordered = " ".join(sorted(_WORD.findall(q)))
        hits: set[int] = set()
        for needle, haystack in ((q, lowered), (q_ordered, ordered)):
            for _, _, k in process.extract(needle, haystack, scorer=fuzz.ratio, limit=count,
                                           score_cutoff=MIN_SIMILARITY - 5):
                hits.add(k if chosen is None else chosen[k])
        scored = [(i, similarity(query, self.sources[i])) for i in hits]
        return sorted((hit for hit in scored if hit[1] >= MIN_SIMILARITY), key=lambda h: -h[1])[:count]


# per store (a new Store, e.g. of a store made anew at the same path, starts afresh), per language
_INDEXES: weakref.WeakKeyDictionary[Store, dict[str, _Index]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _stamp(s: Session, lang: str) -> tuple[int, int]:
    """What changes when the index is out of date: the newest of the language's translations and the
    newest memory unit (ids only grow, and neither is ever deleted: what is past them is new). Both
    are read from the end of an index."""
    translation, memory = s.execute(select(
        select(func.max(TranslationRow.id)).where(TranslationRow.lang == lang).scalar_subquery(),
        select(func.max(MemoryRow.id)).scalar_subquery())).one()
    return int(translation or 0), int(memory or 0)


def _add_since(index: _Index, s: Session, lang: str, translation: int, memory: int) -> None:
    """Add the translations and memory units after these ids."""
    for sid, source in s.execute(select(SegmentRow.id, SegmentRow.source)
                                 .join(TranslationRow, TranslationRow.segment_id == SegmentRow.id)
                                 .where(TranslationRow.lang == lang, TranslationRow.id > translation)):
        index.add_segment(source, sid)
    for mid, source in s.execute(select(MemoryRow.id, MemoryRow.source)
                                 .where(MemoryRow.lang == lang, MemoryRow.id > memory)):
        index.add_memory(source, mid)


def _index(rt: Runtime, s: Session, lang: str) -> _Index:
    """The language's index: built on first use, then given what was added since; built anew when
    the store's ids went back (a store restored from a backup)."""
    stamp = _stamp(s, lang)
    index = _INDEXES.get(rt.store, {}).get(lang)
    if index is not None and index.stamp == stamp:
        return index
    with _LOCK:  # one change at a time; a lookup that waited finds it done
        index = _INDEXES.setdefault(rt.store, {}).get(lang)
        if index is not None and index.stamp == stamp:
            return index
        if index is not None and all(new >= old for new, old in zip(stamp, index.stamp, strict=True)):
            _add_since(index, s, lang, *index.stamp)
            index.stamp = stamp
            return index
        index = _Index(stamp)
        _add_since(index, s, lang, 0, 0)
        _INDEXES[rt.store][lang] = index
        return index


def suggestions(rt: Runtime, segment_id: str, lang: str, limit: int = 3) -> list[Suggestion]:
    """The best fuzzy matches for a segment in ``lang``: closest first; at the same similarity
    approved translations, then the others, then memory units. The segment itself, stale
    translations and repeats of a suggestion (same English, same text) are left out."""
    code = rt.settings.resolve_languages([lang])[0].code
    if not 1 <= limit <= MAX_LIMIT:
        raise UsageError(f"limit {limit}: give 1 to {MAX_LIMIT}")
    with rt.store.reading() as s:
        seg = resolve_segment(s, segment_id)
        index = _index(rt, s, code)
        hits = index.best(seg.source, limit * 4)
        score = {index.sources[i]: sim for i, sim in hits}
        seg_ids = [sid for i, _ in hits for sid in index.segments[i] if sid != seg.id]
        mem_ids = [mid for i, _ in hits for mid in index.memory[i]]
        found: list[Suggestion] = []
        for seg_chunk in in_chunks(seg_ids):
            for sid, article, source, text, state, who in s.execute(
                    select(SegmentRow.id, SegmentRow.article, SegmentRow.source, TranslationRow.text,
                           TranslationRow.state, TranslationRow.updated_by)
                    .join(TranslationRow, TranslationRow.segment_id == SegmentRow.id)
                    .where(SegmentRow.id.in_(seg_chunk), IS_ACTIVE, TranslationRow.lang == code,
                           TranslationRow.state != State.STALE.value)):
                found.append(Suggestion(source, text, score[source], state, who, article, sid,
                                        word_diff(source, seg.source)))
        for mem_chunk in in_chunks(mem_ids):
            for source, target, engine, origin in s.execute(
                    select(MemoryRow.source, MemoryRow.target, MemoryRow.engine, MemoryRow.origin)
                    .where(MemoryRow.id.in_(mem_chunk))):
                if not origin and source == seg.source:  # the engines' output for this very sentence: its draft
                    continue
                found.append(Suggestion(source, target, score[source], "memory", origin or f"engine {engine}",
                                        None, None, word_diff(source, seg.source)))
    found.sort(key=lambda x: (-x.similarity, _STATE_RANK.get(x.state, 1), x.article or "", x.segment_id or ""))
    out: list[Suggestion] = []
    seen: set[tuple[str, str]] = set()
    for suggestion in found:
        if (suggestion.source, suggestion.text) not in seen:
            seen.add((suggestion.source, suggestion.text))
            out.append(suggestion)
    return out[:limit]


# -- concordance -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Concordance:
    article: str
    segment_id: str
    source: str
    text: str
    state: str


def tm_search(rt: Runtime, phrase: str, lang: str, limit: int = 50) -> list[Concordance]:
    """Segments whose English or ``lang`` translation holds ``phrase`` (any case; ``%`` and ``_``
    match themselves): approved first, then in article order."""
    code = rt.settings.resolve_languages([lang])[0].code
    phrase = phrase.strip()
    if not phrase:
        raise UsageError("the search phrase is empty: give the words to look for")
    if "\x00" in phrase:
        raise UsageError("the search phrase contains a NUL character: search for printable text")
    if not 1 <= limit <= 1000:
        raise UsageError(f"limit {limit}: give 1 to 1000")
    approved_first = (TranslationRow.state != State.APPROVED.value)
    query = (select(SegmentRow.article, SegmentRow.id, SegmentRow.source, TranslationRow.text, TranslationRow.state)
             .join(TranslationRow, TranslationRow.segment_id == SegmentRow.id)
             .where(IS_ACTIVE, TranslationRow.lang == code,
                    SegmentRow.source.icontains(phrase, autoescape=True)
                    | TranslationRow.text.icontains(phrase, autoescape=True))
             .order_by(approved_first, SegmentRow.article, SegmentRow.position).limit(limit))
    with rt.store.reading() as s:
        return [Concordance(*row) for row in s.execute(query)]


# -- propagation -----------------------------------------------------------------------------


def _identical(s: Session, seg: SegmentRow, lang: str) -> list[SegmentRow]:
    """The other active segments with ``seg``'s English whose ``lang`` translation is not approved."""
    return [other for other in identical_to(s, [seg], lang) if other.id != seg.id]


def identical_to(s: Session, segs: Sequence[SegmentRow], lang: str) -> list[SegmentRow]:
    """The active segments with the English of any of ``segs`` whose ``lang`` translation is not approved
    (``segs`` among them, when so): what approving ``segs`` with propagation may change, to be locked
    with them, in one go, before anything is approved."""
    sources = sorted({seg.source for seg in segs})
    found: dict[str, SegmentRow] = {}
    for chunk in in_chunks(sources):
        for row in s.scalars(select(SegmentRow)
                             .join(TranslationRow, TranslationRow.segment_id == SegmentRow.id)
                             .where(SegmentRow.source.in_(chunk), IS_ACTIVE, TranslationRow.lang == lang,
                                    TranslationRow.state != State.APPROVED.value)):
            found[row.id] = row
    return [found[key] for key in sorted(found)]


def identical_count(rt: Runtime, segment_id: str, lang: str) -> int:
    """How many other segments with the same English have a not-approved ``lang`` translation."""
    code = rt.settings.resolve_languages([lang])[0].code
    with rt.store.reading() as s:
        return len(_identical(s, resolve_segment(s, segment_id), code))


def propagate(s: Session, rt: Runtime, seg: SegmentRow, tr: TranslationRow, twins: Sequence[SegmentRow],
              rows: dict[str, TranslationRow]) -> int:
    """Give ``tr``'s text (just approved) to the not-approved translations of the identical English
    sentence among ``twins`` (:func:`identical_to` of the approval, their translations locked in
    ``rows``), each an edit in its history ("propagated from SEGMENT"), left as drafts, QA run
    again; those that already hold the text are left alone. Returns how many changed."""
    language = get_language(tr.lang)
    changed = 0
    for other in twins:
        row = rows.get(other.id)
        if other.source != seg.source or other.id == seg.id or row is None or row.state == State.APPROVED.value \
                or row.text == tr.text:
            continue
        findings = check_draft(rt, segment_model(other), tr.text, language)
        row.qa = [f.to_dict() for f in findings]
        row.risk = draft_risk(rt, other.source, findings, row.score, edited=tr.text != row.machine)
        record_change(s, row, rt.user, Action.EDIT, tr.text, f"propagated from {seg.id}", rt.surface)
        changed += 1
    return changed

