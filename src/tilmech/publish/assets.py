"""The files an article references (images, PDFs...), copied into a release, and the HTML of a page
finished around them.

* **References**: an image (``![alt](images/x.png)``, or ``<img src>`` in raw HTML) or a link to a file
  (``[report](files/report.pdf)``: a path with an extension other than ``.html``/``.md``), written as a
  relative path. It is read relative to the article's folder and must stay inside the content folder.
  Remote (``https://…``) and root-relative (``/x.png``) URLs are left as they are.
* **In the release**: each file once, content-addressed, as ``assets/<sha256[:16]>.<ext>`` at the
  release root, listed in the root ``manifest.json`` with its sha256, size and (images) width and height.
* **A missing file** stops the build, naming the article file, the line and what to do; allowed
  (``--allow-missing-assets``) it is a warning and the reference stays as written.
* **Sizes** come from the file's header (PNG, GIF, JPEG, WebP, SVG): reading a few bytes needs no imaging
  library (Pillow is not a dependency of Tilmech).

:func:`finish_html` is the last step of a page's body after the sanitizer: every image it kept gets an
``alt`` (empty if none was written) and a non-empty src (else it is dropped), a link whose ``href`` was
removed leaves its text only, and referenced files point into ``assets/`` with their width and height.
:func:`absolute_html` makes a page body's URLs absolute for a feed (readers resolve relative URLs against
nothing reliable); :func:`rewrite_markdown` points the Markdown files of a bundle at ``assets/`` as the
pages are.
"""

from __future__ import annotations

import hashlib
import html
import re
import struct
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import unquote, urljoin, urlsplit

from ..articles import Article
from ..errors import InputError, Problems

if TYPE_CHECKING:
    from markdown_it.token import Token

ASSETS = "assets"  # the folder of a release's referenced files, at its root
PAGE_SUFFIXES = {"", ".html", ".htm", ".md"}  # a link to one of these is a page, not a file to copy


@dataclass(frozen=True)
class Asset:
    """A referenced file as the release ships it."""

    path: str  # in the release: assets/<sha256[:16]>.<ext>
    source: str  # the file in the project, relative to its root
    sha256: str
    size: int
    width: int | None = None
    height: int | None = None
    data: bytes = b""

    def listing(self) -> dict[str, object]:
        entry: dict[str, object] = {"path": self.path, "source": self.source, "sha256": self.sha256,
                                    "size": self.size}
        if self.width and self.height:
            entry |= {"width": self.width, "height": self.height}
        return entry


@dataclass(frozen=True)
class Reference:
    article: Article
    url: str  # as written (and as markdown-it renders it, normalized)
    line: int | None  # in the article's file


# -- references ----------------------------------------------------------------------------------------


def is_local(url: str, *, image: bool) -> bool:
    """Whether ``url`` names a file of the project: a relative path (an image, or a link to a file)."""
    parts = urlsplit(url)
    if not url or parts.scheme or parts.netloc or url.startswith(("/", "#", "?")) or not parts.path:
        return False
    return image or PurePosixPath(unquote(parts.path)).suffix.lower() not in PAGE_SUFFIXES


class _RawRefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "img" and values.get("src"):
            self.found.append((str(values["src"]), True))
        elif tag == "a" and values.get("href"):
            self.found.append((str(values["href"]), False))


def references(article: Article) -> list[Reference]:
    """The project files ``article`` references, in order, each with its line."""
    from ..markdown.extract import markdown_parser

    found: list[tuple[str, bool, int | None]] = []
    for token in markdown_parser().parse(article.body):
        line = token.map[0] if token.map else None
        children = token.children or []
        if token.type == "html_block":
            children = [token]
        for child in _walk(children):
            if child.type == "image":
                found.append((str(child.attrGet("src") or ""), True, line))
            elif child.type == "link_open":
                found.append((str(child.attrGet("href") or ""), False, line))
            elif child.type in ("html_inline", "html_block"):
                parser = _RawRefs()
                parser.feed(child.content)
                found += [(url, image, line) for url, image in parser.found]
    lines = article.body.split("\n")
    out = []
    for url, image, line in found:
        if is_local(url, image=image):
            out.append(Reference(article, url, _line_of(lines, url, line, article.body_line)))
    return out


def _walk(tokens: Iterable[Token]) -> Iterable[Token]:  # tokens and the children of images' alt text
    for token in tokens:
        yield token
        yield from _walk(token.children or [])


def _line_of(lines: list[str], url: str, block: int | None, body_line: int) -> int | None:
    """The file line where ``url`` is written: in its block if found there, else the block's first line."""
    written = {url, unquote(url), html.unescape(url)}
    start = block or 0
    for offset, text in enumerate(lines[start:], start):
        if any(w in text for w in written):
            return body_line + offset
    return body_line + block if block is not None else None


