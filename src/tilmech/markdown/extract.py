"""Markdown → translatable segments with placeholders (rendering back is :mod:`.render`).

Extraction principles (after translate-toolkit's Markdown storage):

* The Markdown is parsed with markdown-it-py (CommonMark). Block structure
  (headings, paragraphs, lists, quotes, code blocks, HTML blocks, rules) is
  never shown to a translator or an engine: only the inline content of blocks.
* Inline content is split into sentences (pysbd, which knows "Prof.", "Mr.",
  "No.", "Co., Ltd." and the other English abbreviations).
* Inline markup becomes numbered placeholders (see :mod:`.placeholders`):
  paired markup (emphasis, strong, links) as ``{1}…{/1}``, atomic things (code
  spans, images, inline HTML, hard line breaks, URLs written in the text) as
  ``{2}``. Numbering starts at 1 in every segment, so a segment's text does not
  depend on its neighbours. Text that merely looks like a placeholder is itself
  protected by one.
* An image's description (its ``alt`` text) and the title of a link or image (``[a](u "title")``)
  are text readers get too: each is segmented as a field of its own (``alt``, ``link-title``), right
  after the block that holds it; the placeholder of the image or link stays in that block's sentence.
* A sentence with no letters outside placeholders (a date line, a number, a bare
  link) is not sent for translation and is kept verbatim.
* A segment's id is stable: the same source text in the same field of the same
  article gets the same id across runs; editing another sentence does not
  change it.
* Where the sentence splitter cut a text is part of what the store keeps of an
  article (``SegmentedArticle.cuts``). Given back to :func:`segment_article`,
  those cuts are used instead of splitting again, so the same article and the
  same stored cuts give the same ids in every process, whatever the splitter
  would do today. Nothing of it is kept in the process: the caller passes it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import re
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ..articles import Article
from ..languages import Language
from .placeholders import (
    LETTER_RE,
    PLACEHOLDER_RE,
    URL_RE,
    Field,
    Markup,
    Segment,
    Unit,
    merge_text,
)

_STAND_IN = "item"  # what the sentence splitter sees for an atomic placeholder

# Where the sentence splitter cut texts, by :func:`cut_key` of the text: offsets where a new
# sentence starts.
Cuts = Mapping[str, Sequence[int]]


@dataclass
class _Sentence:
    units: list[Unit]
    segment: Segment | None  # None: kept verbatim


@dataclass
class _Block:
    """The inline content of one block (or a front matter field), split into sentences."""

    field: Field
    token: Token | None  # the inline token for body blocks
    lead: list[str]  # whitespace before each sentence
    sentences: list[_Sentence]
    tail: str
    # alt and link-title blocks: the image or link_open token (of the source) whose text this is
    target: Token | None = None


@dataclass
class SegmentedArticle:
    article: Article
    segments: list[Segment]
    blocks: list[_Block]
    tokens: list[Token]
    # where the sentence splitter cut this article's texts: what the store keeps, and gives back
    # to :func:`segment_article` for the next version of the article
    cuts: dict[str, tuple[int, ...]] = dataclasses.field(default_factory=dict)

    def rebuild(self, translations: Mapping[str, str], lang: Language) -> Article:
        """The article with every segment replaced by ``translations[segment.id]``
        (see :func:`.render.rebuild_article`; rendering loads mdformat, which extraction
        alone does not need)."""
        from .render import rebuild_article

        return rebuild_article(self, translations, lang)


# -- parsing -----------------------------------------------------------------


@cache
def markdown_parser() -> MarkdownIt:
    return MarkdownIt("commonmark")


_SPLITTER_LOCK = threading.Lock()


@cache
def _sentence_splitter() -> Any:
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=False)


# A text that pysbd cannot split or rewrite: no sentence punctuation before its last character, no
# list parentheses, no line breaks, no white space at either end, and only characters pysbd gives no
# meaning to (its own markers are symbols and letters of other scripts). A test checks this against
# pysbd on generated texts.
_ONE_SENTENCE = re.compile(r"(?!\s)(?:[A-Za-z0-9\u00c0-\u017f ,;:'\"«»“”‘’\-–—%$€£@#/&+*(\u00a0]*(?<!\s))?[.!?]?")


def cut_key(text: str) -> str:
    """The key of ``text`` in a cut memory (:data:`Cuts`)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _split_plain(text: str, known: Cuts, record: dict[str, tuple[int, ...]]) -> list[str]:
    """:func:`split_sentences`, or the cuts ``known`` for ``text``; records the cuts used."""
    if not text.strip() or _ONE_SENTENCE.fullmatch(text):
        return [text]
    key = cut_key(text)
    offsets = known.get(key)
    cut = None if offsets is None else [int(c) for c in offsets]
    if cut is not None and cut == sorted(set(cut)) and all(0 < c < len(text) for c in cut):
        bounds = [0, *cut, len(text)]
        pieces = [text[a:b] for a, b in itertools.pairwise(bounds)]
    else:
        pieces = split_sentences(text)
    if "".join(pieces) == text:
        ends = list(itertools.accumulate(len(p) for p in pieces))[:-1]
        record[key] = tuple(ends)
    return pieces


