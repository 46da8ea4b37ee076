"""Pseudo-localization: accented, about 30 % longer text with markup kept.

Not a translation: it shows what a layout does with longer text and non-ASCII
letters, and proves that placeholders survive the pipeline. Output is wrapped in
``[…]`` so a pseudo-localized text is never mistaken for a real one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..languages import Language
from ..markdown.placeholders import PLACEHOLDER_RE
from .base import Advance, ModelInfo, MTContext, MTResult

_ACCENTS = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "ȧƀƈḓḗƒɠħīĵķŀḿƞǿƥɋřşŧŭṽẇẋẏẑȦƁƇḒḖƑƓĦĪĴĶĿḾȠǾƤɊŘŞŦŬṼẆẊẎẐ",
)
_WORD = re.compile(r"[A-Za-z]+")


def pseudo_localize(text: str, expansion: float = 0.3) -> str:
    """Accent letters outside placeholders and pad to about ``expansion`` longer."""
    parts: list[str] = []
    pos = 0
    letters = 0
    for m in PLACEHOLDER_RE.finditer(text):
        chunk = text[pos : m.start()]
        parts.append(_WORD.sub(lambda w: w.group(0).translate(_ACCENTS), chunk))
        letters += len(chunk)
        parts.append(m.group(0))
        pos = m.end()
    tail = text[pos:]
    parts.append(_WORD.sub(lambda w: w.group(0).translate(_ACCENTS), tail))
    letters += len(tail)
    padding = "~" * max(1, round(letters * expansion))
    return "[" + "".join(parts) + " " + padding + "]"


class PseudoEngine:
    name = "pseudo"

    def __init__(self) -> None:
        self.calls = 0

    def translate(self, texts: Sequence[str], source: Language, target: Language,
                  advance: Advance | None = None, contexts: Sequence[MTContext] | None = None) -> list[MTResult]:
        out = []
        for text in texts:
            out.append(MTResult(pseudo_localize(text)))
            self.calls += 1
            if advance:
                advance(1)
        return out

    def model_info(self, source: Language, target: Language) -> ModelInfo:
        return ModelInfo("pseudo", "1")

    def close(self) -> None:
        pass
