"""The English articles as the use cases read them: listed, loaded a chunk at a time, parsed
and segmented, and compared with what ingest stored (file hashes, sentence cuts).

Every path that segments an article (ingest, translate, releases, XLIFF, compare, QA, glossary)
segments it with the sentence cuts the store kept of it (:func:`stored_cuts`), through
:func:`load_documents`, :func:`iter_documents` or :func:`segment_documents`: the same article and
the same store give the same segment ids in every process, whatever it loaded before.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..articles import (
    Article,
    article_paths,
    load_article,
    load_articles,
)
from ..runtime import Runtime
from ..store import (
    ArticleRow,
)
from ..store.queries import segment_counts

if TYPE_CHECKING:
    from ..markdown.extract import SegmentedArticle

CHUNK_ARTICLES = 100  # articles held in memory at a time by ingest and translate


# An article's stored sentence cuts, sorted: (cut key of a text, offsets where its sentences start).
# Hashable, so that it is part of the key of :func:`segmented`'s cache.
FrozenCuts = tuple[tuple[str, tuple[int, ...]], ...]


def load_documents(rt: Runtime, slugs: Sequence[str] | None = None) -> list[SegmentedArticle]:
    """The English articles (all, or those named), parsed and segmented with the sentence cuts the
    store kept of them."""
    settings = rt.settings
    articles = load_articles(settings.content_dir, settings.root, list(slugs) if slugs else None)
    with rt.store.reading() as s:
        cuts = stored_cuts(s, [a.slug for a in articles])
    return [segmented(a, cuts.get(a.slug, ())) for a in articles]


def segment_documents(s: Session, articles: Sequence[Article]) -> list[SegmentedArticle]:
    """These articles segmented with the sentence cuts the store kept of them."""
    cuts = stored_cuts(s, [a.slug for a in articles])
    return [segmented(a, cuts.get(a.slug, ())) for a in articles]


@functools.lru_cache(maxsize=256)
def segmented(article: Article, cuts: FrozenCuts = ()) -> SegmentedArticle:
    """:func:`segment_article` with ``cuts``, remembered for the (article, cuts) pairs last seen:
    sentence splitting is the costliest step outside the engine. The result depends on nothing
    but the two arguments. (Translation takes the segments ingest stored, and splits only an
    article whose file changed since, once for all its languages.)"""
    # Markdown's parser, imported only when an article is split
    from ..markdown.extract import segment_article

    return segment_article(article, dict(cuts))


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
        with rt.store.reading() as s:
            cuts = stored_cuts(s, [a.slug for a in articles])
        yield [segmented(a, cuts.get(a.slug, ())) for a in articles]


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


def check_documents(rt: Runtime, slugs: Sequence[str] | None = None, *, hashes: dict[str, str] | None = None) -> int:
    """Read every article (all, or those named); returns how many there are. Reads one at a time and
    keeps none but the problems found, raised at once at the end: one as it is, several as
    ``content/en: N problems in M articles`` then one line each (file, line, what to do).
    ``hashes``, when given, receives each file's hash (slug -> :func:`file_hash`), for
    :func:`~tilmech.services.planning.plan_translation` not to read the files again."""
    from ..articles import file_hash
    from ..errors import ConfigError, Problems

    settings = rt.settings
    paths = article_paths(settings.content_dir, list(slugs) if slugs else None, settings.root)
    problems: list[str] = []  # lines only: an error's traceback would keep its article's text
    first: ConfigError | None = None
    bad = 0
    for path in paths:
        try:
            data = path.read_bytes()
            load_article(path, settings.root, data)
            if hashes is not None:
                hashes[path.stem] = file_hash(data)
            continue
        except ConfigError as exc:  # InputError too; several problems of one file come as Problems
            problems += exc.lines if isinstance(exc, Problems) else [str(exc)]
            error = exc if first is None else None
        except OSError as exc:
            where = path.relative_to(settings.root) if path.is_relative_to(settings.root) else path
            problems.append(f"{where}: cannot read the file: {exc.strerror or exc}: check its permissions")
            error = ConfigError(problems[-1])
        bad += 1
        first = first or error
    if first is not None and bad == 1:
        raise first
    if bad:
        folder = settings.content_dir
        where = folder.relative_to(settings.root) if folder.is_relative_to(settings.root) else folder
        raise Problems(str(where), problems, f" in {bad} articles")
    return len(paths)


def same_files(s: Session, hashes: Mapping[str, str]) -> dict[str, int]:
    """Articles whose file has the bytes it had when last ingested, with their number of segments."""
    stored = dict(s.execute(select(ArticleRow.slug, ArticleRow.file_hash).where(
        ArticleRow.slug.in_(list(hashes)), ArticleRow.file_hash.is_not(None))).all())
    same = [slug for slug, digest in hashes.items() if stored.get(slug) == digest]
    counts = segment_counts(s, same)
    return {slug: counts[slug] for slug in same if counts.get(slug)}


def stored_cuts(s: Session, slugs: Sequence[str]) -> dict[str, FrozenCuts]:
    """Where the sentence splitter cut the stored version of each of these articles (by slug; the
    ``SegmentedArticle.cuts`` ingest kept): given to :func:`segmented`, an edited article's unchanged
    paragraphs are cut as before, and an unchanged article gets the ids ingest gave it. An article
    not stored yet, or whose record is damaged, has none: its texts are split afresh."""
    out: dict[str, FrozenCuts] = {}
    for start in range(0, len(slugs), 500):
        chunk = list(slugs[start : start + 500])
        for slug, text in s.execute(select(ArticleRow.slug, ArticleRow.sentence_cuts).where(
                ArticleRow.slug.in_(chunk), ArticleRow.sentence_cuts.is_not(None))):
            out[slug] = _read_cuts(text)
    return out


def _read_cuts(text: str | None) -> FrozenCuts:
    try:
        known = json.loads(text or "{}")
    except ValueError:
        return ()
    if not isinstance(known, dict):
        return ()
    return tuple(sorted((key, tuple(offsets)) for key, offsets in known.items()
                        if isinstance(key, str) and isinstance(offsets, list)
                        and all(type(c) is int for c in offsets)))
