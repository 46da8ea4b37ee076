"""Tables of the store (SQLAlchemy 2 ORM; SQLite by default, PostgreSQL alike)."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def new_stamp() -> str:
    """A user's new session stamp (:attr:`UserRow.session_stamp`)."""
    return secrets.token_hex(16)


class Base(DeclarativeBase):
    pass


class ArticleRow(Base):
    __tablename__ = "articles"

    slug: Mapped[str] = mapped_column(String(200), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    date: Mapped[dt.date] = mapped_column(Date)
    content_hash: Mapped[str] = mapped_column(String(64))
    source_path: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # where the sentence splitter cut the article's paragraphs, as JSON {hash of the text: [offsets]}:
    # after an edit, the unchanged paragraphs are cut there again without the splitter
    sentence_cuts: Mapped[str | None] = mapped_column(Text, nullable=True)
    # sha256 of the file as last ingested: a file with the same bytes is not parsed again
    file_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class SegmentRow(Base):
    __tablename__ = "segments"
    __table_args__ = (Index("ix_segments_article_position", "article", "position"),)  # the queue's order

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    article: Mapped[str] = mapped_column(ForeignKey("articles.slug"), index=True)
    field: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    placeholders: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # tag -> label
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    previous_id: Mapped[str | None] = mapped_column(String(32), nullable=True)  # the segment this edits
    previous_source: Mapped[str | None] = mapped_column(Text, nullable=True)


class TranslationRow(Base):
    __tablename__ = "translations"
    __table_args__ = (UniqueConstraint("segment_id", "lang"),
                      Index("ix_translations_lang_state", "lang", "state"),  # the queue by language and state
                      Index("ix_translations_lang_risk", "lang", "risk"),  # worst first, with a limit
                      Index("ix_translations_lang_score", "lang", "score"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    segment_id: Mapped[str] = mapped_column(ForeignKey("segments.id"), index=True)
    lang: Mapped[str] = mapped_column(String(8), index=True)
    machine: Mapped[str] = mapped_column(Text)  # the draft as MT (or memory) gave it
    text: Mapped[str] = mapped_column(Text)  # the current text
    state: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    origin: Mapped[str] = mapped_column(String(16))  # mt | memory
    engine: Mapped[str] = mapped_column(String(64))
    # provenance of the machine draft: model id and version ("" before it was recorded, or for reused approvals)
    model: Mapped[str] = mapped_column(String(200), default="")
    model_version: Mapped[str] = mapped_column(String(64), default="")
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    qa: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    # 0 (safe) to 100: findings, engine score, length, glossary terms (tilmech.qa.risk); worst first in the queue
    risk: Mapped[float | None] = mapped_column(Float, nullable=True, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer, default=1)  # +1 on every change; stale saves are refused

    # Every UPDATE of a translation through the ORM is ``... WHERE id = ? AND version = <the version read>``:
    # a row changed by someone else since it was read updates nothing and the flush raises StaleDataError
    # (the review services turn it into a Conflict). The version is not bumped by SQLAlchemy but by the
    # changes that write a history entry with it (services.review.record_change, translate's redraft):
    # findings and risk refreshed by `tilmech qa` keep the version, so history and version agree.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}  # noqa: RUF012 (SQLAlchemy's)


class CommentRow(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    translation_id: Mapped[int] = mapped_column(ForeignKey("translations.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    who: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # translator | editor | admin
    languages: Mapped[str] = mapped_column(String(100), default="")  # "ru,ky"; empty: all
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # a random value every session cookie of the user carries; a new one (sign-out, a new password or
    # role, removal) ends them all. NULL (a store made before it existed): the next sign-in sets one
    session_stamp: Mapped[str | None] = mapped_column(String(32), nullable=True, default=new_stamp)
    # when the user last looked at their inbox (services.inbox); NULL: never, everything in it is new
    inbox_seen_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class TokenRow(Base):
    """API tokens: only a sha256 of the token is stored."""

    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)  # to the minute


class MetaRow(Base):
    """Store-wide values (the web session signing key)."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class HistoryRow(Base):
    __tablename__ = "history"
    __table_args__ = (Index("ix_history_action_at", "action", "at"),)  # inboxes: recent send-backs

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    translation_id: Mapped[int] = mapped_column(ForeignKey("translations.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    who: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32))  # translate | edit | approve | send-back
    before_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    after_text: Mapped[str] = mapped_column(Text)
    before_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    after_state: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    # where the change came from: cli (with the OS login when it differs from ``who``), web,
    # api (with the token's label), xliff (with its carrier); "" for flows and older rows
    surface: Mapped[str] = mapped_column(String(120), default="", server_default="")


class AcknowledgementRow(Base):
    """A QA finding a reviewer acknowledged when approving (services.acknowledge): it holds for the
    translation's ``version`` (the approved one); a later change of the translation opens it again."""

    __tablename__ = "acknowledgements"
    __table_args__ = (Index("ix_acknowledgements_translation_version", "translation_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    translation_id: Mapped[int] = mapped_column(ForeignKey("translations.id"))
    code: Mapped[str] = mapped_column(String(64))  # the finding's code, e.g. term-missing
    message: Mapped[str] = mapped_column(Text)  # the finding's message as the reviewer saw it
    version: Mapped[int] = mapped_column(Integer)
    who: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    surface: Mapped[str] = mapped_column(String(120), default="", server_default="")  # as in HistoryRow


class MemoryRow(Base):
    """Translation memory: engine output for an exact MT input, per target language, engine and model version."""

    __tablename__ = "memory"
    __table_args__ = (UniqueConstraint("source_hash", "lang", "engine", "model", "model_version",
                                       name="uq_memory_entry"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_hash: Mapped[str] = mapped_column(String(64), index=True)
    lang: Mapped[str] = mapped_column(String(8))
    engine: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(200), default="")
    model_version: Mapped[str] = mapped_column(String(64), default="")
    source: Mapped[str] = mapped_column(Text)
    target: Mapped[str] = mapped_column(Text)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # "" for engine output; the name given to `tilmech tm import` for units of a TMX file (engine "tmx",
    # model the same name, model_version the sha256 of the target: a unit imported again is known)
    origin: Mapped[str] = mapped_column(String(100), default="", server_default="")


class ReleaseRow(Base):
    __tablename__ = "releases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | approved
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    approved_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    glossary_version: Mapped[str] = mapped_column(String(64), default="")


class ReleaseSourceRow(Base):
    """The English article file as it was when the release was created."""

    __tablename__ = "release_sources"
    __table_args__ = (UniqueConstraint("release_id", "article"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    article: Mapped[str] = mapped_column(String(200))
    source_path: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))


class ReleaseArticleRow(Base):
    """An article edition that is complete in one locale, frozen at release creation."""

    __tablename__ = "release_articles"
    __table_args__ = (UniqueConstraint("release_id", "lang", "article"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    lang: Mapped[str] = mapped_column(String(8))
    article: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    texts: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # segment id -> approved text
    # an earlier edition shipped again: the English it was translated from, and its first release
    source_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    edition_of: Mapped[int | None] = mapped_column(Integer, nullable=True)
