"""The one place that wires settings, store, glossary and engines together."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from .auth import User
from .languages import Language
from .mt import Engine, create_engine
from .settings import Settings, load_settings

if TYPE_CHECKING:  # the glossary (pydantic models, morphology) and the store (SQLAlchemy) load when first used
    from .glossary import Glossary, TermMatcher
    from .store import Store


def os_login() -> str:
    """The operating system's login name ("" when the system has none for this process)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container's uid without a passwd entry
        return ""


def current_user() -> str:
    return os.environ.get("TILMECH_USER") or os_login() or "operator"


@dataclass
class Runtime:
    settings: Settings
    user: str = field(default_factory=current_user)
    actor: User | None = None  # a signed-in user whose permissions apply; None: the local operator
    _engines: dict[str, Engine] = field(default_factory=dict, repr=False)
    # where the change comes from, for the history: "cli" (with the OS login when it differs from
    # the user), "web", "api (token LABEL)", "xliff (...)"; "" for the operator's flows
    surface: str = ""

    def acting_as(self, actor: User, surface: str = "web") -> Runtime:
        """A runtime for one signed-in user, sharing this one's store, glossary and engines."""
        return self._sharing(actor.name, actor, surface)

    def on_surface(self, surface: str) -> Runtime:
        """This runtime's user and role, recorded as acting through ``surface`` (store and engines shared)."""
        return self._sharing(self.user, self.actor, surface)

    def _sharing(self, user: str, actor: User | None, surface: str) -> Runtime:
        other = Runtime(self.settings, user, actor, self._engines, surface)
        for shared in ("store", "glossary", "matcher"):
            other.__dict__[shared] = getattr(self, shared)
        return other

    @cached_property
    def store(self) -> Store:
        from .store import Store

        return Store(self.settings.store_url, timeout=self.settings.store_timeout)

    @cached_property
    def glossary(self) -> Glossary:
        from .glossary import load_glossary

        return load_glossary(self.settings.path("glossary"), self.settings.root)

    @cached_property
    def matcher(self) -> TermMatcher:
        from .glossary import TermMatcher

        return TermMatcher(self.glossary)

    def engine(self, lang: Language) -> Engine:
        """The first engine configured for ``lang``."""
        return self.engine_named(self.settings.engine_for(lang.code))

    def engine_named(self, name: str) -> Engine:
        """An engine by name; created on first use, shared by the languages using it."""
        if name not in self._engines:
            mt = self.settings.mt
            self._engines[name] = create_engine(name, beam_size=mt.beam_size, max_batch_size=mt.max_batch_size,
                                                max_decoding_length=mt.max_decoding_length,
                                                compute_type=mt.compute_type, threads=mt.threads,
                                                definition=self.settings.engine_defs.get(name),
                                                root=self.settings.root)
        return self._engines[name]

    @property
    def engine_calls(self) -> int:
        return sum(e.calls for e in self._engines.values())

    def close(self) -> None:
        for engine in self._engines.values():
            engine.close()
        if "store" in self.__dict__:
            self.store.close()


def load_runtime(project: Path | str | None = None, user: str | None = None) -> Runtime:
    settings = load_settings(Path(project) if project is not None else None)
    runtime = Runtime(settings)
    if user:
        runtime.user = user
    return runtime
