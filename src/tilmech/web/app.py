"""``create_app(runtime)``: the workbench assembled from its parts.

Middleware, outermost first: :class:`~.security.SecurityHeaders` (on every answer),
:class:`~.errors.ErrorFunnel` (any exception no handler took), the signed session
cookie. Then the static files, the JSON API (:mod:`.api`) and the pages (:mod:`.pages`).
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from .. import services
from ..auth import SignInLimiter
from ..runtime import Runtime
from . import api, errors, pages
from .security import SESSION_COOKIE, SESSION_SECONDS, SecurityHeaders
from .state import Workbench

HERE = Path(__file__).resolve().parent


def create_app(rt: Runtime, limiter: SignInLimiter | None = None) -> FastAPI:
    """The workbench over ``rt``'s project; ``limiter``: the sign-in rate limit (tests pass a clock)."""
    rt.store.analyze()  # the queue's queries plan on fresh statistics
    app = FastAPI(title="Tilmech workbench", version="1", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.workbench = Workbench(rt, limiter or SignInLimiter(), Jinja2Templates(directory=HERE / "templates"))
    app.add_middleware(SessionMiddleware, secret_key=services.secret_key(rt), session_cookie=SESSION_COOKIE,
                       same_site="strict", https_only=False, max_age=SESSION_SECONDS)
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
