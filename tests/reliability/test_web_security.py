"""Workbench security: who may do what (roles × endpoints), CSRF, cookies, sign-in rate limit (and whose
X-Forwarded-For counts), headers, bounded request bodies."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import select
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from conftest import approve_article, functional_checks
from tilmech import services
from tilmech.auth import SignInLimiter
from tilmech.errors import Forbidden
from tilmech.runtime import Runtime
from tilmech.web import create_app
from web_support import PASSWORD, served, workbench_runtime

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
    approve_article(rt, "zh", SEED)  # a release that ships nothing at all is refused
    release = services.release_create(rt).id
    A, OK, NO, FORB = 401, 200, 303, 403
    acknowledge = functional_checks().split(",")
    #                                               anonymous aida bakyt elena root token
    matrix: list[tuple[str, str, dict[str, object], tuple[int, ...]]] = [
        ("GET", "/api/me", {}, (A, OK, OK, OK, OK, OK)),
        ("GET", "/openapi.json", {}, (A, OK, OK, OK, OK, OK)),
        ("GET", "/api/progress", {}, (A, OK, OK, OK, OK, OK)),
        ("GET", "/api/segments?lang=ru", {}, (A, OK, OK, OK, OK, OK)),
        ("GET", f"/api/segments/{ru}?lang=ru", {}, (A, OK, OK, OK, OK, OK)),
        ("PUT", f"/api/segments/{ru}/ru", {"json": {"text": "Проверка текста."}}, (A, OK, FORB, OK, OK, OK)),
        ("PUT", f"/api/segments/{ky}/ky", {"json": {"text": "Текстти текшерүү."}}, (A, FORB, OK, OK, OK, OK)),
        ("POST", f"/api/segments/{ru}/ru/approve", {"json": {"acknowledge": acknowledge}},
         (A, OK, FORB, OK, OK, OK)),
        ("POST", f"/api/segments/{ky}/ky/send-back", {"json": {"note": "x"}}, (A, FORB, OK, OK, OK, OK)),
        ("POST", f"/api/segments/{ru}/ru/comments", {"json": {"text": "A note."}}, (A, OK, FORB, OK, OK, OK)),
        ("GET", "/api/releases", {}, (A, OK, OK, OK, OK, OK)),
        ("POST", "/api/releases", {}, (A, FORB, FORB, OK, OK, OK)),
        ("GET", f"/api/releases/{release}/diff", {}, (A, OK, OK, OK, OK, OK)),
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
            parts = url.split("/")  # a write of a translation sends the version it read
            if method != "GET" and parts[1:3] == ["api", "segments"] and not url.endswith("/comments"):
                seg_id, code = parts[3:5]
            elif method != "GET" and parts[1] == "edit":
                seg_id, code = parts[4], parts[3]
            else:
                seg_id = ""
            if seg_id:
                version = services.review_show(rt, seg_id, code).items[0].version
                kwargs = {key: {**value, "version": version} for key, value in kwargs.items()}  # type: ignore[dict-item]
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


# -- bounded requests: what a request may send, read only as far as it is allowed ----------------

MiB = 1024 * 1024


def asgi_post(app, path: str, headers: dict[str, str], chunks: Iterable[bytes]) -> tuple[int, dict[str, str], bytes, int]:  # type: ignore[no-untyped-def]
    """POST ``chunks`` to ``app`` as a server streams a body, pulled one by one as the app asks:
    (status, headers, body of the answer, bytes of the request the app pulled)."""
    async def run() -> tuple[int, dict[str, str], bytes, int]:
        pulled, parts, answer = 0, iter(chunks), {"status": 0, "headers": {}, "body": b""}
        done = False

        async def receive() -> dict[str, object]:
            nonlocal pulled, done
            chunk = None if done else next(parts, None)
            if chunk is None:
                if done:
                    return {"type": "http.disconnect"}
                done = True
                return {"type": "http.request", "body": b"", "more_body": False}
            pulled += len(chunk)
            return {"type": "http.request", "body": chunk, "more_body": True}

        async def send(message: dict[str, object]) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["headers"] = {k.decode().lower(): v.decode() for k, v in message["headers"]}  # type: ignore[attr-defined]
            elif message["type"] == "http.response.body":
                answer["body"] += message.get("body", b"")  # type: ignore[operator]

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
                 "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
                 "client": ("127.0.0.1", 50000), "server": ("testserver", 80)}
        await app(scope, receive, send)
        return answer["status"], answer["headers"], answer["body"], pulled  # type: ignore[return-value]

    return asyncio.run(run())


def lazily(total: int, chunk: int = MiB, head: bytes = b"", fill: bytes = b"a") -> Iterator[bytes]:
    """``total`` bytes made as they are asked for (``head`` first), never all at once."""
    yield head
    sent = len(head)
    while sent < total:
        piece = fill * min(chunk, total - sent)
        sent += len(piece)
        yield piece


BOUNDARY = "tilmechboundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
UPLOAD_HEAD = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.xlf\"\r\n"
               "Content-Type: application/xliff+xml\r\n\r\n<xliff>").encode()


def assert_refused(status: int, headers: dict[str, str], body: bytes, expected: int, kind: str) -> None:
    assert status == expected, body[:300]
    assert json.loads(body)["error"]["type"] == kind
    assert headers["x-content-type-options"] == "nosniff" and "frame-ancestors 'none'" in headers[
        "content-security-policy"]


def test_a_body_declared_too_large_is_refused_before_a_byte_is_read(rt: Runtime) -> None:
    app = create_app(rt)
    token = services.create_token(rt, "elena", "uploads")
    status, headers, body, pulled = asgi_post(
        app, "/api/login", {"content-type": "application/json", "content-length": str(200 * MiB)},
        lazily(200 * MiB, head=b'{"name": "aida", "password": "'))
    assert_refused(status, headers, body, 413, "ContentTooLarge")
    assert "larger than the limit of 1,000,000 bytes" in json.loads(body)["error"]["message"]
    assert pulled == 0
    status, headers, body, pulled = asgi_post(
        app, "/api/xliff", {"content-type": MULTIPART, "content-length": str(1024 * MiB),
                            "authorization": f"Bearer {token}"}, lazily(1024 * MiB, head=UPLOAD_HEAD))
    assert_refused(status, headers, body, 413, "ContentTooLarge")
    assert json.loads(body)["error"]["message"] == ("the upload is larger than the limit of 5,000,000 bytes: "
                                                    "split the file, or raise limits.upload_bytes in tilmech.yaml")
    assert pulled == 0


def test_a_body_that_grows_past_the_limit_is_refused_as_it_streams(rt: Runtime) -> None:
    app = create_app(rt)
    token = services.create_token(rt, "elena", "uploads")
    chunk = 64 * 1024
    for path, headers, head, limit in (
            ("/api/login", {"content-type": "application/json"}, b'{"name": "aida", "password": "', 1_000_000),
            ("/login", {"content-type": "application/x-www-form-urlencoded"}, b"name=aida&password=", 1_000_000),
            ("/api/xliff", {"content-type": MULTIPART, "authorization": f"Bearer {token}"}, UPLOAD_HEAD,
             5_000_000 + 64 * 1024)):
        status, answer_headers, body, pulled = asgi_post(app, path, headers, lazily(1024 * MiB, chunk, head))
        assert status == 413, (path, body[:300])
        assert answer_headers["x-frame-options"] == "DENY"
        if path.startswith("/api/"):
            assert json.loads(body)["error"]["type"] == "ContentTooLarge"
        assert limit < pulled <= limit + chunk + len(head), (path, pulled)
    # within the limits, the same requests are served
    signed = TestClient(app).post("/api/login", json={"name": "aida", "password": PASSWORD})
    assert signed.status_code == 200


def test_an_anonymous_upload_is_refused_before_its_body_is_read(rt: Runtime) -> None:
    app = create_app(rt)
    for path in ("/api/xliff", f"/edit/{SEED}/ru/xliff"):
        status, headers, body, pulled = asgi_post(
            app, path, {"content-type": MULTIPART, "content-length": str(1024 * MiB)},
            lazily(1024 * MiB, head=UPLOAD_HEAD))
        assert status == 401 and pulled == 0, (path, status, pulled)
        assert headers["x-content-type-options"] == "nosniff"
        if path.startswith("/api/"):
            assert json.loads(body)["error"]["type"] == "Unauthorized"
    ended = client_for(app, "aida", rt)  # a session that has ended is no better
    cookie = f"tilmech_session={ended.cookies['tilmech_session']}"
    assert ended.post("/api/logout").status_code == 200
    status, _, _, pulled = asgi_post(app, "/api/xliff", {"content-type": MULTIPART, "cookie": cookie},
                                     lazily(10 * MiB, head=UPLOAD_HEAD))
    assert status == 401 and pulled == 0


def _rss(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) * 1024  # type: ignore[union-attr]


def _send(port: int, head: bytes, chunks: Iterable[bytes]) -> int:
    """Send a request over a raw connection, its body as it is taken; the answer's status as soon
    as it comes (the server may answer and close before the body is through)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head)
        for chunk in chunks:
            if select.select([sock], [], [], 0)[0]:  # answered already
                break
            try:
                sock.sendall(chunk)
            except OSError:  # closed by the server
                break
        answer = b""
        while b"\r\n" not in answer:
            piece = sock.recv(4096)
            if not piece:
                break
            answer += piece
    return int(answer.split(b" ", 2)[1])


