"""Who is asking, how much they may send, and what every answer carries.

Sessions are signed cookies (HttpOnly, SameSite=Strict, and Secure when served over
HTTPS) that carry the user's session stamp (see :mod:`tilmech.services.users`): signing
out, a new password or role and removal give the user a new stamp, which ends all of
their sessions at once. A session also ends after ``web.session_idle_minutes`` without a
request and ``web.session_hours`` after signing in. Every state-changing request made
with the session cookie carries the session's CSRF token (a form field or the
``X-CSRF-Token`` header). API clients may instead send ``Authorization: Bearer TOKEN``.
Failed sign-ins are rate-limited per name and client (the peer's address: proxy headers
count only when ``tilmech serve --forwarded-allow-ips`` names the proxy).

:class:`BodyLimit` bounds what a request may send before any of it is read: an upload
(a multipart body) only from a signed-in user, up to ``limits.upload_bytes``, anything
else up to ``limits.request_bytes``; more is refused with 413. Every response, error
answers included, carries a Content-Security-Policy without inline script and the other
headers of :class:`SecurityHeaders`.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import Depends, Request

from .. import services
from ..auth import User
from ..errors import ContentTooLarge, Forbidden, Unauthorized
from ..runtime import Runtime
from .state import workbench

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SESSION_COOKIE = "tilmech_session"
UPLOAD_FRAMING = 64 * 1024  # bytes of a multipart body beyond its file: boundaries, part headers, the CSRF field


class SecurityHeaders:
    """Security headers on every response; over HTTPS, the session cookie marked Secure (and HSTS).

    The outermost middleware of the app, so that what the error funnel answers carries them too.
    """

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


# The dependencies are coroutines: each is one indexed read (or none), cheaper on the event
# loop than a hop to the thread pool, which FastAPI makes for every plain function.

async def signed_in(request: Request) -> User:
    """The user of the request's bearer token or session; 401 when there is none."""
    return current_user(request)


def current_user(request: Request) -> User:
    """The user of the request's bearer token or live session (whose last request it records);
    401 when there is none, or when the session has ended."""
    bench = workbench(request)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        request.state.by_token = True
        holder, label = services.token_holder(bench.runtime, header[7:].strip())
        request.state.surface = f"api (token {label})" if label else "api"
        return holder
    session = request.session
    name = session.get("user")
    if not name:
        raise Unauthorized("sign in first")
    now = bench.clock()
    limits = bench.runtime.settings.web
    born, seen = session.get("born"), session.get("seen")
    if not isinstance(born, int | float) or not isinstance(seen, int | float) \
            or now - seen > limits.session_idle_minutes * 60 or now - born > limits.session_hours * 3600:
        session.clear()
        raise Unauthorized("your session has expired: sign in again")
    user = services.session_user(bench.runtime, str(name), str(session.get("stamp", "")))
    if user is None:
        session.clear()
        raise Unauthorized("your session has ended (signed out, or the account was changed): sign in again")
    session["seen"] = int(now)
    return user


async def acting(request: Request, user: User = Depends(signed_in)) -> Runtime:
    """The runtime acting as the signed-in user: the services check that user's role."""
    return workbench(request).runtime.acting_as(user, getattr(request.state, "surface", "web"))


async def mutating(request: Request, user: User = Depends(signed_in)) -> Runtime:
    """As :func:`acting`, for a state change: a session request must carry its CSRF token."""
    check_csrf(request, request.headers.get("x-csrf-token"))
    return workbench(request).runtime.acting_as(user, getattr(request.state, "surface", "web"))


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use)."""
    if "csrf" not in request.session:
        request.session["csrf"] = secrets.token_urlsafe(24)
    return str(request.session["csrf"])


def check_csrf(request: Request, sent: str | None) -> None:
    """Refuse a session request without its session's token (token requests need none)."""
    if getattr(request.state, "by_token", False):
        return
    expected = request.session.get("csrf")
    if not expected or not sent or not secrets.compare_digest(str(expected), sent):
        raise Forbidden("the form has expired (CSRF check failed): reload the page and try again")


def sign_in(request: Request, name: str, password: str) -> User:
    """Check the password, within the rate limit of failed attempts; start a new session."""
    bench = workbench(request)
    client = request.client.host if request.client else "?"
    bench.limiter.check(client, name)
    try:
        user, stamp = services.start_session(bench.runtime, name, password)
    except Unauthorized:
        bench.limiter.failed(client, name)
        raise
    bench.limiter.succeeded(client, name)
    request.session.clear()
    now = int(bench.clock())
    request.session.update(user=user.name, stamp=stamp, born=now, seen=now)
    return user


def sign_out(request: Request) -> None:
    """End every session of the signed-in user (in every browser), then forget this one."""
    name, stamp = request.session.get("user"), request.session.get("stamp")
    if name and stamp:  # only a live session may: an old cookie of the user's cannot sign them out
        services.end_sessions(workbench(request).runtime, str(name), str(stamp))
    request.session.clear()


def local_target(target: str) -> str:
    """Only redirect within the workbench: a path of this site, else the dashboard."""
    safe = target.startswith("/") and target[1:2] not in ("/", "\\") and target.isprintable()
    return target if safe else "/"


class BodyLimit:
    """Bound what a request may send, before any of it is read.

    An upload (a multipart body) is read only from a signed-in user (401 first, otherwise),
    up to ``limits.upload_bytes`` and its framing; any other body up to
    ``limits.request_bytes``. A larger ``Content-Length`` is refused at once; a body sent
    without one is counted as it streams and refused when it passes the limit. Either way
    the answer is :class:`~tilmech.errors.ContentTooLarge` (413) through the error funnel.
    Inside the session middleware (it reads the session), inside the error funnel.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        limits = workbench(request).runtime.settings.limits
        if request.headers.get("content-type", "").lower().startswith("multipart/"):
            current_user(request)  # 401 before a byte of the upload is read
            limit = limits.upload_bytes + UPLOAD_FRAMING
            too_large = ContentTooLarge(f"the upload is larger than the limit of {limits.upload_bytes:,} bytes: "
                                        "split the file, or raise limits.upload_bytes in tilmech.yaml")
        else:
            limit = limits.request_bytes
            too_large = ContentTooLarge(f"the request body is larger than the limit of {limit:,} bytes: send "
                                        "less at once, or raise limits.request_bytes in tilmech.yaml")
        declared = request.headers.get("content-length", "")
        if declared.strip().isdigit() and int(declared) > limit:
            raise too_large
        received, overflowed, answered = 0, False, False

        async def counting() -> Any:
            nonlocal received, overflowed
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    overflowed = True
                    raise too_large
            return message

        async def unless_overflowed(message: Any) -> None:
            nonlocal answered
            if overflowed:  # the app's answer to the aborted read (FastAPI makes it a 400): ours replaces it
                return
            answered = answered or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting, unless_overflowed)
        except Exception:
            if not overflowed:
                raise
        if overflowed and not answered:
            raise too_large  # the error funnel answers it
