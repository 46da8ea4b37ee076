"""Articles: YAML front matter plus a Markdown body.

``content/en/<slug>.md``::

    ---
    title: Establishment Ceremony Held for Smart Classroom in Kyrgyzstan
    date: 2023-06-06
    summary: One or two sentences for lists and feeds.
    tags: [smart-classroom, knu]
    author: UNESCO-ICHEI        # optional
    ---
    Markdown body...

Title and summary are translated; date, slug, tags and author keep their meaning.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from .errors import ConfigError, InputError
from .yamldoc import read_yaml, validate

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_FENCE = re.compile(r"^---[ \t]*$", re.MULTILINE)


class FrontMatter(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1)
    date: dt.date
    summary: str = ""
    tags: tuple[str, ...] = ()
    author: str | None = None
    # written into published editions; accepted so that an edition reads back as an article
    lang: str | None = None
    translation_of: str | None = None

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, value: object) -> object:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                raise ValueError("expected a date as YYYY-MM-DD") from None
        if not isinstance(value, dt.date):
            raise ValueError("expected a date as YYYY-MM-DD")
        return value


@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    date: dt.date
    body: str
    summary: str = ""
    tags: tuple[str, ...] = ()
    author: str | None = None
    source: str = ""
    body_line: int = 1  # line of the body's first line in the source file

    @property
    def content_hash(self) -> str:
        """sha256 of everything that is translated or published from this article."""
        h = hashlib.sha256()
        for part in (self.slug, self.title, self.date.isoformat(), self.summary, "\x1f".join(self.tags),
                     self.author or "", self.body):
            h.update(part.encode("utf-8"))
            h.update(b"\x00")
        return h.hexdigest()


def read_article(text: str, slug: str, source: str | None = None) -> Article:
    """Parse an article from its text. ``source`` names it in errors."""
    source = source or f"{slug}.md"
    if not SLUG_RE.match(slug):
        raise InputError(source, None, f"bad file name {slug!r}: use lower-case letters, digits and hyphens (e.g. smart-classroom-kyrgyzstan.md)")
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    if not text.startswith("---"):
        raise InputError(source, 1, "missing front matter: start the file with a line '---', then title: and date:, then '---'")
    match = _FENCE.search(text, 3)
    first_line_end = text.find("\n")
    if first_line_end < 0 or text[:first_line_end].strip() != "---" or match is None:
        raise InputError(source, 1, "front matter is not closed: add a line '---' after the title:, date: ... lines")
    yaml_text = text[first_line_end + 1 : match.start()]
    doc = read_yaml(yaml_text, source, line_offset=1)
    if not isinstance(doc.data, dict):
        raise InputError(source, 2, "front matter must be a mapping (title: ..., date: ...)")
    meta = validate(FrontMatter, doc)
    body_start = text.find("\n", match.end())
    body = "" if body_start < 0 else text[body_start + 1 :]
    body_line = text.count("\n", 0, body_start + 1) + 1 if body_start >= 0 else 1
    return Article(
        slug=slug, title=meta.title.strip(), date=meta.date, body=body, summary=meta.summary.strip(),
        tags=tuple(meta.tags), author=meta.author, source=source, body_line=body_line,
    )


def write_article(article: Article, *, lang: str | None = None, original: str | None = None) -> str:
    """Render ``article`` as front matter plus Markdown (for published bundles)."""
    meta: dict[str, object] = {"title": article.title, "date": article.date}
    if article.summary:
        meta["summary"] = article.summary
    if article.tags:
        meta["tags"] = list(article.tags)
    if article.author:
        meta["author"] = article.author
    if lang:
        meta["lang"] = lang
    if original:
        meta["translation_of"] = original
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1000)
    body = article.body if article.body.endswith("\n") or not article.body else article.body + "\n"
    return f"---\n{front}---\n\n{body.lstrip(chr(10))}"


def load_article(path: Path, root: Path | None = None, data: bytes | None = None) -> Article:
    """The article in ``path`` (or in ``data``, its bytes already read)."""
    source = str(path.relative_to(root)) if root and path.is_relative_to(root) else str(path)
    try:
        text = (path.read_bytes() if data is None else data).decode("utf-8")
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise InputError(source, line, f"not UTF-8 text (byte {exc.start}): save the file as UTF-8") from None
    # line ends as text mode reads them (\r\n and \r become \n)
    return read_article(text.replace("\r\n", "\n").replace("\r", "\n"), path.stem, source)


def file_hash(data: bytes) -> str:
    """sha256 of an article file's bytes: the same bytes make the same article."""
    return hashlib.sha256(data).hexdigest()


def load_articles(folder: Path, root: Path | None = None, slugs: tuple[str, ...] | list[str] | None = None) -> list[Article]:
    """All articles of ``folder`` (``*.md``), sorted by slug; ``slugs`` selects some."""
    return [load_article(p, root) for p in article_paths(folder, slugs, root)]


def article_paths(folder: Path, slugs: tuple[str, ...] | list[str] | None = None,
                  root: Path | None = None) -> list[Path]:
    """The files of :func:`load_articles`, unread: callers that stream load them a few at a time."""
    if not folder.is_dir():
        raise ConfigError(f"{folder}: content folder not found: create it and put the English articles (*.md) in it")
    if slugs:  # the files named, without listing the folder (a reviewer's save reads one article)
        paths = [folder / f"{slug}.md" for slug in slugs]
        missing = [slug for slug, p in zip(slugs, paths, strict=True)
                   if Path(slug).name != slug or slug in ("", ".", "..") or not p.is_file()]
        if missing:
            known = sorted(p.stem for p in folder.glob("*.md"))
            raise ConfigError(f"no article named {', '.join(missing)} in {folder.name}/ (known: {', '.join(known) or 'none'})")
        links = [path for path in paths if path.is_symlink()]  # only a link can lead out of the folder
    else:
        with os.scandir(folder) as entries:
            found = sorted((e.name, e.is_symlink()) for e in entries if e.name.endswith(".md"))
        paths = [folder / name for name, _ in found]
        links = [folder / name for name, link in found if link]  # only a link can lead out of the folder
    inside = folder.resolve()
    for path in links:
        if not path.resolve().is_relative_to(inside):
            where = str(path.relative_to(root)) if root and path.is_relative_to(root) else str(path)
            raise InputError(where, None, f"a link to {path.resolve()}, outside {folder.name}/: "
                                          "put the article itself in the folder")
    return paths
