"""The store: SQLAlchemy over SQLite (default) or PostgreSQL."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from ..errors import EnvironmentNotReady, StoreUnavailable, WorkflowError
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


def _sqlite_pragmas(timeout: float) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # let SQLAlchemy, not the sqlite3 module, open transactions (so savepoints work)
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        cursor.close()

    return on_connect


# The newest migration in migrations/versions (a test checks that it is Alembic's head).
SCHEMA_HEAD = "0012"


# What a database driver says when another writer holds the lock past the timeout (SQLite's busy
# timeout, PostgreSQL's lock_timeout), or when the database cannot be reached at all.
_BUSY = ("database is locked", "database table is locked", "lock timeout", "could not obtain lock")
_UNREACHABLE = ("connection refused", "could not connect", "connection failed", "unable to open database file",
                "server closed the connection", "could not translate host name", "name or service not known",
                "timeout expired", "connection timed out", "terminating connection", "no such host")


def store_name(url: str) -> str:
    """The store as a message names it: a SQLite file's path, else the URL without its password."""
    try:
        parsed = make_url(url)
    except Exception:  # not a URL SQLAlchemy reads: the message shows it as given
        return url
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or "(in memory)"
    return parsed.render_as_string(hide_password=True)


def unavailable(url: str, timeout: float, exc: BaseException) -> StoreUnavailable | None:
    """``exc`` (a driver's OperationalError) as a :class:`StoreUnavailable` saying what to do, or None
    when it is another kind of failure."""
    if not isinstance(exc, OperationalError):
        return None
    detail = " ".join(str(exc.orig).split())
    low = detail.lower()
    if "deadlock detected" in low:
        return StoreUnavailable(
            f"the store is busy: on {store_name(url)} this write and another one each waited for what the "
            "other held (a deadlock; the database ended this one): nothing of it was saved, try again")
    if any(text in low for text in _BUSY):
        return StoreUnavailable(
            f"the store is busy: {store_name(url)} stayed locked by another writer (a flow, the workbench, "
            f"a backup) for the {timeout:g} s of store_timeout: try again, or raise store_timeout in tilmech.yaml")
    if any(text in low for text in _UNREACHABLE):
        return StoreUnavailable(f"cannot reach the store {store_name(url)}: {detail}: check `store` in "
                                "tilmech.yaml and that the database (server) is there, then try again")
    return None


def lock_key(name: str) -> int:
    """The PostgreSQL advisory lock key of the lock called ``name``."""
    return zlib.crc32(name.encode()) - 2**31


