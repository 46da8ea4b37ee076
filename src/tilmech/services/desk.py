"""A translator's desk: the dashboard of one person, and an article previewed in a language.

The dashboard puts the user's own languages first and, within them, what needs the user most:
segments sent back (needs-work), then those whose English changed (stale), then drafts; articles
with nothing left to do come last. The preview rebuilds an article in a language from the text
each segment has now (approved or not) with the publishing renderer and sanitizer, so that it reads
as the published page will; a segment with no translation yet shows its English, marked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy import select

from ..auth import User
from ..publish import localized_date, safe_html
from ..review import State
from ..runtime import Runtime
from ..store import ArticleRow, SegmentRow, TranslationRow
from ..store.queries import IS_ACTIVE
from .documents import load_documents


@dataclass(frozen=True)
class DeskRow:
    """One article in one language, as its reviewers see it on the dashboard."""

    article: str
    title: str
    lang: str
    total: int
    draft: int
    needs_work: int
    stale: int
    approved: int
    flagged: int  # segments not approved with QA findings
    mine: bool  # a language the user works in

    @property
    def todo(self) -> int:
        return self.draft + self.needs_work + self.stale


def desk_rows(rt: Runtime, user: User | None) -> list[DeskRow]:
    """Every (article, language) of the queue, the user's languages first, then by what is left to do:
    needs-work, stale, draft (most first); finished articles last, by title."""
    with rt.store.reading() as s:
        titles: dict[str, str] = {slug: title for slug, title in s.execute(select(ArticleRow.slug, ArticleRow.title))}
        rows = s.execute(select(SegmentRow.article, TranslationRow.lang, TranslationRow.state, TranslationRow.qa)
                         .join(TranslationRow, TranslationRow.segment_id == SegmentRow.id).where(IS_ACTIVE)).all()
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for article, lang, state, qa in rows:
        c = counts.setdefault((article, lang), {"total": 0, "flagged": 0})
        c["total"] += 1
        c[state] = c.get(state, 0) + 1
        c["flagged"] += bool(qa) and state != State.APPROVED.value
    order = {code: i for i, code in enumerate(rt.settings.target_languages)}
    out = [DeskRow(article, titles.get(article, article), lang, c["total"], c.get(State.DRAFT.value, 0),
                   c.get(State.NEEDS_WORK.value, 0), c.get(State.STALE.value, 0), c.get(State.APPROVED.value, 0),
                   c["flagged"], user is None or not user.languages or lang in user.languages)
           for (article, lang), c in counts.items()]
    out.sort(key=lambda r: (not r.mine, r.todo == 0, -r.needs_work, -r.stale, -r.draft, r.title.casefold(),
                            r.article, order.get(r.lang, 99)))
    return out


# Private-use characters around a segment shown in English: they pass Markdown and the sanitizer
# untouched, and become <mark> once the page is rendered.
_OPEN, _CLOSE = "\ue000", "\ue001"


@dataclass(frozen=True)
class Preview:
    """An article as it will read in a language: title, date, body HTML (sanitized as published)."""

    article: str
    lang: str
    bcp47: str
    title: str
    date: str
    body: Markup
    untranslated: int  # segments shown in English
    title_untranslated: bool


def article_preview(rt: Runtime, article: str, lang: str) -> Preview:
    """``article`` rebuilt in ``lang`` from the current text of every segment (any state)."""
    language = rt.settings.resolve_languages([lang])[0]
    doc = load_documents(rt, [article])[0]
    ids = [seg.id for seg in doc.segments]
    with rt.store.reading() as s:
        current: dict[str, str] = {sid: text for sid, text in s.execute(
            select(TranslationRow.segment_id, TranslationRow.text)
            .where(TranslationRow.lang == language.code, TranslationRow.segment_id.in_(ids)))}
    texts: dict[str, str] = {}
    missing = 0
    title_missing = False
    for seg in doc.segments:
        text = current.get(seg.id, "").strip()
        if text:
            texts[seg.id] = text
            continue
        missing += 1
        title_missing |= seg.field == "title"
        # plain-text fields and attribute values (alt text, link titles) cannot hold a <mark>
        texts[seg.id] = seg.text if seg.field in ("title", "summary", "alt", "link-title") else \
            f"{_OPEN}{seg.text}{_CLOSE}"
    rebuilt = doc.rebuild(texts, language)
    body = safe_html(rebuilt.body)
    # a mark that the renderer split across elements is closed and reopened by the browser's parser
    body = re.sub(f"{_OPEN}|{_CLOSE}", lambda m: '<mark class="untranslated" title="not translated yet">'
                  if m.group() == _OPEN else "</mark>", body)
    return Preview(article, language.code, language.bcp47, rebuilt.title, localized_date(rebuilt, language),
                   Markup(body), missing, title_missing)  # body: sanitized by safe_html

