"""Every parser of input from outside, by name, as a function of one text (for fuzzing)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from tilmech.articles import Article, read_article
from tilmech.glossary import read_glossary
from tilmech.glossary.exchange import read_csv, read_tbx
from tilmech.importer import read_page
from tilmech.markdown.extract import segment_article
from tilmech.settings import read_settings
from tilmech.xliff import read_xliff

CORPUS = Path(__file__).resolve().parent / "corpus"


def _article(text: str) -> object:
    return segment_article(read_article(text, "fuzzed", "content/en/fuzzed.md"))


def _markdown(text: str) -> object:
    return segment_article(Article("fuzzed", "Title", dt.date(2024, 1, 1), text, source="fuzzed.md"))


PARSERS: dict[str, Callable[[str], object]] = {
    "article": _article,  # front matter + Markdown, segmented
    "markdown": _markdown,
    "html": lambda text: read_page(text, "page.html", "fuzzed", html=True),
    "page-text": lambda text: read_page(text, "page.txt", "fuzzed", html=False),
    "glossary": lambda text: read_glossary(text, "glossary/fuzzed.yaml"),
    "tbx": lambda text: read_tbx(text, "fuzzed.tbx"),
    "csv": lambda text: read_csv(text, "fuzzed.csv"),
    "xliff": lambda text: read_xliff(text, "fuzzed.xlf"),
    "settings": lambda text: read_settings(text, "tilmech.yaml", Path(".")),
}


def corpus(name: str) -> list[Path]:
    return sorted(p for p in (CORPUS / name).iterdir() if p.is_file())
