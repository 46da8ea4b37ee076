"""Who is asking, and what every answer carries.

Sessions are signed cookies (HttpOnly, SameSite=Strict, and Secure when served over
HTTPS); every state-changing request made with the session cookie carries the
session's CSRF token (a form field or the ``X-CSRF-Token`` header). API clients may
instead send ``Authorization: Bearer TOKEN``. Failed sign-ins are rate-limited per
name and client. Every response, error answers included, carries a
Content-Security-Policy without inline script and the other headers of
:class:`SecurityHeaders`.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import Depends, Request

from .. import services
from ..auth import User
from ..errors import Forbidden, Unauthorized
from ..runtime import Runtime
from .state import workbench

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SESSION_COOKIE = "tilmech_session"
SESSION_SECONDS = 12 * 3600


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
    rt = workbench(request).runtime
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        request.state.by_token = True
        return services.user_by_token(rt, header[7:].strip())
    name = request.session.get("user")
    user = services.get_user(rt, name) if name else None
    if user is None:
        raise Unauthorized("sign in first")
    return user


async def acting(request: Request, user: User = Depends(signed_in)) -> Runtime:
    """The runtime acting as the signed-in user: the services check that user's role."""
    return workbench(request).runtime.acting_as(user)


async def mutating(request: Request, user: User = Depends(signed_in)) -> Runtime:
    """As :func:`acting`, for a state change: a session request must carry its CSRF token."""
    check_csrf(request, request.headers.get("x-csrf-token"))
    return workbench(request).runtime.acting_as(user)


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
        user = services.authenticate(bench.runtime, name, password)
    except Unauthorized:
        bench.limiter.failed(client, name)
        raise
    bench.limiter.succeeded(client, name)
    request.session.clear()
    request.session["user"] = user.name
    return user


def local_target(target: str) -> str:
    """Only redirect within the workbench: a path of this site, else the dashboard."""
    safe = target.startswith("/") and target[1:2] not in ("/", "\\") and target.isprintable()
    return target if safe else "/"
