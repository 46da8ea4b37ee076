"""Machine translation of the pending segments of a language into the review queue:
plan, reuse approved text and memory, engines, check, write.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from .. import progress
from ..articles import (
    article_paths,
    file_hash,
    load_article,
)
from ..errors import (
    TilmechError,
)
from ..glossary import TermMatch, morphology
from ..languages import Language
from ..markdown.placeholders import Segment
from ..mt import Engine, MTContext, TermHint, model_info
from ..mt.chain import ChainLink, translate_with_chain
from ..qa import Finding, Severity
from ..review import Action, State, states_allowing, transition
from ..runtime import Runtime
from ..store import (
    HistoryRow,
    SegmentRow,
    TranslationRow,
    utcnow,
)
from ..store.queries import segment_counts, stored_segments
from .documents import (
    CHUNK_ARTICLES,
    same_files,
    segmented,
    stored_cuts,
    unchanged_articles,
)
from .memory import approved_translations, memory_key, memory_matches, remember
from .quality import check_draft, draft_risk


@dataclass(frozen=True)
class TranslateReport:
    lang: str
    engine: str
    articles: int
    segments: int
    new: int  # translated by the engine in this run
    from_memory: int  # reused from the translation memory
    unchanged: int  # already had a translation
    flagged: int  # new translations with QA findings
    engine_calls: int
    by_article: tuple[ArticleCounts, ...] = ()
    redrafted: int = 0  # unapproved drafts made again because their model changed (--redraft-unapproved)
    notes: tuple[str, ...] = ()  # fallbacks to the next engine, drafts kept, in words


@dataclass(frozen=True)
class ArticleCounts:
    article: str
    new: int
    from_memory: int
    flagged: int


def pending_work(rt: Runtime, slugs: Sequence[str] | None = None,
                 languages: Sequence[str] | None = None) -> dict[str, dict[str, float]]:
    """Per target language (all, or those given), the articles (all, or those given) with a
    segment that has no translation yet (after ingest), each with the share of its segments
    left to translate (1.0: a new article; 0.1: one sentence in ten edited)."""
    out: dict[str, dict[str, float]] = {}
    with rt.store.reading() as s:
        totals: dict[str, int] = {}  # active segments of the articles with work, read once each
        for lang in languages or rt.settings.target_languages:
            query = select(SegmentRow.article, func.count()).where(SegmentRow.active.is_(True), _untranslated(lang))
            wanted = None
            if slugs is not None and len(slugs) <= 500:
                query = query.where(SegmentRow.article.in_(list(slugs)))
            elif slugs is not None:  # most of the corpus: kept here (a list of thousands costs SQLite more)
                wanted = set(slugs)
            left = {slug: n for slug, n in s.execute(query.group_by(SegmentRow.article).order_by(SegmentRow.article))
                    if wanted is None or slug in wanted}
            if not left:
                continue
            totals.update(segment_counts(s, [slug for slug in left if slug not in totals]))
            out[lang] = {slug: min(1.0, int(n) / max(1, totals.get(slug, 0))) for slug, n in left.items()}
    return out


def settled_reports(rt: Runtime, slugs: Sequence[str], work: Mapping[str, Iterable[str]],
                    languages: Sequence[str]) -> list[TranslateReport]:
    """Per language, the report of the articles of ``slugs`` that ``work`` leaves out: every
    segment already has a translation, so a run has nothing to do there (no file read, no engine)."""
    with rt.store.reading() as s:
        counts = segment_counts(s, slugs)
    reports = []
    for lang in languages:
        busy = set(work.get(lang, ()))
        idle = [slug for slug in slugs if slug not in busy]
        if idle:
            label = ", ".join(rt.settings.engine_chain(lang))
            n = sum(int(counts.get(slug, 0)) for slug in idle)
            reports.append(TranslateReport(lang, label, len(idle), n, 0, 0, n, 0, 0))
    return reports


def _untranslated(lang: str) -> Any:
    """The condition "this segment has no ``lang`` translation": one lookup in the (segment,
    language) index per segment, where NOT IN would read every translation of the language."""
    return ~exists().where(TranslationRow.segment_id == SegmentRow.id, TranslationRow.lang == lang)


def merge_reports(reports: Sequence[TranslateReport]) -> list[TranslateReport]:
    """One report per language (in first-seen order) from the reports of its batches."""
    by_lang: dict[str, list[TranslateReport]] = {}
    for r in reports:
        by_lang.setdefault(r.lang, []).append(r)
    return [TranslateReport(lang, parts[0].engine, sum(p.articles for p in parts), sum(p.segments for p in parts),
                            sum(p.new for p in parts), sum(p.from_memory for p in parts),
                            sum(p.unchanged for p in parts), sum(p.flagged for p in parts),
                            sum(p.engine_calls for p in parts), tuple(c for p in parts for c in p.by_article),
                            redrafted=sum(p.redrafted for p in parts),
                            notes=tuple(dict.fromkeys(n for p in parts for n in p.notes)))
            for lang, parts in by_lang.items()]


def _engine_failure(engine: Any, inputs: list[str], pending: dict[str, list[str]], todo: list[Segment],
                    source: Language, lang: Language, exc: Exception) -> TilmechError:
    """Find the first input the engine fails on, alone, and name its article and segment."""
    by_id = {seg.id: seg for seg in todo}
    for text in inputs:
        try:
            engine.translate([text], source, lang)
        except Exception as single:
            seg = by_id[pending[text][0]]
            return TilmechError(f"{engine.name} failed on segment {seg.id} of {seg.article} ({lang.code}): {single}")
    return TilmechError(f"{engine.name} failed on a batch of {len(inputs)} segments ({lang.code}): {exc}")


def _chain_links(rt: Runtime, lang: Language) -> tuple[list[ChainLink], list[str]]:
    """The available engines of ``lang``'s chain with their models; the first one's error when none is."""
    links: list[ChainLink] = []
    notes: list[str] = []
    first_error: TilmechError | None = None
    for name in rt.settings.engine_chain(lang.code):
        try:
            engine = rt.engine_named(name)
            links.append(ChainLink(engine, model_info(engine, rt.settings.source, lang)))
        except TilmechError as exc:
            first_error = first_error or exc
            notes.append(f"{name} is not available: {exc}")
    if not links:
        assert first_error is not None
        raise first_error
    return links, notes


def mt_contexts(rt: Runtime, docs: Sequence[Sequence[Segment]], wanted: set[str], protected: dict[str, Any],
              lang: Language) -> dict[str, MTContext]:
    """Per MT input: the neighbouring sentences and the glossary terms an LLM engine is told about
    (``docs``: the segments of each article, in order)."""
    out: dict[str, MTContext] = {}
    for segs in docs:
        for i, seg in enumerate(segs):
            if seg.id not in wanted or protected[seg.id].text in out:
                continue
            hints = tuple(TermHint(tag, m.text, m.term.rendering(lang.code) or "")
                          for tag, m in protected[seg.id].terms)
            out[protected[seg.id].text] = MTContext(segs[i - 1].text if i > 0 else "",
                                                    segs[i + 1].text if i + 1 < len(segs) else "", hints)
    return out


@dataclass(frozen=True)
class _Output:
    raw: str
    score: float | None
    origin: str  # mt | memory
    engine: str
    model: str = ""
    version: str = ""
    error: str | None = None


_REDRAFTABLE = tuple(state.value for state in states_allowing(Action.REDRAFT))  # never approved or stale ones


def translate_language(rt: Runtime, lang_code: str, slugs: Sequence[str] | None = None, *,
                       redraft_unapproved: bool = False, chunk: int = CHUNK_ARTICLES) -> TranslateReport:
    """Draft a ``lang_code`` translation of every segment that has none yet.

    Order of sources: an existing translation of the segment (kept), an approved
    translation of the identical sentence elsewhere, the translation memory of the
    language's engines (keyed by engine, model and model version), then the engines
    in turn (loaded only when something is left to translate). With
    ``redraft_unapproved``, unapproved drafts nobody edited whose model changed since
    (or whose engine left the chain) are drafted again; approved ones never are.

    Articles are read ``chunk`` at a time (memory stays bounded by the chunk). Those whose file
    has the bytes it had at ingest are not parsed again: their segments are read from the
    store. The engine's output is stored step by step, each step one transaction with its memory
    entries, so a run stopped midway keeps all but the step in flight.
    """
    lang = rt.settings.resolve_languages([lang_code])[0]
    source = rt.settings.source
    label = ", ".join(rt.settings.engine_chain(lang.code))
    if rt.glossary.terms:  # the glossary's inflection loads its dictionaries meanwhile
        morphology.load_in_background(lang.code)
    parts: list[TranslateReport] = []
    run = _ChainRun()
    settings = rt.settings
    paths = article_paths(settings.content_dir, list(slugs) if slugs else None, settings.root)
    with progress.work(f"{source.code}→{lang.code}", len(paths)) as meter:
        for start in range(0, len(paths), chunk):  # a chunk of articles at a time: memory stays bounded
            files = {path.stem: path.read_bytes() for path in paths[start : start + chunk]}
            with rt.store.reading() as s:
                # as ingest left them (the file has the bytes it had then): segments read from the
                # store, the article is not parsed and split into sentences again
                same = same_files(s, {slug: file_hash(data) for slug, data in files.items()})
                articles = [load_article(path, settings.root, files[path.stem])
                            for path in paths[start : start + chunk] if path.stem not in same]
                unchanged = {**same, **unchanged_articles(s, articles)} if not redraft_unapproved else {}
                open_ = set(s.scalars(select(SegmentRow.article).where(
                    SegmentRow.article.in_(list(unchanged)), SegmentRow.active.is_(True),
                    _untranslated(lang.code)).distinct())) if unchanged else set()
                # unchanged articles with every segment translated: nothing to do
                finished = {slug: n for slug, n in unchanged.items() if slug not in open_}
                stored = stored_segments(s, [slug for slug in files if slug in same and slug not in finished])
                todo = [a for a in articles if a.slug not in finished]
                cuts = stored_cuts(s, [a.slug for a in todo])  # cut where ingest cut them, in any process
            if finished:
                count = sum(finished.values())
                parts.append(TranslateReport(lang.code, label, len(finished), count, 0, 0, count, 0, 0))
                meter.segments(count)
            segments = {**stored, **{a.slug: segmented(a, cuts.get(a.slug, ())).segments for a in todo}}
            docs = [segments[slug] for slug in files if slug in segments]  # in the articles' order
            if docs:
                parts.append(_translate_documents(rt, lang, label, docs, meter, run, redraft_unapproved))
            meter.articles(len(files))
    if any(p.new or p.from_memory or p.redrafted for p in parts):
        rt.store.analyze()
    total = TranslateReport(lang.code, label, 0, 0, 0, 0, 0, 0, 0, notes=tuple(run.notes))
    return merge_reports([total, *parts])[0]


@dataclass
class _ChainRun:
    """The engines of one run's language, looked up once for all its chunks of articles."""

    links: list[ChainLink] | None = None
    notes: list[str] = dataclasses.field(default_factory=list)

    def get(self, rt: Runtime, lang: Language) -> list[ChainLink]:
        if self.links is None:
            self.links, more = _chain_links(rt, lang)
            self.notes += more
        return self.links


