"""Markdown → translatable segments with placeholders, and back.

Extraction principles (after translate-toolkit's Markdown storage):

* The Markdown is parsed with markdown-it-py (CommonMark). Block structure
  (headings, paragraphs, lists, quotes, code blocks, HTML blocks, rules) is
  never shown to a translator or an engine: only the inline content of blocks.
* Inline content is split into sentences (pysbd, which knows "Prof.", "Mr.",
  "No.", "Co., Ltd." and the other English abbreviations).
* Inline markup becomes numbered placeholders: paired markup (emphasis, strong,
  links) as ``{1}…{/1}``, atomic things (code spans, images, inline HTML, hard
  line breaks, URLs written in the text) as ``{2}``. Numbering starts at 1 in
  every segment, so a segment's text does not depend on its neighbours. Text
  that merely looks like a placeholder is itself protected by one.
* A sentence with no letters outside placeholders (a date line, a number, a bare
  link) is not sent for translation and is kept verbatim.
* A segment's id is stable: the same source text in the same field of the same
  article gets the same id across runs; editing another sentence does not
  change it.
* Rebuilding puts the translated sentences back into the same tokens and renders
  them with mdformat, so the translated Markdown has the source's structure:
  same headings, lists, links and images.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdformat.renderer import MDRenderer

from .articles import Article
from .errors import WorkflowError
from .languages import Language

PLACEHOLDER_RE = re.compile(r"\{(/?)(\d+)\}")
URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>\"'{}]+[^\s<>\"'{}.,;:!?)\]»”’]")
LETTER_RE = re.compile(r"[^\W\d_]")
_STAND_IN = "item"  # what the sentence splitter sees for an atomic placeholder

Field = Literal["title", "summary", "body"]
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


Unit = str | Markup


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


@dataclass
class SegmentedArticle:
    article: Article
    segments: list[Segment]
    blocks: list[_Block]
    tokens: list[Token]

    def rebuild(self, translations: Mapping[str, str], lang: Language) -> Article:
        """The article with every segment replaced by ``translations[segment.id]``.

        Raises :class:`WorkflowError` when a translation is missing or its
        placeholders do not match the source.
        """
        tokens = copy.deepcopy(self.tokens)
        inline_tokens = [t for t in tokens if t.type == "inline"]
        fields: dict[str, str] = {}
        index_of = {id(t): i for i, t in enumerate(t for t in self.tokens if t.type == "inline")}
        for block in self.blocks:
            units: list[Unit] = []
            for i, (lead, sentence) in enumerate(zip(block.lead, block.sentences, strict=True)):
                if i == 0:
                    units.append(lead)
                elif lead and (sentence.segment is not None or block.sentences[i - 1].segment is not None):
                    units.append(lang.sentence_joiner)  # sentences glued in the source ("No..") stay glued
                else:
                    units.append(lead)
                if sentence.segment is None:
                    units.extend(sentence.units)
                else:
                    seg = sentence.segment
                    if seg.id not in translations:
                        raise WorkflowError(f"segment {seg.id} of {seg.article} has no {lang.code} translation")
                    units.extend(parse_target(translations[seg.id], seg))
            if block.tail:
                units.append(block.tail)
            units = _keep_emphasis_flanking(_merge_text(units))
            if block.token is None:
                fields[block.field] = _plain_text(units)
            else:
                target = inline_tokens[index_of[id(block.token)]]
                target.children = _to_tokens(units)
                target.content = _plain_text(units)
        body = render_markdown(tokens) if tokens else self.article.body
        return Article(
            slug=self.article.slug,
            title=fields.get("title", self.article.title),
            date=self.article.date,
            body=body,
            summary=fields.get("summary", self.article.summary),
            tags=self.article.tags,
            author=self.article.author,
            source=self.article.source,
        )


# -- parsing -----------------------------------------------------------------


@cache
def markdown_parser() -> MarkdownIt:
    return MarkdownIt("commonmark")


_SPLITTER_LOCK = threading.Lock()


@cache
def _sentence_splitter() -> Any:
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=False)


def split_sentences(text: str) -> list[str]:
    """English sentences of ``text`` (pysbd; its segmenter keeps state, so one thread at a time)."""
    with _SPLITTER_LOCK:
        return list(_sentence_splitter().segment(text))


def segment_id(article: str, field_: str, text: str, occurrence: int) -> str:
    digest = hashlib.sha256(f"{article}\x00{field_}\x00{text}\x00{occurrence}".encode()).hexdigest()
    return digest[:16]


def segment_article(article: Article) -> SegmentedArticle:
    """Split an article into segments (title, summary, then the body in order)."""
    tokens = markdown_parser().parse(article.body)
    blocks: list[_Block] = []
    for name, value in (("title", article.title), ("summary", article.summary)):
        if value:
            blocks.append(_split_block(name, None, _text_units(value)))  # type: ignore[arg-type]
    for token in tokens:
        if token.type == "inline":
            blocks.append(_split_block("body", token, _inline_units(token.children or [])))

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
    return SegmentedArticle(article, segments, blocks, tokens)


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
    return _merge_text(units)


def _merge_text(units: Iterable[Unit]) -> list[Unit]:
    out: list[Unit] = []
    for unit in units:
        if isinstance(unit, str) and out and isinstance(out[-1], str):
            out[-1] += unit
        elif unit != "":
            out.append(unit)
    return out


def _split_block(field_: Field, token: Token | None, units: list[Unit]) -> _Block:
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
    pieces = split_sentences(text) if text.strip() else [text]
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
            out[-1] = _merge_text([*out[-1], *sunits])
        else:
            out.append(list(sunits))
        for unit in sunits:
            if isinstance(unit, Markup) and unit.kind == "open":
                open_pairs.add(unit.pair)
            elif isinstance(unit, Markup) and unit.kind == "close":
                open_pairs.discard(unit.pair)
    return out


def _strip_units(units: list[Unit]) -> tuple[str, list[Unit], str]:
    units = list(units)
    before = after = ""
    if units and isinstance(units[0], str):
        stripped = units[0].lstrip()
        before = units[0][: len(units[0]) - len(stripped)]
        units[0] = stripped
    if units and isinstance(units[-1], str):
        stripped = units[-1].rstrip()
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


# -- rebuilding -------------------------------------------------------------


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


def parse_target(target: str, segment: Segment) -> list[Unit]:
    """Units of a translated segment, placeholders resolved to the source markup."""
    problems = check_placeholders(target, segment)
    if problems:
        raise WorkflowError(f"segment {segment.id} of {segment.article}: " + "; ".join(problems))
    marks = segment.placeholders
    units: list[Unit] = []
    pos = 0
    for m in PLACEHOLDER_RE.finditer(target):
        if m.start() > pos:
            units.append(target[pos : m.start()])
        units.append(marks[m.group(0)])
        pos = m.end()
    if pos < len(target):
        units.append(target[pos:])
    return _merge_text(units)


def _is_punctuation(char: str) -> bool:
    return unicodedata.category(char)[0] in "PS"


def _keep_emphasis_flanking(units: list[Unit]) -> list[Unit]:
    """Move punctuation out of emphasis where CommonMark would not close (or open) it.

    ``第一点。**第二点。**第三点`` does not render bold: a closing ``**`` after
    punctuation must be followed by space or punctuation. Moving the ``。`` after
    the closing delimiter keeps the text and the emphasis.
    """
    out = list(units)
    for i, unit in enumerate(out):
        if not isinstance(unit, Markup) or unit.tokens[0].type not in ("em_open", "em_close", "strong_open",
                                                                        "strong_close", "s_open", "s_close"):
            continue
        prev_unit, next_unit = (out[i - 1] if i > 0 else None), (out[i + 1] if i + 1 < len(out) else None)
        before = prev_unit if isinstance(prev_unit, str) else ""
        after = next_unit if isinstance(next_unit, str) else ""
        if unit.kind == "close" and before and after and _is_punctuation(before[-1]) \
                and not after[0].isspace() and not _is_punctuation(after[0]):
            stripped = before.rstrip("".join(c for c in before if _is_punctuation(c)))
            out[i - 1], out[i + 1] = stripped, before[len(stripped):] + after
        elif unit.kind == "open" and before and after and _is_punctuation(after[0]) \
                and not before[-1].isspace() and not _is_punctuation(before[-1]):
            stripped = after.lstrip("".join(c for c in after if _is_punctuation(c)))
            out[i - 1], out[i + 1] = before + after[: len(after) - len(stripped)], stripped
    return _merge_text(out)


def _to_tokens(units: list[Unit]) -> list[Token]:
    out: list[Token] = []
    for unit in units:
        if isinstance(unit, str):
            out.append(Token("text", "", 0, content=unit))
        else:
            out.extend(copy.deepcopy(list(unit.tokens)))
    return out


def _plain_text(units: list[Unit]) -> str:
    return "".join(u if isinstance(u, str) else u.source_text() for u in units)


def render_markdown(tokens: list[Token]) -> str:
    """Markdown text of a token stream (mdformat's CommonMark renderer)."""
    options = {"parser_extension": [], "mdformat": {"number": True, "wrap": "keep"}}
    return MDRenderer().render(tokens, options, {})


def render_html(markdown: str) -> str:
    return markdown_parser().render(markdown)


def translate_article(article: Article, translate: Callable[[str], str], lang: Language) -> Article:
    """Convenience for previews and tests: translate every segment with a callable."""
    doc = segment_article(article)
    return doc.rebuild({s.id: translate(s.text) for s in doc.segments}, lang)