def split_sentences(text: str) -> list[str]:
    """English sentences of ``text`` (pysbd; its segmenter keeps state, so one thread at a time).

    A text that can only be one sentence (a title, most short paragraphs) is not given to pysbd,
    which takes some 2 ms a call, most of the time it takes to segment an article.

    pysbd fails on some numbered-list look-alikes (``"\x1d21. "``: its pattern takes the control
    character for white space, ``int()`` does not); such a text is one sentence.
    """
    if text and _ONE_SENTENCE.fullmatch(text):
        return [text]
    with _SPLITTER_LOCK:
        try:
            return list(_sentence_splitter().segment(text))
        except ValueError:
            return [text]


def segment_id(article: str, field_: str, text: str, occurrence: int) -> str:
    digest = hashlib.sha256(f"{article}\x00{field_}\x00{text}\x00{occurrence}".encode()).hexdigest()
    return digest[:16]


def segment_article(article: Article, cuts: Cuts | None = None) -> SegmentedArticle:
    """Split an article into segments (title, summary, then the body in order).

    ``cuts``: where the splitter cut this article's texts before, as an earlier
    segmentation recorded them (``SegmentedArticle.cuts``, which the store keeps): a text
    found there is cut there and not split again. Without them every text is split afresh.
    """
    tokens = markdown_parser().parse(article.body)
    blocks: list[_Block] = []
    known: Cuts = cuts or {}
    record: dict[str, tuple[int, ...]] = {}
    for name, value in (("title", article.title), ("summary", article.summary)):
        if value:
            blocks.append(_split_block(name, None, _text_units(value), known, record))  # type: ignore[arg-type]
    for token in tokens:
        if token.type == "inline":
            blocks.append(_split_block("body", token, _inline_units(token.children or []), known, record))
            for child, field_, text in _attribute_texts(token.children or []):
                block = _split_block(field_, None, _text_units(text), known, record)
                blocks.append(dataclasses.replace(block, target=child))

    segments: list[Segment] = []
    seen: Counter[tuple[str, str]] = Counter()
    for block in blocks:
        for sentence in block.sentences:
            if sentence.segment is None:
                continue
            draft = sentence.segment
            key = (draft.field, draft.text)
            occurrence = seen[key]
            seen[key] += 1
            seg = Segment(
                id=segment_id(article.slug, draft.field, draft.text, occurrence),
                article=article.slug,
                field=draft.field,
                index=len(segments),
                text=draft.text,
                markup=draft.markup,
            )
            sentence.segment = seg
            segments.append(seg)
    return SegmentedArticle(article, segments, blocks, tokens, record)


