"""A language's engines tried in turn: a text the first engine fails on goes to the next.

An engine fails on a text when it raises for the whole batch (model missing, server
unreachable) or returns a result with ``error`` set (budget spent, placeholders lost
twice). The last engine's failures are final: a result with text is kept (and
flagged by the caller), one without text leaves the segment untranslated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import progress
from ..errors import TilmechError
from ..languages import Language
from .base import Advance, Engine, ModelInfo, MTContext


@dataclass(frozen=True)
class ChainLink:
    engine: Engine
    info: ModelInfo


@dataclass(frozen=True)
class Draft:
    """One text's translation and who made it: engine, model id and model version."""

    text: str
    score: float | None
    engine: str
    model: str
    version: str
    error: str | None = None  # the last engine gave up on it but returned text: keep it, flagged


@dataclass
class ChainOutcome:
    drafts: dict[str, Draft] = field(default_factory=dict)  # input text -> draft
    notes: list[str] = field(default_factory=list)  # each fallback, in words
    unfinished: dict[str, str] = field(default_factory=dict)  # input text -> why no engine translated it
    failure: Exception | None = None  # the last engine raised: nothing after it to try


FailureNamer = Callable[[Engine, list[str], Exception], Exception]


def translate_with_chain(links: Sequence[ChainLink], texts: Sequence[str], source: Language, target: Language,
                         contexts: Mapping[str, MTContext] | None = None, *,
                         name_failure: FailureNamer | None = None, advance: Advance | None = None) -> ChainOutcome:
    """Translate ``texts`` with the first engine of ``links``, what it fails on with the next, and so on."""
    out = ChainOutcome()
    remaining = list(dict.fromkeys(texts))
    for i, link in enumerate(links):
        if not remaining:
            break
        engine = link.engine
        last = i == len(links) - 1
        following = "" if last else links[i + 1].engine.name
        kwargs: dict[str, Any] = {}
        if contexts is not None and getattr(engine, "wants_context", False):
            kwargs["contexts"] = [contexts.get(t, MTContext()) for t in remaining]
        try:
            if advance is not None:  # the caller shows the progress
                results = engine.translate(remaining, source, target, advance, **kwargs)
            else:
                with progress.task(f"{source.code}→{target.code} ({engine.name})", len(remaining)) as step:
                    results = engine.translate(remaining, source, target, step, **kwargs)
        except Exception as exc:
            if last:
                out.failure = exc if isinstance(exc, TilmechError) or name_failure is None \
                    else name_failure(engine, remaining, exc)
                return out
            out.notes.append(f"{engine.name} failed ({exc}): {len(remaining)} segments went to {following}")
            continue
        passed: list[str] = []
        reasons: list[str] = []
        for text, result in zip(remaining, results, strict=True):
            if result.error and not last:
                passed.append(text)
                reasons.append(result.error)
            elif result.error and not result.text.strip():
                out.unfinished[text] = f"{engine.name}: {result.error}"
            else:
                out.drafts[text] = Draft(result.text, result.score, engine.name, link.info.model,
                                         link.info.version, result.error)
        if passed:
            out.notes.append(f"{engine.name}: {len(passed)} segments went to {following} ({reasons[0]})")
        remaining = passed
    return out