@dataclass
class _Plan:
    """What a chunk of articles needs: the segments to draft, and the drafts to make again."""

    todo: list[Segment]
    redo: dict[str, tuple[str, str, str]]  # segment id -> (engine, model, version) of the draft replaced
    notes: list[str]


@dataclass
class _Reuse:
    """What needs no engine (approved text of the identical sentence, the memory), and what does."""

    outputs: dict[str, _Output]  # segment id -> what its draft is made of
    approved: dict[str, str]  # English sentence -> its approved translation
    pending: dict[str, list[str]]  # MT input -> segment ids (identical inputs translated once)


def _translate_documents(rt: Runtime, lang: Language, label: str, docs: list[list[Segment]],
                         meter: progress.Meter, run: _ChainRun, redraft_unapproved: bool) -> TranslateReport:
    """:func:`translate_language` for a chunk of articles (the segments of each, in order), in
    stages: plan, reuse approved text and memory, engines, then check and write each step."""
    segments = [seg for doc in docs for seg in doc]
    plan = _plan(rt, lang, segments, run, redraft_unapproved)
    if not plan.todo:
        meter.segments(len(segments))
        return TranslateReport(lang.code, label, len(docs), len(segments), 0, 0, len(segments), 0, 0,
                               notes=tuple(plan.notes))
    protected = {seg.id: rt.matcher.protect(seg.text, lang.code) for seg in plan.todo}
    reuse = _reuse(rt, lang, plan.todo, protected, run)
    tally = _Tally()
    calls_before = rt.engine_calls
    notes, unfinished = _engines(rt, lang, docs, plan, protected, reuse, run, meter, tally)
    meter.segments(len(segments) - len(reuse.pending))  # the engines advanced the meter by what they translated
    if unfinished:
        first = next(iter(unfinished.values()))
        raise TilmechError(f"{len(unfinished)} segments ({lang.code}) were not translated: {first}. The others "
                           f"are stored; run `tilmech translate --lang {lang.code}` again to finish")
    return TranslateReport(lang.code, label, len(docs), len(segments),
                           tally.stored - tally.from_memory - tally.redrafted, tally.from_memory,
                           len(segments) - tally.stored, tally.flagged, rt.engine_calls - calls_before,
                           tuple(ArticleCounts(a, *c) for a, c in sorted(tally.per_article.items())),
                           redrafted=tally.redrafted, notes=tuple(plan.notes + notes))


