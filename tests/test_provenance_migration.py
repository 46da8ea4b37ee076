"""Migration 0003: model id and version on drafts and memory entries; nothing of an older store is lost."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tilmech.errors import EnvironmentNotReady
from tilmech.store import Store


def _store_at_0001(db: Path) -> None:
    from alembic import command

    store = Store(f"sqlite:///{db}", check=False)
    with store.engine.begin() as conn:
        command.upgrade(store._alembic(conn), "0001")
    store.close()


def test_upgrade_keeps_drafts_and_memory_and_keys_the_memory_by_model_version(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    _store_at_0001(db)
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO articles (slug, title, date, content_hash, source_path, updated_at) "
                     "VALUES ('a', 'A', '2023-06-06', 'h', 'a.md', '2023-06-06 00:00:00')")
        conn.execute("INSERT INTO segments (id, article, field, position, source, placeholders, active) "
                     "VALUES ('s1', 'a', 'body', 0, 'Text.', '{}', 1)")
        conn.execute("INSERT INTO translations (segment_id, lang, machine, text, state, origin, engine, qa, "
                     "updated_at, updated_by, version) VALUES ('s1', 'ky', 'Т', 'Т', 'draft', 'mt', 'argos', '[]', "
                     "'2023-06-06 00:00:00', 'x', 1)")
        conn.execute("INSERT INTO memory (source_hash, lang, engine, source, target, score, created_at) "
                     "VALUES ('h1', 'ky', 'argos', 'Text.', 'Т', -0.5, '2023-06-06 00:00:00')")
    with pytest.raises(EnvironmentNotReady, match="tilmech db upgrade"):
        Store(f"sqlite:///{db}")
    store = Store(f"sqlite:///{db}", check=False)
    before, head = store.upgrade()
    current, _ = store.schema_revision()
    store.close()
    assert before == "0001" and current == head  # through 0003 (model and version) to the latest
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT text, engine, model, model_version FROM translations").fetchall() == [
            ("Т", "argos", "", "")]
        assert conn.execute("SELECT target, engine, model, model_version FROM memory").fetchall() == [
            ("Т", "argos", "", "")]
        # the same sentence from a newer model of the same engine is a new entry, not a conflict
        conn.execute("INSERT INTO memory (source_hash, lang, engine, model, model_version, source, target, "
                     "created_at) VALUES ('h1', 'ky', 'argos', 'translate-en_ky', '1.9', 'Text.', 'Т2', "
                     "'2026-01-01 00:00:00')")
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("INSERT INTO memory (source_hash, lang, engine, model, model_version, source, target, "
                         "created_at) VALUES ('h1', 'ky', 'argos', 'translate-en_ky', '1.9', 'Text.', 'Т3', "
                         "'2026-01-01 00:00:00')")
    Store(f"sqlite:///{db}").close()  # now current
