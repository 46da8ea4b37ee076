"""Segments back to Markdown: translated sentences put back into the source's tokens.

Rebuilding puts the translated sentences back into the same tokens and renders
them with mdformat, so the translated Markdown has the source's structure: same
headings, lists, links and images. What is written is parsed back and must render
to the HTML of those tokens (see :func:`render_markdown`): emphasis whose
delimiters would not pair up where the translation puts them is written as
``<em>``/``<strong>``, and text that would turn into syntax is escaped.
"""

from __future__ import annotations

import copy
import html.entities
import re
import unicodedata
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from markdown_it.common.utils import isMdAsciiPunct, isValidEntityCode
from markdown_it.renderer import RendererHTML
from markdown_it.rules_inline.state_inline import StateInline
from markdown_it.token import Token
from mdformat.renderer import DEFAULT_RENDERERS, MDRenderer, RenderContext, RenderTreeNode

from ..articles import Article
from ..errors import WorkflowError
from ..languages import Language
from .extract import HTML_SPACE, SegmentedArticle, markdown_parser, segment_article
from .placeholders import PLACEHOLDER_RE, Markup, Segment, Unit, check_placeholders, merge_text


def rebuild_article(doc: SegmentedArticle, translations: Mapping[str, str], lang: Language) -> Article:
    """``doc``'s article with every segment replaced by ``translations[segment.id]``.

    Raises :class:`WorkflowError` when a translation is missing or its
    placeholders do not match the source. The alt text of an image and the title of a link are
    translated like the rest; an ``alt`` or ``link-title`` segment without a translation keeps its
    English (a store that segmented the article before they were segments has none for them).
    """
    tokens = copy.deepcopy(doc.tokens)
    inline_tokens = [t for t in tokens if t.type == "inline"]
    fields: dict[str, str] = {}
    attributes: _Attributes = {}  # id of a source image or link token -> its translated alt and title
    index_of = {id(t): i for i, t in enumerate(t for t in doc.tokens if t.type == "inline")}
    blocks = sorted(doc.blocks, key=lambda b: b.target is None)  # alt and titles first: the body takes them
    for block in blocks:
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
                if seg.id not in translations and block.target is not None:
                    units.extend(sentence.units)  # segmented before alt text and titles were: as written
                    continue
                if seg.id not in translations:
                    raise WorkflowError(f"segment {seg.id} of {seg.article} has no {lang.code} translation")
                units.extend(parse_target(translations[seg.id], seg))
        if block.tail:
            units.append(block.tail)
        units = _keep_emphasis_flanking(merge_text(units))
        if block.target is not None:
            attributes.setdefault(id(block.target), {})["alt" if block.field == "alt" else "title"] = \
                _plain_text(units)
        elif block.token is None:
            fields[block.field] = _plain_text(units)
        else:
            target = inline_tokens[index_of[id(block.token)]]
            target.children = _to_tokens(units, attributes)
            target.content = _plain_text(units)
    body = render_markdown(tokens) if tokens else doc.article.body
    return Article(
        slug=doc.article.slug,
        title=fields.get("title", doc.article.title),
        date=doc.article.date,
        body=body,
        summary=fields.get("summary", doc.article.summary),
        tags=doc.article.tags,
        author=doc.article.author,
        source=doc.article.source,
    )


def parse_target(target: str, segment: Segment) -> list[Unit]:
    """Units of a translated segment, placeholders resolved to the source markup."""
    problems = check_placeholders(target, segment)
    if problems:
        raise WorkflowError(f"segment {segment.id} of {segment.article}: " + "; ".join(problems))
    marks = segment.placeholders
    target = target.replace("\x00", "\ufffd")  # as CommonMark reads U+0000
    units: list[Unit] = []
    pos = 0
    for m in PLACEHOLDER_RE.finditer(target):
        if m.start() > pos:
            units.append(target[pos : m.start()])
        units.append(marks[m.group(0)])
        pos = m.end()
    if pos < len(target):
        units.append(target[pos:])
    return merge_text(units)


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
    return merge_text(out)


_Attributes = dict[int, dict[str, str]]  # id of a source token -> {"alt": ..., "title": ...} translated