def _plan(rt: Runtime, lang: Language, segments: list[Segment], run: _ChainRun,
          redraft_unapproved: bool) -> _Plan:
    """Stage 1: the segments without a translation; with ``redraft_unapproved``, also the unapproved,
    unedited drafts whose model changed since (or whose engine left the chain)."""
    of_these = (TranslationRow.lang == lang.code, TranslationRow.segment_id.in_([x.id for x in segments]))
    existing: dict[str, TranslationRow] = {}  # read whole only to redraft: else which exist is enough
    with rt.store.reading() as s:
        if redraft_unapproved:
            existing = {tr.segment_id: tr for tr in s.scalars(select(TranslationRow).where(*of_these))}
            translated = set(existing)
        else:
            translated = set(s.scalars(select(TranslationRow.segment_id).where(*of_these)))
    plan = _Plan([seg for seg in segments if seg.id not in translated], {}, [])
    if not redraft_unapproved:
        return plan
    chain = rt.settings.engine_chain(lang.code)
    candidates = {sid: tr for sid, tr in existing.items()
                  if tr.state in _REDRAFTABLE and tr.text == tr.machine and tr.model_version}
    if candidates:
        models_now = {link.engine.name: link.info for link in run.get(rt, lang)}
        for seg in segments:
            tr = candidates.get(seg.id)
            if tr is None:
                continue
            info = models_now.get(tr.engine)
            outdated = tr.engine not in chain or (info is not None and
                                                  (info.model, info.version) != (tr.model, tr.model_version))
            if outdated:
                plan.redo[seg.id] = (tr.engine, tr.model, tr.model_version)
                plan.todo.append(seg)
    edited = sum(1 for tr in existing.values() if tr.state in _REDRAFTABLE and tr.text != tr.machine)
    if edited:
        plan.notes.append(f"{edited} unapproved drafts edited by a translator were kept as they are")
    return plan


