"""Workbench security: who may do what (roles × endpoints), CSRF, cookies, sign-in rate limit, headers."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tilmech import services
from tilmech.auth import SignInLimiter
from tilmech.errors import Forbidden
from tilmech.runtime import Runtime
from tilmech.web import create_app
from web_support import PASSWORD, workbench_runtime

SEED = "smart-classroom-kyrgyzstan"
ROLES = ("anonymous", "aida", "bakyt", "elena", "root", "token")  # aida: ru translator, bakyt: ky; elena editor


@pytest.fixture(scope="module")
def rt(tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    from conftest import make_project

    return workbench_runtime(make_project(tmp_path_factory.mktemp("security") / "project", engine="pseudo"))


def plain(rt: Runtime, lang: str) -> str:
    """A segment of SEED without markup, so that any edit of it can be approved."""
    return next(i.segment_id for i in services.review_list(rt, lang, article=SEED) if not i.placeholders)


def client_for(app, role: str, rt: Runtime, https: bool = False) -> TestClient:  # type: ignore[no-untyped-def]
    client = TestClient(app, base_url="https://testserver" if https else "http://testserver")
    if role == "token":
        client.headers["Authorization"] = f"Bearer {services.create_token(rt, 'elena', 'tests')}"
    elif role != "anonymous":
        response = client.post("/api/login", json={"name": role, "password": PASSWORD})
        assert response.status_code == 200, response.text
        client.headers["X-CSRF-Token"] = response.json()["csrf"]
    return client


def test_authorization_matrix(rt: Runtime) -> None:
    """Every role against every endpoint; the status each gets is the role's right, nothing else."""
    app = create_app(rt)
    ru, ky = plain(rt, "ru"), plain(rt, "ky")
    release = services.release_create(rt).id
    A, OK, NO, FORB = 401, 200, 303, 403
    #                                               anonymous aida bakyt elena root token
    matrix: list[tuple[str, str, dict[str, object], tuple[int, ...]]] = [
        ("GET", "/api/me", {}, (A, OK, OK, OK, OK, OK)),
        ("GET", "/openapi.json", {}, (A, OK, OK, OK, OK, OK)),
        ("GET", "/api/progress", {}, (A, OK, OK, OK, OK, OK)),
        ("GET", "/api/segments?lang=ru", {}, (A, OK, OK, OK, OK, OK)),
        ("GET", f"/api/segments/{ru}?lang=ru", {}, (A, OK, OK, OK, OK, OK)),
        ("PUT", f"/api/segments/{ru}/ru", {"json": {"text": "Проверка текста."}}, (A, OK, FORB, OK, OK, OK)),
        ("PUT", f"/api/segments/{ky}/ky", {"json": {"text": "Текстти текшерүү."}}, (A, FORB, OK, OK, OK, OK)),
        ("POST", f"/api/segments/{ru}/ru/approve", {"json": {}}, (A, OK, FORB, OK, OK, OK)),
        ("POST", f"/api/segments/{ky}/ky/send-back", {"json": {"note": "x"}}, (A, FORB, OK, OK, OK, OK)),
        ("POST", f"/api/segments/{ru}/ru/comments", {"json": {"text": "A note."}}, (A, OK, OK, OK, OK, OK)),
        ("GET", "/api/releases", {}, (A, OK, OK, OK, OK, OK)),
        ("POST", "/api/releases", {}, (A, FORB, FORB, OK, OK, OK)),
        ("POST", f"/api/releases/{release}/approve", {}, (A, FORB, FORB, OK, OK, OK)),
        ("GET", f"/api/xliff/{SEED}/ru", {}, (A, OK, OK, OK, OK, OK)),
        ("GET", "/", {}, (NO, OK, OK, OK, OK, OK)),
        ("GET", f"/edit/{SEED}/ru", {}, (NO, OK, OK, OK, OK, OK)),
        ("GET", "/releases", {}, (NO, OK, OK, OK, OK, OK)),
        ("POST", "/releases", {"data": {}}, (A, FORB, FORB, NO, NO, NO)),
        ("POST", f"/edit/{SEED}/ky/{ky}", {"data": {"action": "send-back"}}, (A, FORB, NO, NO, NO, NO)),
        ("GET", "/login", {}, (OK, OK, OK, OK, OK, OK)),
        ("GET", "/static/workbench.css", {}, (OK, OK, OK, OK, OK, OK)),
    ]
    got: dict[str, list[int]] = {}
    for role in ROLES:
        client = client_for(app, role, rt)
        statuses = []
        for method, url, kwargs, _ in matrix:
            if "data" in kwargs:  # a form of the pages: its CSRF field, as the page gives it
                kwargs = {"data": {**kwargs["data"], "csrf": client.headers.get("X-CSRF-Token", "")}}  # type: ignore[dict-item]
            response = client.request(method, url, follow_redirects=False, **kwargs)  # type: ignore[arg-type]
            statuses.append(response.status_code)
            if response.status_code == 303 and role == "anonymous":
                assert response.headers["location"].startswith("/login?next=")
        got[role] = statuses
    expected = {role: [row[3][i] for row in matrix] for i, role in enumerate(ROLES)}
    table = {role: [f"{m} {u}: {g}" for (m, u, _, _), g, e in zip(matrix, got[role], expected[role], strict=True)
                    if g != e] for role in ROLES}
    assert got == expected, {role: wrong for role, wrong in table.items() if wrong}