def _to_tokens(units: list[Unit], attributes: _Attributes | None = None) -> list[Token]:
    out: list[Token] = []
    for unit in units:
        if isinstance(unit, str):
            out.append(Token("text", "", 0, content=unit))
            continue
        for original in unit.tokens:
            token = copy.deepcopy(original)
            translated = (attributes or {}).get(id(original), {})
            if "alt" in translated:
                token.children = [Token("text", "", 0, content=translated["alt"])]
                token.content = translated["alt"]
            if "title" in translated:
                token.attrSet("title", translated["title"])
            out.append(token)
    return out


def _plain_text(units: list[Unit]) -> str:
    return "".join(u if isinstance(u, str) else u.source_text() for u in units)


def render_markdown(tokens: list[Token]) -> str:
    """Markdown text of a token stream that parses back to the HTML of the tokens.

    mdformat writes it, with :class:`_Writer`'s renderers for text, emphasis,
    links and images. The result is parsed back with markdown-it and the inline
    content of each block compared, as HTML, with what the tokens render to. A
    block that differs (mdformat's escaping is heuristic) is written again in a
    safe form: emphasis as HTML tags, every ASCII punctuation character of its
    text escaped, white space that could end a line as character references.
    """
    md = markdown_parser()
    inlines = [t for t in tokens if t.type == "inline"]
    wanted = [_inline_html(t.children) for t in inlines]
    skeleton = _skeleton(tokens)
    safe: set[int] = set()  # ids of the inline tokens written in the safe form
    best: tuple[int, str] | None = None
    while True:
        env: dict[str, Any] = {_SAFE: safe}
        text = MDRenderer().render(tokens, _MDFORMAT_OPTIONS, env, finalize=False)
        text += "" if not text or env.get(_OPEN_END) else "\n"
        parsed = md.parse(text)
        back = [t for t in parsed if t.type == "inline"]
        if len(back) == len(inlines) and _skeleton(parsed) == skeleton:
            wrong = {id(t) for t, html, b in zip(inlines, wanted, back, strict=True)
                     if _inline_html(b.children) != html}
        else:  # the block structure changed: which block caused it is not known
            wrong = {id(t) for t in inlines}
        if best is None or len(wrong) < best[0]:
            best = (len(wrong), text)
        if wrong <= safe:  # all fine, or what the safe form cannot write either (a line of a lone HTML tag)
            return best[1]
        safe |= wrong


_SAFE = "tilmech.safe"  # env key of the set of inline tokens written in the safe form


def _skeleton(tokens: list[Token]) -> list[tuple[str, int, bool, str]]:
    """The block structure of a token stream (an indented code block and a fence are both ``code``)."""
    return [(t.tag, t.nesting, t.hidden, str(t.attrs)) for t in tokens if t.type != "inline"]


def _inline_html(children: list[Token] | None) -> str:
    """HTML of inline tokens, runs of HTML white space as one space.

    The segmenter joins the lines of a paragraph (soft breaks become spaces) and
    mdformat writes runs of spaces as one: neither changes the rendered page.
    """
    return _HTML_SPACE_RE.sub(" ", _HTML.renderInline(children or [], markdown_parser().options, {}))


_HTML = RendererHTML()  # markdown-it's, as markdown_parser() renders
_HTML_SPACE_RE = re.compile(f"[{HTML_SPACE}]+")

# mdformat handles lines with str.strip(), str.splitlines() and str.split("\n").
# Characters that the first two take for white space or line ends, and
# CommonMark does not (or not at the ends of a line), travel through it under a
# stand-in and are put back in the finished text.
_SHIELDED = frozenset("\v\f\x1c\x1d\x1e\x1f\x85\u2028\u2029")
_STAND_IN_RE = re.compile("\x00([0-9a-f]+)\x00")


def _stand_in(char: str) -> str:
    return f"\x00{ord(char):x}\x00"


def _shield(text: str) -> str:
    return "".join(_stand_in(c) if c in _SHIELDED else c for c in text)


def _unshield(text: str, node: RenderTreeNode, context: RenderContext) -> str:
    return _STAND_IN_RE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _reference(char: str) -> str:
    """A numeric character reference, or the raw character (under a stand-in)
    where CommonMark reads the reference as another character (C0 and C1 controls)."""
    return f"&#{ord(char)};" if isValidEntityCode(ord(char)) else _stand_in(char)


def _safe(node: RenderTreeNode, context: RenderContext) -> bool:
    """Whether ``node`` is in a block written in the safe form."""
    while node.type != "inline" and node.parent is not None:
        node = node.parent
    return id(node.token) in context.env[_SAFE]