def _reuse(rt: Runtime, lang: Language, todo: list[Segment], protected: dict[str, Any], run: _ChainRun) -> _Reuse:
    """Stage 2: the approved translation of the identical sentence elsewhere, else the memory of the
    chain's engines (the first engine's entry wins); what is left goes to the engines."""
    first_engine = rt.settings.engine_chain(lang.code)[0]
    with rt.store.reading() as s:
        approved = approved_translations(s, lang.code, [seg.text for seg in todo])
    reuse = _Reuse({seg.id: _Output(approved[seg.text], None, "memory", first_engine)
                    for seg in todo if seg.text in approved}, approved, {})
    left = [seg for seg in todo if seg.text not in approved]
    if not left:
        return reuse
    links = run.get(rt, lang)
    with rt.store.reading() as s:
        memory = memory_matches(s, lang.code, {memory_key(protected[seg.id].text) for seg in left},
                                [(link.engine.name, link.info.model, link.info.version) for link in links])
    for seg in left:
        mem = memory.get(memory_key(protected[seg.id].text))
        if mem is not None:
            reuse.outputs[seg.id] = _Output(mem.target, mem.score, "memory", mem.engine, mem.model,
                                            mem.model_version)
        else:
            reuse.pending.setdefault(protected[seg.id].text, []).append(seg.id)
    return reuse


