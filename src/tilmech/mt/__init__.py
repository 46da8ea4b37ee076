"""Machine translation engines: ``argos`` (default), ``pseudo`` (previews and tests), and engines defined
in ``engine_defs``: ``ct2`` (a local CTranslate2 model) and ``openai`` (an OpenAI-compatible endpoint)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .base import Engine, ModelInfo, MTContext, MTResult, TermHint


def create_engine(name: str, *, beam_size: int = 4, max_batch_size: int = 32, max_decoding_length: int = 512,
                  compute_type: str = "default", threads: int = 0, definition: Any = None,
                  root: Path | None = None) -> Engine:
    """The engine ``name``: a built-in one, or ``definition`` (an ``engine_defs`` entry) for others."""
    if name == "argos":
        from .argos import ArgosEngine

        return ArgosEngine(beam_size=beam_size, max_batch_size=max_batch_size,
                           max_decoding_length=max_decoding_length, compute_type=compute_type,
                           threads=threads)
    if name == "pseudo":
        from .pseudo import PseudoEngine

        return PseudoEngine()
    kind = getattr(definition, "type", None)
    if kind == "ct2":
        from .ct2 import Ct2Config, Ct2Engine

        return Ct2Engine(Ct2Config.from_definition(name, definition, root or Path(".")), beam_size=beam_size,
                         max_batch_size=max_batch_size, max_decoding_length=max_decoding_length,
                         compute_type=compute_type, threads=threads)
    if kind == "openai":
        from .openai import OpenAIEngine

        return OpenAIEngine(name, definition)
    raise ConfigError(f"unknown engine {name!r}: use argos or pseudo, or define it under engine_defs")


def model_info(engine: Engine, source: Any, target: Any) -> ModelInfo:
    """The model ``engine`` uses for the pair (engines without ``model_info`` are named by themselves)."""
    info = getattr(engine, "model_info", None)
    return info(source, target) if info is not None else ModelInfo(engine.name, "")


__all__ = ["Engine", "MTContext", "MTResult", "ModelInfo", "TermHint", "create_engine", "model_info"]
