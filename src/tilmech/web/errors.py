"""The web app's one error funnel: every exception, ours or not, ends here.

On ``/api/`` (and ``/openapi.json``) the answer is the one JSON error shape,
``{"error": {"status": 409, "type": "Conflict", "message": "..."}}`` (a stale save adds
``current_text`` and ``current_version``, an approval with unacknowledged findings ``findings``); elsewhere it is the error page. Our own errors
answer their ``http_status``; Starlette's 404 and 405 and FastAPI's request validation
(422) keep their status; a busy or unreachable store answers 503 (``StoreUnavailable``);
anything else is a 500 whose details go to the server log only, under a reference the
answer gives.
:class:`SecurityHeaders` sits outside the funnel, so every error answer carries the
security headers.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from ..errors import (
    Conflict,
    EnvironmentNotReady,
    FindingsNotAcknowledged,
    TilmechError,
    TooManyRequests,
    Unauthorized,
)
from ..store import unavailable
from .security import local_target
from .state import workbench

log = logging.getLogger("tilmech.web")


@dataclass(frozen=True)
class Problem:
    """What went wrong, as the answer tells it."""

    status: int
    type: str
    message: str
    extra: dict[str, Any] = field(default_factory=dict)  # more members of the JSON error
    headers: dict[str, str] = field(default_factory=dict)


def is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/") or path == "/openapi.json"


def problem_of(request: Request, exc: Exception) -> Problem:
    """The one mapping from an exception to the answer's status, type and message."""
    if isinstance(exc, TilmechError):
        extra: dict[str, Any] = {}
        if isinstance(exc, Conflict):
            extra = {"current_text": exc.current_text, "current_version": exc.current_version}
        elif isinstance(exc, FindingsNotAcknowledged):
            extra = {"findings": exc.findings}
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else {}
        if isinstance(exc, EnvironmentNotReady):  # the operator may have to act: a busy store, a missing model
            log.warning("%s %s: %s", request.method, request.url.path, exc)
        return Problem(exc.http_status, type(exc).__name__, str(exc), extra, headers)
    if isinstance(exc, RequestValidationError):
        return Problem(422, "ValidationError", _validation_message(exc.errors()))
    if isinstance(exc, HTTPException):
        return _http_problem(request, exc)
    if isinstance(exc, OperationalError):  # one the store did not map itself (it maps those of its sessions)
        settings = workbench(request).runtime.settings
        mapped = unavailable(settings.store_url, settings.store_timeout, exc)
        if mapped is not None:  # busy past store_timeout, or unreachable: 503, try again
            return problem_of(request, mapped)
    reference = secrets.token_hex(4)
    log.error("internal error %s on %s %s", reference, request.method, request.url.path, exc_info=exc)
    return Problem(500, "InternalError", f"internal error (reference {reference}): try again; if it persists, "
                                         "report it with this reference (the server's log has the details)")


def _validation_message(errors: Any) -> str:
    """Each problem as ``where: problem``, e.g. ``body.text: String should have at least 1 character``."""
    lines = []
    for error in errors:
        where = ".".join(str(part) for part in error.get("loc", ())) or "request"
        lines.append(f"{where}: {error.get('msg', 'invalid')}")
    if len(lines) == 1:
        return lines[0]
    return f"{len(lines)} problems: " + "; ".join(lines)


def _http_problem(request: Request, exc: HTTPException) -> Problem:
    try:
        phrase = HTTPStatus(exc.status_code).phrase
    except ValueError:
        phrase = "Error"
    path = request.url.path
    headers = dict(exc.headers or {})
    if exc.status_code == 404:
        message = (f"no such path: {path}: the API is described at /openapi.json" if is_api(path)
                   else f"no such page: {path}")
    elif exc.status_code == 405:
        allowed = headers.get("Allow") or headers.get("allow") or ""
        message = f"{request.method} is not allowed on {path}" + (f": use {allowed}" if allowed else "")
    else:
        message = str(exc.detail) if exc.detail else phrase
    return Problem(exc.status_code, re.sub(r"[^A-Za-z]", "", phrase.title()), message, headers=headers)


def error_response(request: Request, exc: Exception) -> Response:
    """The answer to ``exc``: the JSON error shape on the API, the error page for people."""
    problem = problem_of(request, exc)
    headers = problem.headers or None
    if is_api(request.url.path):
        body = {"status": problem.status, "type": problem.type, "message": problem.message, **problem.extra}
        return JSONResponse({"error": body}, status_code=problem.status, headers=headers)
    if isinstance(exc, Unauthorized) and request.method == "GET":
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    context = {"message": problem.message, "user": None, "back": _back(request)}
    return workbench(request).templates.TemplateResponse(request, "error.html", context,
                                                         status_code=problem.status, headers=headers)


def _back(request: Request) -> str | None:
    """The page of this site the request came from (its Referer), where the error page's Back leads."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.url.netloc or not referer.path:
        return None
    back = referer.path + (f"?{referer.query}" if referer.query else "")
    return back if local_target(back) == back and back != request.url.path else None


async def _handle(request: Request, exc: Exception) -> Response:
    return error_response(request, exc)


class ErrorFunnel:
    """The exceptions no handler took (ours, Starlette's and FastAPI's have handlers:
    :func:`install`) end here: database, OS and programming errors alike."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watching(message: Any) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watching)
        except ClientDisconnect:  # the client went away while sending its request: no one to answer
            return
        except Exception as exc:
            if started:  # too late for another answer: the server closes the connection and logs it
                raise
            request = Request(scope, receive)
            try:
                response = error_response(request, exc)
            except Exception:  # the error page itself failed
                log.exception("the error page failed on %s %s", request.method, request.url.path)
                response = PlainTextResponse("internal error: the server's log has the details", status_code=500)
            await response(scope, receive, send)


def install(app: FastAPI) -> None:
    """Route every exception of ``app`` to :func:`error_response` (add :class:`ErrorFunnel` as well)."""
    for kind in (TilmechError, HTTPException, RequestValidationError):
        app.add_exception_handler(kind, _handle)
