"""Use cases, called alike by the CLI, the flows and (later) the web workbench.

Every function takes the :class:`~tilmech.runtime.Runtime` and plain values, and
returns plain values (frozen dataclasses). Multi-row changes are one transaction.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import progress
from .articles import SLUG_RE, Article, load_articles, read_article
from .auth import (
    Role,
    User,
    hash_password,
    new_token,
    parse_role,
    require_admin,
    require_editor,
    require_review,
    token_digest,
    verify_password,
)
from .catalogs import CatalogReport, update_catalogs
from .checks import Finding, Severity, check_translation, term_severity
from .errors import (
    Conflict,
    EnvironmentNotReady,
    NotFound,
    TilmechError,
    Unauthorized,
    UsageError,
    WorkflowError,
)
from .glossary import Term, TermMatch
from .importer import ImportResult, read_page
from .inputs import decode_input, load_input
from .languages import Language, get_language
from .publish import PublishReport, build_catalog, build_locale, open_target
from .review import State, after_edit, approve, parse_state, send_back
from .runtime import Runtime
from .segments import Segment, SegmentedArticle, segment_article
from .store import (
    ArticleRow,
    CommentRow,
    HistoryRow,
    MemoryRow,
    MetaRow,
    ReleaseArticleRow,
    ReleaseRow,
    ReleaseSourceRow,
    SegmentRow,
    TokenRow,
    TranslationRow,
    UserRow,
    utcnow,
)
from .store.integrity import StoreFinding, backup_store, check_store

# -- ingest ------------------------------------------------------------------


@dataclass(frozen=True)
class IngestReport:
    articles: tuple[str, ...]
    segments: int
    new_segments: int
    retired_segments: int


def load_documents(rt: Runtime, slugs: Sequence[str] | None = None) -> list[SegmentedArticle]:
    """The English articles (all, or those named), parsed and segmented."""
    settings = rt.settings
    articles = load_articles(settings.content_dir, settings.root, list(slugs) if slugs else None)
    return [segment_article(a) for a in articles]


def ingest(rt: Runtime, slugs: Sequence[str] | None = None) -> IngestReport:
    """Record articles and their segments in the store; retire segments whose text is gone."""
    docs = load_documents(rt, slugs)
    new = retired = 0
    with rt.store.session() as s:
        for doc in docs:
            a = doc.article
            row = s.get(ArticleRow, a.slug)
            if row is None:
                s.add(ArticleRow(slug=a.slug, title=a.title, date=a.date, content_hash=a.content_hash,
                                 source_path=a.source))
            elif row.content_hash != a.content_hash:
                row.title, row.date, row.content_hash, row.source_path = a.title, a.date, a.content_hash, a.source
                row.updated_at = utcnow()
            s.flush()
            present = {seg.id for seg in doc.segments}
            stored = {r.id: r for r in s.scalars(select(SegmentRow).where(SegmentRow.article == a.slug))}
            gone = [r for sid, r in stored.items() if sid not in present and r.active]
            for seg in doc.segments:
                srow = stored.get(seg.id)
                if srow is None:
                    before = _previous_version(seg, gone)
                    s.add(SegmentRow(id=seg.id, article=a.slug, field=seg.field, position=seg.index,
                                     source=seg.text, placeholders=seg.placeholder_labels(), active=True,
                                     previous_id=before.id if before else None,
                                     previous_source=before.source if before else None))
                    if before is not None:
                        gone.remove(before)
                        before.active = False
                    new += 1
                else:
                    srow.position, srow.active = seg.index, True
            for srow in gone:
                srow.active = False
                retired += 1
    return IngestReport(tuple(d.article.slug for d in docs), sum(len(d.segments) for d in docs), new, retired)


def _previous_version(seg: Segment, gone: list[SegmentRow]) -> SegmentRow | None:
    """The retired segment this one is an edit of: same field, similar text (the closest wins)."""
    best, best_ratio = None, 0.6
    for old in gone:
        if old.field != seg.field:
            continue
        ratio = difflib.SequenceMatcher(None, old.source, seg.text).ratio()
        if ratio > best_ratio or (ratio == best_ratio and best is not None and
                                  abs(old.position - seg.index) < abs(best.position - seg.index)):
            best, best_ratio = old, ratio
    return best


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


def import_page(rt: Runtime, location: str, slug: str, force: bool = False) -> ImportResult:
    """Import a page of the site (a file or a URL; HTML or its text) as ``content/en/<slug>.md``."""
    import urllib.request

    if not SLUG_RE.match(slug):
        raise UsageError(f"bad --slug {slug!r}: use lower-case letters, digits and hyphens (e.g. smart-classroom)")
    limit = rt.settings.limits.import_bytes
    if re.match(r"^https?://", location):
        try:
            with urllib.request.urlopen(location, timeout=30) as response:
                raw = response.read(limit + 1)
                charset = response.headers.get_content_charset() or "utf-8"
        except OSError as exc:
            raise EnvironmentNotReady(f"{location}: cannot fetch it ({exc}): save the page and import the file") from None
        if len(raw) > limit:
            decode_input(raw, location, limit)  # refused: too large
        try:
            text = raw.decode(charset, errors="replace")
        except LookupError:  # a charset Python does not know
            text = raw.decode("utf-8", errors="replace")
        html = True
    else:
        path = Path(location)
        if not path.is_file():
            raise UsageError(f"{location}: no such file")
        if path.stat().st_size > limit:
            load_input(path, limit)  # refused: too large
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
        html = path.suffix.lower() in (".html", ".htm") or bool(re.search(r"<(html|body|p|h1)\b", text[:2000], re.I))
    known = frozenset(f for t in rt.glossary.terms for f in (*t.forms, *(r for c in t.translations.values()
                                                                        for r in (c.term, *c.allowed))))
    result = read_page(text, Path(location).name, slug, html=html,
                       boilerplate=rt.settings.html_import.boilerplate, known_words=known)
    target = rt.settings.content_dir / f"{slug}.md"
    if target.exists() and not force:
        raise UsageError(f"{target.relative_to(rt.settings.root)} exists: choose another --slug or use --force")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.tmp")
    staging.write_text(result.markdown, encoding="utf-8")
    staging.replace(target)
    return result


# -- translate -------------------------------------------------------------------


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


@dataclass(frozen=True)
class ArticleCounts:
    article: str
    new: int
    from_memory: int
    flagged: int


def pending_work(rt: Runtime) -> dict[str, tuple[str, ...]]:
    """Per target language, the articles with a segment that has no translation yet (after ingest)."""
    out: dict[str, tuple[str, ...]] = {}
    with rt.store.session() as s:
        for lang in rt.settings.target_languages:
            done = select(TranslationRow.segment_id).where(TranslationRow.lang == lang)
            slugs = s.scalars(select(SegmentRow.article).where(SegmentRow.active.is_(True),
                                                               SegmentRow.id.not_in(done))
                              .distinct().order_by(SegmentRow.article))
            found = tuple(slugs)
            if found:
                out[lang] = found
    return out


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


def _memory_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def translate_language(rt: Runtime, lang_code: str, slugs: Sequence[str] | None = None) -> TranslateReport:
    """Draft a ``lang_code`` translation of every segment that has none yet.

    Order of sources: an existing translation of the segment (kept), an approved
    translation of the identical sentence elsewhere, the translation memory, then
    the engine (loaded only when something is left to translate).
    """
    lang = rt.settings.resolve_languages([lang_code])[0]
    source = rt.settings.source
    engine_name = rt.settings.engine_for(lang.code)
    docs = load_documents(rt, slugs)
    segments = [seg for doc in docs for seg in doc.segments]
    with rt.store.session() as s:
        done = set(s.scalars(select(TranslationRow.segment_id).where(
            TranslationRow.lang == lang.code, TranslationRow.segment_id.in_([x.id for x in segments]))))
    todo = [seg for seg in segments if seg.id not in done]
    if not todo:
        return TranslateReport(lang.code, engine_name, len(docs), len(segments), 0, 0, len(segments), 0, 0)

    protected = {seg.id: rt.matcher.protect(seg.text, lang.code) for seg in todo}
    outputs: dict[str, tuple[str, float | None, str]] = {}  # segment id -> (raw output, score, origin)
    with rt.store.session() as s:
        approved = {
            src: text for src, text in s.execute(
                select(SegmentRow.source, TranslationRow.text)
                .join(TranslationRow, TranslationRow.segment_id == SegmentRow.id)
                .where(TranslationRow.lang == lang.code, TranslationRow.state == State.APPROVED.value,
                       SegmentRow.source.in_([x.text for x in todo])))
        }
        keys = {_memory_key(p.text) for p in protected.values()}
        memory = {
            m.source_hash: m for m in s.scalars(select(MemoryRow).where(
                MemoryRow.lang == lang.code, MemoryRow.engine == engine_name, MemoryRow.source_hash.in_(keys)))
        }
    pending: dict[str, list[str]] = {}  # MT input -> segment ids (identical inputs translated once)
    for seg in todo:
        if seg.text in approved:
            outputs[seg.id] = (approved[seg.text], None, "memory")
            continue
        mem = memory.get(_memory_key(protected[seg.id].text))
        if mem is not None:
            outputs[seg.id] = (mem.target, mem.score, "memory")
        else:
            pending.setdefault(protected[seg.id].text, []).append(seg.id)

    # what needs no engine is stored first; then the engine's output batch by batch, each batch one
    # transaction with its memory entries: a run killed midway loses at most the batch in flight
    tally = _Tally()
    known = [seg for seg in todo if seg.id in outputs]
    if known:
        with rt.store.session() as s:
            _store_drafts(s, rt, lang, engine_name, known, outputs, protected, approved, tally)
    calls_before = 0
    engine = None
    if pending:
        engine = rt.engine(lang)
        calls_before = engine.calls
        inputs = list(pending)
        step = max(1, rt.settings.mt.max_batch_size) * 4
        with progress.task(f"{source.code}→{lang.code}", len(inputs)) as advance:
            for start in range(0, len(inputs), step):
                chunk = inputs[start : start + step]
                try:
                    results = engine.translate(chunk, source, lang, advance)
                except TilmechError:
                    raise
                except Exception as exc:  # name the segment that breaks the engine
                    raise _engine_failure(engine, chunk, pending, todo, source, lang, exc) from exc
                with rt.store.session() as s:
                    rt.store.lock(s, f"memory-{lang.code}")
                    stored = set(s.scalars(select(MemoryRow.source_hash).where(
                        MemoryRow.lang == lang.code, MemoryRow.engine == engine_name,
                        MemoryRow.source_hash.in_([_memory_key(t) for t in chunk]))))
                    for text, result in zip(chunk, results, strict=True):
                        if _memory_key(text) not in stored:  # else another run stored it meanwhile
                            s.add(MemoryRow(source_hash=_memory_key(text), lang=lang.code, engine=engine_name,
                                            source=text, target=result.text, score=result.score))
                        for sid in pending[text]:
                            outputs[sid] = (result.text, result.score, "mt")
                    done = {sid for text in chunk for sid in pending[text]}
                    _store_drafts(s, rt, lang, engine_name, [seg for seg in todo if seg.id in done], outputs,
                                  protected, approved, tally)
    calls = (engine.calls - calls_before) if engine is not None else 0
    return TranslateReport(lang.code, engine_name, len(docs), len(segments), tally.stored - tally.from_memory,
                           tally.from_memory, len(segments) - tally.stored, tally.flagged, calls,
                           tuple(ArticleCounts(a, *c) for a, c in sorted(tally.per_article.items())))


@dataclass
class _Tally:
    stored: int = 0
    from_memory: int = 0
    flagged: int = 0
    per_article: dict[str, list[int]] = dataclasses.field(default_factory=dict)


def _store_drafts(s: Session, rt: Runtime, lang: Language, engine_name: str, todo: list[Segment],
                  outputs: dict[str, tuple[str, float | None, str]], protected: dict[str, Any],
                  approved: dict[str, str], tally: _Tally) -> None:
    """Add the draft translation (with QA and its first history entry) of each segment that has none."""
    rt.store.lock(s, f"translations-{lang.code}")
    # an edited sentence keeps its approved translation, to be checked again ("stale")
    previous = {sid: text for sid, text in s.execute(
        select(SegmentRow.id, TranslationRow.text)
        .join(TranslationRow, TranslationRow.segment_id == SegmentRow.previous_id)
        .where(SegmentRow.id.in_([x.id for x in todo]), TranslationRow.lang == lang.code,
               TranslationRow.state == State.APPROVED.value))}
    # another run (a second worker) may have translated some of these meanwhile: keep its work
    meanwhile = set(s.scalars(select(TranslationRow.segment_id).where(
        TranslationRow.lang == lang.code, TranslationRow.segment_id.in_([x.id for x in todo]))))
    for seg in todo:
        if seg.id in meanwhile:
            continue
        raw, score, origin = outputs[seg.id]
        lost: tuple[TermMatch, ...] = ()
        uncertain: tuple[TermMatch, ...] = ()
        if origin == "memory" and seg.text in approved and raw == approved[seg.text]:
            text = raw
        else:
            restored = rt.matcher.restore(raw, protected[seg.id], lang.code)
            text, lost, uncertain = restored.text, restored.lost, restored.uncertain
        findings = check_translation(seg, text, lang, rt.matcher)
        findings += [Finding("term-lost", Severity.FUNCTIONAL,
                             f"MT lost glossary term {m.text!r}: insert {m.term.rendering(lang.code)!r}")
                     for m in lost]
        findings += [Finding("term-case", Severity.FUNCTIONAL,
                             f"the grammatical case of {m.term.rendering(lang.code)!r} ({m.text!r}) could not be "
                             f"told: it is in its base form, check it")
                     for m in uncertain]
        tally.stored += 1
        tally.flagged += bool(findings)
        tally.from_memory += origin == "memory"
        counts = tally.per_article.setdefault(seg.article, [0, 0, 0])
        counts[0 if origin != "memory" else 1] += 1
        counts[2] += bool(findings)
        state, current = State.DRAFT, text
        if seg.id in previous:
            state, current = State.STALE, previous[seg.id]
            findings = check_translation(seg, current, lang, rt.matcher)
        row = TranslationRow(segment_id=seg.id, lang=lang.code, machine=text, text=current,
                             state=state.value, origin=origin, engine=engine_name, score=score,
                             qa=[f.to_dict() for f in findings], updated_by=rt.user)
        s.add(row)
        s.flush()
        s.add(HistoryRow(translation_id=row.id, who=rt.user, action="translate", before_text=None,
                         after_text=current, before_state=None, after_state=state.value,
                         note=f"{origin} ({engine_name})" + ("; the English changed: the approved "
                                                             "translation of the old text kept" if
                                                             state is State.STALE else "")))


# -- interface strings ---------------------------------------------------------------------


def catalogs_update(rt: Runtime, languages: Sequence[str] | None = None) -> list[CatalogReport]:
    """Refresh messages.pot and the .po catalogs; untranslated strings get a fuzzy machine translation."""
    langs = rt.settings.resolve_languages(list(languages) if languages else None)

    def translate(lang: Language, texts: list[str]) -> list[str]:
        return [r.text for r in rt.engine(lang).translate(texts, rt.settings.source, lang)]

    return update_catalogs(rt.settings.path("locales"), langs, translate)


# -- glossary --------------------------------------------------------------------------


@dataclass(frozen=True)
class TermFinding:
    severity: str
    code: str
    term: str  # term id
    message: str

    def to_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)


def verify_terms(rt: Runtime, lang: str, source: str, target: str) -> list[TermFinding]:
    """The glossary findings for one translation (any inflected form of a term holds)."""
    code = rt.settings.resolve_languages([lang])[0].code
    return [TermFinding(str(term_severity(issue.code)), issue.code, issue.term.id, issue.message)
            for issue in rt.matcher.verify(source, target, code)]


@dataclass(frozen=True)
class ImportReport:
    added: tuple[str, ...]
    changed: tuple[str, ...]
    skipped: tuple[str, ...]  # identical to the term base already
    files: tuple[str, ...]  # glossary files written


def glossary_export(rt: Runtime, fmt: str) -> str:
    from .glossary import exchange

    languages = list(rt.settings.target_languages)
    if fmt == "tbx":
        return exchange.write_tbx(rt.glossary.terms, languages)
    if fmt == "csv":
        return exchange.write_csv(rt.glossary.terms, languages)
    raise UsageError(f"unknown format {fmt!r}: use tbx or csv")


def glossary_import(rt: Runtime, path: Path, into: Path | None = None) -> ImportReport:
    """Merge a TBX or CSV file into the term base; new terms go to ``into`` (glossary/imported.yaml).

    Changed terms are rewritten in the file that holds them. Everything is checked
    (schema, conflicts) before any file is written; then each file is replaced in one step.
    """
    from .glossary import exchange, load_glossary, read_glossary

    text = load_input(path, rt.settings.limits.import_bytes)
    suffix = path.suffix.lower()
    if suffix in (".tbx", ".xml"):
        imported = exchange.read_tbx(text, path.name)
    elif suffix == ".csv":
        imported = exchange.read_csv(text, path.name)
    else:
        raise UsageError(f"{path}: unknown format: give a .tbx or .csv file")
    read_glossary(exchange.write_yaml(imported), path.name)  # the declared schema, with key paths
    folder = rt.settings.path("glossary")
    target = Path(into) if into else folder / "imported.yaml"
    if not target.is_absolute():
        target = (rt.settings.root / target).resolve()
    by_file: dict[Path, list[Term]] = {}
    for term in rt.glossary.terms:
        by_file.setdefault(folder / term.source.rsplit(":", 1)[0].split("/")[-1], []).append(term)
    by_file.setdefault(target, [])
    current = {t.id: t for t in rt.glossary.terms}
    added, changed, skipped = [], [], []
    touched: set[Path] = set()
    for term in imported:
        old = current.get(term.id)
        if old is None:
            by_file[target].append(term)
            added.append(term.id)
            touched.add(target)
        elif dataclasses.replace(old, source="") == dataclasses.replace(term, source=""):
            skipped.append(term.id)
        else:
            owner = next(f for f, terms in by_file.items() if any(t.id == term.id for t in terms))
            by_file[owner] = [term if t.id == term.id else t for t in by_file[owner]]
            changed.append(term.id)
            touched.add(owner)
    texts = {f: exchange.write_yaml(by_file[f]) for f in touched}
    # check the merged term base (conflicting ids or forms) before writing anything
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for f in folder.glob("*.y*ml"):
            (Path(tmp) / f.name).write_text(texts.get(f, f.read_text(encoding="utf-8")), encoding="utf-8")
        for f, content in texts.items():
            (Path(tmp) / f.name).write_text(content, encoding="utf-8")
        load_glossary(Path(tmp))
    for f, content in texts.items():
        f.parent.mkdir(parents=True, exist_ok=True)
        staging = f.with_name(f".{f.name}.tmp")
        staging.write_text(content, encoding="utf-8")
        staging.replace(f)
    rt.__dict__.pop("glossary", None)
    rt.__dict__.pop("matcher", None)
    return ImportReport(tuple(added), tuple(changed), tuple(skipped), tuple(sorted(str(f) for f in texts)))


@dataclass(frozen=True)
class TermViolation:
    segment_id: str
    article: str
    lang: str
    state: str
    finding: TermFinding


def glossary_check(rt: Runtime, lang: str | None = None) -> list[TermViolation]:
    """Glossary violations in the current text of every segment of the queue."""
    out = []
    for item in review_list(rt, lang):
        for finding in verify_terms(rt, item.lang, item.source, item.text):
            out.append(TermViolation(item.segment_id, item.article, item.lang, item.state, finding))
    return out


@dataclass(frozen=True)
class GlossaryStats:
    terms: int
    without_rendering: dict[str, tuple[str, ...]]  # lang -> term ids with no approved rendering
    unused: tuple[str, ...]  # term ids never seen in the English content
    violations: tuple[tuple[str, str, str, int], ...]  # (lang, term id, code, count), most frequent first


def glossary_stats(rt: Runtime) -> GlossaryStats:
    terms = rt.glossary.terms
    without = {code: tuple(t.id for t in terms if not t.allowed(code)) for code in rt.settings.target_languages}
    seen = {m.term.id for doc in load_documents(rt) for seg in doc.segments for m in rt.matcher.find(seg.text)}
    counts: dict[tuple[str, str, str], int] = {}
    for v in glossary_check(rt):
        key = (v.lang, v.finding.term, v.finding.code)
        counts[key] = counts.get(key, 0) + 1
    ranked = sorted(((*k, n) for k, n in counts.items()), key=lambda r: (-r[3], r[0], r[1], r[2]))
    return GlossaryStats(len(terms), without, tuple(t.id for t in terms if t.id not in seen), tuple(ranked))


# -- review ------------------------------------------------------------------------


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


@dataclass(frozen=True)
class HistoryEntry:
    at: str
    who: str
    action: str
    before_text: str | None
    after_text: str
    before_state: str | None
    after_state: str
    note: str


def _item(seg: SegmentRow, tr: TranslationRow) -> ReviewItem:
    return ReviewItem(seg.id, seg.article, seg.field, seg.position, tr.lang, seg.source, tr.machine, tr.text,
                      tr.state, tr.engine, tr.origin, tr.score,
                      tuple(Finding.from_dict(f) for f in tr.qa or []), dict(seg.placeholders or {}), tr.version,
                      source_diff(seg.previous_source, seg.source) if seg.previous_source else "")


def review_list(rt: Runtime, lang: str | None = None, state: str | None = None, article: str | None = None, *,
                query: str | None = None, flag: str | None = None, order: str = "position") -> list[ReviewItem]:
    """The queue: filters by language, state, article, text (source or target) and QA finding.

    ``flag`` is a finding code, a severity, or ``any``; ``order`` is ``position``
    (article order) or ``score`` (the engine's weakest drafts first).
    """
    query_ = (select(SegmentRow, TranslationRow)
              .join(TranslationRow, TranslationRow.segment_id == SegmentRow.id)
              .where(SegmentRow.active.is_(True)))
    if lang:
        query_ = query_.where(TranslationRow.lang == rt.settings.resolve_languages([lang])[0].code)
    if state:
        query_ = query_.where(TranslationRow.state == parse_state(state).value)
    if article:
        query_ = query_.where(SegmentRow.article == article)
    if query:
        pattern = f"%{query}%"
        query_ = query_.where(SegmentRow.source.ilike(pattern) | TranslationRow.text.ilike(pattern))
    if order not in ("position", "score"):
        raise UsageError(f"unknown order {order!r}: use position or score")
    query_ = query_.order_by(SegmentRow.article, SegmentRow.position, TranslationRow.lang)
    with rt.store.reading() as s:
        if article and s.get(ArticleRow, article) is None:
            raise NotFound(f"no article {article!r} in the store: run `tilmech translate` first")
        items = [_item(seg, tr) for seg, tr in s.execute(query_)]
    if flag:
        items = [i for i in items if any(flag in ("any", f.code, str(f.severity)) for f in i.findings)]
    if order == "score":
        items.sort(key=lambda i: (i.score is None, i.score if i.score is not None else 0.0))
    return items


def _resolve_segment(s: object, segment_id: str) -> SegmentRow:
    from sqlalchemy.orm import Session

    assert isinstance(s, Session)
    if len(segment_id) < 6:
        raise UsageError(f"segment id {segment_id!r} is too short: give at least 6 characters")
    rows = list(s.scalars(select(SegmentRow).where(SegmentRow.id.startswith(segment_id)).limit(2)))
    if not rows:
        raise NotFound(f"no segment {segment_id!r}: see `tilmech review list` for ids")
    if len(rows) > 1:
        raise UsageError(f"segment id {segment_id!r} is ambiguous: give more characters")
    return rows[0]


def _translation(s: object, seg: SegmentRow, lang: str) -> TranslationRow:
    from sqlalchemy.orm import Session

    assert isinstance(s, Session)
    row = s.scalars(select(TranslationRow).where(TranslationRow.segment_id == seg.id,
                                                 TranslationRow.lang == lang)).first()
    if row is None:
        raise NotFound(f"segment {seg.id} has no {lang} translation yet: run `tilmech translate --lang {lang}`")
    return row


@dataclass(frozen=True)
class SegmentView:
    segment_id: str
    article: str
    source: str
    placeholders: dict[str, str]
    items: tuple[ReviewItem, ...]
    history: dict[str, tuple[HistoryEntry, ...]]
    terms: tuple[SegmentTerm, ...] = ()
    comments: dict[str, tuple[Comment, ...]] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class Comment:
    at: str
    who: str
    text: str


@dataclass(frozen=True)
class SegmentTerm:
    """A glossary term of a segment's source, with its approved renderings."""

    id: str
    english: str  # as written in the source
    renderings: dict[str, tuple[str, ...]]  # lang -> allowed renderings, preferred first
    note: str


def segment_terms(rt: Runtime, source: str) -> tuple[SegmentTerm, ...]:
    out: dict[str, SegmentTerm] = {}
    for m in rt.matcher.find(source):
        if m.term.id not in out and m.term.enforced:
            out[m.term.id] = SegmentTerm(m.term.id, m.text, {code: m.term.allowed(code)
                                                             for code in rt.settings.target_languages
                                                             if m.term.allowed(code)}, m.term.note)
    return tuple(out.values())


def review_show(rt: Runtime, segment_id: str, lang: str | None = None) -> SegmentView:
    langs = [rt.settings.resolve_languages([lang])[0].code] if lang else list(rt.settings.target_languages)
    with rt.store.reading() as s:
        seg = _resolve_segment(s, segment_id)
        items = []
        history: dict[str, tuple[HistoryEntry, ...]] = {}
        comments: dict[str, tuple[Comment, ...]] = {}
        for code in langs:
            tr = s.scalars(select(TranslationRow).where(TranslationRow.segment_id == seg.id,
                                                        TranslationRow.lang == code)).first()
            if tr is None:
                continue
            items.append(_item(seg, tr))
            history[code] = tuple(
                HistoryEntry(h.at.isoformat(timespec="seconds"), h.who, h.action, h.before_text, h.after_text,
                             h.before_state, h.after_state, h.note)
                for h in s.scalars(select(HistoryRow).where(HistoryRow.translation_id == tr.id)
                                   .order_by(HistoryRow.id)))
            comments[code] = tuple(
                Comment(c.at.isoformat(timespec="seconds"), c.who, c.text)
                for c in s.scalars(select(CommentRow).where(CommentRow.translation_id == tr.id).order_by(CommentRow.id)))
        return SegmentView(seg.id, seg.article, seg.source, dict(seg.placeholders or {}), tuple(items), history,
                           segment_terms(rt, seg.source), comments)


def review_views(rt: Runtime, lang: str, items: Sequence[ReviewItem]) -> dict[str, SegmentView]:
    """The views of many segments in one language (the editor's page) in a few queries, not some per segment."""
    code = rt.settings.resolve_languages([lang])[0].code
    ids = [i.segment_id for i in items]
    history: dict[int, list[HistoryEntry]] = {}
    comments: dict[int, list[Comment]] = {}
    with rt.store.reading() as s:
        translation_of = {sid: tid for sid, tid in s.execute(select(TranslationRow.segment_id, TranslationRow.id)
                                                             .where(TranslationRow.lang == code,
                                                                    TranslationRow.segment_id.in_(ids)))}
        tids = list(translation_of.values())
        for h in s.scalars(select(HistoryRow).where(HistoryRow.translation_id.in_(tids)).order_by(HistoryRow.id)):
            history.setdefault(h.translation_id, []).append(
                HistoryEntry(h.at.isoformat(timespec="seconds"), h.who, h.action, h.before_text, h.after_text,
                             h.before_state, h.after_state, h.note))
        for c in s.scalars(select(CommentRow).where(CommentRow.translation_id.in_(tids)).order_by(CommentRow.id)):
            comments.setdefault(c.translation_id, []).append(Comment(c.at.isoformat(timespec="seconds"), c.who, c.text))
    terms: dict[str, tuple[SegmentTerm, ...]] = {}
    out = {}
    for item in items:
        if item.source not in terms:
            terms[item.source] = segment_terms(rt, item.source)
        tid = translation_of.get(item.segment_id, -1)
        out[item.segment_id] = SegmentView(item.segment_id, item.article, item.source, item.placeholders, (item,),
                                           {code: tuple(history.get(tid, ()))}, terms[item.source],
                                           {code: tuple(comments.get(tid, ()))})
    return out


def _segment_model(rt: Runtime, seg: SegmentRow) -> Segment:
    """The parsed segment (with its markup) for QA checks of a stored row."""
    for doc in load_documents(rt, [seg.article]):
        for candidate in doc.segments:
            if candidate.id == seg.id:
                return candidate
    raise WorkflowError(f"segment {seg.id} is no longer in {seg.article}: its source text changed")


def _check_version(tr: TranslationRow, expected: int | None, seg_id: str) -> None:
    if expected is not None and tr.version != expected:
        raise Conflict(f"segment {seg_id} ({tr.lang}) was changed by {tr.updated_by} since you opened it "
                       f"(version {tr.version}, yours {expected}); their text is: {tr.text}",
                       tr.text, tr.version)


def _change(s: Session, tr: TranslationRow, who: str, action: str, text: str, state: State, note: str = "") -> None:
    """Record one change of a translation in its history and bump its version."""
    s.add(HistoryRow(translation_id=tr.id, who=who, action=action, before_text=tr.text, after_text=text,
                     before_state=tr.state, after_state=state.value, note=note))
    tr.text, tr.state = text, state.value
    tr.updated_at, tr.updated_by = utcnow(), who
    tr.version = (tr.version or 1) + 1


def review_edit(rt: Runtime, segment_id: str, lang: str, text: str, expected_version: int | None = None) -> ReviewItem:
    """Replace the current text; the segment goes (back) to draft and QA runs again.

    With ``expected_version``, a segment changed by someone else in the meantime is
    refused (:class:`Conflict`) instead of overwritten.
    """
    language = rt.settings.resolve_languages([lang])[0]
    require_review(rt.actor, language.code)
    with rt.store.session() as s:
        seg = _resolve_segment(s, segment_id)
        tr = _translation(s, seg, language.code)
        _edit(s, rt, seg, tr, text, expected_version)
        return _item(seg, tr)


def _edit(s: Session, rt: Runtime, seg: SegmentRow, tr: TranslationRow, text: str, expected_version: int | None,
          segment: Segment | None = None) -> None:
    text = text.strip()
    if not text:
        raise UsageError("the new text is empty: give the translation with --text")
    _check_version(tr, expected_version, seg.id)
    language = get_language(tr.lang)
    findings = check_translation(segment or _segment_model(rt, seg), text, language, rt.matcher)
    _change(s, tr, rt.user, "edit", text, after_edit(State(tr.state)))
    tr.qa = [f.to_dict() for f in findings]


def _approve(s: Session, rt: Runtime, seg: SegmentRow, tr: TranslationRow) -> bool:
    """Approve one translation; False when it already was. Critical findings refuse it."""
    if tr.state == State.APPROVED.value:
        return False
    critical = [f["message"] for f in tr.qa or [] if f["severity"] == Severity.CRITICAL.value]
    _change(s, tr, rt.user, "approve", tr.text, approve(State(tr.state), critical, f"segment {seg.id}"))
    return True


def review_approve(rt: Runtime, lang: str, segment_ids: Sequence[str] = (), article: str | None = None,
                   expected_version: int | None = None) -> int:
    """Approve segments (or every segment of an article) in one transaction; returns how many changed."""
    language = rt.settings.resolve_languages([lang])[0]
    require_review(rt.actor, language.code)
    if not segment_ids and not article:
        raise UsageError("name the segments to approve (IDs) or --article SLUG")
    changed = 0
    with rt.store.session() as s:
        if article:
            if s.get(ArticleRow, article) is None:
                raise NotFound(f"no article {article!r} in the store: run `tilmech translate` first")
            segs = list(s.scalars(select(SegmentRow).where(SegmentRow.article == article,
                                                           SegmentRow.active.is_(True))))
        else:
            segs = [_resolve_segment(s, sid) for sid in segment_ids]
        problems = []
        for seg in segs:
            tr = _translation(s, seg, language.code)
            if len(segs) == 1:
                _check_version(tr, expected_version, seg.id)
            try:
                changed += _approve(s, rt, seg, tr)
            except WorkflowError as exc:
                problems.append(str(exc))
        if problems:
            raise WorkflowError("nothing approved:\n" + "\n".join(problems))
    return changed


def review_send_back(rt: Runtime, lang: str, segment_ids: Sequence[str], note: str = "",
                     expected_version: int | None = None) -> int:
    language = rt.settings.resolve_languages([lang])[0]
    require_review(rt.actor, language.code)
    with rt.store.session() as s:
        for sid in segment_ids:
            seg = _resolve_segment(s, sid)
            tr = _translation(s, seg, language.code)
            if len(segment_ids) == 1:
                _check_version(tr, expected_version, seg.id)
            _change(s, tr, rt.user, "send-back", tr.text, send_back(State(tr.state)), note)
    return len(segment_ids)


def add_comment(rt: Runtime, segment_id: str, lang: str, text: str) -> None:
    language = rt.settings.resolve_languages([lang])[0]
    if not text.strip():
        raise UsageError("the comment is empty")
    with rt.store.session() as s:
        seg = _resolve_segment(s, segment_id)
        tr = _translation(s, seg, language.code)
        s.add(CommentRow(translation_id=tr.id, who=rt.user, text=text.strip()))


# -- XLIFF -------------------------------------------------------------------------------


def xliff_export(rt: Runtime, article: str, lang: str, version: str = "2.1") -> str:
    """The segments of one article and language as XLIFF (2.1 by default, or 1.2)."""
    from .xliff import ExportUnit, write_xliff

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
    from .xliff import read_xliff

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
                        _edit(s, rt, seg, tr, unit.target, unit.version, models.get(seg.id))
                        done.append("edited")
                    if unit.approved and _approve(s, rt, seg, tr):
                        done.append("approved")
            except (Conflict, WorkflowError, UsageError) as exc:
                outcomes.append(ImportOutcome(unit.segment_id, "refused", str(exc)))
                continue
            outcomes.append(ImportOutcome(unit.segment_id, "+".join(done) or "unchanged"))
    return outcomes


# -- users -------------------------------------------------------------------------------


def users_add(rt: Runtime, name: str, role: str, password: str, languages: Sequence[str] = ()) -> User:
    """Create a user (or replace the password, role and languages of an existing one)."""
    require_admin(rt.actor)
    parsed = parse_role(role)
    codes = tuple(rt.settings.resolve_languages(list(languages))[i].code for i in range(len(languages))) \
        if languages else ()
    if not re.fullmatch(r"[A-Za-z0-9._@-]{1,100}", name):
        raise UsageError(f"bad user name {name!r}: letters, digits and . _ @ - only")
    hashed = hash_password(password)
    with rt.store.session() as s:
        row = s.scalars(select(UserRow).where(UserRow.name == name)).first()
        if row is None:
            s.add(UserRow(name=name, role=parsed.value, languages=",".join(codes), password_hash=hashed))
        else:
            row.role, row.languages, row.password_hash = parsed.value, ",".join(codes), hashed
    return User(name, parsed, codes)


def _user(row: UserRow) -> User:
    return User(row.name, Role(row.role), tuple(c for c in row.languages.split(",") if c))


def users_list(rt: Runtime) -> list[User]:
    with rt.store.session() as s:
        return [_user(r) for r in s.scalars(select(UserRow).order_by(UserRow.name))]


def authenticate(rt: Runtime, name: str, password: str) -> User:
    with rt.store.reading() as s:
        row = s.scalars(select(UserRow).where(UserRow.name == name)).first()
    # the hash is checked outside the transaction: it takes a while, on purpose
    if row is None or not verify_password(password, row.password_hash):
        raise Unauthorized("wrong user name or password")
    return _user(row)


def get_user(rt: Runtime, name: str) -> User | None:
    with rt.store.reading() as s:
        row = s.scalars(select(UserRow).where(UserRow.name == name)).first()
        return _user(row) if row else None


def create_token(rt: Runtime, name: str, label: str = "") -> str:
    """A new API token for ``name`` (shown once; only its digest is stored)."""
    token, digest = new_token()
    with rt.store.session() as s:
        row = s.scalars(select(UserRow).where(UserRow.name == name)).first()
        if row is None:
            raise NotFound(f"no user {name!r}: add one with `tilmech users add`")
        s.add(TokenRow(user_id=row.id, token_hash=digest, label=label))
    return token


def user_by_token(rt: Runtime, token: str) -> User:
    with rt.store.reading() as s:
        row = s.execute(select(UserRow).join(TokenRow, TokenRow.user_id == UserRow.id)
                        .where(TokenRow.token_hash == token_digest(token))).scalar_one_or_none()
        if row is None:
            raise Unauthorized("unknown API token")
        return _user(row)


def secret_key(rt: Runtime) -> str:
    """The key that signs web sessions, created once per store."""
    with rt.store.session() as s:
        row = s.get(MetaRow, "session_key")
        if row is None:
            row = MetaRow(key="session_key", value=secrets.token_urlsafe(48))
            s.add(row)
        return row.value


@dataclass(frozen=True)
class Progress:
    article: str
    title: str
    lang: str
    total: int
    approved: int
    needs_work: int
    flagged: int


def progress_table(rt: Runtime, article: str | None = None) -> list[Progress]:
    """Per article (all, or the one named) and language: segments, approved, needs-work, with QA findings."""
    out = []
    query = (select(SegmentRow.article, TranslationRow.lang, TranslationRow.state, TranslationRow.qa)
             .join(TranslationRow, TranslationRow.segment_id == SegmentRow.id).where(SegmentRow.active.is_(True)))
    if article is not None:
        query = query.where(SegmentRow.article == article)
    with rt.store.reading() as s:
        titles = {slug: title for slug, title in s.execute(select(ArticleRow.slug, ArticleRow.title))}
        rows = s.execute(query).all()
    counts: dict[tuple[str, str], list[int]] = {}
    for article, lang, state, qa in rows:
        c = counts.setdefault((article, lang), [0, 0, 0, 0])
        c[0] += 1
        c[1] += state == State.APPROVED.value
        c[2] += state == State.NEEDS_WORK.value
        c[3] += bool(qa)
    order = {code: i for i, code in enumerate(rt.settings.target_languages)}
    for (article, lang), (total, approved, needs_work, flagged) in sorted(
            counts.items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], 99))):
        out.append(Progress(article, titles.get(article, article), lang, total, approved, needs_work, flagged))
    return out


