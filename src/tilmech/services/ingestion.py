"""Ingest: English articles into the store as segments (new, changed, retired), and the
import of pages of the old site as articles.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..articles import (
    SLUG_RE,
    article_paths,
    file_hash,
    load_article,
)
from ..errors import (
    EnvironmentNotReady,
    UsageError,
)
from ..importer import ImportResult, read_page
from ..inputs import decode_input, load_input
from ..markdown.extract import SegmentedArticle
from ..markdown.placeholders import Segment
from ..runtime import Runtime
from ..store import (
    ArticleRow,
    SegmentRow,
    utcnow,
)
from .documents import (
    CHUNK_ARTICLES,
    same_files,
    segment_documents,
    unchanged_articles,
)


@dataclass(frozen=True)
class IngestReport:
    articles: tuple[str, ...]
    segments: int
    new_segments: int
    retired_segments: int


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
            same = same_files(s, hashes)
        total += sum(same.values())
        changed = [path for path in chunk if path.stem not in same]
        for first in range(0, len(changed), CHUNK_ARTICLES):
            articles = [load_article(path, settings.root, files[path.stem])
                        for path in changed[first : first + CHUNK_ARTICLES]]
            with rt.store.session() as s:
                # one ingest at a time (two syncs at once): the second reads what the first stored,
                # and adds none of it again (SQLite: the write lock its transaction began with)
                rt.store.lock(s, "ingest")
                unchanged = unchanged_articles(s, articles)
                edited = [a for a in articles if a.slug not in unchanged]
                docs = segment_documents(s, edited)  # their unchanged paragraphs cut as stored
                total += sum(unchanged.values()) + sum(len(d.segments) for d in docs)
                added, gone = _ingest_documents(s, docs)
                s.flush()
                s.execute(update(ArticleRow), [{"slug": a.slug, "file_hash": hashes[a.slug]} for a in articles])
            new += added
            retired += gone
    if new or retired:
        rt.store.analyze()
    return IngestReport(tuple(path.stem for path in paths), total, new, retired)


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