# -- collecting the files --------------------------------------------------------------------------------


def collect_assets(articles: Iterable[Article], root: Path, content_dir: Path, *,
                   allow_missing: bool = False) -> tuple[dict[tuple[str, str], Asset], list[str]]:
    """The files the articles reference, by (article slug, url as written), and warnings.

    A file that is missing, unreadable or outside ``content_dir`` is a problem: all are raised at
    once (:class:`InputError` for one, :class:`Problems` for several), unless ``allow_missing``, where
    each is a warning and the reference stays as written.
    """
    assets: dict[tuple[str, str], Asset] = {}
    by_file: dict[Path, Asset] = {}
    problems: list[str] = []
    first: InputError | None = None
    folder = content_dir.resolve()
    for article in articles:
        source = article.source or f"{article.slug}.md"
        base = (root / source).parent
        for ref in references(article):
            rel = unquote(urlsplit(ref.url).path)
            path = (base / rel).resolve()
            shown = _shown(path, root)
            if not path.is_relative_to(folder):
                problem = (f"{ref.url}: outside the content folder ({_shown(folder, root)}): "
                           "put the file in the content folder and reference it by a relative path")
            elif not path.is_file():
                problem = (f"{ref.url}: the referenced file {shown} is missing: add it, correct the path, or "
                           "publish with --allow-missing-assets (the reference then stays broken)")
            else:
                asset = by_file.get(path)
                if asset is None:
                    asset = by_file[path] = read_asset(path.read_bytes(), shown)
                assets[(article.slug, ref.url)] = asset
                continue
            error = InputError(source, ref.line, problem)
            first = first or error
            problems.append(str(error))
    if problems and not allow_missing:
        if len(problems) == 1 and first is not None:
            raise first
        raise Problems("referenced files", problems)
    return assets, [f"{p} (published with --allow-missing-assets)" for p in problems]


def _shown(path: Path, root: Path) -> str:
    resolved = root.resolve()
    return path.relative_to(resolved).as_posix() if path.is_relative_to(resolved) else str(path)


def read_asset(data: bytes, source: str) -> Asset:
    digest = hashlib.sha256(data).hexdigest()
    suffix = PurePosixPath(source).suffix.lower()
    if not re.fullmatch(r"\.[a-z0-9]{1,8}", suffix):
        suffix = ""
    size = image_size(data)
    return Asset(f"{ASSETS}/{digest[:16]}{suffix}", source, digest, len(data),
                 size[0] if size else None, size[1] if size else None, data)


# -- image sizes from the file header ---------------------------------------------------------------------


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, GIF, JPEG, WebP or SVG image; None for other files or a damaged header."""
    try:
        if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
            width, height = struct.unpack(">II", data[16:24])
            return width, height
        if data[:6] in (b"GIF87a", b"GIF89a"):
            width, height = struct.unpack("<HH", data[6:10])
            return width, height
        if data.startswith(b"\xff\xd8"):
            return _jpeg_size(data)
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            return _webp_size(data)
        head = data[:4096].decode("utf-8", "replace")
        if "<svg" in head:
            return _svg_size(head)
    except (struct.error, IndexError, ValueError):
        return None
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    pos = 2
    while pos + 9 < len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a start of frame
            height, width = struct.unpack(">HH", data[pos + 5:pos + 9])
            return (width, height) if width and height else None
        pos += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    return None


_SVG_TAG = re.compile(r"<svg\b[^>]*>", re.S)
_LENGTH = re.compile(r"\s*([0-9.]+)\s*(px)?\s*")


def _svg_size(head: str) -> tuple[int, int] | None:
    tag = _SVG_TAG.search(head)
    if tag is None:
        return None
    attrs = dict(re.findall(r'([\w:-]+)\s*=\s*["\']([^"\']*)["\']', tag.group(0)))
    width, height = (_LENGTH.fullmatch(attrs.get(k, "")) for k in ("width", "height"))
    if width and height:
        return round(float(width.group(1))), round(float(height.group(1)))
    box = attrs.get("viewBox", "").replace(",", " ").split()
    if len(box) == 4:
        return round(float(box[2])), round(float(box[3]))
    return None


# -- the page body after the sanitizer -------------------------------------------------------------------

Resolve = Callable[[str, bool], "tuple[str, int | None, int | None] | None"]


class _Finisher(HTMLParser):
    """Passes sanitized HTML through, rewriting ``<img>`` and ``<a>`` (see :func:`finish_html`)."""

    def __init__(self, resolve: Resolve | None) -> None:
        super().__init__(convert_charrefs=False)
        self.resolve = resolve
        self.out: list[str] = []
        self.links: list[bool] = []  # open <a>: written (True) or unwrapped

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "img":
            src = values.get("src", "").strip()
            if not src:
                return  # nothing to show: the sanitizer removed its src, or none was written
            values.setdefault("alt", "")
            found = self.resolve(src, True) if self.resolve else None
            if found:
                values["src"], width, height = found
                if width and height and "width" not in values and "height" not in values:
                    values |= {"width": str(width), "height": str(height)}
            self.out.append(_tag(tag, values))
        elif tag == "a":
            href = values.get("href", "").strip()
            self.links.append(bool(href))
            if href:
                found = self.resolve(href, False) if self.resolve else None
                if found:
                    values["href"] = found[0]
                self.out.append(_tag(tag, values))
        else:
            self.out.append(self.get_starttag_text() or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.links and not self.links.pop():
            return
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.out.append(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        self.out.append(f"<!--{data}-->")


def _tag(name: str, values: dict[str, str]) -> str:
    attrs = "".join(f' {k}="{html.escape(v, quote=True)}"' for k, v in values.items())
    return f"<{name}{attrs}>"


def finish_html(body: str, resolve: Resolve | None = None) -> str:
    """Sanitized HTML made valid and pointed at the release's files: an ``<img>`` without a src is dropped,
    one without alt gets ``alt=""``; an ``<a>`` without href leaves its text only; ``resolve(url, is_image)``
    gives a referenced file's (new URL, width, height), or None to leave the URL as it is."""
    finisher = _Finisher(resolve)
    finisher.feed(body)
    finisher.close()
    return "".join(finisher.out)