def test_the_services_refuse_what_a_role_may_not_do_whatever_the_surface(rt: Runtime) -> None:
    aida = rt.acting_as(services.get_user(rt, "aida"))  # type: ignore[arg-type]
    ky = plain(rt, "ky")
    with pytest.raises(Forbidden):
        services.review_edit(aida, ky, "ky", "Текст.")
    with pytest.raises(Forbidden):
        services.review_approve(aida, "ky", [ky])
    with pytest.raises(Forbidden):
        services.review_approve(aida, "ky", article=SEED)
    with pytest.raises(Forbidden):
        services.release_create(aida)
    with pytest.raises(Forbidden):
        services.users_add(aida, "mallory", "admin", "long enough password")
    exported = services.xliff_export(rt, SEED, "ky")
    with pytest.raises(Forbidden):
        services.xliff_import(aida, exported, "x.xlf")


def test_state_changes_with_the_session_need_its_csrf_token(rt: Runtime) -> None:
    app = create_app(rt)
    elena = client_for(app, "elena", rt)
    other = client_for(app, "aida", rt)
    ru = plain(rt, "ru")
    for token in (None, "forged", other.headers["X-CSRF-Token"]):
        headers = {} if token is None else {"X-CSRF-Token": token}
        elena.headers.pop("X-CSRF-Token", None)
        for method, url, body in (("PUT", f"/api/segments/{ru}/ru", {"text": "Подделка."}),
                                  ("POST", f"/api/segments/{ru}/ru/approve", {}),
                                  ("POST", "/api/releases", None), ("POST", "/api/logout", None)):
            response = elena.request(method, url, json=body, headers=headers)
            assert response.status_code == 403, (method, url, token)
            assert "CSRF" in response.json()["error"]["message"]
        for url, form in (("/releases", {}), ("/logout", {}), (f"/edit/{SEED}/ru/{ru}", {"action": "approve"})):
            response = elena.post(url, data={**form, **({"csrf": token} if token else {})}, follow_redirects=False)
            assert response.status_code == 403, (url, token)
    assert services.review_show(rt, ru, "ru").items[0].text != "Подделка."


def _cookie(response) -> str:  # type: ignore[no-untyped-def]
    return next(v for k, v in response.headers.multi_items() if k == "set-cookie" and "tilmech_session" in v)


def test_session_cookie_is_httponly_samesite_and_secure_over_https(rt: Runtime) -> None:
    app = create_app(rt)
    body = {"name": "aida", "password": PASSWORD}
    over_http = TestClient(app).post("/api/login", json=body)
    cookie = _cookie(over_http).lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
    over_https = TestClient(app, base_url="https://testserver").post("/api/login", json=body)
    assert "; secure" in _cookie(over_https).lower()
    assert over_https.headers["strict-transport-security"].startswith("max-age=")
    form = TestClient(app, base_url="https://testserver").post(
        "/login", data={**body, "next": "/"}, follow_redirects=False)
    assert form.status_code == 303 and "; secure" in _cookie(form).lower()