# -- releases ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReleaseInfo:
    id: int
    state: str
    created_at: str
    created_by: str
    approved_by: str | None
    locales: dict[str, tuple[str, ...]]  # lang -> article slugs
    incomplete: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)  # lang -> slugs left out
    previous: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)  # lang -> earlier editions


@dataclass(frozen=True)
class LocalePreview:
    lang: str
    ready: tuple[str, ...]  # articles complete in this locale
    blocked: dict[str, str]  # article -> what blocks it


def release_preview(rt: Runtime) -> list[LocalePreview]:
    """What each locale would ship if a release were created now, and what blocks the rest."""
    slugs = [doc.article.slug for doc in load_documents(rt)]
    items = review_list(rt)
    out = []
    for code in rt.settings.target_languages:
        ready, blocked = [], {}
        for slug in slugs:
            mine = [i for i in items if i.article == slug and i.lang == code]
            open_ = [i for i in mine if i.state != State.APPROVED.value]
            if mine and not open_:
                ready.append(slug)
                continue
            critical = sum(1 for i in open_ if any(f.severity is Severity.CRITICAL for f in i.findings))
            reason = f"{len(open_)} of {len(mine)} segments not approved" if mine else "not translated yet"
            blocked[slug] = reason + (f", {critical} with critical QA findings" if critical else "")
        out.append(LocalePreview(code, tuple(ready), blocked))
    return out


