"""``create_app(runtime)``: the workbench assembled from its parts.

Middleware, outermost first: :class:`~.security.SecurityHeaders` (on every answer),
:class:`~.errors.ErrorFunnel` (any exception no handler took), the signed session
cookie, :class:`~.security.BodyLimit` (how much a request may send, and uploads only
from signed-in users). Then the static files, the JSON API (:mod:`.api`) and the pages
(:mod:`.pages`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from .. import services
from ..auth import SignInLimiter
from ..runtime import Runtime
from . import api, errors, pages
from .security import SESSION_COOKIE, BodyLimit, SecurityHeaders
from .state import Workbench

HERE = Path(__file__).resolve().parent


def create_app(rt: Runtime, limiter: SignInLimiter | None = None,
               clock: Callable[[], float] = time.time) -> FastAPI:
    """The workbench over ``rt``'s project; ``limiter``: the sign-in rate limit, ``clock``: the time
    sessions are measured by (tests pass their own clocks)."""
    rt.store.analyze()  # the queue's queries plan on fresh statistics
    app = FastAPI(title="Tilmech workbench", version="1", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.workbench = Workbench(rt, limiter or SignInLimiter(), Jinja2Templates(directory=HERE / "templates"),
                                    clock)
    app.add_middleware(BodyLimit)
    # the cookie's own age (renewed with every answer) bounds it too; the session checks its times itself
    app.add_middleware(SessionMiddleware, secret_key=services.secret_key(rt), session_cookie=SESSION_COOKIE,
                       same_site="strict", https_only=False, max_age=int(rt.settings.web.session_hours * 3600) + 1)
    app.add_middleware(errors.ErrorFunnel)
    app.add_middleware(SecurityHeaders)  # added last: the outermost
    errors.install(app)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    return app


def app_from_environment() -> FastAPI:
    """The app of the project in ``TILMECH_SERVE_PROJECT`` (each process of `tilmech serve --workers N`)."""
    from ..runtime import load_runtime

    return create_app(load_runtime(Path(os.environ["TILMECH_SERVE_PROJECT"]), os.environ.get("TILMECH_USER")))