def test_sign_in_is_rate_limited_per_name_and_client(rt: Runtime) -> None:
    now = [1000.0]
    app = create_app(rt, SignInLimiter(per_name=5, per_client=8, window=300, clock=lambda: now[0]))
    client = TestClient(app)
    for _ in range(5):
        assert client.post("/api/login", json={"name": "aida", "password": "wrong password"}).status_code == 401
    refused = client.post("/api/login", json={"name": "aida", "password": PASSWORD})  # even the right one
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert refused.json()["error"]["type"] == "TooManyRequests"
    form = client.post("/login", data={"name": "aida", "password": PASSWORD}, follow_redirects=False)
    assert form.status_code == 429 and "too many failed sign-ins" in form.text
    # another name from the same client still may try, until the client's own limit
    assert client.post("/api/login", json={"name": "bakyt", "password": PASSWORD}).status_code == 200
    for _ in range(3):
        client.post("/api/login", json={"name": "elena", "password": "wrong password"})
    assert client.post("/api/login", json={"name": "root", "password": PASSWORD}).status_code == 429
    now[0] += 301  # the window has passed
    assert client.post("/api/login", json={"name": "aida", "password": PASSWORD}).status_code == 200


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {k for k, _ in attrs}
        if tag == "script" and "src" not in names:
            self.inline.append("<script> without src")
        self.inline += [f"<{tag} {k}>" for k in names if k.startswith("on")]
        self.inline += [f"<{tag} style>" for k in names if k == "style"]
        self.inline += [f"<{tag} {k}={v}>" for k, v in attrs if (v or "").strip().lower().startswith("javascript:")]


def test_every_response_has_the_security_headers_and_pages_need_no_inline_script(rt: Runtime) -> None:
    app = create_app(rt)
    anonymous, elena = TestClient(app), client_for(app, "elena", rt)
    responses = [anonymous.get("/login"), anonymous.get("/api/segments"), anonymous.get("/static/workbench.js"),
                 anonymous.get("/nowhere"), elena.get("/"), elena.get(f"/edit/{SEED}/ru"), elena.get("/releases"),
                 elena.get("/api/segments?lang=zh"), elena.get("/edit/no-such-article/ru"),
                 elena.get("/api/nowhere"), elena.delete("/api/segments"), elena.get("/api/segments?limit=x"),
                 elena.post("/releases", data={"csrf": "forged"})]
    for response in responses:
        csp = response.headers["content-security-policy"]
        script_src = re.search(r"script-src ([^;]*)", csp)
        assert script_src and "unsafe-inline" not in script_src.group(1) and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        if response.headers.get("content-type", "").startswith("text/html"):
            parser = _Scripts()
            parser.feed(response.text)
            assert parser.inline == [], response.url


def test_sign_in_redirects_only_within_the_workbench(rt: Runtime) -> None:
    client = TestClient(create_app(rt))
    for target, expected in (("/releases", "/releases"), ("//evil.example", "/"), ("/\\evil.example", "/"),
                             ("https://evil.example/", "/"), ("/x\r\nSet-Cookie: a=b", "/")):
        response = client.post("/login", data={"name": "aida", "password": PASSWORD, "next": target},
                               follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == expected, target
        client.cookies.clear()


def test_an_oversized_or_binary_upload_is_refused_with_its_name(rt: Runtime, tmp_path: Path) -> None:
    small = Runtime(rt.settings.model_copy(update={"limits": rt.settings.limits.model_copy(
        update={"upload_bytes": 2000})}), rt.user)
    for shared in ("store", "glossary", "matcher"):
        small.__dict__[shared] = getattr(rt, shared)
    client = client_for(create_app(small), "elena", small)
    big = client.post("/api/xliff", files={"file": ("../../big.xlf", b"<xliff>" + b" " * 3000 + b"</xliff>")})
    assert big.status_code == 422
    assert big.json()["error"]["message"] == ("big.xlf: larger than the limit of 2,000 bytes: split it, "
                                              "or raise limits.upload_bytes in tilmech.yaml")
    binary = client.post("/api/xliff", files={"file": ("x.xlf", b"<xliff>\n\xff\xfe</xliff>")})
    assert binary.status_code == 422
    assert binary.json()["error"]["message"] == "x.xlf:2: not UTF-8 text (byte 8): save the file as UTF-8"
