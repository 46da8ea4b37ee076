"""Machine translation engines: ``argos`` (default) and ``pseudo`` (previews and tests)."""

from __future__ import annotations

from ..errors import ConfigError
from .base import Engine, MTResult


def create_engine(name: str, *, beam_size: int = 4, max_batch_size: int = 32, max_decoding_length: int = 512,
                  compute_type: str = "default", threads: int = 0) -> Engine:
    if name == "argos":
        from .argos import ArgosEngine

        return ArgosEngine(beam_size=beam_size, max_batch_size=max_batch_size,
                           max_decoding_length=max_decoding_length, compute_type=compute_type,
                           threads=threads)
    if name == "pseudo":
        from .pseudo import PseudoEngine

        return PseudoEngine()
    raise ConfigError(f"unknown engine {name!r}: use argos or pseudo")


__all__ = ["Engine", "MTResult", "create_engine"]