def release_create(rt: Runtime, previous_editions: bool = False) -> ReleaseInfo:
    """Freeze the approved text of every article that is complete in a locale.

    An article that is not complete in a locale (new, or its English changed) waits;
    with ``previous_editions`` the locale ships instead its edition from the latest
    release that had one, English and all, as it was approved then.
    """
    require_editor(rt.actor, "create a release")
    docs = load_documents(rt)
    if not docs:
        raise WorkflowError(f"no articles in {rt.settings.content_dir}: nothing to release")
    with rt.store.session() as s:
        release = ReleaseRow(created_by=rt.user, glossary_version=rt.glossary.version)
        s.add(release)
        s.flush()
        locales: dict[str, list[str]] = {rt.settings.source_language: []}
        incomplete: dict[str, list[str]] = {}
        previous: dict[str, list[str]] = {}
        for doc in docs:
            a = doc.article
            path = rt.settings.content_dir / f"{a.slug}.md"
            s.add(ReleaseSourceRow(release_id=release.id, article=a.slug, source_path=a.source,
                                   text=path.read_text(encoding="utf-8"), content_hash=a.content_hash))
            locales[rt.settings.source_language].append(a.slug)
            ids = [seg.id for seg in doc.segments]
            for lang in rt.settings.targets:
                query = select(TranslationRow.segment_id, TranslationRow.text).where(
                    TranslationRow.lang == lang.code, TranslationRow.state == State.APPROVED.value,
                    TranslationRow.segment_id.in_(ids))
                texts = {sid: text for sid, text in s.execute(query)}
                if len(texts) == len(ids):
                    s.add(ReleaseArticleRow(release_id=release.id, lang=lang.code, article=a.slug,
                                            content_hash=a.content_hash, texts=texts))
                    locales.setdefault(lang.code, []).append(a.slug)
                    continue
                earlier = s.scalars(select(ReleaseArticleRow).where(
                    ReleaseArticleRow.lang == lang.code, ReleaseArticleRow.article == a.slug,
                    ReleaseArticleRow.release_id < release.id).order_by(ReleaseArticleRow.release_id.desc())
                ).first() if previous_editions else None
                if earlier is None:
                    incomplete.setdefault(lang.code, []).append(a.slug)
                    continue
                source_text = earlier.source_text or s.scalars(select(ReleaseSourceRow.text).where(
                    ReleaseSourceRow.release_id == earlier.release_id, ReleaseSourceRow.article == a.slug)).one()
                s.add(ReleaseArticleRow(release_id=release.id, lang=lang.code, article=a.slug,
                                        content_hash=earlier.content_hash, texts=dict(earlier.texts),
                                        source_text=source_text,
                                        edition_of=earlier.edition_of or earlier.release_id))
                locales.setdefault(lang.code, []).append(a.slug)
                previous.setdefault(lang.code, []).append(a.slug)
        return ReleaseInfo(release.id, release.state, release.created_at.isoformat(timespec="seconds"),
                           release.created_by, None, {k: tuple(v) for k, v in locales.items()},
                           {k: tuple(v) for k, v in incomplete.items()},
                           {k: tuple(v) for k, v in previous.items()})


