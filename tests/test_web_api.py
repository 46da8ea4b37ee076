"""The workbench API: roles, sign-in, CSRF, stale saves, the error shape, escaping."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import approve_article
from tilmech import services
from tilmech.runtime import Runtime
from tilmech.web import create_app
from web_support import signed_in, workbench_runtime

SEED = "smart-classroom-kyrgyzstan"


@pytest.fixture
def rt(pseudo_project: Path) -> Runtime:
    return workbench_runtime(pseudo_project)


@pytest.fixture
def app(rt: Runtime):  # type: ignore[no-untyped-def]
    return create_app(rt)


def first(rt: Runtime, lang: str) -> services.ReviewItem:
    return services.review_list(rt, lang, article=SEED)[0]


def test_nothing_is_readable_without_signing_in(app) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    response = client.get("/api/segments")
    assert response.status_code == 401
    assert response.json() == {"error": {"status": 401, "type": "Unauthorized", "message": "sign in first"}}
    page = client.get("/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/"
    assert client.post("/api/login", json={"name": "aida", "password": "wrong password"}).status_code == 401


def test_translator_reviews_only_their_languages(app, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    aida = signed_in(app, "aida")
    ru, ky = first(rt, "ru"), first(rt, "ky")
    edited = aida.put(f"/api/segments/{ru.segment_id}/ru", json={"text": "Церемония открытия", "version": ru.version})
    assert edited.status_code == 200 and edited.json()["state"] == "draft"
    approved = aida.post(f"/api/segments/{ru.segment_id}/ru/approve",  # a short title: its length acknowledged
                         json={"version": edited.json()["version"],
                               "acknowledge": [f["code"] for f in edited.json()["findings"]]})
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    refused = aida.put(f"/api/segments/{ky.segment_id}/ky", json={"text": "Ачылыш", "version": ky.version})
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "aida is a translator for ru, not ky"
    assert aida.post(f"/api/segments/{ky.segment_id}/ky/approve", json={"version": ky.version}).status_code == 403
    assert aida.post("/api/releases").status_code == 403
    # reading is allowed everywhere
    assert aida.get(f"/api/segments?lang=ky&article={SEED}").status_code == 200
    history = services.review_show(rt, ru.segment_id, "ru").history["ru"]
    assert [(h.who, h.action) for h in history] == [("tester", "translate"), ("aida", "edit"), ("aida", "approve")]


def test_only_editors_create_and_approve_releases(app, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    for code in ("ru", "ky", "zh"):
        approve_article(rt, code, SEED)
    elena = signed_in(app, "elena")
    created = elena.post("/api/releases")
    assert created.status_code == 200 and created.json()["locales"]["ru"] == [SEED]
    release_id = created.json()["id"]
    assert signed_in(app, "bakyt").post(f"/api/releases/{release_id}/approve").status_code == 403
    approved = elena.post(f"/api/releases/{release_id}/approve")
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    assert approved.json()["approved_by"] == "elena"


def test_a_stale_save_is_refused_with_the_other_text(app, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    aida, elena = signed_in(app, "aida"), signed_in(app, "elena")
    item = first(rt, "ru")
    assert elena.put(f"/api/segments/{item.segment_id}/ru", json={"text": "Текст Елены", "version": item.version}
                     ).status_code == 200
    stale = aida.put(f"/api/segments/{item.segment_id}/ru", json={"text": "Текст Аиды", "version": item.version})
    assert stale.status_code == 409
    error = stale.json()["error"]
    assert error["current_text"] == "Текст Елены" and error["current_version"] == item.version + 1
    assert "was changed by elena" in error["message"]
    assert first(rt, "ru").text == "Текст Елены"  # nothing overwritten


@pytest.mark.parametrize(("method", "suffix", "body"), [
    ("PUT", "", {"text": "Текст без версии"}),
    ("POST", "/approve", {}),
    ("POST", "/send-back", {"note": "почему"}),
])
def test_a_write_without_the_version_read_is_refused(app, rt: Runtime, method: str, suffix: str,  # type: ignore[no-untyped-def]
                                                     body: dict[str, str]) -> None:
    """A missing version is 428 Precondition Required, never taken as "the latest": newer text stays."""
    elena = signed_in(app, "elena")
    item = first(rt, "ru")
    services.review_edit(rt, item.segment_id, "ru", "Новее", item.version)  # someone's newer text
    refused = elena.request(method, f"/api/segments/{item.segment_id}/ru{suffix}", json=body)
    assert refused.status_code == 428
    error = refused.json()["error"]
    assert error["type"] == "PreconditionRequired" and "give the version of the text you read" in error["message"]
    after = first(rt, "ru")
    assert (after.text, after.state, after.version) == ("Новее", "draft", item.version + 1)


def test_the_form_without_a_version_is_refused(app, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    elena = signed_in(app, "elena")
    csrf = elena.headers["X-CSRF-Token"]
    item = first(rt, "ru")
    services.review_edit(rt, item.segment_id, "ru", "Новее", item.version)
    for action in ("save", "approve"):
        page = elena.post(f"/edit/{SEED}/ru/{item.segment_id}", data={"action": action, "text": "Старое",
                                                                      "csrf": csrf}, follow_redirects=False)
        assert page.status_code == 428
    stale = elena.post(f"/edit/{SEED}/ru/{item.segment_id}", data={"action": "save", "text": "Старое", "csrf": csrf,
                                                                   "version": item.version}, follow_redirects=False)
    assert stale.status_code == 409
    assert first(rt, "ru").text == "Новее"


def test_session_requests_need_the_csrf_token_and_tokens_do_not(app, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    aida = signed_in(app, "aida")
    item = first(rt, "ru")
    del aida.headers["X-CSRF-Token"]
    forged = aida.put(f"/api/segments/{item.segment_id}/ru", json={"text": "Подделка"})
    assert forged.status_code == 403 and "CSRF" in forged.json()["error"]["message"]
    token = services.create_token(rt, "aida", "script")
    api = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    assert api.put(f"/api/segments/{item.segment_id}/ru", json={"text": "По токену", "version": item.version}
                   ).status_code == 200
    assert TestClient(app, headers={"Authorization": "Bearer nope"}).get("/api/me").status_code == 401


def test_openapi_describes_the_api(app) -> None:  # type: ignore[no-untyped-def]
    assert TestClient(app).get("/openapi.json").status_code == 401  # for signed-in users only
    schema = signed_in(app, "aida").get("/openapi.json").json()
    paths = schema["paths"]
    for path in ("/api/login", "/api/segments", "/api/segments/{segment_id}/{lang}",
                 "/api/segments/{segment_id}/{lang}/approve", "/api/releases", "/api/releases/{release_id}/approve"):
        assert path in paths
    assert not [p for p in paths if not p.startswith("/api/")]
    # every operation documents the one error shape, not FastAPI's own {"detail": ...}
    answers = [op["responses"] for ops in paths.values() for op in ops.values()]
    assert all(a["default"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/ErrorAnswer"
               and "422" not in a for a in answers)
    assert set(schema["components"]["schemas"]["ErrorDetail"]["required"]) == {"status", "type", "message"}


def test_forms_work_without_javascript(app, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    aida = signed_in(app, "aida")
    page = aida.get(f"/edit/{SEED}/ru")
    assert page.status_code == 200
    csrf = aida.headers["X-CSRF-Token"]
    item = first(rt, "ru")
    response = aida.post(f"/edit/{SEED}/ru/{item.segment_id}", follow_redirects=False,
                         data={"action": "approve", "text": "Церемония", "version": item.version, "csrf": csrf,
                               "acknowledge": ["length"]})  # a short title: its length acknowledged
    assert response.status_code == 303
    assert (first(rt, "ru").text, first(rt, "ru").state) == ("Церемония", "approved")


def test_markup_in_articles_is_shown_escaped(pseudo_project: Path) -> None:
    hostile = pseudo_project / "content" / "en" / "hostile.md"
    hostile.write_text("---\ntitle: Hostile <script>alert(1)</script>\ndate: 2024-01-01\n---\n\n"
                       'A picture <img src=x onerror="alert(2)"> here. Text with <b>bold</b>.\n', encoding="utf-8")
    rt = workbench_runtime(pseudo_project)
    page = signed_in(create_app(rt), "aida").get("/edit/hostile/ru").text
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'onerror="alert(2)"' not in page


def test_xliff_download_and_upload(app, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    aida = signed_in(app, "aida")
    download = aida.get(f"/api/xliff/{SEED}/ru?version=1.2")
    assert download.status_code == 200 and download.headers["content-type"].startswith("application/xliff+xml")
    item = first(rt, "ru")
    edited = download.text.replace(f">{item.text}<", ">Церемония открытия<", 1)
    upload = aida.post("/api/xliff", files={"file": ("seed.ru.xlf", edited.encode(), "application/xliff+xml")})
    assert upload.status_code == 200
    assert upload.json()[0] == {"segment_id": item.segment_id, "outcome": "edited", "detail": ""}
    assert first(rt, "ru").text == "Церемония открытия"
    ky = aida.get(f"/api/xliff/{SEED}/ky").text
    refused = aida.post("/api/xliff", files={"file": ("seed.ky.xlf", ky.encode(), "application/xliff+xml")})
    assert refused.status_code == 403


def test_users_command_adds_users_with_a_password_from_stdin(pseudo_project: Path, monkeypatch, tilmech) -> None:  # type: ignore[no-untyped-def]
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    added = tilmech("--project", pseudo_project, "users", "add", "nurlan", "--role", "translator", "--lang", "ky,zh",
                    "--password-stdin")
    assert (added.code, added.out.strip()) == (0, "nurlan: translator (ky, zh)")
    listed = tilmech("--project", pseudo_project, "users", "list")
    assert listed.out.splitlines() == ["nurlan\ttranslator\tky,zh"]
    from tilmech.runtime import load_runtime

    rt = load_runtime(pseudo_project)
    assert services.authenticate(rt, "nurlan", "a long enough password").languages == ("ky", "zh")
    services.users_add(rt, "root", "admin", "a long enough password")  # the CLI acts as a user of the store now
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    too_short = tilmech("--project", pseudo_project, "--user", "root", "users", "add", "x", "--role", "editor",
                        "--password-stdin")
    assert too_short.code == 2 and "too short" in too_short.err
    token = tilmech("--project", pseudo_project, "--user", "root", "users", "token", "nurlan").out.strip()
    assert token.startswith("tlm_") and services.user_by_token(rt, token).name == "nurlan"


def test_the_release_page_shows_what_is_held_back(app, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    approve_article(rt, "ru", SEED)
    elena = signed_in(app, "elena")
    release = elena.post("/api/releases").json()
    assert release["incomplete"] == {"ru": ["partners-showcase"], "ky": ["partners-showcase", SEED],
                                     "zh": ["partners-showcase", SEED]}
    page = elena.get("/releases").text
    assert f"ky: partners-showcase, {SEED}" in page
    info = services.release_info(rt, release["id"])
    assert info.incomplete["ru"] == ("partners-showcase",)


def test_the_editor_page_uploads_xliff_through_its_form(app, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    elena = signed_in(app, "elena")
    page = elena.get(f"/edit/{SEED}/ru").text
    action = f'action="/edit/{SEED}/ru/xliff"'
    assert action in page and 'name="file"' in page
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf is not None
    item = first(rt, "ru")
    exported = elena.get(f"/api/xliff/{SEED}/ru?version=1.2").text.replace(f">{item.text}<", ">Церемония<", 1)
    del elena.headers["X-CSRF-Token"]  # as a browser sends the form: the token in its field
    imported = elena.post(f"/edit/{SEED}/ru/xliff", data={"csrf": csrf.group(1)},
                          files={"file": ("seed.ru.xlf", exported.encode(), "application/xliff+xml")})
    assert imported.status_code == 200 and imported.headers["content-type"].startswith("text/html")
    assert f"<code>{item.segment_id}</code></a></td><td>edited</td>" in imported.text
    assert first(rt, "ru").text == "Церемония"
    forged = elena.post(f"/edit/{SEED}/ru/xliff", data={"csrf": "forged"},
                        files={"file": ("seed.ru.xlf", exported.encode(), "application/xliff+xml")})
    assert forged.status_code == 403


def test_the_comment_form_works_without_javascript(app, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    """A plain form POST (as a browser sends it with scripts off) adds the comment; it shows on the page."""
    aida = signed_in(app, "aida")
    item = first(rt, "ru")
    page = aida.get(f"/edit/{SEED}/ru").text
    form = re.search(r'<form method="post" action="([^"]+)" class="comment">(.*?)</form>', page)
    assert form is not None and form.group(1) == f"/edit/{SEED}/ru/{item.segment_id}/comments"
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.group(2))
    assert csrf is not None and 'name="comment"' in form.group(2)
    del aida.headers["X-CSRF-Token"]  # as a browser sends the form: the token in its field
    sent = aida.post(form.group(1), data={"comment": "Check the <b>date</b> format", "csrf": csrf.group(1)},
                     follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == f"/edit/{SEED}/ru#seg-{item.segment_id}"
    assert "Check the &lt;b&gt;date&lt;/b&gt; format" in aida.get(sent.headers["location"]).text
    assert [c.text for c in services.review_show(rt, item.segment_id, "ru").comments["ru"]] == [
        "Check the <b>date</b> format"]
    forged = aida.post(form.group(1), data={"comment": "forged", "csrf": "forged"}, follow_redirects=False)
    assert forged.status_code == 403
    assert len(services.review_show(rt, item.segment_id, "ru").comments["ru"]) == 1
