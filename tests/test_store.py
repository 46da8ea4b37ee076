"""The store: an older store gains new columns without losing anything."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tilmech.store import SCHEMA_HEAD, Store


def test_a_store_from_an_earlier_version_gains_new_columns(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    Store(f"sqlite:///{db}").close()
    with sqlite3.connect(db) as conn:  # as an earlier Tilmech left it: no versions, no users
        conn.execute("ALTER TABLE translations DROP COLUMN version")
        conn.execute("DROP TABLE users")
        conn.execute("DROP TABLE alembic_version")
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


def test_the_migrations_create_exactly_the_schema_of_the_models(tmp_path: Path) -> None:
    """Every change to the tables comes with a migration (tilmech db upgrade)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from tilmech.store.schema import Base

    store = Store(f"sqlite:///{tmp_path / 'new.db'}")
    current, head = store.schema_revision()
    assert current == head == SCHEMA_HEAD  # the revision an up-to-date store is recognised by, without Alembic
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    store.close()


def test_db_upgrade_command(tmp_path: Path, pseudo_project: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    db = pseudo_project / "tilmech.db"
    Store(f"sqlite:///{db}").close()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0000'")
    refused = tilmech("--project", pseudo_project, "status")
    assert refused.code == 3
    assert "has schema 0000, this Tilmech needs" in refused.err and "tilmech db upgrade" in refused.err
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE alembic_version")  # as before migrations existed
    upgraded = tilmech("--project", pseudo_project, "db", "upgrade")
    assert upgraded.code == 0 and upgraded.out.strip().startswith("store schema: none → ")
    assert tilmech("--project", pseudo_project, "db", "upgrade").out.strip().endswith("(up to date)")
    assert tilmech("--project", pseudo_project, "status").code == 0
