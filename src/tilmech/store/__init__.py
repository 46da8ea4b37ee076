"""The store: SQLAlchemy over SQLite (default) or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import EnvironmentNotReady
from .schema import (
    ArticleRow,
    Base,
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

__all__ = [
    "ArticleRow",
    "CommentRow",
    "HistoryRow",
    "MemoryRow",
    "MetaRow",
    "ReleaseArticleRow",
    "ReleaseRow",
    "ReleaseSourceRow",
    "SegmentRow",
    "Store",
    "TokenRow",
    "TranslationRow",
    "UserRow",
    "utcnow",
]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class Store:
    """One database; ``session()`` gives a unit of work that commits or rolls back whole."""

    def __init__(self, url: str) -> None:
        self.url = url
        kwargs: dict[str, Any] = {}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"timeout": 30}
        try:
            self.engine: Engine = create_engine(url, **kwargs)
        except Exception as exc:  # bad URL, missing driver
            raise EnvironmentNotReady(f"cannot open the store {url!r}: {exc}") from None
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        try:
            Base.metadata.create_all(self.engine)
        except OperationalError as exc:
            raise EnvironmentNotReady(f"cannot open the store {url!r}: {exc.orig}") from None
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()