def _line_edge(node: RenderTreeNode, side: int) -> int:
    """Whether ``node`` begins (side -1) or ends (side 1) a line: 0 no, 1 next to a
    line break of its block, 2 at the start or end of the block's inline content."""
    neighbour = node.previous_sibling if side < 0 else node.next_sibling
    if neighbour is None:  # inside an emphasis or a link its delimiter is written there
        return 2 if node.parent is not None and node.parent.type == "inline" else 0
    breaks = ("softbreak", "hardbreak") if side < 0 else ("softbreak",)  # a hard break is written "\\\n"
    return 1 if neighbour.type in breaks else 0


def _write_text(node: RenderTreeNode, context: RenderContext) -> str:
    """Text as mdformat escapes it; white space at the ends of lines (which
    mdformat strips line by line) and carriage returns as character references."""
    if _safe(node, context):
        return _escape_all(node.content)
    text = DEFAULT_RENDERERS["text"](node, context).replace("\x00", "\ufffd")  # as CommonMark reads U+0000
    text = _LESS_THAN_RE.sub(r"\\<", text).replace("\r", "&#13;")
    if _in_heading(node):  # one line, where mdformat writes a line end as a space
        text = text.replace("\n", "&#10;")
    lines = text.split("\n")
    out: list[str] = []
    for i, line in enumerate(lines):
        start = 1 if i > 0 else _line_edge(node, -1)
        end = 1 if i < len(lines) - 1 else _line_edge(node, 1)
        head = tail = ""
        body = line
        if start:
            body = line.lstrip()
            head = line[: len(line) - len(body)]
        if end:
            stripped = body.rstrip()
            tail, body = body[len(stripped) :], stripped
        # spaces and tabs next to a line break are white space with it
        head = head.lstrip(" \t") if start == 1 else head
        tail = tail.rstrip(" \t") if end == 1 else tail
        out.append("".join(map(_reference, head)) + _shield(body) + "".join(map(_reference, tail)))
    return "\n".join(out)


# a "<" that mdformat leaves unescaped: the second of "<<x" (its pattern takes "<<" as one match)
_LESS_THAN_RE = re.compile(r"(?<=<)<(?=[^ ]|$)")


def _in_heading(node: RenderTreeNode) -> bool:
    parent = node.parent
    while parent is not None and parent.type != "inline":
        parent = parent.parent
    return parent is not None and parent.parent is not None and parent.parent.type == "heading"


def _escape_all(text: str) -> str:
    """Text with every ASCII punctuation character escaped and every white space
    character but an inner space written as a character reference."""
    out: list[str] = []
    text = text.replace("\x00", "\ufffd")
    last = len(text) - 1
    for i, char in enumerate(text):
        if isMdAsciiPunct(ord(char)):
            out.append("\\" + char)
        elif char.isspace() and not (char == " " and 0 < i < last):
            out.append(_reference(char))
        else:
            out.append(_shield(char))
    return "".join(out)


def _write_link(node: RenderTreeNode, context: RenderContext) -> str:
    if node.info == "auto":
        return DEFAULT_RENDERERS["link"](node, context)
    text = "".join(child.render(context) for child in node.children)
    return f"[{text}]({_link_target(node)})"


def _write_image(node: RenderTreeNode, context: RenderContext) -> str:
    """An image; its description written as the text it renders to (the ``alt``)."""
    alt = _HTML.renderInlineAsText(node.token.children if node.token else [], markdown_parser().options, {})
    if _safe(node, context):
        alt = _escape_all(alt)
    else:
        alt = _shield(_entity_re().sub(r"\\\g<0>", _ALT_SYNTAX_RE.sub(r"\\\g<0>", alt)))
    return f"![{alt}]({_link_target(node)})"


_ALT_SYNTAX_RE = re.compile(r"[\\\[\]`*_<]")


@cache
def _entity_re() -> re.Pattern[str]:
    """What CommonMark reads as a character reference."""
    names = "|".join(sorted({name.rstrip(";") for name in html.entities.html5}, key=len, reverse=True))
    return re.compile(f"&(?:#[0-9]{{1,7}}|#[Xx][0-9A-Fa-f]{{1,6}}|{names});")