def _engines(rt: Runtime, lang: Language, docs: list[list[Segment]], plan: _Plan, protected: dict[str, Any],
             reuse: _Reuse, run: _ChainRun, meter: progress.Meter, tally: _Tally) -> tuple[list[str], dict[str, str]]:
    """Stages 3 and 4: the engines translate what is pending a step at a time, and each step's drafts
    are checked and written in one transaction with its memory entries: a run stopped midway loses
    at most the step in flight. What needs no engine goes with the first step (or, if the engines
    fail, before the error is raised): the engine starts at once, and the QA of those drafts (the
    glossary's inflection loads meanwhile) waits for it instead. Returns the engines' notes and the
    segments they could not finish, with why."""
    source = rt.settings.source
    outputs, pending = reuse.outputs, reuse.pending
    ready = [seg for seg in plan.todo if seg.id in outputs]

    def write(s: Session, segs: list[Segment]) -> None:
        _check_and_write(s, rt, lang, segs, outputs, protected, reuse.approved, plan.redo, tally)

    if ready and not pending:
        with rt.store.session() as s:
            write(s, ready)
        return [], {}
    notes: list[str] = []
    unfinished: dict[str, str] = {}
    if not pending:
        return notes, unfinished
    links = run.get(rt, lang)
    # by length, so that each step's batches hold sentences of like length (little padding)
    inputs = sorted(pending, key=len)
    step = max(1, rt.settings.mt.max_batch_size) * 4

    def name_failure(engine: Engine, texts: list[str], exc: Exception) -> Exception:
        return _engine_failure(engine, texts, pending, plan.todo, source, lang, exc)

    for start in range(0, len(inputs), step):
        chunk = inputs[start : start + step]
        wanted = {sid for text in chunk for sid in pending[text]}
        outcome = translate_with_chain(links, chunk, source, lang, mt_contexts(rt, docs, wanted, protected, lang),
                                       name_failure=name_failure, advance=meter.segments)
        notes += outcome.notes
        with rt.store.session() as s:
            rt.store.lock(s, f"memory-{lang.code}")
            remember(s, lang.code, [(text, d) for text, d in outcome.drafts.items() if d.error is None])
            if ready:
                write(s, ready)
                ready = []
            if outcome.failure is None:
                for text, d in outcome.drafts.items():
                    for sid in pending[text]:
                        outputs[sid] = _Output(d.text, d.score, "mt", d.engine, d.model, d.version, d.error)
                write(s, [seg for seg in plan.todo if seg.id in wanted])
        if outcome.failure is not None:
            raise outcome.failure
        for text, why in outcome.unfinished.items():
            for sid in pending[text]:
                unfinished[sid] = why
    return notes, unfinished


@dataclass
class _Tally:
    stored: int = 0
    from_memory: int = 0
    flagged: int = 0
    redrafted: int = 0
    per_article: dict[str, list[int]] = dataclasses.field(default_factory=dict)


