"""Sessions and tokens that end: signing out, a new password or role, `users remove`, revoked
tokens and idle or old sessions, on SQLite and on PostgreSQL (where several server processes
share the store)."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import make_project
from tilmech import services
from tilmech.runtime import Runtime, load_runtime
from tilmech.store import SCHEMA_HEAD, Store
from tilmech.web import create_app
from web_support import signed_in

PASSWORD = "correct horse battery"


@pytest.fixture(params=["sqlite", "postgresql"])
def project(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A project with three users (root: the admin the CLI acts as), its store on SQLite or on the tests' PostgreSQL."""
    folder = make_project(tmp_path / "project", engine="pseudo", extra_articles=False)
    if request.param == "postgresql":
        settings = folder / "tilmech.yaml"
        settings.write_text(settings.read_text(encoding="utf-8").replace(
            "sqlite:///tilmech.db", request.getfixturevalue("postgres_url")), encoding="utf-8")
    rt = load_runtime(folder)
    services.users_add(rt, "aida", "translator", PASSWORD, ["ru"])
    services.users_add(rt, "elena", "editor", PASSWORD)
    services.users_add(rt, "root", "admin", PASSWORD)  # whom the CLI acts as (--user root)
    rt.store.close()
    return folder


@pytest.fixture
def rt(project: Path) -> Runtime:
    return load_runtime(project)


def replay(app, saved: TestClient) -> TestClient:  # type: ignore[no-untyped-def]
    """Another client holding a copy of ``saved``'s cookie and CSRF token, as an attacker would."""
    other = TestClient(app)
    other.cookies.update(saved.cookies)
    other.headers["X-CSRF-Token"] = saved.headers["X-CSRF-Token"]
    return other


def test_a_cookie_saved_before_signing_out_is_refused_afterwards(rt: Runtime) -> None:
    app = create_app(rt)
    browser = signed_in(app)
    laptop = signed_in(app)  # the same user in another browser
    copy = replay(app, browser)
    assert copy.get("/api/me").status_code == 200
    assert browser.post("/api/logout").status_code == 200
    for client in (copy, laptop):
        refused = client.get("/api/me")
        assert refused.status_code == 401, refused.text
        assert refused.json()["error"]["message"].startswith("your session has ended")
        write = client.put("/api/segments/any/ru", json={"text": "Подделка.", "version": 1})
        assert write.status_code == 401, write.text
    assert copy.post("/api/logout").json() == {"ok": True}  # harmless: the session is gone already
    fresh = signed_in(app)
    assert fresh.get("/api/me").status_code == 200
    assert copy.get("/api/me").status_code == 401


