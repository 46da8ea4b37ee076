"""Markup: placeholders, link targets, images, code spans and URLs survive translation exactly once."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from ..markdown.placeholders import URL_RE, check_placeholders
from .model import CODE_SPAN_RE, Pair, Severity, link_targets, register, without_link_targets


@register("placeholder", Severity.CRITICAL,
          "every placeholder of the source ({1}…{/1} for links and emphasis, {2} for code, images, URLs) "
          "exactly once in the target, properly nested", "markup")
def check_placeholder(pair: Pair) -> list[str]:
    return check_placeholders(pair.target, pair.segment)


def literal_markup(text: str) -> Counter[tuple[str, str]]:
    """Code spans, link and image targets and URLs written out in ``text`` (free text, not placeholders)."""
    found: Counter[tuple[str, str]] = Counter()
    for m in CODE_SPAN_RE.finditer(text):
        found["code span", m.group(0)] += 1
    text = CODE_SPAN_RE.sub(" ", text)
    for target in link_targets(text):
        found["image" if target.image else "link target", target.destination] += 1
    for m in URL_RE.finditer(without_link_targets(text)):
        found["URL", m.group(0)] += 1
    return found


def _occurrences(text: str, kind: str, value: str) -> int:
    if kind == "code span":
        return text.count(value)
    if kind in ("link target", "image"):  # read as CommonMark reads them, parentheses and all
        return sum(1 for t in link_targets(CODE_SPAN_RE.sub(" ", text))
                   if t.destination == value and t.image == (kind == "image"))
    return len(re.findall(rf"(?<![\w/.-]){re.escape(value)}(?![\w/-])", text))


@register("markup", Severity.CRITICAL,
          "every link target, image, code span and URL written in the source text exactly once in the target",
          "markup")
def check_markup(pair: Pair) -> Iterator[str]:
    for (kind, value), count in literal_markup(pair.source).items():
        present = _occurrences(pair.target, kind, value)
        if present == 0:
            yield f"{kind} {value} of the source is missing"
        elif present != count:
            yield f"{kind} {value} appears {present} times (the source has it {count} times)"
