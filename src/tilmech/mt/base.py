"""The engine interface: a batch of segment texts in, one result per text out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from ..languages import Language

Advance = Callable[[int], None]


@dataclass(frozen=True)
class MTResult:
    text: str
    score: float | None = None  # model score (log-probability normalized by length) when the engine gives one


class Engine(Protocol):
    """A machine translation engine.

    ``translate`` receives every text of a run for one language pair at once, so
    an engine can batch; placeholders such as ``{1}`` and ``{/1}`` must survive.
    ``calls`` counts texts sent to the engine, for reports and tests.
    """

    name: str
    calls: int

    def translate(self, texts: Sequence[str], source: Language, target: Language,
                  advance: Advance | None = None) -> list[MTResult]: ...

    def close(self) -> None: ...
