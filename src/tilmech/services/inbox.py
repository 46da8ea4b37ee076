"""A person's inbox: the segments of their languages sent back (with the note) or commented by
someone else, newest first, and when they last looked (``users.inbox_seen_at``).

What is "new" is what happened after the user last looked; looking (``mark_seen``) moves that
stamp to now. The user's own send-backs and comments are not in their inbox. A store without
users (single-user mode) has no one to keep the stamp for: everything is new there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from ..auth import User
from ..errors import UsageError
from ..review import Action
from ..runtime import Runtime
from ..store import (
    ArticleRow,
    CommentRow,
    HistoryRow,
    SegmentRow,
    TranslationRow,
    UserRow,
    utcnow,
)

KINDS = ("sent-back", "comment")
INBOX_LIMIT = 200  # the newest so many, new or seen
_Query = TypeVar("_Query", bound=Select[*tuple[Any, ...]])


@dataclass(frozen=True)
class InboxItem:
    """A note that reached a user: a send-back (with its note) or a comment on a segment of their languages."""

    article: str
    title: str
    segment_id: str
    lang: str
    kind: str  # "sent-back" | "comment"
    who: str
    when: dt.datetime  # UTC, timezone-aware
    text: str  # the note or the comment
    state: str  # the translation's state now
    unseen: bool = True  # after the user last looked


def _visible_to(query: _Query, user: User | None) -> _Query:
    """Only the languages ``user`` works in (a translator's; every language for the others)."""
    if user is None:
        return query
    if not user.may_approve_releases and user.languages:
        query = query.where(TranslationRow.lang.in_(user.languages))
    return query


def _aware(when: dt.datetime) -> dt.datetime:
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def inbox(rt: Runtime, user: User | None = None, *, mark_seen: bool = False, include_seen: bool = False,
          limit: int = INBOX_LIMIT) -> list[InboxItem]:
    """The segments of ``user``'s languages sent back or commented by others since ``user`` last looked
    (with ``include_seen``, the earlier ones too, marked ``unseen=False``), newest first, at most
    ``limit``. ``user``: default the runtime's acting user (``rt.actor``; None in single-user mode:
    every language, and nothing is kept). ``mark_seen``: this look counts: the next one lists only
    what came after the newest note listed now (a note written meanwhile is not lost)."""
    if limit < 1:
        raise UsageError(f"limit {limit}: give 1 or more")
    user = user if user is not None else rt.actor
    name = user.name if user is not None else rt.user
    columns = (SegmentRow.article, ArticleRow.title, SegmentRow.id, TranslationRow.lang, TranslationRow.state)
    with rt.store.session() if mark_seen and user is not None else rt.store.reading() as s:
        seen = s.scalar(select(UserRow.inbox_seen_at).where(UserRow.name == name)) if user is not None else None
        notes = (select(*columns, HistoryRow.who, HistoryRow.at, HistoryRow.note)
                 .join(TranslationRow, TranslationRow.id == HistoryRow.translation_id)
                 .join(SegmentRow, SegmentRow.id == TranslationRow.segment_id)
                 .join(ArticleRow, ArticleRow.slug == SegmentRow.article)
                 .where(HistoryRow.action == Action.SEND_BACK.value, HistoryRow.who != name,
                        SegmentRow.active.is_(True)))
        comments = (select(*columns, CommentRow.who, CommentRow.at, CommentRow.text)
                    .join(TranslationRow, TranslationRow.id == CommentRow.translation_id)
                    .join(SegmentRow, SegmentRow.id == TranslationRow.segment_id)
                    .join(ArticleRow, ArticleRow.slug == SegmentRow.article)
                    .where(CommentRow.who != name, SegmentRow.active.is_(True)))
        items: list[InboxItem] = []
        newest: dt.datetime | None = None
        for kind, query, at in (("sent-back", notes, HistoryRow.at), ("comment", comments, CommentRow.at)):
            query = _visible_to(query, user)
            if seen is not None and not include_seen:
                query = query.where(at > seen)
            for article, title, sid, lang, state, who, when, text in s.execute(
                    query.order_by(at.desc()).limit(limit)):
                unseen = seen is None or when > seen
                newest = when if unseen and (newest is None or when > newest) else newest
                items.append(InboxItem(article, title, sid, lang, kind, who, _aware(when), text or "", state,
                                       unseen))
        if mark_seen and user is not None and newest is not None:
            _mark(s, name, newest)
    items.sort(key=lambda item: (item.when, item.kind), reverse=True)
    return items[:limit]


def _mark(s: Session, name: str, until: dt.datetime) -> None:
    """``name`` has seen their notes up to ``until`` (never moved back)."""
    s.execute(update(UserRow).where(UserRow.name == name,
                                    (UserRow.inbox_seen_at.is_(None)) | (UserRow.inbox_seen_at < until))
              .values(inbox_seen_at=until))


def inbox_seen(rt: Runtime, user: User | None = None, until: dt.datetime | None = None) -> None:
    """``user`` has looked at their inbox: the notes up to ``until`` (default now) are no longer new."""
    user = user if user is not None else rt.actor
    if user is None:
        return
    if until is not None and until.tzinfo is not None:
        until = until.astimezone(dt.UTC).replace(tzinfo=None)
    with rt.store.session() as s:
        _mark(s, user.name, until if until is not None else utcnow())


def inbox_unseen(items: list[InboxItem]) -> int:
    """How many of ``items`` are new."""
    return sum(item.unseen for item in items)
