"""What every router of the workbench reads from the app: the runtime, the templates, the sign-in
limiter, the clock sessions are timed by.

``create_app`` puts one :class:`Workbench` on ``app.state``; routes reach it through
the request (:func:`workbench`), so no route closes over the runtime.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from fastapi import Request
from fastapi.templating import Jinja2Templates

from ..auth import SignInLimiter
from ..runtime import Runtime


@dataclass(frozen=True)
class Workbench:
    runtime: Runtime  # the operator's runtime; each request acts as its signed-in user (``acting_as``)
    limiter: SignInLimiter
    templates: Jinja2Templates
    clock: Callable[[], float] = field(default=time.time)  # seconds since the epoch: sessions outlive processes


def workbench(request: Request) -> Workbench:
    """The workbench of the app serving ``request``."""
    return cast(Workbench, request.app.state.workbench)
