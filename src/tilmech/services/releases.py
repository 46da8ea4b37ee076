"""Releases: what the review queue would ship (preview), frozen releases, approval.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..articles import (
    Article,
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
from ..qa import Severity
from ..review import State
from ..runtime import Runtime
from ..segments import segment_article
from ..store import (
    ReleaseArticleRow,
    ReleaseRow,
    ReleaseSourceRow,
    TranslationRow,
    utcnow,
)
from .documents import load_documents
from .review import review_list


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