def _link_target(node: RenderTreeNode) -> str:
    """The destination and title of a link or image, escaped (mdformat leaves an
    entity-like ``&copy;`` and a backslash in a title as they are)."""
    url = str(node.attrs.get("href", node.attrs.get("src", "")))
    if not url or any(c in url for c in " ()<>") or any(ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        url = "<" + url.replace("\\", "\\\\").replace("<", "\\<").replace(">", "\\>") + ">"
    url = _entity_re().sub(r"\\\g<0>", url)
    title = node.attrs.get("title")
    if title is None:
        return url
    title = _entity_re().sub(r"\\\g<0>", str(title).replace("\\", "\\\\").replace('"', '\\"'))
    return f'{url} "{_shield(title)}"'


def _write_emphasis(node: RenderTreeNode, context: RenderContext) -> str:
    """Emphasis as a delimiter run (``*``, ``_``, ``**``, ``__``) where one opens and
    closes it in its surroundings by CommonMark's flanking rules, else as HTML tags.

    Elements are written inside out and left to right, so the children and the
    preceding siblings have their form: a delimiter may not touch one of theirs
    with the same character (the two runs would merge and pair up by run
    lengths), the other character is tried, then the tags. An element still to
    be written (the parent, the next sibling) counts as punctuation, whatever
    form it takes, and avoids touching this one; at the edge of its parent an
    element tries the character the parent does not use first
    (``**strong _em_**``).
    """
    inner = "".join(child.render(context) for child in node.children)
    chosen = ""
    if inner and not _safe(node, context):
        before, after = _outside(node, context, -1), _outside(node, context, 1)
        width = len(node.markup) or 1
        chars = ["*", "_"] if (node.markup or "*")[0] == "*" else ["_", "*"]
        parent = node.parent
        if parent is not None and parent.type in ("em", "strong") and parent.markup[:1] == chars[0] \
                and (node is parent.children[0] or node is parent.children[-1]):
            chars.reverse()  # leave the parent's delimiter to the parent
        for char in chars:
            if _delimiters_hold(char * width, before, inner, after):
                chosen = char * width
                break
    context.env.setdefault(_FORMS, {})[_key(node)] = chosen
    if chosen:
        return chosen + inner + chosen
    return f"<{node.tag}>{inner}</{node.tag}>"


_FORMS = "tilmech.forms"  # env key: the delimiter chosen for each emphasis already written ("" for tags)


def _key(node: RenderTreeNode) -> int:
    return id(node.nester_tokens.opening if node.nester_tokens else node.token)


def _delimiters_hold(delimiter: str, before: str, inner: str, after: str) -> bool:
    """Whether ``before + delimiter + inner + delimiter + after`` opens and closes
    exactly this delimiter around ``inner`` ("" before or after: the edge of the
    line, or a neighbour still to be written, which ends in punctuation)."""
    char = delimiter[0]
    if _ends_unescaped(before, char) or _ends_unescaped(inner, char) or after.startswith(char) \
            or inner.startswith(char):
        return False
    md = markdown_parser()
    opening = StateInline(before[-1:] + delimiter + inner[0], md, {}, []).scanDelims(len(before[-1:]), char == "*")
    closing = StateInline(inner[-1] + delimiter + after[:1], md, {}, []).scanDelims(1, char == "*")
    return opening.can_open and opening.length == len(delimiter) and closing.can_close \
        and closing.length == len(delimiter)


def _ends_unescaped(text: str, char: str) -> bool:
    """Whether ``text`` ends in ``char`` not escaped with a backslash (which would join a delimiter run)."""
    if not text.endswith(char):
        return False
    backslashes = len(text) - 1 - len(text[:-1].rstrip("\\"))
    return backslashes % 2 == 0


def _outside(node: RenderTreeNode, context: RenderContext, side: int) -> str:
    """What is written just before (side -1) or after (side 1) ``node``: at least
    its nearest character, "" at the edge of the line and for an emphasis not
    written yet (which begins and ends with punctuation in every form)."""
    parent = node.parent
    if parent is None:
        return ""
    siblings = parent.children
    index = next(i for i, sibling in enumerate(siblings) if sibling is node) + side
    if 0 <= index < len(siblings):
        return _written(siblings[index], context, -side)
    if parent.type == "link":
        return "[" if side < 0 else "]"
    return ""  # the parent emphasis, or the edge of the block's inline content


def _written(node: RenderTreeNode, context: RenderContext, side: int) -> str:
    """What is written for ``node``, or for an emphasis or link its delimiter on
    the given side (-1 the start, 1 the end)."""
    if node.type in ("em", "strong"):
        form = context.env.get(_FORMS, {}).get(_key(node))
        if form is None:
            return ""
        return form or ("<" if side < 0 else ">")
    if node.type == "link":  # not written yet: its delimiters
        auto = node.info == "auto"
        if side < 0:
            return "<" if auto else "["
        return ">" if auto else ")"
    text = node.render(context)
    return text or _outside(node, context, -side)


def _shielded(name: str) -> Callable[[RenderTreeNode, RenderContext], str]:
    def write(node: RenderTreeNode, context: RenderContext) -> str:
        return _shield(DEFAULT_RENDERERS[name](node, context))

    return write


def _write_fence(node: RenderTreeNode, context: RenderContext) -> str:
    """mdformat's fence; one left open at the end of a document that does not end
    in a line end stays open (its last line has no line end, which a closing
    fence would add)."""
    text = DEFAULT_RENDERERS["fence"](node, context)
    if node.content and not node.content.endswith("\n"):
        context.env[_OPEN_END] = True
        text = text[: -(len(text) - len(text.lstrip(text[0])))]  # the closing fence is as long as the opening one
    return _shield(text)


_OPEN_END = "tilmech.open_end"  # env key: the document ends in an open block, without a line end


def _write_html_block(node: RenderTreeNode, context: RenderContext) -> str:
    """mdformat's HTML block; one that ends a document without a line end stays without one
    (a line end after it would be part of the block's HTML)."""
    if node.content and not node.content.endswith("\n"):
        context.env[_OPEN_END] = True
    return _shielded("html_block")(node, context)


def _write_bullet_list(node: RenderTreeNode, context: RenderContext) -> str:
    """mdformat's bullet list; ``+`` as the marker (which mdformat uses for no
    other list) where the line of an item would read as a thematic break
    (``- - -``: lists in lists, the innermost item empty)."""
    lines = DEFAULT_RENDERERS["bullet_list"](node, context).split("\n")
    marker = lines[0][:1]  # the lines of its items start with it, their other lines are indented
    if any(line.startswith(marker) and _THEMATIC_BREAK_RE.fullmatch(line) for line in lines):
        lines = ["+" + line[1:] if line.startswith(marker) else line for line in lines]
    return "\n".join(lines)


_THEMATIC_BREAK_RE = re.compile(r"[ \t]*([-*_])(?:[ \t]*\1){2,}[ \t]*")


def _write_paragraph(node: RenderTreeNode, context: RenderContext) -> str:
    """mdformat's paragraph; an empty one (a line of no-break spaces in the source,
    which markdown-it strips) as a no-break space rather than nothing."""
    text = DEFAULT_RENDERERS["paragraph"](node, context)
    if not text:
        return _stand_in("\xa0")
    # a blank line (a line end in the text next to a soft break) would end the paragraph
    return "\n".join(line or "&#10;" for line in text.split("\n"))


class _Writer:
    """An mdformat plugin (renderers only) for rebuilt Markdown."""

    RENDERERS: Mapping[str, Callable[[RenderTreeNode, RenderContext], str]] = {
        "text": _write_text,
        "em": _write_emphasis,
        "strong": _write_emphasis,
        "image": _write_image,
        "link": _write_link,
        "paragraph": _write_paragraph,
        "fence": _write_fence,


        "bullet_list": _write_bullet_list,
        "html_block": _write_html_block,
        **{name: _shielded(name) for name in ("code_inline", "html_inline")},
    }
    POSTPROCESSORS: Mapping[str, Callable[[str, RenderTreeNode, RenderContext], str]] = {"root": _unshield}


_MDFORMAT_OPTIONS: dict[str, Any] = {"parser_extension": [_Writer], "mdformat": {"number": True, "wrap": "keep"}}


def render_html(markdown: str) -> str:
    return markdown_parser().render(markdown)


def translate_article(article: Article, translate: Callable[[str], str], lang: Language) -> Article:
    """Convenience for previews and tests: translate every segment with a callable."""
    doc = segment_article(article)
    return doc.rebuild({s.id: translate(s.text) for s in doc.segments}, lang)