def test_the_sign_out_form_ends_the_session_too(rt: Runtime) -> None:
    app = create_app(rt)
    browser = signed_in(app)
    copy = replay(app, browser)
    assert browser.post("/logout", data={"csrf": browser.headers["X-CSRF-Token"]},
                        follow_redirects=False).status_code == 303
    page = copy.get("/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_an_old_cookie_cannot_sign_the_user_out_of_a_newer_session(rt: Runtime) -> None:
    app = create_app(rt)
    old = signed_in(app)
    copy = replay(app, old)
    assert old.post("/api/logout").status_code == 200
    current = signed_in(app)
    assert copy.post("/api/logout").status_code == 200
    assert current.get("/api/me").status_code == 200


def test_a_new_password_or_role_ends_every_session_of_the_user(
        rt: Runtime, project: Path, tilmech, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    app = create_app(rt)
    aida, elena = signed_in(app, "aida"), signed_in(app, "elena")
    monkeypatch.setattr("sys.stdin", io.StringIO("a new password\n"))
    changed = tilmech("--project", project, "--user", "root", "users", "add", "aida", "--role", "translator", "--lang", "ru",
                      "--password-stdin")
    assert changed.code == 0, changed
    assert aida.get("/api/me").status_code == 401
    assert elena.get("/api/me").status_code == 200  # other users keep theirs
    assert TestClient(app).post("/api/login", json={"name": "aida", "password": PASSWORD}).status_code == 401
    aida = TestClient(app)
    assert aida.post("/api/login", json={"name": "aida", "password": "a new password"}).status_code == 200
    services.users_add(rt, "aida", "editor", "a new password")  # a new role
    assert aida.get("/api/me").status_code == 401


def test_every_server_process_sees_a_session_end(rt: Runtime, project: Path) -> None:
    """`serve --workers N`: the cookie one process issued, signed out through another."""
    first, second = create_app(rt), create_app(load_runtime(project))
    browser = signed_in(first)
    elsewhere = replay(second, browser)
    assert elsewhere.get("/api/me").status_code == 200
    assert elsewhere.post("/api/logout").status_code == 200
    assert browser.get("/api/me").status_code == 401


def test_a_revoked_token_is_refused_and_tokens_are_listed_without_secrets(
        rt: Runtime, project: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    made = tilmech("--project", project, "--user", "root", "users", "token", "elena", "--label", "ci")
    assert made.code == 0
    token = made.out.strip()
    other = services.create_token(rt, "elena", "laptop")
    app = create_app(rt)
    client = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    assert client.get("/api/me").json()["user"]["name"] == "elena"
    listed = tilmech("--project", project, "--user", "root", "users", "tokens", "elena")
    assert listed.code == 0 and token not in listed.out and other not in listed.out
    rows = [line.split("\t") for line in listed.out.splitlines()]
    assert [r[1] for r in rows] == ["ci", "laptop"]
    assert rows[0][3] != "never used" and rows[1][3] == "never used"  # ci was just used
    revoked = tilmech("--project", project, "--user", "root", "users", "revoke-token", "elena", "ci")
    assert revoked.code == 0 and revoked.out.strip() == f"elena: token {rows[0][0]} (ci) revoked"
    refused = client.get("/api/me")
    assert refused.status_code == 401 and "revoked" in refused.json()["error"]["message"]
    assert TestClient(app, headers={"Authorization": f"Bearer {other}"}).get("/api/me").status_code == 200
    missing = tilmech("--project", project, "--user", "root", "users", "revoke-token", "elena", "ci")
    assert missing.code == 2 and "elena has no token 'ci'" in missing.err
    services.create_token(rt, "elena", "laptop")
    ambiguous = tilmech("--project", project, "--user", "root", "users", "revoke-token", "elena", "laptop")
    assert ambiguous.code == 2 and "2 tokens labelled 'laptop'" in ambiguous.err and "give the id" in ambiguous.err
    by_id = tilmech("--project", project, "--user", "root", "users", "revoke-token", "elena", rows[1][0])
    assert by_id.code == 0
    assert TestClient(app, headers={"Authorization": f"Bearer {other}"}).get("/api/me").status_code == 401


def test_removing_a_user_ends_their_sessions_and_tokens(rt: Runtime, project: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    app = create_app(rt)
    session = signed_in(app, "aida")
    token = services.create_token(rt, "aida", "script")
    by_token = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    assert by_token.get("/api/me").status_code == 200
    removed = tilmech("--project", project, "--user", "root", "users", "remove", "aida")
    assert removed.code == 0 and removed.out.strip() == "aida: removed, 1 API token revoked"
    assert session.get("/api/me").status_code == 401
    assert by_token.get("/api/me").status_code == 401
    assert [u.name for u in services.users_list(rt)] == ["elena", "root"]
    services.users_add(rt, "aida", "admin", PASSWORD)  # the same name again: a new account
    assert session.get("/api/me").status_code == 401
    assert by_token.get("/api/me").status_code == 401
    unknown = tilmech("--project", project, "--user", "root", "users", "remove", "nobody")
    assert unknown.code == 2 and "no user 'nobody'" in unknown.err


def test_sessions_end_after_idle_time_and_after_their_lifetime(project: Path) -> None:
    settings = project / "tilmech.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace(
        "session_idle_minutes: 60", "session_idle_minutes: 10").replace("session_hours: 12", "session_hours: 2"),
        encoding="utf-8")
    now = [1_700_000_000.0]
    app = create_app(load_runtime(project), clock=lambda: now[0])
    client = signed_in(app)
    for _ in range(13):  # active every 9 minutes (117 in all): the session stays...
        now[0] += 9 * 60
        assert client.get("/api/me").status_code == 200
    now[0] += 9 * 60  # ...until 2 hours after signing in
    ended = client.get("/api/me")
    assert ended.status_code == 401 and "expired" in ended.json()["error"]["message"]
    client = signed_in(app)
    now[0] += 10 * 60 + 1  # idle for longer than 10 minutes
    assert client.get("/api/me").status_code == 401
    assert client.get("/api/me").status_code == 401  # the cookie was cleared as well
    assert "tilmech_session" not in client.cookies


def test_the_0008_migration_gives_every_user_a_stamp_and_old_users_sign_in(tmp_path: Path) -> None:
    from alembic import command

    db = tmp_path / "store.db"
    store = Store(f"sqlite:///{db}")
    with store.engine.begin() as conn:
        command.downgrade(store._alembic(conn), "0007")
    store.close()
    with sqlite3.connect(db) as conn:
        assert "session_stamp" not in {row[1] for row in conn.execute("PRAGMA table_info(users)")}
        for name in ("a", "b"):
            conn.execute("INSERT INTO users (name, role, languages, password_hash, created_at) "
                         f"VALUES ('{name}', 'editor', '', 'x', '2024-01-01 00:00:00')")
    store = Store(f"sqlite:///{db}", check=False)
    assert store.upgrade() == ("0007", SCHEMA_HEAD)
    store.close()
    with sqlite3.connect(db) as conn:
        stamps = [row[0] for row in conn.execute("SELECT session_stamp FROM users")]
        assert len(set(stamps)) == 2 and all(len(s) == 32 for s in stamps)
        conn.execute("UPDATE users SET session_stamp = NULL")  # as a store completed without migrations
    project = make_project(tmp_path / "project", engine="pseudo", extra_articles=False)
    settings = project / "tilmech.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("sqlite:///tilmech.db", f"sqlite:///{db}"),
                        encoding="utf-8")
    rt = load_runtime(project)
    services.users_add(rt, "c", "editor", PASSWORD)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE users SET session_stamp = NULL WHERE name = 'c'")
    client = signed_in(create_app(rt), "c")  # the first sign-in sets a stamp
    assert client.get("/api/me").status_code == 200
