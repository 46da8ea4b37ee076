"""The review workbench: server-rendered pages and a JSON API over the same services.

``create_app(runtime)`` builds the FastAPI application. Pages and ``/api/`` call
:mod:`tilmech.services` with a runtime acting as the signed-in user, so roles are
enforced in one place. Sessions are signed cookies (HttpOnly, SameSite=Strict, and
Secure when served over HTTPS); every state-changing request made with the session
cookie carries the session's CSRF token (a form field or the ``X-CSRF-Token``
header). API clients may instead send ``Authorization: Bearer TOKEN``. Everything but
the sign-in page and the static files needs a signed-in user; failed sign-ins are
rate-limited; every response carries a Content-Security-Policy without inline script.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
import secrets
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field
from starlette.middleware.sessions import SessionMiddleware

from .. import services
from ..auth import SignInLimiter, User
from ..errors import Conflict, Forbidden, TilmechError, TooManyRequests, Unauthorized, UsageError
from ..inputs import decode_input
from ..runtime import Runtime

HERE = Path(__file__).resolve().parent
MAX_TEXT = 20_000  # characters of one segment's text


class Login(BaseModel):
    name: str = Field(max_length=100)
    password: str = Field(max_length=1000)


class Edit(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    version: int | None = None


class Transition(BaseModel):
    version: int | None = None
    note: str = Field("", max_length=2000)


class BulkApprove(BaseModel):
    max_risk: float = Field(ge=0, le=100)
    dry_run: bool = False
    only: list[str] | None = None  # the segment ids a dry run returned


class CommentBody(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


_SCALARS = frozenset({str, int, float, bool})


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def _data(value: Any) -> Any:
    """Plain JSON data of service results (frozen dataclasses, enums), built in one pass
    (``dataclasses.asdict`` deep-copies first: it cost most of a queue page's time)."""
    if value is None or type(value) in _SCALARS:
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: _data(getattr(value, name)) for name in _field_names(type(value))}
    if isinstance(value, dict):
        return {str(k): _data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_data(v) for v in value]
    return value


CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SESSION_COOKIE = "tilmech_session"