def _release_row(s: object, release_id: int) -> ReleaseRow:
    from sqlalchemy.orm import Session

    assert isinstance(s, Session)
    row = s.get(ReleaseRow, release_id) if 0 < release_id < 2**63 else None
    if row is None:
        raise NotFound(f"no release {release_id}: see `tilmech release list`")
    return row


def release_info(rt: Runtime, release_id: int) -> ReleaseInfo:
    with rt.store.reading() as s:
        row = _release_row(s, release_id)
        locales: dict[str, list[str]] = {rt.settings.source_language: list(s.scalars(
            select(ReleaseSourceRow.article).where(ReleaseSourceRow.release_id == row.id)
            .order_by(ReleaseSourceRow.article)))}
        previous: dict[str, list[str]] = {}
        for lang, slug, earlier in s.execute(
                select(ReleaseArticleRow.lang, ReleaseArticleRow.article, ReleaseArticleRow.source_text.isnot(None))
                .where(ReleaseArticleRow.release_id == row.id)
                .order_by(ReleaseArticleRow.lang, ReleaseArticleRow.article)):
            locales.setdefault(lang, []).append(slug)
            if earlier:
                previous.setdefault(lang, []).append(slug)
        sources = locales[rt.settings.source_language]
        held_back = {code: tuple(a for a in sources if a not in locales.get(code, ()))
                     for code in rt.settings.target_languages}
        return ReleaseInfo(row.id, row.state, row.created_at.isoformat(timespec="seconds"), row.created_by,
                           row.approved_by, {k: tuple(v) for k, v in locales.items()},
                           {k: v for k, v in held_back.items() if v}, {k: tuple(v) for k, v in previous.items()})


