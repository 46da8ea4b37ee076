"""Use cases, called alike by the CLI, the flows and (later) the web workbench.

Every function takes the :class:`~tilmech.runtime.Runtime` and plain values, and
returns plain values (frozen dataclasses). Multi-row changes are one transaction.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import hashlib
import json
import re
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session

from . import progress
from .articles import (
    SLUG_RE,
    Article,
    article_paths,
    file_hash,
    load_article,
    load_articles,
    read_article,
)
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
from .errors import (
    Conflict,
    EnvironmentNotReady,
    NotFound,
    TilmechError,
    Unauthorized,
    UsageError,
    WorkflowError,
)
from .glossary import Term, TermMatch, morphology
from .importer import ImportResult, read_page
from .inputs import decode_input, load_input
from .languages import Language, get_language
from .mt import Engine, MTContext, TermHint, model_info
from .mt.chain import ChainLink, translate_with_chain
from .publish import PublishReport, build_catalog, build_locale, open_target
from .qa import Finding, Severity, check_pair, check_translation, risk_score, term_severity
from .qa.model import segment_from_text
from .review import State, after_edit, approve, parse_state, send_back
from .runtime import Runtime
from .segments import Field, Segment, SegmentedArticle, remember_cuts, segment_article
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


CHUNK_ARTICLES = 100  # articles held in memory at a time by ingest and translate


def load_documents(rt: Runtime, slugs: Sequence[str] | None = None) -> list[SegmentedArticle]:
    """The English articles (all, or those named), parsed and segmented."""
    settings = rt.settings
    articles = load_articles(settings.content_dir, settings.root, list(slugs) if slugs else None)
    return [segment_article(a) for a in articles]


@functools.lru_cache(maxsize=256)
def _segmented(article: Article) -> SegmentedArticle:
    """:func:`segment_article`, remembered for the articles last seen: sentence splitting is the
    costliest step outside the engine. (Translation takes the segments ingest stored, and splits
    only an article whose file changed since, once for all its languages.)"""
    return segment_article(article)


def iter_articles(rt: Runtime, slugs: Sequence[str] | None = None,
                  chunk: int = CHUNK_ARTICLES) -> Iterator[list[Article]]:
    """The articles (all, or those named), read a ``chunk`` at a time: memory stays bounded by the
    chunk, not by the size of the corpus."""
    settings = rt.settings
    paths = article_paths(settings.content_dir, list(slugs) if slugs else None, settings.root)
    for start in range(0, len(paths), chunk):
        yield [load_article(p, settings.root) for p in paths[start : start + chunk]]


def iter_documents(rt: Runtime, slugs: Sequence[str] | None = None,
                   chunk: int = CHUNK_ARTICLES) -> Iterator[list[SegmentedArticle]]:
    """:func:`load_documents` a ``chunk`` of articles at a time."""
    for articles in iter_articles(rt, slugs, chunk):
        yield [_segmented(a) for a in articles]


def _unchanged_articles(s: Session, articles: Sequence[Article]) -> dict[str, int]:
    """Articles whose text is the one last ingested (same content hash), with their number of
    segments: their stored segments are theirs, no need to split them into sentences again."""
    slugs = [a.slug for a in articles]
    hashes = dict(s.execute(select(ArticleRow.slug, ArticleRow.content_hash).where(ArticleRow.slug.in_(slugs))).all())
    same = [a.slug for a in articles if hashes.get(a.slug) == a.content_hash]
    counts = _segment_counts(s, same)
    return {slug: counts[slug] for slug in same if counts.get(slug)}


def count_documents(rt: Runtime, slugs: Sequence[str] | None = None) -> int:
    return len(article_paths(rt.settings.content_dir, list(slugs) if slugs else None, rt.settings.root))


def check_documents(rt: Runtime, slugs: Sequence[str] | None = None) -> int:
    """Read every article (all, or those named) and raise the first error (file, line, what to do);
    returns how many there are. Reads one at a time and keeps none."""
    settings = rt.settings
    paths = article_paths(settings.content_dir, list(slugs) if slugs else None, settings.root)
    for path in paths:
        load_article(path, settings.root)
    return len(paths)


FILES_PER_CHECK = 500  # article files hashed and looked up at a time by ingest


def ingest(rt: Runtime, slugs: Sequence[str] | None = None) -> IngestReport:
    """Record articles and their segments in the store; retire segments whose text is gone.

    A file with the bytes it had when last ingested is not parsed again (its sha256 is kept
    with the article): a run over unchanged content reads and hashes the files, nothing
    more. The others are read and written a chunk at a time (one transaction per chunk);
    an article whose stored segments already match its text costs no write.
    """
    settings = rt.settings
    paths = article_paths(settings.content_dir, list(slugs) if slugs else None, settings.root)
    total = new = retired = 0
    for start in range(0, len(paths), FILES_PER_CHECK):
        chunk = paths[start : start + FILES_PER_CHECK]
        files = {path.stem: path.read_bytes() for path in chunk}
        hashes = {slug: file_hash(data) for slug, data in files.items()}
        with rt.store.reading() as s:
            same = _same_files(s, hashes)
        total += sum(same.values())
        changed = [path for path in chunk if path.stem not in same]
        for first in range(0, len(changed), CHUNK_ARTICLES):
            articles = [load_article(path, settings.root, files[path.stem])
                        for path in changed[first : first + CHUNK_ARTICLES]]
            with rt.store.session() as s:
                unchanged = _unchanged_articles(s, articles)
                edited = [a for a in articles if a.slug not in unchanged]
                _remember_cuts(s, [a.slug for a in edited])  # edited articles: their unchanged paragraphs
                docs = [_segmented(a) for a in edited]
                total += sum(unchanged.values()) + sum(len(d.segments) for d in docs)
                added, gone = _ingest_documents(s, docs)
                s.flush()
                s.execute(update(ArticleRow), [{"slug": a.slug, "file_hash": hashes[a.slug]} for a in articles])
            new += added
            retired += gone
    if new or retired:
        rt.store.analyze()
    return IngestReport(tuple(path.stem for path in paths), total, new, retired)


def _same_files(s: Session, hashes: Mapping[str, str]) -> dict[str, int]:
    """Articles whose file has the bytes it had when last ingested, with their number of segments."""
    stored = dict(s.execute(select(ArticleRow.slug, ArticleRow.file_hash).where(
        ArticleRow.slug.in_(list(hashes)), ArticleRow.file_hash.is_not(None))).all())
    same = [slug for slug, digest in hashes.items() if stored.get(slug) == digest]
    counts = _segment_counts(s, same)
    return {slug: counts[slug] for slug in same if counts.get(slug)}


def _stored_segments(s: Session, slugs: Sequence[str]) -> dict[str, list[Segment]]:
    """The active segments of these articles as ingest stored them, in order: what splitting the
    articles again would give, as long as their files have the bytes they had then."""
    out: dict[str, list[Segment]] = {slug: [] for slug in slugs}
    for start in range(0, len(slugs), 500):
        for row in s.execute(select(SegmentRow.id, SegmentRow.article, SegmentRow.field, SegmentRow.position,
                                    SegmentRow.source, SegmentRow.placeholders)
                             .where(SegmentRow.article.in_(list(slugs[start : start + 500])), _IS_ACTIVE)
                             .order_by(SegmentRow.article, SegmentRow.position)):
            out[row.article].append(_segment_model(row))
    return out


def _remember_cuts(s: Session, slugs: Sequence[str]) -> None:
    """Where the sentence splitter cut the stored versions of these articles (see ``remember_cuts``)."""
    if not slugs:
        return
    for (cuts,) in s.execute(select(ArticleRow.sentence_cuts).where(ArticleRow.slug.in_(list(slugs)),
                                                                     ArticleRow.sentence_cuts.is_not(None))):
        try:
            known = json.loads(cuts or "{}")
        except ValueError:  # damaged: the splitter runs again
            continue
        if isinstance(known, dict):
            remember_cuts({k: v for k, v in known.items() if isinstance(v, list)})


def _ingest_documents(s: Session, docs: list[SegmentedArticle]) -> tuple[int, int]:
    slugs = [d.article.slug for d in docs]
    rows = {r.slug: r for r in s.scalars(select(ArticleRow).where(ArticleRow.slug.in_(slugs)))}
    stored_active: dict[str, set[tuple[str, int]]] = {}
    for sid, article, position in s.execute(select(SegmentRow.id, SegmentRow.article, SegmentRow.position)
                                            .where(SegmentRow.article.in_(slugs), SegmentRow.active.is_(True))):
        stored_active.setdefault(article, set()).add((sid, position))
    known = [slug for slug in slugs if slug in rows]  # their segments, retired ones too, read at once
    by_article: dict[str, dict[str, SegmentRow]] = {}
    for stored_row in s.scalars(select(SegmentRow).where(SegmentRow.article.in_(known))) if known else ():
        by_article.setdefault(stored_row.article, {})[stored_row.id] = stored_row
    new = retired = 0
    for doc in docs:
        a = doc.article
        row = rows.get(a.slug)
        if row is not None and row.content_hash == a.content_hash and \
                stored_active.get(a.slug, set()) == {(seg.id, seg.index) for seg in doc.segments}:
            continue  # unchanged: nothing to write
        cuts = json.dumps(doc.cuts, separators=(",", ":"))
        if row is None:
            s.add(ArticleRow(slug=a.slug, title=a.title, date=a.date, content_hash=a.content_hash,
                             source_path=a.source, sentence_cuts=cuts))
        elif row.content_hash != a.content_hash:
            row.title, row.date, row.content_hash, row.source_path = a.title, a.date, a.content_hash, a.source
            row.updated_at, row.sentence_cuts = utcnow(), cuts
        s.flush()
        present = {seg.id for seg in doc.segments}
        stored = by_article.get(a.slug, {})
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
    return new, retired


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
            totals.update(_segment_counts(s, [slug for slug in left if slug not in totals]))
            out[lang] = {slug: min(1.0, int(n) / max(1, totals.get(slug, 0))) for slug, n in left.items()}
    return out


def _segment_counts(s: Session, slugs: Sequence[str]) -> dict[str, int]:
    """Active segments per article of ``slugs``."""
    counts: dict[str, int] = {}
    for start in range(0, len(slugs), 500):
        chunk = list(slugs[start : start + 500])
        counts.update((slug, int(n)) for slug, n in s.execute(select(SegmentRow.article, func.count()).where(
            SegmentRow.article.in_(chunk), _IS_ACTIVE).group_by(SegmentRow.article)).all())
    return counts


# "The segment is active", written so that SQLite looks the articles up in the article index:
# given ``active = 1``, it chose the index on ``active``, which nearly every segment matches,
# and read them all (50 ms for 500 articles of 10 000, against 5).
_IS_ACTIVE = func.coalesce(SegmentRow.active, False).is_(True)


def settled_reports(rt: Runtime, slugs: Sequence[str], work: Mapping[str, Iterable[str]],
                    languages: Sequence[str]) -> list[TranslateReport]:
    """Per language, the report of the articles of ``slugs`` that ``work`` leaves out: every
    segment already has a translation, so a run has nothing to do there (no file read, no engine)."""
    with rt.store.reading() as s:
        counts = _segment_counts(s, slugs)
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


def _memory_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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


def _contexts(rt: Runtime, docs: Sequence[Sequence[Segment]], wanted: set[str], protected: dict[str, Any],
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


_REDRAFTABLE = (State.DRAFT.value, State.NEEDS_WORK.value)


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
                same = _same_files(s, {slug: file_hash(data) for slug, data in files.items()})
                articles = [load_article(path, settings.root, files[path.stem])
                            for path in paths[start : start + chunk] if path.stem not in same]
                unchanged = {**same, **_unchanged_articles(s, articles)} if not redraft_unapproved else {}
                open_ = set(s.scalars(select(SegmentRow.article).where(
                    SegmentRow.article.in_(list(unchanged)), SegmentRow.active.is_(True),
                    _untranslated(lang.code)).distinct())) if unchanged else set()
                # unchanged articles with every segment translated: nothing to do
                finished = {slug: n for slug, n in unchanged.items() if slug not in open_}
                stored = _stored_segments(s, [slug for slug in files if slug in same and slug not in finished])
                todo = [a for a in articles if a.slug not in finished]
                if todo:  # segmented by ingest; in another process (a worker), cut where ingest cut them
                    _remember_cuts(s, [a.slug for a in todo])
            if finished:
                count = sum(finished.values())
                parts.append(TranslateReport(lang.code, label, len(finished), count, 0, 0, count, 0, 0))
                meter.segments(count)
            segments = {**stored, **{a.slug: _segmented(a).segments for a in todo}}
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


def _translate_documents(rt: Runtime, lang: Language, label: str, docs: list[list[Segment]],
                         meter: progress.Meter, run: _ChainRun, redraft_unapproved: bool) -> TranslateReport:
    """:func:`translate_language` for a chunk of articles (the segments of each, in order)."""
    source = rt.settings.source
    chain = rt.settings.engine_chain(lang.code)
    segments = [seg for doc in docs for seg in doc]
    of_these = (TranslationRow.lang == lang.code, TranslationRow.segment_id.in_([x.id for x in segments]))
    existing: dict[str, TranslationRow] = {}  # read whole only to redraft: else which exist is enough
    with rt.store.reading() as s:
        if redraft_unapproved:
            existing = {tr.segment_id: tr for tr in s.scalars(select(TranslationRow).where(*of_these))}
            translated = set(existing)
        else:
            translated = set(s.scalars(select(TranslationRow.segment_id).where(*of_these)))
    todo = [seg for seg in segments if seg.id not in translated]
    notes: list[str] = []
    redo: dict[str, tuple[str, str, str]] = {}  # segment id -> (engine, model, version) of the draft replaced
    if redraft_unapproved:
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
                    redo[seg.id] = (tr.engine, tr.model, tr.model_version)
                    todo.append(seg)
        edited = sum(1 for tr in existing.values() if tr.state in _REDRAFTABLE and tr.text != tr.machine)
        if edited:
            notes.append(f"{edited} unapproved drafts edited by a translator were kept as they are")
    if not todo:
        meter.segments(len(segments))
        return TranslateReport(lang.code, label, len(docs), len(segments), 0, 0, len(segments), 0, 0,
                               notes=tuple(notes))

    protected = {seg.id: rt.matcher.protect(seg.text, lang.code) for seg in todo}
    outputs: dict[str, _Output] = {}  # segment id -> what the draft is made of
    with rt.store.reading() as s:
        approved = {
            src: text for src, text in s.execute(
                select(SegmentRow.source, TranslationRow.text)
                .join(TranslationRow, TranslationRow.segment_id == SegmentRow.id)
                .where(TranslationRow.lang == lang.code, TranslationRow.state == State.APPROVED.value,
                       SegmentRow.source.in_([x.text for x in todo])))
        }
    left = [seg for seg in todo if seg.text not in approved]
    for seg in todo:
        if seg.text in approved:
            outputs[seg.id] = _Output(approved[seg.text], None, "memory", chain[0])
    pending: dict[str, list[str]] = {}  # MT input -> segment ids (identical inputs translated once)
    links: list[ChainLink] = []
    if left:
        links = run.get(rt, lang)
        rank = {(link.engine.name, link.info.model, link.info.version): i for i, link in enumerate(links)}
        keys = {_memory_key(protected[seg.id].text) for seg in left}
        memory: dict[str, MemoryRow] = {}
        with rt.store.reading() as s:
            for m in s.scalars(select(MemoryRow).where(MemoryRow.lang == lang.code, MemoryRow.source_hash.in_(keys),
                                                       MemoryRow.engine.in_([x.engine.name for x in links]))):
                here = rank.get((m.engine, m.model, m.model_version))
                best = memory.get(m.source_hash)
                if here is not None and (best is None or here < rank[(best.engine, best.model, best.model_version)]):
                    memory[m.source_hash] = m
        for seg in left:
            mem = memory.get(_memory_key(protected[seg.id].text))
            if mem is not None:
                outputs[seg.id] = _Output(mem.target, mem.score, "memory", mem.engine, mem.model, mem.model_version)
            else:
                pending.setdefault(protected[seg.id].text, []).append(seg.id)

    # the engines' output is stored step by step, each step one transaction with its memory entries:
    # a run stopped midway loses at most the step in flight. What needs no engine goes with the
    # first step (or, if the engines fail, before the error is raised): the engine starts at once,
    # and the QA of those drafts (the glossary's inflection loads meanwhile) waits for it instead
    tally = _Tally()
    ready = [seg for seg in todo if seg.id in outputs]
    if ready and not pending:
        with rt.store.session() as s:
            _store_drafts(s, rt, lang, ready, outputs, protected, approved, redo, tally)
        ready = []
    calls_before = rt.engine_calls
    unfinished: dict[str, str] = {}
    if pending:
        # by length, so that each step's batches hold sentences of like length (little padding)
        inputs = sorted(pending, key=len)
        step = max(1, rt.settings.mt.max_batch_size) * 4

        def name_failure(engine: Engine, texts: list[str], exc: Exception) -> Exception:
            return _engine_failure(engine, texts, pending, todo, source, lang, exc)

        for start in range(0, len(inputs), step):
            chunk = inputs[start : start + step]
            wanted = {sid for text in chunk for sid in pending[text]}
            outcome = translate_with_chain(links, chunk, source, lang,
                                           _contexts(rt, docs, wanted, protected, lang),
                                           name_failure=name_failure, advance=meter.segments)
            notes += outcome.notes
            with rt.store.session() as s:
                rt.store.lock(s, f"memory-{lang.code}")
                done = [(text, d) for text, d in outcome.drafts.items() if d.error is None]
                known = set(s.execute(select(MemoryRow.source_hash, MemoryRow.engine, MemoryRow.model,
                                             MemoryRow.model_version).where(
                    MemoryRow.lang == lang.code, MemoryRow.source_hash.in_([_memory_key(t) for t, _ in done]))).all())
                for text, d in done:
                    if (_memory_key(text), d.engine, d.model, d.version) not in known:  # else stored meanwhile
                        s.add(MemoryRow(source_hash=_memory_key(text), lang=lang.code, engine=d.engine, model=d.model,
                                        model_version=d.version, source=text, target=d.text, score=d.score))
                if ready:
                    _store_drafts(s, rt, lang, ready, outputs, protected, approved, redo, tally)
                    ready = []
                if outcome.failure is None:
                    for text, d in outcome.drafts.items():
                        for sid in pending[text]:
                            outputs[sid] = _Output(d.text, d.score, "mt", d.engine, d.model, d.version, d.error)
                    _store_drafts(s, rt, lang, [seg for seg in todo if seg.id in wanted], outputs, protected,
                                  approved, redo, tally)
            if outcome.failure is not None:
                raise outcome.failure
            for text, why in outcome.unfinished.items():
                for sid in pending[text]:
                    unfinished[sid] = why
    meter.segments(len(segments) - len(pending))  # the engines advanced the meter by what they translated
    if unfinished:
        first = next(iter(unfinished.values()))
        raise TilmechError(f"{len(unfinished)} segments ({lang.code}) were not translated: {first}. The others "
                           f"are stored; run `tilmech translate --lang {lang.code}` again to finish")
    return TranslateReport(lang.code, label, len(docs), len(segments),
                           tally.stored - tally.from_memory - tally.redrafted, tally.from_memory,
                           len(segments) - tally.stored, tally.flagged, rt.engine_calls - calls_before,
                           tuple(ArticleCounts(a, *c) for a, c in sorted(tally.per_article.items())),
                           redrafted=tally.redrafted, notes=tuple(notes))


@dataclass
class _Tally:
    stored: int = 0
    from_memory: int = 0
    flagged: int = 0
    redrafted: int = 0
    per_article: dict[str, list[int]] = dataclasses.field(default_factory=dict)


def _store_drafts(s: Session, rt: Runtime, lang: Language, todo: list[Segment], outputs: dict[str, _Output],
                  protected: dict[str, Any], approved: dict[str, str], redo: dict[str, tuple[str, str, str]],
                  tally: _Tally) -> None:
    """Add the draft translation (with QA, risk and its first history entry) of each segment that has
    none, and draft again those of ``redo`` that nobody approved or edited meanwhile."""
    rt.store.lock(s, f"translations-{lang.code}")
    # an edited sentence keeps its approved translation, to be checked again ("stale")
    previous = {sid: text for sid, text in s.execute(
        select(SegmentRow.id, TranslationRow.text)
        .join(TranslationRow, TranslationRow.segment_id == SegmentRow.previous_id)
        .where(SegmentRow.id.in_([x.id for x in todo]), TranslationRow.lang == lang.code,
               TranslationRow.state == State.APPROVED.value))}
    rows = {tr.segment_id: tr for tr in s.scalars(select(TranslationRow).where(
        TranslationRow.lang == lang.code, TranslationRow.segment_id.in_([x.id for x in todo])))}
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
        findings = _check(rt, seg, text, lang)
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
                State.DRAFT.value, out.origin, out.engine, out.model, out.version)
            row.score, row.qa = out.score, [f.to_dict() for f in findings]
            row.risk = _risk(rt, seg.text, findings, out.score, edited=False)
            row.updated_at, row.updated_by, row.version = utcnow(), rt.user, row.version + 1
            old_engine, old_model, old_version = redo[seg.id]
            s.add(HistoryRow(translation_id=row.id, who=rt.user, action="redraft", before_text=before,
                             after_text=text, before_state=before_state, after_state=State.DRAFT.value,
                             note=f"{made_by}; was {old_engine} {old_model} {old_version}"))
            tally.redrafted += 1
            continue
        state, current = State.DRAFT, text
        if seg.id in previous:
            state, current = State.STALE, previous[seg.id]
            findings = _check(rt, seg, current, lang)
        added.append((TranslationRow(segment_id=seg.id, lang=lang.code, machine=text, text=current,
                                     state=state.value, origin=out.origin, engine=out.engine, model=out.model,
                                     model_version=out.version, score=out.score,
                                     qa=[f.to_dict() for f in findings], updated_by=rt.user,
                                     risk=_risk(rt, seg.text, findings, out.score, edited=current != text)),
                      made_by))
    s.add_all([row for row, _ in added])
    s.flush()  # one multi-row INSERT, which also gives the rows their ids
    s.add_all([HistoryRow(translation_id=row.id, who=rt.user, action="translate", before_text=None,
                          after_text=row.text, before_state=None, after_state=row.state,
                          note=made_by + ("; the English changed: the approved translation of the old text kept"
                                          if row.state == State.STALE.value else ""))
               for row, made_by in added])


# -- compare engines -----------------------------------------------------------------------


@dataclass(frozen=True)
class EngineOutput:
    engine: str
    text: str
    score: float | None
    findings: tuple[Finding, ...]
    error: str | None = None
    risk: float | None = None  # the review queue's risk score of this output (0 safe to 100)


@dataclass(frozen=True)
class ComparedSegment:
    segment_id: str
    article: str
    source: str
    outputs: tuple[EngineOutput, ...]  # one per engine, in the order asked


@dataclass(frozen=True)
class EngineSummary:
    engine: str
    model: str
    version: str
    segments: int  # translated
    flagged: int  # with any QA finding
    critical: int  # with a critical QA finding
    findings: int
    mean_score: float | None
    seconds: float
    failure: str = ""  # the engine could not run at all
    mean_risk: float | None = None  # mean risk score of its outputs


@dataclass(frozen=True)
class Comparison:
    lang: str
    engines: tuple[EngineSummary, ...]
    segments: tuple[ComparedSegment, ...]


def compare_engines(rt: Runtime, lang_code: str, engine_names: Sequence[str], article: str | None = None,
                    sample: int = 20) -> Comparison:
    """Translate a sample of segments with each engine, without writing anything, and check each output.

    The sample is spread evenly over the segments of ``article`` (all articles when
    None). Each output goes through the glossary restoration and the QA checks of
    a real draft, so the findings are those a reviewer would see.
    """
    import time

    lang = rt.settings.resolve_languages([lang_code])[0]
    source = rt.settings.source
    known = (*rt.settings.engine_chain(lang.code), "argos", "pseudo", *rt.settings.engine_defs)
    names = list(dict.fromkeys(engine_names))
    for name in names:
        if name not in known:
            raise UsageError(f"unknown engine {name!r}: use argos, pseudo or a name from engine_defs in tilmech.yaml"
                             + (f" ({', '.join(rt.settings.engine_defs)})" if rt.settings.engine_defs else ""))
    if not names:
        raise UsageError("name at least one engine: --engines argos,ct2-nllb")
    if sample < 1:
        raise UsageError("--sample must be at least 1")
    docs = load_documents(rt, [article] if article else None)
    segments = [seg for doc in docs for seg in doc.segments]
    step = max(1, len(segments) / sample)
    chosen = {segments[int(i * step)].id for i in range(min(sample, len(segments)))}
    picked = [seg for seg in segments if seg.id in chosen]
    protected = {seg.id: rt.matcher.protect(seg.text, lang.code) for seg in picked}
    contexts = _contexts(rt, [doc.segments for doc in docs], chosen, protected, lang)
    inputs = list(dict.fromkeys(protected[seg.id].text for seg in picked))
    summaries: list[EngineSummary] = []
    outputs: dict[str, list[EngineOutput]] = {seg.id: [] for seg in picked}
    for name in names:
        started = time.perf_counter()
        try:
            engine = rt.engine_named(name)
            info = model_info(engine, source, lang)
            outcome = translate_with_chain([ChainLink(engine, info)], inputs, source, lang, contexts)
            if outcome.failure is not None:
                raise outcome.failure
        except TilmechError as exc:
            summaries.append(EngineSummary(name, "", "", 0, 0, 0, 0, None, time.perf_counter() - started, str(exc)))
            for seg in picked:
                outputs[seg.id].append(EngineOutput(name, "", None, (), str(exc)))
            continue
        seconds = time.perf_counter() - started
        flagged = critical = count = translated = 0
        scores: list[float] = []
        risks: list[float] = []
        for seg in picked:
            key = protected[seg.id].text
            draft = outcome.drafts.get(key)
            if draft is None:
                outputs[seg.id].append(EngineOutput(name, "", None, (), outcome.unfinished.get(key, "not translated")))
                continue
            translated += 1
            restored = rt.matcher.restore(draft.text, protected[seg.id], lang.code)
            findings = _check(rt, seg, restored.text, lang)
            if draft.error:
                findings.append(Finding("engine", Severity.FUNCTIONAL, f"{name}: {draft.error}"))
            findings += [Finding("term-lost", Severity.FUNCTIONAL,
                                 f"MT lost glossary term {m.text!r}: insert {m.term.rendering(lang.code)!r}")
                         for m in restored.lost]
            flagged += bool(findings)
            critical += any(f.severity is Severity.CRITICAL for f in findings)
            count += len(findings)
            if draft.score is not None:
                scores.append(draft.score)
            risk = _risk(rt, seg.text, findings, draft.score, edited=False)
            risks.append(risk)
            outputs[seg.id].append(EngineOutput(name, restored.text, draft.score, tuple(findings), draft.error, risk))
        summaries.append(EngineSummary(name, info.model, info.version, translated,
                                       flagged, critical, count, sum(scores) / len(scores) if scores else None,
                                       seconds, mean_risk=sum(risks) / len(risks) if risks else None))
    return Comparison(lang.code, tuple(summaries), tuple(
        ComparedSegment(seg.id, seg.article, seg.text, tuple(outputs[seg.id])) for seg in picked))


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
    risk: float | None = None  # 0 (safe) to 100, see tilmech.qa.risk; None: not checked yet
    model: str = ""  # the model that made the machine draft, and its version
    model_version: str = ""


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
                      source_diff(seg.previous_source, seg.source) if seg.previous_source else "", tr.risk,
                      tr.model, tr.model_version)


# The columns of a queue entry: selected as columns, the queue skips building ORM objects
_ITEM_COLUMNS = (SegmentRow.id, SegmentRow.article, SegmentRow.field, SegmentRow.position, TranslationRow.lang,
                 SegmentRow.source, TranslationRow.machine, TranslationRow.text, TranslationRow.state,
                 TranslationRow.engine, TranslationRow.origin, TranslationRow.score, TranslationRow.qa,
                 SegmentRow.placeholders, TranslationRow.version, SegmentRow.previous_source, TranslationRow.risk,
                 TranslationRow.model, TranslationRow.model_version)


def _item_of_row(row: Any) -> ReviewItem:
    (sid, article, field, position, lang, source, machine, text, state, engine, origin, score, qa, placeholders,
     version, previous, risk, model, model_version) = row
    return ReviewItem(sid, article, field, position, lang, source, machine, text, state, engine, origin, score,
                      tuple(Finding.from_dict(f) for f in qa or []), dict(placeholders or {}), version,
                      source_diff(previous, source) if previous else "", risk, model, model_version)


ORDERS = ("position", "risk", "score")


def review_list(rt: Runtime, lang: str | None = None, state: str | None = None, article: str | None = None, *,
                query: str | None = None, flag: str | None = None, order: str = "position",
                min_risk: float | None = None, max_risk: float | None = None,
                limit: int | None = None) -> list[ReviewItem]:
    """The queue: filters by language, state, article, text (source or target), QA finding and risk.

    ``flag`` is a finding code, a severity, or ``any``; ``order`` is ``position``
    (article order), ``risk`` (worst first; segments not checked yet before all) or
    ``score`` (the engine's weakest drafts first). ``min_risk``/``max_risk`` keep the
    segments whose risk lies in that range (both ends included). ``limit``: the first
    so many in that order (the store sorts and stops: a queue of any size answers fast).
    """
    query_ = (select(*_ITEM_COLUMNS)
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
    if order not in ORDERS:
        raise UsageError(f"unknown order {order!r}: use {', '.join(ORDERS)}")
    for name, bound in (("min-risk", min_risk), ("max-risk", max_risk)):
        if bound is not None and not 0 <= bound <= 100:
            raise UsageError(f"--{name} {bound}: the risk runs from 0 to 100")
    if min_risk is not None:
        query_ = query_.where(TranslationRow.risk >= min_risk)
    if max_risk is not None:
        query_ = query_.where(TranslationRow.risk <= max_risk)
    if limit is not None and limit < 1:
        raise UsageError(f"--limit {limit}: give 1 or more")
    position = (SegmentRow.article, SegmentRow.position, TranslationRow.lang)
    # One query per part of the order, each sorted by an indexed column first, so that with a
    # limit the store walks the index and stops instead of sorting the whole queue.
    if order == "risk":  # not checked yet first, then the highest risk; article order within
        parts = [query_.where(TranslationRow.risk.is_(None)).order_by(*position),
                 query_.where(TranslationRow.risk.is_not(None)).order_by(TranslationRow.risk.desc(), *position)]
    elif order == "score":  # the lowest score first, drafts without a score last
        parts = [query_.where(TranslationRow.score.is_not(None)).order_by(TranslationRow.score, *position),
                 query_.where(TranslationRow.score.is_(None)).order_by(*position)]
    else:
        parts = [query_.order_by(*position)]
    with rt.store.reading() as s:
        if article and s.get(ArticleRow, article) is None:
            raise NotFound(f"no article {article!r} in the store: run `tilmech translate` first")
        items: list[ReviewItem] = []
        for part in parts:
            left = None if flag or limit is None else limit - len(items)
            if left == 0:
                break
            items += [_item_of_row(row) for row in s.execute(part if left is None else part.limit(left))]
    if flag:  # findings are JSON: filtered here, then cut
        items = [i for i in items if any(flag in ("any", f.code, str(f.severity)) for f in i.findings)]
        items = items[:limit] if limit is not None else items
    return items


def _resolve_segment(s: object, segment_id: str) -> SegmentRow:
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


_HISTORY_COLUMNS = (HistoryRow.at, HistoryRow.who, HistoryRow.action, HistoryRow.before_text, HistoryRow.after_text,
                    HistoryRow.before_state, HistoryRow.after_state, HistoryRow.note)


def _history_entry(row: Sequence[Any]) -> HistoryEntry:
    at, who, action, before_text, after_text, before_state, after_state, note = row
    return HistoryEntry(at.isoformat(timespec="seconds"), who, action, before_text, after_text, before_state,
                        after_state, note)


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
            history[code] = tuple(_history_entry(entry) for entry in s.execute(
                select(*_HISTORY_COLUMNS).where(HistoryRow.translation_id == tr.id).order_by(HistoryRow.id)))
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
        for tid, *entry in s.execute(select(HistoryRow.translation_id, *_HISTORY_COLUMNS)
                                     .where(HistoryRow.translation_id.in_(tids)).order_by(HistoryRow.id)):
            history.setdefault(tid, []).append(_history_entry(entry))
        for tid, at, who, text in s.execute(select(CommentRow.translation_id, CommentRow.at, CommentRow.who,
                                                   CommentRow.text)
                                            .where(CommentRow.translation_id.in_(tids)).order_by(CommentRow.id)):
            comments.setdefault(tid, []).append(Comment(at.isoformat(timespec="seconds"), who, text))
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


def _segment_model(seg: Any) -> Segment:
    """The segment of a stored row (a :class:`SegmentRow`, or a row of its columns) with its markup
    as the QA checks see it (kind and label of each placeholder), without reading and splitting
    its article again."""
    base = segment_from_text(seg.source, seg.article)
    labels = seg.placeholders or {}
    markup = tuple((number, dataclasses.replace(mark, label=labels.get(
        f"{{/{number}}}" if mark.kind == "close" else f"{{{number}}}", mark.label)))
        for number, mark in base.markup)
    return Segment(seg.id, seg.article, cast(Field, seg.field), seg.position, seg.source, markup)


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
    findings = _check(rt, segment or _segment_model(seg), text, language)
    _change(s, tr, rt.user, "edit", text, after_edit(State(tr.state)))
    tr.qa = [f.to_dict() for f in findings]
    tr.risk = _risk(rt, seg.source, findings, tr.score, edited=text != tr.machine)


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


@dataclass(frozen=True)
class BulkApproval:
    """Segments of one article and language approved (or, in a dry run, to approve) under a risk threshold."""

    article: str
    lang: str
    max_risk: float
    approved: tuple[str, ...]  # segment ids
    held_back: int  # not yet approved, but at or above the threshold, with findings, or not checked
    already: int  # approved before


def bulk_approve(rt: Runtime, lang: str, article: str, max_risk: float, *, dry_run: bool = False,
                 only: Sequence[str] | None = None) -> BulkApproval:
    """Approve every segment of ``article`` in ``lang`` whose risk is below ``max_risk`` and that has no
    QA findings, in one transaction. ``dry_run`` only counts; ``only`` limits the approval to the
    segments a dry run showed (anything that changed since stays as it is)."""
    language = rt.settings.resolve_languages([lang])[0]
    require_review(rt.actor, language.code)
    if not 0 <= max_risk <= 100:
        raise UsageError(f"--max-risk {max_risk}: the risk runs from 0 to 100")
    approved: list[str] = []
    held = already = 0
    with rt.store.session() as s:
        if s.get(ArticleRow, article) is None:
            raise NotFound(f"no article {article!r} in the store: run `tilmech translate` first")
        rows = s.execute(select(SegmentRow, TranslationRow)
                         .join(TranslationRow, TranslationRow.segment_id == SegmentRow.id)
                         .where(SegmentRow.article == article, SegmentRow.active.is_(True),
                                TranslationRow.lang == language.code)
                         .order_by(SegmentRow.position)).all()
        for seg, tr in rows:
            if tr.state == State.APPROVED.value:
                already += 1
            elif tr.risk is None or tr.risk >= max_risk or tr.qa or (only is not None and seg.id not in only):
                held += 1
            else:
                approved.append(seg.id)
                if not dry_run:
                    _approve(s, rt, seg, tr)
    return BulkApproval(article, language.code, max_risk, tuple(approved), held, already)


# -- QA -------------------------------------------------------------------------------------


def _check(rt: Runtime, segment: Segment, text: str, lang: Language) -> list[Finding]:
    """The QA findings of one translation, without the checks tilmech.yaml switches off for ``lang``."""
    return check_translation(segment, text, lang, rt.matcher, rt.settings.disabled_checks(lang.code))


def _risk(rt: Runtime, source: str, findings: Sequence[Finding], score: float | None, *, edited: bool) -> float:
    has_terms = any(m.term.enforced for m in rt.matcher.find(source))
    return risk_score(findings, score, source, edited=edited, has_terms=has_terms)


def qa_verify(rt: Runtime, lang: str, source: str, target: str) -> list[Finding]:
    """Every QA finding for one pair of free text (the source may hold placeholders {1}, {/1})."""
    language = rt.settings.resolve_languages([lang])[0]
    return check_pair(source, target, language, rt.matcher, rt.settings.disabled_checks(language.code))


@dataclass(frozen=True)
class RecheckReport:
    checked: int
    changed: int  # translations whose findings changed


def qa_recheck(rt: Runtime, lang: str | None = None, article: str | None = None) -> RecheckReport:
    """Run the checks again on the current text of every segment (after a change of checks or settings)
    and store findings and risk, in one transaction."""
    codes = [x.code for x in rt.settings.resolve_languages([lang] if lang else None)]
    models = {seg.id: seg for doc in load_documents(rt, [article] if article else None) for seg in doc.segments}
    checked = changed = 0
    with rt.store.session() as s:
        query = (select(SegmentRow, TranslationRow).join(TranslationRow, TranslationRow.segment_id == SegmentRow.id)
                 .where(SegmentRow.active.is_(True), TranslationRow.lang.in_(codes)))
        if article:
            query = query.where(SegmentRow.article == article)
        for seg, tr in s.execute(query).all():
            model = models.get(seg.id)
            if model is None:  # its article changed on disk since the last ingest
                continue
            findings = _check(rt, model, tr.text, get_language(tr.lang))
            findings += [Finding.from_dict(f) for f in tr.qa or [] if f["code"] in ("term-lost", "term-case")
                         and tr.text == tr.machine and f["code"] not in rt.settings.disabled_checks(tr.lang)]
            data = [f.to_dict() for f in findings]
            risk = _risk(rt, seg.source, findings, tr.score, edited=tr.text != tr.machine)
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
    query_ = (select(*_ITEM_COLUMNS).join(TranslationRow, TranslationRow.segment_id == SegmentRow.id)
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
                    tuple(_item_of_row(row) for _, row in sorted(candidates, key=lambda c: c[0])[:worst]))


def _qa_counts() -> dict[str, int]:
    return {"segments": 0, "flagged": 0, "critical": 0, "functional": 0, "cosmetic": 0}


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
    titles_query = select(ArticleRow.slug, ArticleRow.title)
    if article is not None:
        titles_query = titles_query.where(ArticleRow.slug == article)
    with rt.store.reading() as s:
        titles = {slug: title for slug, title in s.execute(titles_query)}
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
    """Per language: segments by state (active segments only).

    Counted as every translation (on the (language, state) index alone) less those of the
    inactive segments (the sentences edited away: few, found by their own index). Joining every
    translation to its segment took a second at 300 000 translations; this takes a twentieth.
    """
    by_state = select(TranslationRow.lang, TranslationRow.state, func.count())
    with rt.store.reading() as s:
        every = s.execute(by_state.group_by(TranslationRow.lang, TranslationRow.state)).all()
        gone = s.execute(by_state.join(SegmentRow, SegmentRow.id == TranslationRow.segment_id)
                         .where(SegmentRow.active.is_(False))
                         .group_by(TranslationRow.lang, TranslationRow.state)).all()
    less = {(lang, state): int(count) for lang, state, count in gone}
    out: dict[str, dict[str, int]] = {}
    for lang, state, count in every:
        left = int(count) - less.get((lang, state), 0)
        if left:
            out.setdefault(lang, {})[state] = left
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