class SecurityHeaders:
    """Security headers on every response; over HTTPS, the session cookie marked Secure (and HSTS)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() not in (b"content-security-policy", b"x-content-type-options",
                                                b"x-frame-options", b"referrer-policy")]
                if https:
                    headers = [(k, v + b"; Secure" if k.lower() == b"set-cookie" and b"secure" not in v.lower()
                                else v) for k, v in headers]
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                headers += [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                            (b"x-frame-options", b"DENY"), (b"referrer-policy", b"same-origin")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def app_from_environment() -> FastAPI:
    """The app of the project in ``TILMECH_SERVE_PROJECT`` (each process of `tilmech serve --workers N`)."""
    from tilmech.runtime import load_runtime

    return create_app(load_runtime(Path(os.environ["TILMECH_SERVE_PROJECT"]), os.environ.get("TILMECH_USER")))


def create_app(rt: Runtime, limiter: SignInLimiter | None = None) -> FastAPI:
    rt.store.analyze()  # the queue's queries plan on fresh statistics
    app = FastAPI(title="Tilmech workbench", version="1", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(SessionMiddleware, secret_key=services.secret_key(rt), session_cookie=SESSION_COOKIE,
                       same_site="strict", https_only=False, max_age=12 * 3600)
    app.add_middleware(SecurityHeaders)
    limiter = limiter or SignInLimiter()
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")

    # -- who is asking ------------------------------------------------------------------

    # The dependencies are coroutines: each is one indexed read (or none), cheaper on the event
    # loop than a hop to the thread pool, which FastAPI makes for every plain function.
    async def signed_in(request: Request) -> User:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            request.state.by_token = True
            return services.user_by_token(rt, header[7:].strip())
        name = request.session.get("user")
        user = services.get_user(rt, name) if name else None
        if user is None:
            raise Unauthorized("sign in first")
        return user

    def csrf_token(request: Request) -> str:
        if "csrf" not in request.session:
            request.session["csrf"] = secrets.token_urlsafe(24)
        return str(request.session["csrf"])

    def check_csrf(request: Request, sent: str | None) -> None:
        if getattr(request.state, "by_token", False):
            return
        expected = request.session.get("csrf")
        if not expected or not sent or not secrets.compare_digest(str(expected), sent):
            raise Forbidden("the form has expired (CSRF check failed): reload the page and try again")

    def sign_in(request: Request, name: str, password: str) -> User:
        """Check the password, within the rate limit of failed attempts."""
        client = request.client.host if request.client else "?"
        limiter.check(client, name)
        try:
            user = services.authenticate(rt, name, password)
        except Unauthorized:
            limiter.failed(client, name)
            raise
        limiter.succeeded(client, name)
        return user

    async def upload_text(file: UploadFile) -> str:
        limit = rt.settings.limits.upload_bytes
        return decode_input(await file.read(limit + 1), _upload_name(file), limit, "limits.upload_bytes")

    async def acting(user: User = Depends(signed_in)) -> Runtime:
        return rt.acting_as(user)

    async def mutating(request: Request, user: User = Depends(signed_in)) -> Runtime:
        check_csrf(request, request.headers.get("x-csrf-token"))
        return rt.acting_as(user)

    # -- errors: one shape for the API, a page for people -----------------------------------

    @app.exception_handler(TilmechError)
    async def tilmech_error(request: Request, exc: TilmechError) -> Response:
        if request.url.path.startswith("/api/") or request.url.path == "/openapi.json":
            body: dict[str, Any] = {"status": exc.http_status, "type": type(exc).__name__, "message": str(exc)}
            if isinstance(exc, Conflict):
                body.update(current_text=exc.current_text, current_version=exc.current_version)
            headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
            return JSONResponse({"error": body}, status_code=exc.http_status, headers=headers)
        if isinstance(exc, Unauthorized) and request.method == "GET":
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return templates.TemplateResponse(request, "error.html", {"message": str(exc), "user": None},
                                          status_code=exc.http_status)

    # -- JSON API ---------------------------------------------------------------------------

    @app.get("/openapi.json", include_in_schema=False)
    def openapi(user: User = Depends(signed_in)) -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.post("/api/login", tags=["session"])
    def api_login(body: Login, request: Request) -> dict[str, Any]:
        user = sign_in(request, body.name, body.password)
        request.session.clear()
        request.session["user"] = user.name
        return {"user": _data(user), "csrf": csrf_token(request)}

    @app.post("/api/logout", tags=["session"])
    def api_logout(request: Request) -> dict[str, bool]:
        if request.session.get("user"):
            check_csrf(request, request.headers.get("x-csrf-token"))
        request.session.clear()
        return {"ok": True}

    @app.get("/api/me", tags=["session"])
    def api_me(request: Request, user: User = Depends(signed_in)) -> dict[str, Any]:
        return {"user": _data(user), "csrf": csrf_token(request)}

    @app.get("/api/progress", tags=["review"])
    def api_progress(r: Runtime = Depends(acting)) -> list[dict[str, Any]]:
        return _data(services.progress_table(r))

    @app.get("/api/segments", tags=["review"])
    def api_segments(lang: str | None = None, state: str | None = None, article: str | None = None,
                     q: str | None = None, flag: str | None = None, order: str = "position",
                     min_risk: float | None = None, max_risk: float | None = None,
                     limit: int | None = Query(None, ge=1, description="the first so many in that order"),
                     r: Runtime = Depends(acting)) -> list[dict[str, Any]]:
        return _data(services.review_list(r, lang, state, article, query=q, flag=flag, order=order,
                                          min_risk=min_risk, max_risk=max_risk, limit=limit))

    @app.post("/api/articles/{article}/{lang}/approve", tags=["review"])
    def api_bulk_approve(article: str, lang: str, body: BulkApprove, r: Runtime = Depends(mutating)) -> dict[str, Any]:
        return _data(services.bulk_approve(r, lang, article, body.max_risk, dry_run=body.dry_run, only=body.only))

    @app.get("/api/qa/report", tags=["qa"])
    def api_qa_report(lang: str | None = None, article: str | None = None, worst: int = 10,
                      r: Runtime = Depends(acting)) -> dict[str, Any]:
        return services.qa_report(r, lang, article, worst=worst).to_dict()

    @app.get("/api/segments/{segment_id}", tags=["review"])
    def api_segment(segment_id: str, lang: str | None = None, r: Runtime = Depends(acting)) -> dict[str, Any]:
        return _data(services.review_show(r, segment_id, lang))

    @app.put("/api/segments/{segment_id}/{lang}", tags=["review"])
    def api_edit(segment_id: str, lang: str, body: Edit, r: Runtime = Depends(mutating)) -> dict[str, Any]:
        return _data(services.review_edit(r, segment_id, lang, body.text, body.version))

    @app.post("/api/segments/{segment_id}/{lang}/approve", tags=["review"])
    def api_approve(segment_id: str, lang: str, body: Transition, r: Runtime = Depends(mutating)) -> dict[str, Any]:
        services.review_approve(r, lang, [segment_id], expected_version=body.version)
        return _data(services.review_show(r, segment_id, lang).items[0])

    @app.post("/api/segments/{segment_id}/{lang}/send-back", tags=["review"])
    def api_send_back(segment_id: str, lang: str, body: Transition, r: Runtime = Depends(mutating)) -> dict[str, Any]:
        services.review_send_back(r, lang, [segment_id], body.note, expected_version=body.version)
        return _data(services.review_show(r, segment_id, lang).items[0])

    @app.post("/api/segments/{segment_id}/{lang}/comments", tags=["review"])
    def api_comment(segment_id: str, lang: str, body: CommentBody, r: Runtime = Depends(mutating)) -> dict[str, Any]:
        services.add_comment(r, segment_id, lang, body.text)
        return _data(services.review_show(r, segment_id, lang).comments)

    @app.get("/api/releases", tags=["releases"])
    def api_releases(r: Runtime = Depends(acting)) -> dict[str, Any]:
        return {"releases": _data(services.release_list(r)), "preview": _data(services.release_preview(r))}

    @app.post("/api/releases", tags=["releases"])
    def api_release_create(r: Runtime = Depends(mutating)) -> dict[str, Any]:
        return _data(services.release_create(r))

    @app.post("/api/releases/{release_id}/approve", tags=["releases"])
    def api_release_approve(release_id: int, r: Runtime = Depends(mutating)) -> dict[str, Any]:
        return _data(services.release_approve(r, release_id))

    @app.get("/api/xliff/{article}/{lang}", tags=["xliff"], response_class=Response)
    def api_xliff_export(article: str, lang: str, version: str = "2.1", r: Runtime = Depends(acting)) -> Response:
        text = services.xliff_export(r, article, lang, version)
        return Response(text, media_type="application/xliff+xml", headers={
            "Content-Disposition": f'attachment; filename="{article}.{lang}.xlf"'})

    @app.post("/api/xliff", tags=["xliff"])
    async def api_xliff_import(request: Request, file: UploadFile, r: Runtime = Depends(mutating)) -> list[dict[str, Any]]:
        return _data(services.xliff_import(r, await upload_text(file), _upload_name(file)))

    # -- pages ------------------------------------------------------------------------------

    def page(request: Request, name: str, user: User, **context: Any) -> HTMLResponse:
        return templates.TemplateResponse(request, name, {"user": user, "csrf": csrf_token(request),
                                                          "languages": rt.settings.target_languages, **context})

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_page(request: Request, next: str = "/") -> HTMLResponse:
        return templates.TemplateResponse(request, "login.html", {"user": None, "next": _local(next), "error": ""})

    @app.post("/login", include_in_schema=False)
    def login_form(request: Request, name: str = Form(...), password: str = Form(...),
                   next: str = Form("/")) -> Response:
        try:
            user = sign_in(request, name, password)
        except (Unauthorized, TooManyRequests) as exc:
            headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
            return templates.TemplateResponse(request, "login.html",
                                              {"user": None, "next": _local(next), "error": str(exc)},
                                              status_code=exc.http_status, headers=headers)
        request.session.clear()
        request.session["user"] = user.name
        return RedirectResponse(_local(next), status_code=303)

    @app.post("/logout", include_in_schema=False)
    def logout_form(request: Request, csrf: str = Form("")) -> Response:
        check_csrf(request, csrf)
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def dashboard(request: Request, user: User = Depends(signed_in)) -> HTMLResponse:
        r = rt.acting_as(user)
        return page(request, "dashboard.html", user, progress=services.progress_table(r))

    @app.get("/edit/{article}/{lang}", response_class=HTMLResponse, include_in_schema=False)
    def editor(request: Request, article: str, lang: str, state: str | None = None, flag: str | None = None,
               order: str = "position", q: str | None = None, min_risk: str | None = None,
               max_risk: str | None = None, user: User = Depends(signed_in)) -> HTMLResponse:
        r = rt.acting_as(user)
        items = services.review_list(r, lang, state or None, article, query=q or None, flag=flag or None,
                                     order=order, min_risk=_number(min_risk, "min_risk"),
                                     max_risk=_number(max_risk, "max_risk"))
        views = services.review_views(r, lang, items)
        progress = next((p for p in services.progress_table(r, article) if p.lang == lang), None)
        return page(request, "editor.html", user, article=article, lang=lang, items=items, views=views,
                    progress=progress, may_review=user.may_review(lang),
                    filters={"state": state or "", "flag": flag or "", "order": order, "q": q or "",
                             "min_risk": min_risk or "", "max_risk": max_risk or ""})

    @app.post("/edit/{article}/{lang}/{segment_id}", include_in_schema=False)
    def editor_form(request: Request, article: str, lang: str, segment_id: str, action: str = Form(...),
                    text: str = Form(""), version: int | None = Form(None), csrf: str = Form(""),
                    user: User = Depends(signed_in)) -> Response:
        """The same actions without JavaScript: save, approve, send back, then back to the page."""
        check_csrf(request, csrf)
        r = rt.acting_as(user)
        if action in ("save", "approve") and text.strip():
            current = services.review_show(r, segment_id, lang).items[0]
            if text.strip() != current.text:
                version = services.review_edit(r, segment_id, lang, text, version).version
        if action == "approve":
            services.review_approve(r, lang, [segment_id], expected_version=version)
        elif action == "send-back":
            services.review_send_back(r, lang, [segment_id], expected_version=version)
        return RedirectResponse(f"/edit/{article}/{lang}#seg-{segment_id}", status_code=303)

    @app.post("/edit/{article}/{lang}/xliff", response_class=HTMLResponse, include_in_schema=False)
    async def editor_xliff_import(request: Request, article: str, lang: str, file: UploadFile,
                                  csrf: str = Form(""), user: User = Depends(signed_in)) -> HTMLResponse:
        check_csrf(request, csrf)
        outcomes = services.xliff_import(rt.acting_as(user), await upload_text(file), _upload_name(file))
        return page(request, "imported.html", user, article=article, lang=lang, outcomes=outcomes)

    @app.get("/releases", response_class=HTMLResponse, include_in_schema=False)
    def releases_page(request: Request, user: User = Depends(signed_in)) -> HTMLResponse:
        r = rt.acting_as(user)
        return page(request, "releases.html", user, releases=services.release_list(r),
                    preview=services.release_preview(r))

    @app.post("/releases", include_in_schema=False)
    def releases_create(request: Request, csrf: str = Form(""), user: User = Depends(signed_in)) -> Response:
        check_csrf(request, csrf)
        services.release_create(rt.acting_as(user))
        return RedirectResponse("/releases", status_code=303)

    @app.post("/releases/{release_id}/approve", include_in_schema=False)
    def releases_approve(request: Request, release_id: int, csrf: str = Form(""),
                         user: User = Depends(signed_in)) -> Response:
        check_csrf(request, csrf)
        services.release_approve(rt.acting_as(user), release_id)
        return RedirectResponse("/releases", status_code=303)

    return app


def _upload_name(file: UploadFile) -> str:
    """The uploaded file's own name, for messages: no folders, no control characters, not too long."""
    name = re.split(r"[\\/]", file.filename or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable())[:100]
    return name or "upload.xlf"
def _number(value: str | None, name: str) -> float | None:
    """A number from a form field; empty is none."""
    if value is None or not value.strip():
        return None
    try:
        return float(value)
    except ValueError:
        raise UsageError(f"{name}: {value!r} is not a number") from None


def _local(target: str) -> str:
    """Only redirect within the workbench."""
    safe = target.startswith("/") and target[1:2] not in ("/", "\\") and target.isprintable()
    return target if safe else "/"
