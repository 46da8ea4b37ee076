"""Releases: what the review queue would ship (preview), frozen releases, approval, discarding a
pending release, and what a release changes against another (per locale, from the frozen rows).

The preview and the creation of a release read the store a chunk of articles at a time, as
ingest and translate do: the time and memory they take grow with the chunk, not the corpus.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import CursorResult, and_, delete, func, select, update
from sqlalchemy.orm import Session

from ..articles import (
    Article,
    article_paths,
    read_article,
)
from ..auth import (
    require_editor,
)
from ..errors import (
    NotFound,
    WorkflowError,
)
from ..languages import get_language
from ..runtime import Runtime
from ..store import (
    ReleaseArticleRow,
    ReleaseRow,
    ReleaseSourceRow,
    utcnow,
)
from ..store.queries import active_segment_ids, approved_texts, in_chunks, queue_counts
from .documents import (
    CHUNK_ARTICLES,
    count_documents,
    iter_articles,
    segment_documents,
    unchanged_articles,
)


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
    warnings: tuple[str, ...] = ()  # what the editor should know: a locale that ships nothing, a repeated approval


@dataclass(frozen=True)
class LocalePreview:
    lang: str
    ready: tuple[str, ...]  # articles complete in this locale
    blocked: dict[str, str]  # article -> what blocks it


def release_preview(rt: Runtime) -> list[LocalePreview]:
    """What each locale would ship if a release were created now, and what blocks the rest.

    The articles are those of the content folder; their state is the review queue's, counted
    by the store a chunk of articles at a time: no article is read or split into sentences.
    """
    settings = rt.settings
    slugs = [path.stem for path in article_paths(settings.content_dir, None, settings.root)]
    codes = list(settings.target_languages)
    with rt.store.reading() as s:
        counts = queue_counts(s, slugs, codes)
    out = []
    for code in codes:
        ready, blocked = [], {}
        for slug in slugs:
            mine = counts.get((slug, code))
            if mine is not None and not mine.open:
                ready.append(slug)
                continue
            reason = f"{mine.open} of {mine.segments} segments not approved" if mine else "not translated yet"
            blocked[slug] = reason + (f", {mine.critical} with critical QA findings" if mine and mine.critical else "")
        out.append(LocalePreview(code, tuple(ready), blocked))
    return out


def release_create(rt: Runtime, previous_editions: bool = False, *, chunk: int = CHUNK_ARTICLES) -> ReleaseInfo:
    """Freeze the approved text of every article that is complete in a locale.

    An article that is not complete in a locale (new, or its English changed) waits;
    with ``previous_editions`` the locale ships instead its edition from the latest
    release that had one, English and all, as it was approved then.

    Articles are read ``chunk`` at a time (memory stays bounded by the chunk), all in one
    transaction. An article whose text is the one last ingested takes its segments from the
    store; only the others are split into sentences again.
    """
    require_editor(rt.actor, "create a release")
    if not count_documents(rt):
        raise WorkflowError(f"no articles in {rt.settings.content_dir}: nothing to release")
    source = rt.settings.source_language
    codes = [lang.code for lang in rt.settings.targets]
    locales: dict[str, list[str]] = {source: []}
    incomplete: dict[str, list[str]] = {}
    previous: dict[str, list[str]] = {}
    with rt.store.session() as s:
        release = ReleaseRow(created_by=rt.user, glossary_version=rt.glossary.version)
        s.add(release)
        s.flush()
        for articles in iter_articles(rt, chunk=chunk):
            ids = _segment_ids(s, articles)
            texts = approved_texts(s, [sid for a in articles for sid in ids[a.slug]], codes)
            complete = {(code, a.slug): mine for a in articles for code in codes
                        if len(mine := {sid: texts[code][sid] for sid in ids[a.slug] if sid in texts[code]})
                        == len(ids[a.slug])}
            waiting = {code: [a.slug for a in articles if (code, a.slug) not in complete] for code in codes}
            earlier = _earlier_editions(s, release.id, waiting) if previous_editions else {}
            for a in articles:
                path = rt.settings.content_dir / f"{a.slug}.md"
                s.add(ReleaseSourceRow(release_id=release.id, article=a.slug, source_path=a.source,
                                       text=path.read_text(encoding="utf-8"), content_hash=a.content_hash))
                locales[source].append(a.slug)
                for code in codes:
                    if (code, a.slug) in complete:
                        s.add(ReleaseArticleRow(release_id=release.id, lang=code, article=a.slug,
                                                content_hash=a.content_hash, texts=complete[(code, a.slug)]))
                    elif (code, a.slug) in earlier:
                        _ship_again(s, release.id, earlier[(code, a.slug)])
                        previous.setdefault(code, []).append(a.slug)
                    else:
                        incomplete.setdefault(code, []).append(a.slug)
                        continue
                    locales.setdefault(code, []).append(a.slug)
            s.flush()  # the chunk's rows go to the store; the session keeps no reference to them
        empty = [code for code in codes if not locales.get(code)]
        if codes and len(empty) == len(codes):  # raised inside the transaction: nothing is kept
            raise WorkflowError(f"nothing to release: no article is complete in {_joined(codes)}: approve "
                                "the translations first (the releases page shows what blocks each article)")
        warnings = tuple(f"{code} ships nothing: none of its {len(incomplete.get(code, ()))} articles is "
                         "complete (held back: " + ", ".join(incomplete.get(code, ())) + ")" for code in empty)
        return ReleaseInfo(release.id, release.state, release.created_at.isoformat(timespec="seconds"),
                           release.created_by, None, {k: tuple(v) for k, v in locales.items()},
                           {k: tuple(v) for k, v in incomplete.items()},
                           {k: tuple(v) for k, v in previous.items()}, warnings)


def _joined(codes: Sequence[str]) -> str:
    return ", ".join(codes[:-1]) + " or " + codes[-1] if len(codes) > 1 else "".join(codes)


def _segment_ids(s: Session, articles: Sequence[Article]) -> dict[str, list[str]]:
    """The segment ids of each article: the store's for an article as last ingested, those of
    splitting it again for the others (new, or changed since)."""
    unchanged = unchanged_articles(s, articles)
    ids = active_segment_ids(s, list(unchanged))
    changed = [a for a in articles if a.slug not in unchanged]
    ids.update((doc.article.slug, [seg.id for seg in doc.segments]) for doc in segment_documents(s, changed))
    return ids


def _earlier_editions(s: Session, release_id: int, waiting: dict[str, list[str]]) -> dict[tuple[str, str], ReleaseArticleRow]:
    """(lang, article) -> the latest edition of the article in that locale before ``release_id``."""
    out: dict[tuple[str, str], ReleaseArticleRow] = {}
    for code, slugs in waiting.items():
        for chunk in in_chunks(slugs):
            latest = (select(ReleaseArticleRow.article, func.max(ReleaseArticleRow.release_id).label("release_id"))
                      .where(ReleaseArticleRow.lang == code, ReleaseArticleRow.article.in_(chunk),
                             ReleaseArticleRow.release_id < release_id)
                      .group_by(ReleaseArticleRow.article).subquery())
            for row in s.scalars(select(ReleaseArticleRow).join(latest, and_(
                    ReleaseArticleRow.article == latest.c.article, ReleaseArticleRow.release_id == latest.c.release_id))
                    .where(ReleaseArticleRow.lang == code)):
                out[(code, row.article)] = row
    return out


def _ship_again(s: Session, release_id: int, earlier: ReleaseArticleRow) -> None:
    """An earlier edition in this release, with the English it was translated from."""
    source_text = earlier.source_text or s.scalars(select(ReleaseSourceRow.text).where(
        ReleaseSourceRow.release_id == earlier.release_id, ReleaseSourceRow.article == earlier.article)).one()
    s.add(ReleaseArticleRow(release_id=release_id, lang=earlier.lang, article=earlier.article,
                            content_hash=earlier.content_hash, texts=dict(earlier.texts), source_text=source_text,
                            edition_of=earlier.edition_of or earlier.release_id))


def _release_row(s: object, release_id: int) -> ReleaseRow:

    assert isinstance(s, Session)
    row = s.get(ReleaseRow, release_id) if 0 < release_id < 2**63 else None
    if row is None:
        raise NotFound(f"no release {release_id}: see `tilmech release list`")
    return row


def has_release(rt: Runtime, release_id: int) -> bool:
    with rt.store.reading() as s:
        return 0 < release_id < 2**63 and s.get(ReleaseRow, release_id) is not None


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
    """The editor's approval: only an approved release can be published.

    Approving an approved release changes nothing and says so: its ``warnings`` read
    ``release N is already approved`` (by whom and when). The state changes in one
    conditional UPDATE, so of two editors approving at once exactly one approves it.
    """
    require_editor(rt.actor, "approve a release")
    with rt.store.session() as s:
        row = _release_row(s, release_id)
        done = s.execute(update(ReleaseRow).where(ReleaseRow.id == row.id, ReleaseRow.state == "pending")
                         .values(state="approved", approved_by=rt.user, approved_at=utcnow())
                         .execution_options(synchronize_session=False))
        approved_now = isinstance(done, CursorResult) and done.rowcount == 1
    info = release_info(rt, release_id)
    if approved_now:
        return info
    return dataclasses.replace(info, warnings=(f"release {release_id} is already approved"
                                               + (f" (by {info.approved_by})" if info.approved_by else ""),))


def release_discard(rt: Runtime, release_id: int) -> int:
    """Delete a pending release (an editor's choice); an approved one is kept: it may be published.

    The release row goes in one conditional DELETE (``WHERE state = 'pending'``): an approval
    that comes first wins, and the whole discard is undone.
    """
    require_editor(rt.actor, "discard a release")
    with rt.store.session() as s:
        row = _release_row(s, release_id)
        if row.state != "pending":
            raise WorkflowError(_not_pending(release_id, row.state))
        s.execute(delete(ReleaseArticleRow).where(ReleaseArticleRow.release_id == row.id))
        s.execute(delete(ReleaseSourceRow).where(ReleaseSourceRow.release_id == row.id))
        done = s.execute(delete(ReleaseRow).where(ReleaseRow.id == row.id, ReleaseRow.state == "pending")
                         .execution_options(synchronize_session=False))
        if not (isinstance(done, CursorResult) and done.rowcount == 1):
            raise WorkflowError(_not_pending(release_id, "approved"))  # approved meanwhile: nothing is deleted
        s.expunge(row)
    return release_id


def _not_pending(release_id: int, state: str) -> str:
    return (f"release {release_id} is {state}: only a pending release can be discarded; an approved one "
            "stays (publish a newer release, or roll back to an earlier one)")


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
        # segmented with the sentence cuts the store kept, as when the release was created
        docs = {doc.article.slug: doc for doc in segment_documents(s, list(sources.values()))}
        older = {(item.lang, item.article): doc for item, doc in zip(
            [item for item in frozen if item.source_text],
            segment_documents(s, [read_article(item.source_text, item.article) for item in frozen
                                  if item.source_text]), strict=True)}
    editions: dict[str, dict[str, Article]] = {rt.settings.source_language: dict(sources)}
    earlier: dict[str, dict[str, int]] = {}
    for item in frozen:
        lang = get_language(item.lang)
        doc = docs[item.article]
        if item.source_text:  # an earlier edition, rebuilt from the English it was translated from
            doc = older[(item.lang, item.article)]
            earlier.setdefault(lang.code, {})[item.article] = item.edition_of or 0
        editions.setdefault(lang.code, {})[item.article] = doc.rebuild(item.texts, lang)
    return ReleaseContent(release_id, glossary_version, sources, editions, earlier)


@dataclass(frozen=True)
class ArticleChange:
    """An article both releases ship in a locale, reading differently."""

    article: str
    segments: int  # segments whose text is new or reads differently in this release
    removed_segments: int = 0  # segments the other release has and this one has not


@dataclass(frozen=True)
class LocaleDiff:
    lang: str
    added: tuple[str, ...] = ()  # shipped by this release, not by the other
    changed: tuple[ArticleChange, ...] = ()
    removed: tuple[str, ...] = ()  # shipped by the other, not by this one (gone from the English, or held back)
    held_back: tuple[str, ...] = ()  # in this release's English, not complete in this locale
    unchanged: int = 0

    @property
    def same(self) -> bool:
        return not (self.added or self.changed or self.removed)


@dataclass(frozen=True)
class ReleaseDiff:
    """What serving ``release`` instead of ``against`` changes, per locale (``against`` None: nothing served)."""

    release: int
    against: int | None
    locales: tuple[LocaleDiff, ...]


def compare_releases(rt: Runtime, release_id: int, against: int | None) -> ReleaseDiff:
    """Per locale, the articles ``release_id`` adds, changes (with the count of changed segments),
    removes and holds back, against release ``against`` (None: against nothing).

    Read from the frozen rows: a translation's segments are its ``texts`` (segment id -> text; an
    id is a hash of the English sentence, so an edited sentence is a new id). Only the English of
    articles whose text changed is split into sentences, to count their segments.
    """
    source = rt.settings.source_language
    with rt.store.reading() as s:
        row = _release_row(s, release_id)
        if against is not None:
            _release_row(s, against)
        mine, theirs = _frozen(s, row.id), _frozen(s, against) if against is not None else {}
        sources = list(s.scalars(select(ReleaseSourceRow).where(
            ReleaseSourceRow.release_id.in_([row.id] if against is None else [row.id, against]))))
        new_src = {r.article: r for r in sources if r.release_id == row.id}
        old_src = {r.article: r for r in sources if r.release_id == against}
        # the source locale: segment ids of the English, only for the articles whose text differs
        edited = [a for a in new_src if a in old_src and new_src[a].content_hash != old_src[a].content_hash]
        ids = {(r.release_id, doc.article.slug): {seg.id for seg in doc.segments} for r, doc in zip(
            [x for a in edited for x in (new_src[a], old_src[a])],
            segment_documents(s, [read_article(x.text, x.article, x.source_path)
                                  for a in edited for x in (new_src[a], old_src[a])]), strict=True)}
    out = [LocaleDiff(source, tuple(sorted(set(new_src) - set(old_src))),
                      tuple(ArticleChange(a, len(ids[(row.id, a)] - ids[(against or 0, a)]),
                                          len(ids[(against or 0, a)] - ids[(row.id, a)])) for a in sorted(edited)),
                      tuple(sorted(set(old_src) - set(new_src))), (),
                      sum(1 for a in new_src if a in old_src and a not in edited))]
    for code in rt.settings.target_languages:
        now, before = mine.get(code, {}), theirs.get(code, {})
        changed = []
        for slug in sorted(set(now) & set(before)):
            (new_hash, new), (old_hash, old) = now[slug], before[slug]
            differ = sum(1 for sid, text in new.items() if old.get(sid) != text)
            gone = sum(1 for sid in old if sid not in new)
            if differ or gone or new_hash != old_hash:
                changed.append(ArticleChange(slug, differ, gone))
        out.append(LocaleDiff(code, tuple(sorted(set(now) - set(before))), tuple(changed),
                              tuple(sorted(set(before) - set(now))), tuple(sorted(set(new_src) - set(now))),
                              len(set(now) & set(before)) - len(changed)))
    return ReleaseDiff(release_id, against, tuple(out))


def _frozen(s: Session, release_id: int) -> dict[str, dict[str, tuple[str, dict[str, str]]]]:
    """lang -> article -> (content hash, segment id -> text) of a release's translations."""
    out: dict[str, dict[str, tuple[str, dict[str, str]]]] = {}
    for lang, article, content_hash, texts in s.execute(
            select(ReleaseArticleRow.lang, ReleaseArticleRow.article, ReleaseArticleRow.content_hash,
                   ReleaseArticleRow.texts).where(ReleaseArticleRow.release_id == release_id)):
        out.setdefault(lang, {})[article] = (content_hash, dict(texts))
    return out
