"""The placeholder model of a segment: what glossary matching, QA checks and engines need.

A segment's text stands for inline markup with numbered placeholders: paired markup
(emphasis, strong, links) as ``{1}…{/1}``, atomic things (code spans, images, inline
HTML, hard line breaks, URLs written in the text) as ``{2}``. This module holds the
patterns, the model (:class:`Segment`, :class:`Markup`) and the check that a
translation keeps the placeholders of its source. It is plain regular expressions and
dataclasses: importing it loads no Markdown parser (extraction is :mod:`.extract`,
rendering :mod:`.render`).
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from markdown_it.token import Token

PLACEHOLDER_RE = re.compile(r"\{(/?)(\d+)\}")
URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>\"'{}]+[^\s<>\"'{}.,;:!?)\]»”’]")
LETTER_RE = re.compile(r"[^\W\d_]")

Field = Literal["title", "summary", "body", "alt", "link-title"]  # alt: an image's; link-title: a link's or image's
Kind = Literal["open", "close", "atomic"]


@dataclass(frozen=True)
class Markup:
    """What one placeholder stands for: the markdown-it tokens it replaces."""

    kind: Kind
    tokens: tuple[Token, ...] = dataclasses.field(compare=False)
    label: str = ""  # a short description for reviewers: "link https://…", "code"
    pair: int = 0  # for open/close: a key shared by both halves

    def source_text(self) -> str:
        """The characters this markup had in plain-text fields."""
        return "".join(t.content for t in self.tokens)


Unit = str | Markup  # a piece of a block's inline content: text, or markup a placeholder stands for


@dataclass(frozen=True)
class Segment:
    """One translatable sentence of an article."""

    id: str
    article: str
    field: Field
    index: int  # order within the article
    text: str  # source text with placeholders {1}, {/1}, {2}
    markup: tuple[tuple[int, Markup], ...] = dataclasses.field(default=(), compare=False)

    @property
    def placeholders(self) -> dict[str, Markup]:
        """``{"{1}": Markup, "{/1}": Markup, ...}``."""
        return {_tag(number, mark): mark for number, mark in self.markup}

    def placeholder_labels(self) -> dict[str, str]:
        """``{"{1}": "link https://…", ...}`` for reviewers."""
        return {tag: mark.label for tag, mark in self.placeholders.items()}


def _tag(number: int, mark: Markup) -> str:
    return f"{{/{number}}}" if mark.kind == "close" else f"{{{number}}}"


def check_placeholders(target: str, segment: Segment) -> list[str]:
    """Problems with the placeholders of ``target`` against ``segment`` (empty when fine)."""
    problems: list[str] = []
    marks = segment.placeholders
    expected = Counter(_tag(n, m) for n, m in segment.markup)
    found = Counter(m.group(0) for m in PLACEHOLDER_RE.finditer(target))
    for tag, count in sorted(expected.items()):
        if found[tag] == 0:
            problems.append(f"placeholder {tag} ({marks[tag].label}) is missing")
        elif found[tag] > count:
            problems.append(f"placeholder {tag} appears {found[tag]} times")
    for tag in sorted(set(found) - set(expected)):
        problems.append(f"placeholder {tag} is not in the source")
    if not problems:
        stack: list[str] = []
        for m in PLACEHOLDER_RE.finditer(target):
            kind, number = marks[m.group(0)].kind, m.group(2)
            if kind == "open":
                stack.append(number)
            elif kind == "close":
                if not stack or stack[-1] != number:
                    problems.append(f"placeholder {{/{number}}} closes out of order")
                    break
                stack.pop()
    return problems


def merge_text(units: Iterable[Unit]) -> list[Unit]:
    """``units`` with adjacent texts joined and empty texts left out."""
    out: list[Unit] = []
    for unit in units:
        if isinstance(unit, str) and out and isinstance(out[-1], str):
            out[-1] += unit
        elif unit != "":
            out.append(unit)
    return out
