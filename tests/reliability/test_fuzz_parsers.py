"""Fuzzing every parser of outside input: none raises anything but Tilmech's own errors.

Three sources of inputs, bounded so the run stays short:

* the corpus (``corpus/<parser>/``): valid seeds, hostile files (XXE, entity
  bombs, YAML aliases and tags, deep nesting) and every input a fuzz run ever
  broke a parser with;
* Hypothesis mutations of the corpus files (bytes cut, doubled, replaced, markup inserted);
* Hypothesis text from an alphabet heavy in the syntax of each format.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from parsers import PARSERS, corpus

from tilmech.errors import TilmechError

FUZZ = settings(max_examples=120, deadline=None, derandomize=False, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

SYNTAX = {
    "article": "-:\n #*_[]()!`<>{}|\"'&\\0123456789abcXYZ.",
    "markdown": "\n #*_[]()!`<>{}|-+>=~\\&;:0123456789abXY.",
    "html": "<>/=\"' \n&#;abcdefhilmnprstuvy0123456789!-",
    "page-text": "\n 0123456789-./:abcdefghijklmnopqrstuvwxyzABCDEFGHIJ",
    "glossary": "-:\n []{}&*!|>'\"#,?%@`abcdefghijklmnopqrstuvwxyz0123456789",
    "tbx": "<>/=\"' \n&#;!-[]%abcdefgilmnoprstuvxyz0123456789",
    "csv": ",;\"'\n\r\t abcdefghijklmnopqrstuvwxyz0123456789",
    "xliff": "<>/=\"' \n&#;!-[]%abcdefgilmnoprstuvxyz0123456789",
    "settings": "-:\n []{}&*!|>'\"#,?%@abcdefghijklmnopqrstuvwxyz0123456789",
}
MARKUP = {
    "tbx": ["<termEntry>", "</termEntry>", "<langSet xml:lang=\"ru\">", "<term>", "</term>", "<tig>", "&amp;",
            "<!DOCTYPE x [<!ENTITY e \"e\">]>", "&e;", "<![CDATA[x]]>", "<?xml version=\"1.0\"?>"],
    "xliff": ["<unit id=\"s1\">", "</unit>", "<segment>", "<source>", "<target>", "</target>", "<pc id=\"1\">",
              "</pc>", "<ph id=\"2\"/>", "<g id=\"1\">", "<x id=\"2\"/>", "&amp;", "approved=\"yes\"",
              "<!DOCTYPE x [<!ENTITY e \"e\">]>", "&e;"],
    "glossary": ["terms:", "- id: x", "  en: ", "  ru: ", "&a", "*a", "!!python/object:os.system", "<<: *a"],
    "settings": ["target_languages:", "engines:", "mt:", "  beam_size: ", "&a", "*a", "!!binary"],
    "article": ["---\n", "title: ", "date: ", "tags: [", "**", "[x](", "<script>", "{1}", "{/1}"],
    "markdown": ["**", "_", "[x](http://e.org)", "![i](a.png)", "`", "<b>", "</b>", "{1}", "{/1}", "\n\n", "> ",
                 "- ", "1. ", "# ", "```\n", "    ", "\\", "&amp;", "http://e.org/x"],
    "html": ["<p>", "</p>", "<h1>", "<li>", "<script>", "<br>", "&nbsp;", "<!--", "-->", "<time>"],
    "page-text": ["\n\n", "2023-06-06", "June 6, 2023", "Technologyand"],
    "csv": ["id,en,ru\n", "\"", ",", "\n", "\x00"],
}


def assert_only_own_errors(name: str, text: str) -> None:
    try:
        PARSERS[name](text)
    except TilmechError as exc:
        assert str(exc).strip(), "an error without a message"
    except RecursionError:  # pragma: no cover - reported below with the input
        pytest.fail(f"{name}: RecursionError on {text[:200]!r}")


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_every_corpus_file_gives_a_result_or_a_tilmech_error(name: str) -> None:
    files = corpus(name)
    assert len(files) >= 2
    for path in files:
        assert_only_own_errors(name, path.read_text(encoding="utf-8"))


@st.composite
def mutated(draw: st.DrawFn, name: str) -> str:
    """A corpus file of ``name`` with a few random cuts, copies, replacements and insertions."""
    files = corpus(name)
    text = files[draw(st.integers(0, len(files) - 1))].read_text(encoding="utf-8")
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        end = min(len(text), at + draw(st.integers(0, 40)))
        kind = draw(st.sampled_from(["cut", "copy", "insert", "markup", "replace"]))
        if kind == "cut":
            text = text[:at] + text[end:]
        elif kind == "copy":
            text = text[:end] + text[at:end] + text[end:]
        elif kind == "markup":
            text = text[:at] + draw(st.sampled_from(MARKUP[name])) + text[at:]
        else:
            piece = draw(st.text(st.sampled_from(SYNTAX[name]) | st.characters(codec="utf-8"), max_size=12))
            text = text[:at] + piece + (text[end:] if kind == "replace" else text[at:])
    return text


@pytest.mark.parametrize("name", sorted(PARSERS))
@FUZZ
@given(data=st.data())
def test_mutated_corpus_files_give_a_result_or_a_tilmech_error(name: str, data: st.DataObject) -> None:
    assert_only_own_errors(name, data.draw(mutated(name)))


@pytest.mark.parametrize("name", sorted(PARSERS))
@FUZZ
@given(data=st.data())
def test_random_text_gives_a_result_or_a_tilmech_error(name: str, data: st.DataObject) -> None:
    alphabet = st.sampled_from(SYNTAX[name]) | st.characters(codec="utf-8")
    assert_only_own_errors(name, data.draw(st.text(alphabet, max_size=400)))
