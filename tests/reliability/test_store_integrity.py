"""Store integrity: WAL and foreign keys on, `tilmech db check` finds damage, `tilmech db backup` copies live."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from conftest import approve_article, drafted
from tilmech import services
from tilmech.runtime import load_runtime
from tilmech.store import Store

SEED = "smart-classroom-kyrgyzstan"


@pytest.fixture
def reviewed(pseudo_project: Path) -> Path:
    """A store with drafts in three languages, one article approved in Russian and released."""
    rt = drafted(pseudo_project)
    item = services.review_list(rt, "ru", article=SEED)[0]
    services.review_edit(rt, item.segment_id, "ru", item.text + " (правка)", item.version)
    approve_article(rt, "ru", SEED)
    services.release_create(rt)
    rt.close()
    return pseudo_project


def test_sqlite_runs_in_wal_mode_with_foreign_keys_enforced(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    from sqlalchemy.exc import IntegrityError

    from tilmech.store import SegmentRow

    with pytest.raises(IntegrityError), store.session() as s:  # a segment of an article that does not exist
        s.add(SegmentRow(id="x" * 16, article="no-such-article", field="body", position=0, source="Text."))
    store.close()


def test_db_check_passes_on_a_sound_store(reviewed: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    result = tilmech("--project", reviewed, "db", "check")
    assert result.code == 0, result
    assert result.out.strip() == "store: no problems found"


def _damage(db: Path, *statements: str) -> None:
    with sqlite3.connect(db) as conn:  # as a bug, a manual edit or a bad restore could leave it
        conn.execute("PRAGMA foreign_keys=OFF")
        for statement in statements:
            conn.execute(statement)


@pytest.mark.parametrize(("statements", "expected"), [
    (["UPDATE translations SET text = '  ' WHERE id = (SELECT min(id) FROM translations WHERE state = 'approved')"],
     ["approved-text: translation ", "approved but its text is empty", "history: translation "]),
    (["DELETE FROM history WHERE id = (SELECT max(id) FROM history WHERE action = 'edit')"],
     ["history: translation ", "version 3 but 2 history entries"]),
    (["UPDATE release_articles SET texts = json_set(texts, '$.ffffffffffffffff', 'Никогда не одобрено')"],
     ["release: release 1 ru/smart-classroom-kyrgyzstan: segment ffffffffffffffff does not exist"]),
    (["UPDATE history SET after_text = 'другой текст' WHERE after_state = 'approved' AND id = "
      "(SELECT min(id) FROM history WHERE after_state = 'approved')"],
     ["release: release 1 ru/smart-classroom-kyrgyzstan: the text of segment ", " was never approved",
      "its last history entry does not match"]),
    (["DELETE FROM articles WHERE slug = 'smart-classroom-kyrgyzstan'"],
     ["foreign-key: segments row ", "refers to a missing row of articles"]),
])
def test_db_check_lists_each_problem_and_exits_1(reviewed: Path, tilmech, statements: list[str],  # type: ignore[no-untyped-def]
                                                 expected: list[str]) -> None:
    _damage(reviewed / "tilmech.db", *statements)
    result = tilmech("--project", reviewed, "db", "check")
    assert result.code == 1
    for part in expected:
        assert part in result.out, (part, result.out)
    assert result.err.startswith("error: the store has ") and "problem" in result.err
    assert "Traceback" not in result.err


def test_db_check_reports_a_damaged_file(reviewed: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    db = reviewed / "tilmech.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    data = bytearray(db.read_bytes())
    for page in range(pages // 2, pages):  # scribble over the second half of the pages' contents
        start = page * page_size + 100
        data[start : start + 64] = b"\xa5" * 64
    db.write_bytes(bytes(data))
    result = tilmech("--project", reviewed, "db", "check")
    assert result.code in (1, 3)
    assert "Traceback" not in result.err
    assert result.out.startswith("integrity: database: ") or "malformed" in result.err


def test_db_backup_copies_the_store_consistently_while_it_is_written(reviewed: Path, tmp_path: Path,
                                                                      tilmech) -> None:  # type: ignore[no-untyped-def]
    rt = load_runtime(reviewed, "aida")
    items = services.review_list(rt, "ky")
    stop = threading.Event()
    saves = [0]

    def keep_editing() -> None:
        while not stop.is_set():
            item = items[saves[0] % len(items)]
            current = services.review_show(rt, item.segment_id, "ky").items[0]
            services.review_edit(rt, item.segment_id, "ky", f"Түзөтүү {saves[0]}", current.version)
            saves[0] += 1

    writer = threading.Thread(target=keep_editing)
    writer.start()
    try:
        copies = []
        for n in range(3):
            copy = tmp_path / f"backup-{n}.db"
            result = tilmech("--project", reviewed, "db", "backup", copy)
            assert result.code == 0, result
            assert result.out.startswith(f"store copied to {copy} (")
            copies.append(copy)
    finally:
        stop.set()
        writer.join()
    rt.close()
    assert saves[0] > 0
    for copy in copies:  # each copy is a whole, sound store that Tilmech opens
        with sqlite3.connect(copy) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        from tilmech.store.integrity import check_store

        store = Store(f"sqlite:///{copy}")
        assert check_store(store) == []
        store.close()
    refused = tilmech("--project", reviewed, "db", "backup", copies[0])
    assert refused.code == 2 and refused.err.strip() == f"error: {copies[0]} exists: give a new file name"


def test_db_backup_of_postgresql_points_to_pg_dump(tmp_path: Path) -> None:
    from sqlalchemy import create_engine

    from tilmech.errors import UsageError
    from tilmech.store.integrity import backup_store

    store = Store.__new__(Store)
    store.engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(UsageError, match=r"this store is postgresql: use its own tools \(PostgreSQL: pg_dump\)"):
        backup_store(store, tmp_path / "copy.db")


def test_readers_neither_wait_for_nor_block_a_writer(tmp_path: Path) -> None:
    """WAL: while one unit of work holds the write lock, reads go on and see the last committed state."""
    import datetime as dt
    import time

    from sqlalchemy import func, select

    from tilmech.store import ArticleRow

    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    with store.session() as s:
        s.add(ArticleRow(slug="a", title="A", date=dt.date(2024, 1, 1), content_hash="h",
                         source_path="a.md"))
    with store.session() as writer:  # holds the write lock until the block ends
        writer.add(ArticleRow(slug="b", title="B", date=dt.date(2024, 1, 1), content_hash="h",
                              source_path="b.md"))
        writer.flush()
        started = time.monotonic()
        with store.reading() as reader:
            assert reader.scalar(select(func.count()).select_from(ArticleRow)) == 1  # "b" is not committed yet
        assert time.monotonic() - started < 1
    with store.reading() as reader:
        assert reader.scalar(select(func.count()).select_from(ArticleRow)) == 2
        assert reader.connection().exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    store.close()
