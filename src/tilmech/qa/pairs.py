"""A pair of Markdown texts read as the queue reads an article: inline markup as placeholders.

``tilmech qa verify`` is given a source and a target as a translator writes them,
in Markdown. Both are parsed as ingest parses an article (markdown-it, CommonMark):
the source's inline markup becomes numbered placeholders, ``{1}…{/1}`` for emphasis,
strong text and links, ``{2}`` for code spans, images, inline HTML and URLs; the
target's markup is given the number of the source markup it matches (the same kind
and link target, the same code), so a lost ``**bold**``, a changed link target or an
extra image is found by the placeholder check exactly as in the pipeline. Target
markup that matches nothing of the source gets a number the source does not have.

A source that already holds placeholders (``{1}``) is the queue's own form and is
taken as it is.
"""

from __future__ import annotations

from ..markdown.placeholders import PLACEHOLDER_RE, Markup, Segment, Unit
from .model import segment_from_text


def _units(text: str) -> list[Unit]:
    from ..markdown.extract import _inline_units, markdown_parser

    units: list[Unit] = []
    for token in markdown_parser().parse(text):
        if token.type == "inline":
            if units:
                units.append(" ")
            units += _inline_units(token.children or [])
    return units


def _same(a: Markup, b: Markup) -> bool:
    if a.kind != b.kind or a.label != b.label:
        return False
    return a.kind != "atomic" or a.source_text() == b.source_text() or a.label.startswith("image ")


def read_markdown_pair(source: str, target: str) -> tuple[Segment, str]:
    """The source as a segment with placeholders, and the target with the same placeholders."""
    if PLACEHOLDER_RE.search(source):
        return segment_from_text(source), target
    from ..markdown.extract import _make_sentence

    sentence = _make_sentence("body", _units(source))
    if sentence.segment is None:  # no letters: the text as it is
        return segment_from_text(source), target
    segment = Segment("-", "-", "body", 0, sentence.segment.text, sentence.segment.markup)
    free = list(segment.markup)  # (number, markup) of the source not matched yet
    extra = max((n for n, _ in segment.markup), default=0)
    opened: dict[int, int] = {}  # the target's pair key -> the number given to it
    parts: list[str] = []
    for unit in _units(target):
        if isinstance(unit, str):
            parts.append(unit)
            continue
        if unit.kind == "close":
            number = opened.pop(unit.pair, 0)
            parts.append(f"{{/{number}}}" if number else "")
            continue
        match = next((item for item in free if _same(item[1], unit)), None)
        if match is not None:
            free.remove(match)
            number = match[0]
            if unit.kind == "open":  # its closing half is matched by the target's own pairing
                free = [item for item in free if not (item[0] == number and item[1].kind == "close")]
        else:
            extra += 1
            number = extra
        if unit.kind == "open":
            opened[unit.pair] = number
        parts.append(f"{{{number}}}")
    return segment, "".join(parts)