def release_list(rt: Runtime) -> list[ReleaseInfo]:
    with rt.store.session() as s:
        ids = list(s.scalars(select(ReleaseRow.id).order_by(ReleaseRow.id)))
    return [release_info(rt, i) for i in ids]


def release_approve(rt: Runtime, release_id: int) -> ReleaseInfo:
    """The editor's approval: only an approved release can be published."""
    require_editor(rt.actor, "approve a release")
    with rt.store.session() as s:
        row = _release_row(s, release_id)
        if row.state == "pending":
            row.state, row.approved_by, row.approved_at = "approved", rt.user, utcnow()
    return release_info(rt, release_id)


@dataclass(frozen=True)
class ReleaseContent:
    """What a release ships: per locale, the articles as they read in that locale."""

    id: int
    glossary_version: str
    sources: dict[str, Article]  # slug -> English article
    editions: dict[str, dict[str, Article]]  # lang -> slug -> translated article
    earlier: dict[str, dict[str, int]] = dataclasses.field(default_factory=dict)  # lang -> slug -> release


def release_content(rt: Runtime, release_id: int) -> ReleaseContent:
    """Rebuild every edition of an approved release from its frozen texts."""
    with rt.store.session() as s:
        row = _release_row(s, release_id)
        if row.state != "approved":
            raise WorkflowError(f"release {release_id} is not approved: an editor runs "
                                f"`tilmech release approve {release_id}` first")
        sources = {r.article: read_article(r.text, r.article, r.source_path) for r in
                   s.scalars(select(ReleaseSourceRow).where(ReleaseSourceRow.release_id == row.id))}
        frozen = list(s.scalars(select(ReleaseArticleRow).where(ReleaseArticleRow.release_id == row.id)))
        glossary_version = row.glossary_version
    docs = {slug: segment_article(a) for slug, a in sources.items()}
    editions: dict[str, dict[str, Article]] = {rt.settings.source_language: dict(sources)}
    earlier: dict[str, dict[str, int]] = {}
    for item in frozen:
        lang = get_language(item.lang)
        doc = docs[item.article]
        if item.source_text:  # an earlier edition, rebuilt from the English it was translated from
            doc = segment_article(read_article(item.source_text, item.article))
            earlier.setdefault(lang.code, {})[item.article] = item.edition_of or 0
        editions.setdefault(lang.code, {})[item.article] = doc.rebuild(item.texts, lang)
    return ReleaseContent(release_id, glossary_version, sources, editions, earlier)


