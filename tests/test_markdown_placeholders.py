"""The placeholder model (tilmech.markdown.placeholders): the check that a translation keeps its
source's placeholders, and a module its users (glossary, QA, engines) import without loading a
Markdown library."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from tilmech.articles import Article
from tilmech.markdown.extract import segment_article
from tilmech.markdown.placeholders import Segment, check_placeholders


def article(body: str) -> Article:
    return Article(slug="sample", title="A title", date=dt.date(2023, 6, 6), body=body)


PLACEHOLDER_SOURCE = "Visit [KNU](https://knu.kg) and **SUSTech** with `make`."


@pytest.fixture
def marked() -> Segment:
    (seg,) = [s for s in segment_article(article(PLACEHOLDER_SOURCE)).segments if s.field == "body"]
    assert seg.text == "Visit {1}KNU{/1} and {2}SUSTech{/2} with {3}."
    return seg


def test_correct_placeholders_have_no_problems(marked: Segment) -> None:
    assert check_placeholders("Посетите {1}КНУ{/1} и {2}SUSTech{/2} с {3}.", marked) == []
    # order may change, as long as pairs nest
    assert check_placeholders("С {3} посетите {2}SUSTech{/2} и {1}КНУ{/1}.", marked) == []


def test_missing_placeholder_is_reported(marked: Segment) -> None:
    problems = check_placeholders("Посетите {1}КНУ{/1} и {2}SUSTech{/2}.", marked)
    assert len(problems) == 1
    assert "{3}" in problems[0] and "missing" in problems[0]


def test_duplicated_placeholder_is_reported(marked: Segment) -> None:
    problems = check_placeholders("Посетите {1}КНУ{/1} и {2}SUSTech{/2} с {3} и {3}.", marked)
    assert len(problems) == 1
    assert "{3}" in problems[0] and "2 times" in problems[0]


def test_unknown_placeholder_is_reported(marked: Segment) -> None:
    problems = check_placeholders("Посетите {1}КНУ{/1} и {2}SUSTech{/2} с {3} {4}.", marked)
    assert len(problems) == 1
    assert "{4}" in problems[0] and "not in the source" in problems[0]


def test_wrongly_nested_pair_is_reported(marked: Segment) -> None:
    problems = check_placeholders("Посетите {1}КНУ {2}и{/1} SUSTech{/2} с {3}.", marked)
    assert len(problems) == 1
    assert "{/1}" in problems[0] and "out of order" in problems[0]


def test_close_before_open_is_reported(marked: Segment) -> None:
    problems = check_placeholders("Посетите {/1}КНУ{1} и {2}SUSTech{/2} с {3}.", marked)
    assert problems and "out of order" in problems[0]


LIGHT = ("tilmech.markdown.placeholders", "tilmech.glossary.match", "tilmech.qa", "tilmech.qa.model",
         "tilmech.mt.pseudo", "tilmech.mt.openai")


def test_glossary_qa_and_engines_import_no_markdown_library() -> None:
    """Matching terms, checking a translation and running an engine need the placeholders, not a
    Markdown parser or writer: a worker that only translates does not load them."""
    code = ("import importlib, json, sys\n"
            f"for name in {LIGHT!r}: importlib.import_module(name)\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('markdown_it', 'mdformat'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []
    # and the check is not vacuous: extraction loads markdown-it (not mdformat, which rendering loads)
    code = "import sys, tilmech.markdown.extract; print('markdown_it' in sys.modules, 'mdformat' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split() \
        == ["True", "False"]