def _attribute_texts(children: list[Token]) -> list[tuple[Token, Field, str]]:
    """The alt text of each image and the title of each link and image among ``children`` (and inside
    link texts), in order: (token, field, text)."""
    out: list[tuple[Token, Field, str]] = []
    for tok in children:
        if tok.type == "image":
            alt = image_alt(tok)
            if alt.strip():
                out.append((tok, "alt", alt))
        title = tok.attrGet("title") if tok.type in ("image", "link_open") else None
        if title and str(title).strip():
            out.append((tok, "link-title", str(title)))
    return out


def image_alt(token: Token) -> str:
    """The alt text of an image token, as markdown-it writes it into ``alt``."""
    from markdown_it.renderer import RendererHTML

    return RendererHTML().renderInlineAsText(token.children or [], markdown_parser().options, {})


def _text_units(text: str) -> list[Unit]:
    return _protect_text(" ".join(text.split()))


def _protect_text(text: str) -> list[Unit]:
    """Text with URLs and placeholder look-alikes turned into atomic markup."""
    units: list[Unit] = []
    pos = 0
    pattern = re.compile(f"{URL_RE.pattern}|{PLACEHOLDER_RE.pattern}")
    for match in pattern.finditer(text):
        if match.start() < pos:
            continue
        if match.start() > pos:
            units.append(text[pos : match.start()])
        literal = match.group(0)
        end = match.end()
        # a URL may end in a bracket it opened: https://en.wikipedia.org/wiki/Bishkek_(city)
        while end < len(text) and text[end] == ")" and literal.count("(") > literal.count(")"):
            literal += ")"
            end += 1
        label = "URL" if not PLACEHOLDER_RE.fullmatch(literal) else "text"
        units.append(Markup("atomic", (Token("text", "", 0, content=literal),), f"{label} {literal}"))
        pos = end
    if pos < len(text):
        units.append(text[pos:])
    return units


def _inline_units(children: list[Token]) -> list[Unit]:
    units: list[Unit] = []
    stack: list[int] = []
    pair_counter = 0
    i = 0
    while i < len(children):
        tok = children[i]
        if tok.type == "text":
            units.extend(_protect_text(tok.content))
        elif tok.type == "softbreak":
            units.append(" ")
        elif tok.type == "link_open" and tok.markup == "autolink":
            j = i
            while children[j].type != "link_close":
                j += 1
            units.append(Markup("atomic", tuple(children[i : j + 1]), f"link {tok.attrGet('href')}"))
            i = j
        elif tok.nesting == 1:
            pair_counter += 1
            stack.append(pair_counter)
            label = f"link {tok.attrGet('href')}" if tok.type == "link_open" else tok.type.removesuffix("_open")
            units.append(Markup("open", (tok,), label, pair_counter))
        elif tok.nesting == -1:
            pair = stack.pop() if stack else 0
            label = tok.type.removesuffix("_close")
            units.append(Markup("close", (tok,), label, pair))
        else:
            label = {"code_inline": "code", "image": "image", "hardbreak": "line break",
                     "html_inline": "HTML"}.get(tok.type, tok.type)
            if tok.type == "image":
                label = f"image {tok.attrGet('src')}"
            units.append(Markup("atomic", (tok,), label))
        i += 1
    return merge_text(units)