class Store:
    """One database; ``session()`` gives a unit of work that commits or rolls back whole."""

    def __init__(self, url: str, *, check: bool = True, timeout: float = 30) -> None:
        """``timeout``: seconds a write waits for a lock held by another writer before it fails."""
        self.url = url
        self.timeout = timeout
        kwargs: dict[str, Any] = {}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"timeout": timeout}
        try:
            self.engine: Engine = create_engine(url, **kwargs)
        except Exception as exc:  # bad URL, missing driver
            raise EnvironmentNotReady(f"cannot open the store {url!r}: {exc}") from None
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas(timeout))
            # one writer at a time, decided when the transaction starts: no lock upgrades that fail;
            # readers (``reading()``) begin without the write lock and never wait for a writer (WAL)
            event.listen(self.engine, "begin", lambda conn: conn.exec_driver_sql(
                "BEGIN" if conn.get_execution_options().get("tilmech_read_only") else "BEGIN IMMEDIATE"))
        try:
            if check:
                self._ensure_schema()
        except DatabaseError as exc:  # unreachable, locked, or not a database (damaged)
            mapped = unavailable(url, timeout, exc)
            if mapped is not None:
                raise mapped from exc
            raise EnvironmentNotReady(f"cannot open the store {url!r}: {exc.orig}"
                                      + ("" if isinstance(exc, OperationalError) else
                                         ": restore a backup (tilmech db backup) or run `tilmech db check`")) from None
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._readers = sessionmaker(self.engine.execution_options(tilmech_read_only=True), expire_on_commit=False)

    # -- schema: Alembic migrations -------------------------------------------------------

    def _alembic(self, connection: Any) -> Any:
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(Path(__file__).resolve().parent / "migrations"))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        config.attributes["connection"] = connection
        return config

    def schema_revision(self) -> tuple[str | None, str]:
        """(the store's schema revision, the revision this Tilmech needs)."""
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        with self.engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
            head = ScriptDirectory.from_config(self._alembic(conn)).get_current_head()
        return current, str(head)

    def _ensure_schema(self) -> None:
        if self._at_head():
            return
        from alembic import command

        current, head = self.schema_revision()
        if current == head:
            return
        with self.engine.begin() as conn:
            current = self._schema_lock(conn)  # another process may have just made or migrated it
            if current == head:
                return
            tables = set(inspect(conn).get_table_names())
            if current is None and not tables & set(Base.metadata.tables):
                command.upgrade(self._alembic(conn), "head")  # a new store
                return
            if current is None:  # made before migrations existed: complete it, then record the revision
                self._add_new_columns(conn)
                command.stamp(self._alembic(conn), "head")
                return
        raise EnvironmentNotReady(
            f"the store {self.url!r} has schema {current}, this Tilmech needs {head}: "
            "back it up, then run `tilmech db upgrade`")

    def _at_head(self) -> bool:
        """Whether the store's schema is at ``SCHEMA_HEAD``, read without Alembic (a quarter of a
        second to import: most of what opening an up-to-date store would cost)."""
        with self.engine.connect() as conn:
            conn.execution_options(tilmech_read_only=True)  # SQLite: wait for no writer (see ``reading``)
            try:
                return conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [SCHEMA_HEAD]
            except DatabaseError:  # no such table: a new store, or one made before migrations
                return False

    def upgrade(self) -> tuple[str | None, str]:
        """Apply every pending migration; returns (from, to)."""
        from alembic import command

        before, head = self.schema_revision()
        with self.engine.begin() as conn:
            before = self._schema_lock(conn)
            if before is None and set(inspect(conn).get_table_names()) & set(Base.metadata.tables):
                self._add_new_columns(conn)
                command.stamp(self._alembic(conn), "head")
            else:
                command.upgrade(self._alembic(conn), "head")
        return before, head

    def _schema_lock(self, conn: Any) -> str | None:
        """Make or migrate the schema in one process at a time; returns the revision seen under the lock.

        SQLite's transaction already holds the write lock (BEGIN IMMEDIATE); PostgreSQL takes an
        advisory lock until the transaction ends (its DDL is transactional).
        """
        from alembic.runtime.migration import MigrationContext

        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key("tilmech-schema")})
        return MigrationContext.configure(conn).get_current_revision()

    def _add_new_columns(self, conn: Any) -> None:
        """Bring a store made before migrations existed up to date: add tables and columns, drop nothing."""
        Base.metadata.create_all(conn)
        inspector = inspect(conn)
        for table in Base.metadata.sorted_tables:
            present = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in present:
                    continue
                default = getattr(column.default, "arg", None) if column.default is not None \
                    and column.default.is_scalar else None
                if default is None and not column.nullable:
                    raise EnvironmentNotReady(
                        f"the store {self.url!r} lacks {table.name}.{column.name} and it cannot be added: "
                        "create a new store (or migrate it) and translate again")
                kind = column.type.compile(dialect=self.engine.dialect)
                literal = "" if default is None else f" DEFAULT {default!r}" if isinstance(default, str) \
                    else f" DEFAULT {int(default) if isinstance(default, bool) else default}"
                conn.exec_driver_sql(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}{literal}')

    def lock(self, session: Session, name: str) -> None:
        """Hold a lock named ``name`` until the session's transaction ends (one writer of that work).

        SQLite transactions already begin with the write lock (BEGIN IMMEDIATE); on
        PostgreSQL this takes a transaction-scoped advisory lock, waiting at most the
        store's timeout (then OperationalError: the store is busy, try again later).
        """
        if self.engine.dialect.name == "postgresql":
            session.execute(text(f"SET LOCAL lock_timeout = {int(self.timeout * 1000)}"))
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work; a busy or unreachable database raises :class:`StoreUnavailable` (exit 3, HTTP 503)."""
        try:
            with self._sessions() as session, session.begin():
                yield session
        except StaleDataError as exc:  # a version-checked UPDATE (TranslationRow) found the row changed
            raise WorkflowError("a translation changed while this ran (another writer saved it at the same "
                                "moment): nothing was written; run it again") from exc
        except OperationalError as exc:
            mapped = unavailable(self.url, self.timeout, exc)
            if mapped is None:
                raise
            raise mapped from exc

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A unit of work that only reads: on SQLite it neither takes nor waits for the write lock."""
        try:
            with self._readers() as session, session.begin():
                yield session
        except OperationalError as exc:
            mapped = unavailable(self.url, self.timeout, exc)
            if mapped is None:
                raise
            raise mapped from exc

    def analyze(self) -> None:
        """Refresh the query planner's statistics after many rows changed (SQLite, sampled: a few
        milliseconds). Without them SQLite may answer one article's queue by scanning every
        active segment; PostgreSQL's autovacuum keeps its own."""
        if self.engine.dialect.name == "sqlite":
            with self.engine.begin() as conn:
                conn.exec_driver_sql("PRAGMA analysis_limit=400")
                conn.exec_driver_sql("ANALYZE")

    def close(self) -> None:
        self.engine.dispose()
