"""Prefect flows: thin wiring over ``tilmech.services`` (installed as ``tilmech.flows``)."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager

_FROZEN = False


def reports_to_a_server() -> bool:
    """Whether flow runs go to a Prefect server (``PREFECT_API_URL``), not a temporary API that
    ends with this process."""
    from prefect.context import get_settings_context

    return bool(get_settings_context().settings.api.url)


@contextmanager
def run_here(api_url: str | None = None) -> Iterator[None]:
    """Settings for flows run in this process, as ``tilmech translate``, ``sync`` and ``publish`` run them.

    ``api_url``: the project's own Prefect server (:mod:`tilmech.prefect_server`), used when no
    server is configured; it runs no service that watches heartbeats, so they are off with it too.

    Without a Prefect server (no ``PREFECT_API_URL``) Prefect starts a temporary one that
    ends with this process, so no one could tell a crashed run by its missing heartbeats;
    yet the heartbeat thread makes each flow run last until its next one-second step as the
    run ends: about a second for a run with nothing to do. Heartbeats are then off. Against
    a server, or with ``PREFECT_FLOWS_HEARTBEAT_FREQUENCY`` set, they stay as configured.

    The first time in a process, the objects made so far are set aside from the garbage
    collector (:func:`gc.freeze`): the modules of Prefect, pydantic, SQLAlchemy and the
    engines, about 300 000 objects that live as long as the process. Each full collection
    during a run would otherwise go through them all again: a third of a second each, and
    a run of a few edited sentences takes two seconds.

    The processes a run starts (that temporary server, a process pool's workers) end with this
    process, also when it is killed: :func:`tilmech.lifeline.watch_children`.
    """
    from prefect.context import SettingsContext, get_settings_context

    from tilmech.lifeline import watch_children

    watch_children()
    global _FROZEN
    if not _FROZEN:
        gc.freeze()
        _FROZEN = True

    context = get_settings_context()
    settings = context.settings
    chosen = any(os.environ.get(name) for name in ("PREFECT_FLOWS_HEARTBEAT_FREQUENCY",
                                                   "PREFECT_RUNNER_HEARTBEAT_FREQUENCY"))
    update: dict[str, object] = {}
    if reports_to_a_server():
        chosen = True
    elif api_url:
        update["api"] = settings.api.model_copy(update={"url": api_url})
    if not chosen and settings.flows.heartbeat_frequency is not None:
        update["flows"] = settings.flows.model_copy(update={"heartbeat_frequency": None})
    if not update:
        yield
        return
    before = os.environ.get("PREFECT_API_URL")
    if "api" in update:
        os.environ["PREFECT_API_URL"] = str(api_url)  # the processes a run starts inherit it
    try:
        # a copy with values changed (prefect.settings.temporary_settings would validate every
        # setting again, reading the environment and profiles: a third of a second)
        with SettingsContext(profile=context.profile, settings=settings.model_copy(update=update)):
            yield
    finally:
        if "api" in update:
            if before is None:
                os.environ.pop("PREFECT_API_URL", None)
            else:
                os.environ["PREFECT_API_URL"] = before