def _split_block(field_: Field, token: Token | None, units: list[Unit], known: Cuts,
                 record: dict[str, tuple[int, ...]]) -> _Block:
    """Split a block's units into sentences, keeping paired markup within one sentence."""
    # The splitter sees plain text: paired markup removed, atomic markup as a
    # neutral lower-case word (a capital "X." would pass for an initial).
    # ``origin`` maps each plain character back to its unit.
    plain: list[str] = []
    origin: list[int] = []
    for ui, unit in enumerate(units):
        if isinstance(unit, str):
            plain.extend(unit)
            origin.extend([ui] * len(unit))
        elif unit.kind == "atomic":
            plain.extend(_STAND_IN)
            origin.extend([ui] * len(_STAND_IN))
    text = "".join(plain)
    pieces = _split_plain(text, known, record)
    if "".join(pieces) != text:
        pieces = [text]
    cuts: dict[int, list[int]] = {}  # unit index -> offsets where a new sentence starts
    pos = 0
    for piece in pieces[:-1]:
        pos += len(piece)
        ui, offset = origin[pos], _offset_in_unit(origin, pos)
        # opening markup just before the cut starts the next sentence
        while offset == 0 and ui > 0 and isinstance(units[ui - 1], Markup) and units[ui - 1].kind == "open":  # type: ignore[union-attr]
            ui -= 1
        cuts.setdefault(ui, []).append(offset)

    pieces_units: list[list[Unit]] = [[]]
    for ui, unit in enumerate(units):
        offsets = cuts.get(ui, [])
        if isinstance(unit, str):
            prev = 0
            for offset in offsets:
                if offset > prev:
                    pieces_units[-1].append(unit[prev:offset])
                pieces_units.append([])
                prev = offset
            if unit[prev:]:
                pieces_units[-1].append(unit[prev:])
        else:
            for _ in offsets:
                pieces_units.append([])
            pieces_units[-1].append(unit)
    pieces_units = _balance([p for p in pieces_units if p])

    lead: list[str] = []
    sentences: list[_Sentence] = []
    between = ""
    for sunits in pieces_units:
        before, core, after = _strip_units(sunits)
        if not core:
            between += before + after
            continue
        lead.append(between + before)
        sentences.append(_make_sentence(field_, core))
        between = after
    return _Block(field_, token, lead, sentences, between)


def _offset_in_unit(origin: list[int], pos: int) -> int:
    ui = origin[pos]
    start = pos
    while start > 0 and origin[start - 1] == ui:
        start -= 1
    return pos - start


def _balance(sentences: list[list[Unit]]) -> list[list[Unit]]:
    """Merge sentences so that no paired markup spans two of them."""
    out: list[list[Unit]] = []
    open_pairs: set[int] = set()
    for sunits in sentences:
        if out and open_pairs:
            out[-1] = merge_text([*out[-1], *sunits])
        else:
            out.append(list(sunits))
        for unit in sunits:
            if isinstance(unit, Markup) and unit.kind == "open":
                open_pairs.add(unit.pair)
            elif isinstance(unit, Markup) and unit.kind == "close":
                open_pairs.discard(unit.pair)
    return out


# White space that HTML collapses: what separates sentences may be replaced by
# the language's joiner (a no-break space, say, may not).
HTML_SPACE = " \t\n\r\f"


def _strip_units(units: list[Unit]) -> tuple[str, list[Unit], str]:
    units = list(units)
    before = after = ""
    if units and isinstance(units[0], str):
        stripped = units[0].lstrip(HTML_SPACE)
        before = units[0][: len(units[0]) - len(stripped)]
        units[0] = stripped
    if units and isinstance(units[-1], str):
        stripped = units[-1].rstrip(HTML_SPACE)
        after = units[-1][len(stripped) :]
        units[-1] = stripped
    return before, [u for u in units if u != ""], after


def _make_sentence(field_: Field, units: list[Unit]) -> _Sentence:
    plain = "".join(u for u in units if isinstance(u, str))
    if not LETTER_RE.search(plain):
        return _Sentence(units, None)
    numbers: dict[int, int] = {}  # pair key or unit position -> placeholder number
    markup: list[tuple[int, Markup]] = []
    parts: list[str] = []
    for pos, unit in enumerate(units):
        if isinstance(unit, str):
            parts.append(unit)
            continue
        if unit.kind == "close":
            number = numbers[unit.pair]
            parts.append(f"{{/{number}}}")
        else:
            number = len(numbers) + 1
            numbers[unit.pair if unit.kind == "open" else -1 - pos] = number
            parts.append(f"{{{number}}}")
        markup.append((number, unit))
    text = "".join(parts)
    return _Sentence(units, Segment("", "", field_, 0, text, tuple(markup)))