def absolute_html(body: str, page_url: str) -> str:
    """``body`` (HTML :func:`finish_html` wrote for the page at ``page_url``) with every ``<img src>`` and
    ``<a href>`` resolved against that URL, as a browser on the page resolves them: for a feed's content."""
    return finish_html(body, lambda url, image: (urljoin(page_url, url), None, None))


# -- the Markdown files of a bundle -------------------------------------------------------------------------

_INLINE_DEST = re.compile(r"(\]\(\s*)(<[^<>\n]*>|[^\s()<>]+)")  # [text](dest and ![alt](dest
_DEFINITION = re.compile(r"^( {0,3}\[[^\]\n]+\]:[ \t]*)(<[^<>\n]*>|\S+)", re.M)  # [label]: dest
_HTML_URL = re.compile(r"(\b(?:src|href)\s*=\s*)(\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+)", re.I)  # raw HTML
_CODE_SPAN = re.compile(r"(`+)[^`]+?\1")


def rewrite_markdown(body: str, assets: Mapping[str, Asset], prefix: str) -> str:
    """``body`` with the references to ``assets`` (by URL as :func:`references` gives it) pointing at
    their copies in the release, as ``prefix`` + ``assets/<sha256[:16]>.<ext>`` (``prefix``: from the
    Markdown file's folder to the release root). Code (blocks and spans) is left as written."""
    if not assets:
        return body
    from markdown_it.common.utils import unescapeAll

    from ..markdown.extract import markdown_parser

    parser = markdown_parser()

    def target(written: str) -> str | None:
        url = written[1:-1] if written.startswith("<") and written.endswith(">") else written
        for candidate in (url, unescapeAll(url), parser.normalizeLink(unescapeAll(url)), html.unescape(url)):
            if candidate in assets:
                return prefix + assets[candidate].path
        return None

    def link(match: re.Match[str]) -> str:
        found = target(match.group(2))
        return match.group(0) if found is None else match.group(1) + found

    def attribute(match: re.Match[str]) -> str:
        value = match.group(2)
        quote = value[0] if value[0] in "\"'" else ""
        found = target(html.unescape(value[1:-1] if quote else value))
        return match.group(0) if found is None else f"{match.group(1)}{quote}{html.escape(found)}{quote}"

    def text(part: str) -> str:
        out, last = [], 0
        for span in _CODE_SPAN.finditer(part):  # code spans stay as written
            out.append(_rewrite_text(part[last:span.start()], link, attribute))
            out.append(span.group(0))
            last = span.end()
        out.append(_rewrite_text(part[last:], link, attribute))
        return "".join(out)

    lines = body.split("\n")
    code = [False] * len(lines)
    for token in parser.parse(body):
        if token.type in ("fence", "code_block") and token.map:
            for i in range(*token.map):
                code[i] = True
    out: list[str] = []
    run: list[str] = []
    for line, is_code in zip(lines, code, strict=True):
        if is_code:
            if run:
                out.append(text("\n".join(run)))
                run = []
            out.append(line)
        else:
            run.append(line)
    if run:
        out.append(text("\n".join(run)))
    return "\n".join(out)


def _rewrite_text(text: str, link: Callable[[re.Match[str]], str],
                  attribute: Callable[[re.Match[str]], str]) -> str:
    text = _INLINE_DEST.sub(link, text)
    text = _DEFINITION.sub(link, text)
    return _HTML_URL.sub(attribute, text)