def stats(rt: Runtime) -> dict[str, dict[str, int]]:
    """Per language: segments by state (active segments only)."""
    with rt.store.reading() as s:
        rows = s.execute(select(TranslationRow.lang, TranslationRow.state, func.count())
                         .join(SegmentRow, SegmentRow.id == TranslationRow.segment_id)
                         .where(SegmentRow.active.is_(True))
                         .group_by(TranslationRow.lang, TranslationRow.state))
        out: dict[str, dict[str, int]] = {}
        for lang, state, count in rows:
            out.setdefault(lang, {})[state] = count
        return out


# -- the store ----------------------------------------------------------------------------------


def db_check(rt: Runtime) -> list[StoreFinding]:
    """Every problem of the store (integrity, references, approved text, releases, history); empty: sound."""
    return check_store(rt.store)


def db_backup(rt: Runtime, dest: Path) -> int:
    """A consistent copy of the SQLite store in the new file ``dest``, made while others may write; its size."""
    return backup_store(rt.store, Path(dest))


# -- publish ------------------------------------------------------------------------------------


def publish(rt: Runtime, release_id: int, dest: Path | str | None = None) -> PublishReport:
    """Write the bundles of an approved release and make it the current one."""
    content = release_content(rt, release_id)
    settings = rt.settings
    target = open_target(dest if dest is not None else publish_location(rt))
    available = {code: set(articles) for code, articles in content.editions.items()}
    revision = hashlib.sha256("\n".join(f"{slug} {a.content_hash}" for slug, a in sorted(content.sources.items()))
                              .encode()).hexdigest()
    bundles: dict[str, dict[str, bytes]] = {}
    for code in [settings.source_language, *settings.target_languages]:
        lang = get_language(code)
        mo = None if code == settings.source_language else build_catalog(settings.path("locales"), lang)
        editions = content.editions.get(code, {})
        held_back = tuple(sorted(set(content.sources) - set(editions)))
        bundles[code] = build_locale(lang, editions, available, mo, settings.source_language, release_id,
                                     content.glossary_version, source_revision=revision, held_back=held_back,
                                     earlier=content.earlier.get(code, {}))
    import datetime as dt
    import platform

    from . import __version__

    info = {"release": release_id, "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "built_by": rt.user, "host": platform.node(), "tilmech": __version__}
    folder = target.write_release(release_id, bundles, info)
    return PublishReport(release_id, folder, target.location, {k: len(v) for k, v in content.editions.items()},
                         sum(len(files) for files in bundles.values()))


def publish_location(rt: Runtime) -> str:
    """``paths.publish``: a folder relative to the project, or an fsspec URL."""
    configured = rt.settings.paths.publish
    return configured if "://" in configured else str(rt.settings.path("publish"))