def _check_and_write(s: Session, rt: Runtime, lang: Language, todo: list[Segment], outputs: dict[str, _Output],
                  protected: dict[str, Any], approved: dict[str, str], redo: dict[str, tuple[str, str, str]],
                  tally: _Tally) -> None:
    """Check and write: add the draft translation (with QA, risk and its first history entry) of each
    segment that has none, and draft again those of ``redo`` that nobody approved or edited meanwhile."""
    rt.store.lock(s, f"translations-{lang.code}")
    # an edited sentence keeps its approved translation, to be checked again ("stale")
    previous = {sid: text for sid, text in s.execute(
        select(SegmentRow.id, TranslationRow.text)
        .join(TranslationRow, TranslationRow.segment_id == SegmentRow.previous_id)
        .where(SegmentRow.id.in_([x.id for x in todo]), TranslationRow.lang == lang.code,
               TranslationRow.state == State.APPROVED.value))}
    rows = {tr.segment_id: tr for tr in s.scalars(select(TranslationRow).where(  # locked: no edit lost to a redraft
        TranslationRow.lang == lang.code, TranslationRow.segment_id.in_([x.id for x in todo]))
        .order_by(TranslationRow.id).with_for_update().execution_options(populate_existing=True))}
    # another run (a second worker) may have translated some of these meanwhile: keep its work; a draft
    # to redo that someone approved or edited meanwhile is kept too
    todo = [seg for seg in todo if seg.id in outputs and (
        seg.id not in rows or (seg.id in redo and rows[seg.id].state in _REDRAFTABLE
                               and rows[seg.id].text == rows[seg.id].machine))]
    disabled = rt.settings.disabled_checks(lang.code)
    added: list[tuple[TranslationRow, str]] = []
    for seg in todo:
        out = outputs[seg.id]
        lost: tuple[TermMatch, ...] = ()
        uncertain: tuple[TermMatch, ...] = ()
        if out.origin == "memory" and seg.text in approved and out.raw == approved[seg.text]:
            text = out.raw
        else:
            restored = rt.matcher.restore(out.raw, protected[seg.id], lang.code)
            text, lost, uncertain = restored.text, restored.lost, restored.uncertain
        findings = check_draft(rt, seg, text, lang)
        if out.error:
            findings.append(Finding("engine", Severity.FUNCTIONAL, f"{out.engine}: {out.error}"))
        findings += [Finding("term-lost", Severity.FUNCTIONAL,
                             f"MT lost glossary term {m.text!r}: insert {m.term.rendering(lang.code)!r}")
                     for m in lost]
        findings += [Finding("term-case", Severity.FUNCTIONAL,
                             f"the grammatical case of {m.term.rendering(lang.code)!r} ({m.text!r}) could not be "
                             f"told: it is in its base form, check it")
                     for m in uncertain]
        findings = [f for f in findings if f.code not in disabled]
        tally.stored += 1
        tally.flagged += bool(findings)
        tally.from_memory += out.origin == "memory"
        counts = tally.per_article.setdefault(seg.article, [0, 0, 0])
        counts[0 if out.origin != "memory" else 1] += 1
        counts[2] += bool(findings)
        made_by = f"{out.origin} ({out.engine}" + (f" {out.model} {out.version}" if out.model else "") + ")"
        if seg.id in redo:
            row = rows[seg.id]
            before, before_state = row.text, row.state
            row.machine = row.text = text
            row.state, row.origin, row.engine, row.model, row.model_version = (
                transition(State(before_state), Action.REDRAFT, f"segment {seg.id} ({lang.code})").value,
                out.origin, out.engine, out.model, out.version)
            row.score, row.qa = out.score, [f.to_dict() for f in findings]
            row.risk = draft_risk(rt, seg.text, findings, out.score, edited=False)
            row.updated_at, row.updated_by, row.version = utcnow(), rt.user, row.version + 1
            old_engine, old_model, old_version = redo[seg.id]
            s.add(HistoryRow(translation_id=row.id, who=rt.user, action="redraft", before_text=before,
                             after_text=text, before_state=before_state, after_state=row.state,
                             note=f"{made_by}; was {old_engine} {old_model} {old_version}"))
            tally.redrafted += 1
            continue
        state, current = transition(None, Action.TRANSLATE), text
        if seg.id in previous:
            state, current = transition(None, Action.CARRY_OVER), previous[seg.id]
            findings = check_draft(rt, seg, current, lang)
        added.append((TranslationRow(segment_id=seg.id, lang=lang.code, machine=text, text=current,
                                     state=state.value, origin=out.origin, engine=out.engine, model=out.model,
                                     model_version=out.version, score=out.score,
                                     qa=[f.to_dict() for f in findings], updated_by=rt.user,
                                     risk=draft_risk(rt, seg.text, findings, out.score, edited=current != text)),
                      made_by))
    s.add_all([row for row, _ in added])
    s.flush()  # one multi-row INSERT, which also gives the rows their ids
    s.add_all([HistoryRow(translation_id=row.id, who=rt.user, action="translate", before_text=None,
                          after_text=row.text, before_state=None, after_state=row.state,
                          note=made_by + ("; the English changed: the approved translation of the old text kept"
                                          if row.state == State.STALE.value else ""))
               for row, made_by in added])