def _spooled(pid: int, folder: Path) -> int:
    """Bytes in the files under ``folder`` that process ``pid`` holds open (unnamed ones too)."""
    total = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):  # closed meanwhile
            if os.readlink(fd).startswith(str(folder)):
                total += fd.stat().st_size
    return total


def _chunked(parts: Iterable[bytes]) -> Iterator[bytes]:
    for part in parts:
        if part:
            yield f"{len(part):x}\r\n".encode() + part + b"\r\n"
    yield b"0\r\n\r\n"


@pytest.mark.slow
def test_the_server_stays_flat_while_a_1_gib_upload_is_attempted(rt: Runtime, tmp_path: Path) -> None:
    """Anonymous and signed-in 1 GiB uploads and a 200 MB sign-in: the server's memory stays
    within 50 MB of idle and its temporary folder holds no more than one allowed upload."""
    token = services.create_token(rt, "elena", "big uploads")
    tmp = tmp_path / "server-tmp"
    tmp.mkdir()
    with served(rt.settings.root, tmp=tmp) as (url, proc):
        port = int(url.rsplit(":", 1)[1])
        for _ in range(3):  # warm: every module of a sign-in and an upload loaded
            httpx.post(f"{url}/api/login", json={"name": "aida", "password": PASSWORD})
            httpx.post(f"{url}/api/xliff", files={"file": ("x.xlf", b"<xliff/>")},
                       headers={"Authorization": f"Bearer {token}"})
        idle = _rss(proc.pid)
        peak, spooled, stop = [idle], [0], threading.Event()

        def watch() -> None:
            while not stop.is_set():
                peak.append(_rss(proc.pid))
                spooled.append(_spooled(proc.pid, tmp))
                time.sleep(0.02)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            gib = 1024 * MiB
            request = f"POST /api/xliff HTTP/1.1\r\nHost: x\r\nContent-Type: {MULTIPART}\r\n"
            anonymous = _send(port, f"{request}Content-Length: {gib}\r\n\r\n".encode(), lazily(gib, head=UPLOAD_HEAD))
            declared = _send(port, f"{request}Authorization: Bearer {token}\r\nContent-Length: {gib}\r\n\r\n".encode(),
                             lazily(gib, head=UPLOAD_HEAD))
            streamed = _send(port, f"{request}Authorization: Bearer {token}\r\nTransfer-Encoding: chunked\r\n\r\n"
                             .encode(), _chunked(lazily(gib, head=UPLOAD_HEAD)))
            sign_in = _send(port, b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            b"Transfer-Encoding: chunked\r\n\r\n",
                            _chunked(lazily(200 * MiB, head=b'{"name": "aida", "password": "')))
        finally:
            stop.set()
            watcher.join()
        assert (anonymous, declared, streamed, sign_in) == (401, 413, 413, 413)
        assert max(peak) - idle < 50 * MiB, f"idle {idle / MiB:.0f} MB, peak {max(peak) / MiB:.0f} MB"
        assert max(spooled) <= 5_000_000 + 64 * 1024, f"{max(spooled) / MiB:.0f} MB spooled to the temporary folder"
        assert httpx.post(f"{url}/api/login", json={"name": "aida", "password": PASSWORD}).status_code == 200


@pytest.mark.slow
def test_forwarded_for_counts_only_from_a_proxy_named_to_serve(rt: Runtime) -> None:
    """30 wrong passwords from loopback, each with another X-Forwarded-For: 429 after the 5th,
    unless `serve --forwarded-allow-ips` names loopback as the proxy."""
    def tries(url: str) -> list[int]:
        with httpx.Client(base_url=url, timeout=30) as client:
            return [client.post("/api/login", json={"name": "bakyt", "password": "wrong password"},
                                headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code for n in range(30)]

    with served(rt.settings.root) as (url, _):
        assert tries(url) == [401] * 5 + [429] * 25
    with served(rt.settings.root, "--forwarded-allow-ips", "127.0.0.1") as (url, _):
        assert tries(url) == [401] * 30  # each try from another client, as the proxy says
