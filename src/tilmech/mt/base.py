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
    # set when the engine gave up on this text (budget spent, placeholders lost twice, server down): the
    # next engine of the language's chain gets it; with no next engine a non-empty text is kept and flagged
    error: str | None = None


@dataclass(frozen=True)
class ModelInfo:
    """Which model made a draft: recorded with every translation and keying the translation memory."""

    model: str  # model id: a package, a model directory, a model name
    version: str  # changes when the model's output may change


@dataclass(frozen=True)
class TermHint:
    """A glossary term of a segment: the placeholder that stands for it in the MT input, and its rendering."""

    tag: str
    source: str
    rendering: str


@dataclass(frozen=True)
class MTContext:
    """What an engine that can use it (an LLM) is told about a text besides the text itself."""

    before: str = ""  # the segment before, in the source language
    after: str = ""  # the segment after
    terms: tuple[TermHint, ...] = ()


class Engine(Protocol):
    """A machine translation engine.

    ``translate`` receives every text of a run for one language pair at once, so
    an engine can batch; placeholders such as ``{1}`` and ``{/1}`` must survive.
    ``contexts`` (one per text, when given) carry neighbours and glossary terms.
    ``calls`` counts texts sent to the engine, for reports and tests.
    ``model_info`` names the model a pair uses, without translating anything.
    """

    name: str
    calls: int

    def translate(self, texts: Sequence[str], source: Language, target: Language,
                  advance: Advance | None = None, contexts: Sequence[MTContext] | None = None) -> list[MTResult]: ...

    def model_info(self, source: Language, target: Language) -> ModelInfo: ...

    def close(self) -> None: ...
