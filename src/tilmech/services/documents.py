"""The English articles as the use cases read them: listed, loaded a chunk at a time, parsed
and segmented, and compared with what ingest stored (file hashes, sentence cuts).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..articles import (
    Article,
    article_paths,
    load_article,
    load_articles,
)
from ..runtime import Runtime
from ..segments import SegmentedArticle, remember_cuts, segment_article
from ..store import (
    ArticleRow,
)
from ..store.queries import segment_counts

CHUNK_ARTICLES = 100  # articles held in memory at a time by ingest and translate


def load_documents(rt: Runtime, slugs: Sequence[str] | None = None) -> list[SegmentedArticle]:
    """The English articles (all, or those named), parsed and segmented."""
    settings = rt.settings
    articles = load_articles(settings.content_dir, settings.root, list(slugs) if slugs else None)
    return [segment_article(a) for a in articles]


@functools.lru_cache(maxsize=256)
def segmented(article: Article) -> SegmentedArticle:
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
        yield [segmented(a) for a in articles]


def unchanged_articles(s: Session, articles: Sequence[Article]) -> dict[str, int]:
    """Articles whose text is the one last ingested (same content hash), with their number of
    segments: their stored segments are theirs, no need to split them into sentences again."""
    slugs = [a.slug for a in articles]
    hashes = dict(s.execute(select(ArticleRow.slug, ArticleRow.content_hash).where(ArticleRow.slug.in_(slugs))).all())
    same = [a.slug for a in articles if hashes.get(a.slug) == a.content_hash]
    counts = segment_counts(s, same)
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


def same_files(s: Session, hashes: Mapping[str, str]) -> dict[str, int]:
    """Articles whose file has the bytes it had when last ingested, with their number of segments."""
    stored = dict(s.execute(select(ArticleRow.slug, ArticleRow.file_hash).where(
        ArticleRow.slug.in_(list(hashes)), ArticleRow.file_hash.is_not(None))).all())
    same = [slug for slug, digest in hashes.items() if stored.get(slug) == digest]
    counts = segment_counts(s, same)
    return {slug: counts[slug] for slug in same if counts.get(slug)}


def remember_stored_cuts(s: Session, slugs: Sequence[str]) -> None:
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
