"""The store: an older store gains new columns without losing anything."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tilmech.store import Store


def test_a_store_from_an_earlier_version_gains_new_columns(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    Store(f"sqlite:///{db}").close()
    with sqlite3.connect(db) as conn:  # as an earlier Tilmech left it: no versions, no users
        conn.execute("ALTER TABLE translations DROP COLUMN version")
        conn.execute("DROP TABLE users")
        conn.execute("INSERT INTO articles (slug, title, date, content_hash, source_path, updated_at) "
                     "VALUES ('a', 'A', '2023-06-06', 'h', 'a.md', '2023-06-06 00:00:00')")
        conn.execute("INSERT INTO segments (id, article, field, position, source, placeholders, active) "
                     "VALUES ('s1', 'a', 'body', 0, 'Text.', '{}', 1)")
        conn.execute("INSERT INTO translations (segment_id, lang, machine, text, state, origin, engine, qa, "
                     "updated_at, updated_by) VALUES ('s1', 'ru', 'Т', 'Текст', 'approved', 'mt', 'argos', '[]', "
                     "'2023-06-06 00:00:00', 'x')")
    store = Store(f"sqlite:///{db}")
    store.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT text, state, version FROM translations").fetchall() == [("Текст", "approved", 1)]
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (0,)
