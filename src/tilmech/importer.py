"""Import a page of the organisation's site (HTML, or the text of one) as a clean article.

What a scraped news page brings along and what becomes of it:

* the site's boilerplate lines ("The site is currently under configuration") are dropped
  (patterns in ``tilmech.yaml``, ``html_import.boilerplate``);
* the title is the first ``<h1>`` (for text: the first line), the date the first line
  that is only a date (``2023.06.06``, ``2023-06-06``, ``June 6, 2023``);
* paragraphs and section headings are kept (for text, a short line without final
  punctuation followed by paragraphs is a heading);
* duplicates are removed: a block that repeats earlier text, also cut short (the
  scraping duplicate at the end of a page);
* words glued together by lost markup ("Technologyand") are reported as warnings with
  their line, not changed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser

from .articles import SLUG_RE, Article, write_article
from .errors import InputError
from .markdown.extract import split_sentences

_DATE_PATTERNS = (
    (re.compile(r"^(\d{4})[.\-/](\d{1,2})[.\-/](\d{1,2})$"), "ymd"),
    (re.compile(r"^([A-Z][a-z]+)\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$"), "mdy"),
)
_MONTHS = {m: i for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july", "august",
                                       "september", "october", "november", "december"), 1)}
_GLUED = re.compile(r"\b[a-z]{2,}[A-Z][a-z]{2,}\b|\b[A-Za-z]{2,}[.,;:][A-Z][a-z]+\b")


@dataclass
class Block:
    kind: str  # h1 | h2 | h3 | p | li
    text: str
    line: int


@dataclass
class ImportResult:
    article: Article
    markdown: str
    warnings: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # what was removed, and why


class _Blocks(HTMLParser):
    """Block-level text of an HTML page (scripts, styles, navigation and forms skipped)."""

    BLOCKS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "div", "td", "br"})
    SKIP = frozenset({"script", "style", "nav", "header", "footer", "form", "noscript", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self._kind = "p"
        self._text: list[str] = []
        self._line = 1
        self._skip = 0

    def _flush(self) -> None:
        text = " ".join("".join(self._text).split())
        if text:
            self.blocks.append(Block(self._kind, text, self._line))
        self._text = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skip += 1
        elif tag in self.BLOCKS:
            self._flush()
            self._kind = tag if tag in ("h1", "h2", "h3", "li") else ("h3" if tag[0] == "h" else "p")
            self._line = self.getpos()[0]

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self.BLOCKS:
            self._flush()
            self._kind = "p"

    def handle_data(self, data: str) -> None:
        if not self._skip:
            if not self._text:
                self._line = self.getpos()[0]
            self._text.append(data)


def _text_blocks(text: str) -> list[Block]:
    blocks = []
    for number, line in enumerate(text.splitlines(), 1):
        line = " ".join(line.split())
        if line:
            blocks.append(Block("p", line, number))
    return blocks


def _date(text: str) -> dt.date | None:
    for pattern, order in _DATE_PATTERNS:
        m = pattern.match(text.strip())
        if not m:
            continue
        try:
            if order == "ymd":
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            month = _MONTHS.get(m.group(1).lower())
            return dt.date(int(m.group(3)), month, int(m.group(2))) if month else None
        except ValueError:
            return None
    return None


_FUNCTION_WORDS = ("and", "the", "of", "in", "to", "for", "with", "at", "on", "by", "from")


def _glued_words(text: str, vocabulary: Counter[str], known: frozenset[str]) -> list[str]:
    """Words such as "Technologyand" (a word of the page + a function word) or "theUniversity"."""
    found = []
    for m in re.finditer(r"[A-Za-z]{4,}", text):
        word = m.group(0)
        if any(word in k for k in known):
            continue
        if _GLUED.fullmatch(word) or re.fullmatch(r"[a-z]{2,}[A-Z][a-z]{2,}", word):
            found.append(word)
            continue
        lower = word.casefold()
        if vocabulary[lower] > 1:
            continue
        for tail in _FUNCTION_WORDS:
            head = lower[: -len(tail)]
            if lower.endswith(tail) and len(head) >= 3 and vocabulary[head] > 0:
                found.append(word)
                break
        else:
            for head_word in _FUNCTION_WORDS:
                rest = lower[len(head_word):]
                if lower.startswith(head_word) and len(rest) >= 3 and vocabulary[rest] > 0 and word[len(head_word)].isupper():
                    found.append(word)
                    break
    return found


def write_blocks(blocks: list[Block]) -> str:
    """Markdown of the blocks (headings as ``##``, list items as ``-``), their text escaped so that
    it reads back as the same text: a paragraph "# not a heading" stays a paragraph, ``<img>`` and
    ``*stars*`` stay text.

    The structure is parsed from a skeleton with a stand-in for each text; the texts are put into
    its tokens and the whole written by :func:`~tilmech.markdown.render.render_markdown`, which
    escapes what would turn into syntax and checks that the result parses back to the same.
    """
    from markdown_it.token import Token

    from .markdown.extract import markdown_parser
    from .markdown.render import render_markdown

    skeleton = ""
    for i, block in enumerate(blocks):
        line = "## x" if block.kind in ("h1", "h2", "h3") else "- x" if block.kind == "li" else "x"
        together = i > 0 and block.kind == "li" and blocks[i - 1].kind == "li"  # items of one list
        skeleton += ("\n" if together else "\n\n" if i else "") + line
    tokens = markdown_parser().parse(skeleton)
    inlines = [t for t in tokens if t.type == "inline"]
    assert len(inlines) == len(blocks), skeleton
    for token, block in zip(inlines, blocks, strict=True):
        token.content = block.text
        token.children = [Token("text", "", 0, content=block.text)]
    return render_markdown(tokens) or "\n"


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


def read_page(text: str, source: str, slug: str, *, html: bool, boilerplate: tuple[str, ...] = (),
              known_words: frozenset[str] = frozenset()) -> ImportResult:
    """The article in a page; ``known_words`` (glossary forms such as "CreateView") are not glued words."""
    if not SLUG_RE.match(slug):
        raise InputError(source, None, f"bad slug {slug!r}: use lower-case letters, digits and hyphens")
    if html:
        parser = _Blocks()
        parser.feed(text)
        parser.close()
        blocks = parser.blocks
    else:
        blocks = _text_blocks(text)
    patterns = [re.compile(p, re.IGNORECASE) for p in boilerplate]
    dropped: list[str] = []
    kept: list[Block] = []
    for block in blocks:
        if any(p.search(block.text) for p in patterns):
            dropped.append(f"line {block.line}: boilerplate: {block.text}")
        else:
            kept.append(block)

    title = next((b for b in kept if b.kind == "h1"), kept[0] if kept else None)
    if title is None:
        raise InputError(source, None, "no text found: is this the article's page?")
    kept.remove(title)
    date_block = next((b for b in kept if _date(b.text)), None)
    if date_block is None:
        raise InputError(source, None, "no date found (a line such as 2023.06.06): add one and import again")
    kept.remove(date_block)
    date = _date(date_block.text)
    assert date is not None

    body: list[Block] = []
    seen = ""
    for block in kept:
        norm = _normal(block.text)
        # a repeat of earlier text, possibly cut off mid-word at the end
        probe = norm.rsplit(" ", 1)[0] if " " in norm else norm
        if seen and len(probe) > 20 and probe in seen:
            dropped.append(f"line {block.line}: duplicate of earlier text: {block.text[:60]}…")
            continue
        seen += " " + norm
        body.append(block)

    if not html:  # a short line without final punctuation, followed by a paragraph, is a heading
        for i, block in enumerate(body[:-1]):
            if len(block.text) < 80 and not re.search(r"[.!?:;,]$", block.text) and len(body[i + 1].text) >= 80:
                block.kind = "h2"

    warnings = []
    vocabulary = Counter(w.casefold() for b in [title, *body] for w in re.findall(r"[A-Za-z]+", b.text))
    vocabulary.update(w.casefold() for k in known_words for w in re.findall(r"[A-Za-z]+", k))
    for block in [title, *body]:
        for word in sorted(set(_glued_words(block.text, vocabulary, known_words)), key=block.text.find):
            warnings.append(f"{source}:{block.line}: {word!r} looks like words glued by lost markup")

    markdown_body = write_blocks(body)
    first = next((b.text for b in body if b.kind == "p"), "")
    summary = split_sentences(first)[0].strip() if first else ""
    article = Article(slug=slug, title=title.text, date=date, body=markdown_body, summary=summary, source=source)
    return ImportResult(article, write_article(article), warnings, dropped)
