"""Checks and backups of the store.

``check_store`` looks for damage (SQLite's own integrity and foreign key checks)
and for broken invariants of the data, and returns every problem it finds as a
:class:`StoreFinding`; an empty list means the store is sound. ``backup_store``
copies a live SQLite store with SQLite's online backup API: a consistent copy
even while the workbench or a flow writes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from ..errors import UsageError
from . import Store
from .schema import HistoryRow, ReleaseArticleRow, ReleaseRow, SegmentRow, TranslationRow


@dataclass(frozen=True)
class StoreFinding:
    check: str  # integrity | foreign-key | approved-text | release | history
    where: str  # table and row the problem is in
    message: str

    def __str__(self) -> str:
        return f"{self.check}: {self.where}: {self.message}"


def check_store(store: Store) -> list[StoreFinding]:
    """Every problem of the store: damaged pages, broken references, broken invariants."""
    findings: list[StoreFinding] = []
    try:
        if store.engine.dialect.name == "sqlite":
            findings += _sqlite_checks(store)
        if any(f.check == "integrity" for f in findings):
            return findings  # the rows themselves cannot be trusted
        findings += _invariants(store)
    except DatabaseError as exc:  # damaged beyond what the checks can read
        findings.append(StoreFinding("integrity", "database", str(exc.orig)))
    return findings


def _sqlite_checks(store: Store) -> Iterator[StoreFinding]:
    with store.engine.connect() as conn:
        for (message,) in conn.exec_driver_sql("PRAGMA integrity_check(100)"):
            if message != "ok":
                yield StoreFinding("integrity", "database", str(message))
        for table, rowid, parent, _ in conn.exec_driver_sql("PRAGMA foreign_key_check"):
            yield StoreFinding("foreign-key", f"{table} row {rowid}", f"refers to a missing row of {parent}")


def _invariants(store: Store) -> Iterator[StoreFinding]:
    with store.session() as s:
        # every approved segment has text
        for tid, sid, lang in s.execute(
                select(TranslationRow.id, TranslationRow.segment_id, TranslationRow.lang)
                .where(TranslationRow.state == "approved", func.trim(TranslationRow.text) == "")):
            yield StoreFinding("approved-text", f"translation {tid} (segment {sid}, {lang})",
                               "approved but its text is empty")
        # the history of every translation is complete: one entry per version, the last one is its present
        counts = {tid: n for tid, n in s.execute(
            select(HistoryRow.translation_id, func.count()).group_by(HistoryRow.translation_id))}
        last_ids = select(func.max(HistoryRow.id)).group_by(HistoryRow.translation_id)
        last = {h.translation_id: h for h in s.scalars(select(HistoryRow).where(HistoryRow.id.in_(last_ids)))}
        for tr in s.scalars(select(TranslationRow).order_by(TranslationRow.id)):
            where = f"translation {tr.id} (segment {tr.segment_id}, {tr.lang})"
            have = counts.get(tr.id, 0)
            if have != (tr.version or 1):
                yield StoreFinding("history", where, f"version {tr.version} but {have} history entries")
            entry = last.get(tr.id)
            if entry is not None and (entry.after_text != tr.text or entry.after_state != tr.state):
                yield StoreFinding("history", where, "its last history entry does not match its text and state")
        # every release references approved versions that exist
        approved: dict[tuple[str, str], set[str]] = {}
        for sid, lang, after in s.execute(
                select(TranslationRow.segment_id, TranslationRow.lang, HistoryRow.after_text)
                .join(HistoryRow, HistoryRow.translation_id == TranslationRow.id)
                .where(HistoryRow.after_state == "approved")):
            approved.setdefault((sid, lang), set()).add(after)
        segments = set(s.scalars(select(SegmentRow.id)))
        releases = set(s.scalars(select(ReleaseRow.id)))
        for ra in s.scalars(select(ReleaseArticleRow).order_by(ReleaseArticleRow.id)):
            where = f"release {ra.release_id} {ra.lang}/{ra.article}"
            if ra.release_id not in releases:
                yield StoreFinding("release", where, "its release does not exist")
            for sid, frozen in sorted((ra.texts or {}).items()):
                if sid not in segments:
                    yield StoreFinding("release", where, f"segment {sid} does not exist")
                elif frozen not in approved.get((sid, ra.lang), ()):
                    yield StoreFinding("release", where, f"the text of segment {sid} was never approved")


def backup_store(store: Store, dest: Path) -> int:
    """Copy the SQLite store to ``dest`` (a new file) with the online backup API; returns its size."""
    if store.engine.dialect.name != "sqlite":
        raise UsageError(f"tilmech db backup copies SQLite stores; this store is {store.engine.dialect.name}: "
                         "use its own tools (PostgreSQL: pg_dump)")
    if dest.exists():
        raise UsageError(f"{dest} exists: give a new file name")
    if not dest.parent.is_dir():
        raise UsageError(f"{dest.parent}: no such folder")
    staging = dest.with_name(f".{dest.name}.tmp")
    staging.unlink(missing_ok=True)
    raw = store.engine.raw_connection()
    try:
        source = raw.driver_connection
        assert isinstance(source, sqlite3.Connection)
        target = sqlite3.connect(staging)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            ok = target.execute("PRAGMA integrity_check").fetchone()
        finally:
            target.close()
    finally:
        raw.close()
    if ok != ("ok",):
        staging.unlink(missing_ok=True)
        raise UsageError(f"the copy failed its integrity check ({ok}): nothing written")
    staging.replace(dest)
    return dest.stat().st_size


def count_rows(store: Store) -> dict[str, int]:
    """Rows per table, for reports."""
    with store.session() as s:
        return {t: s.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in
                ("articles", "segments", "translations", "history", "releases")}
