"""Markdown round trip with the identity engine: the rendered HTML of a document is kept.

Each document is segmented, every segment "translated" to itself, the article
rebuilt, and both are rendered with markdown-it-py. Two sources of documents:

* generated from the Markdown an article uses (headings, paragraphs of
  sentences with emphasis, links, images, code, URLs, lists, quotes, code
  blocks, rules, inline HTML): the HTML is the same, character for character;
* arbitrary text from an alphabet heavy in Markdown syntax, with words, markup
  and now and then any character a UTF-8 file can hold: the HTML is the same
  up to white space a browser does not show. The segmenter joins the lines of
  a paragraph into sentences (a soft line break becomes a space), and mdformat
  writes a run of spaces as one and an HTML block without its indentation; so
  runs of HTML white space (space, tab, line end, form feed) outside ``<pre>``
  compare as one space, and white space at the ends of the document not at
  all. Nothing else is narrowed: control characters, entities, unmatched
  delimiters, a document without a final line end all round-trip.
"""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tilmech.articles import Article
from tilmech.languages import get_language
from tilmech.markdown.extract import segment_article
from tilmech.markdown.render import render_html

EN = get_language("en")
ROUND_TRIP = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
ARBITRARY = settings(max_examples=300, deadline=None, database=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

words = st.sampled_from(["the", "classroom", "UNESCO-ICHEI", "Kyrgyzstan", "opened", "2023", "partners", "No.",
                         "Prof.", "e.g.", "students", "smart", "«quoted»", "Бишкек", "智慧", "50%", "a&b", "x*y",
                         "under_score", "{1}", "back\\slash"])


@st.composite
def sentence(draw: st.DrawFn) -> str:
    parts = draw(st.lists(words, min_size=1, max_size=8))
    if draw(st.booleans()):
        i = draw(st.integers(0, len(parts) - 1))
        kind = draw(st.sampled_from(["em", "strong", "code", "link", "image", "url", "html"]))
        parts[i] = {
            "em": f"*{parts[i]}*",
            "strong": f"**{parts[i]}**",
            "code": f"`{parts[i]}()`",
            "link": f"[{parts[i]}](https://en.ichei.org/news/{i})",
            "image": f"![{parts[i]}](img/{i}.png)",
            "url": "https://en.ichei.org/page",
            "html": f"<abbr>{parts[i]}</abbr>",
        }[kind]
    text = " ".join(parts)
    return text[0].upper() + text[1:] + draw(st.sampled_from([".", "!", "?", ":", ""]))


paragraph = st.lists(sentence(), min_size=1, max_size=4).map(" ".join)


@st.composite
def block(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["p", "p", "p", "h", "ul", "ol", "quote", "code", "rule"]))
    if kind == "h":
        return "#" * draw(st.integers(1, 4)) + " " + draw(sentence())
    if kind == "ul":
        items = draw(st.lists(paragraph, min_size=1, max_size=4))
        return "\n".join(f"- {item}" for item in items)
    if kind == "ol":
        items = draw(st.lists(paragraph, min_size=1, max_size=4))
        return "\n".join(f"{n}. {item}" for n, item in enumerate(items, 1))
    if kind == "quote":
        return "> " + draw(paragraph)
    if kind == "code":
        return "```python\nprint('" + draw(sentence()) + "')\n```"
    if kind == "rule":
        return "---"
    return draw(paragraph)


documents = st.lists(block(), min_size=1, max_size=8).map(lambda blocks: "\n\n".join(blocks) + "\n")


def round_trip(body: str) -> str:
    article = Article("generated", "Generated", dt.date(2024, 1, 1), body, source="generated.md")
    doc = segment_article(article)
    return doc.rebuild({s.id: s.text for s in doc.segments}, EN).body


@ROUND_TRIP
@given(documents)
def test_generated_documents_keep_their_html_through_segmentation_and_rebuild(body: str) -> None:
    assert render_html(round_trip(body)) == render_html(body)


# -- arbitrary text ----------------------------------------------------------------------

SYNTAX = "\n #*_[]()!`<>{}|-+>=~\\&;:0123456789abXY."
MARKUP = ["word", "Word", "the", "e.g.", "No.", "Бишкек", "智慧", "。", "«q»", "**", "__", "***", "  ", "\t",
          "\n\n", "    ", "> ", "- ", "1. ", "# ", "```\n", "[x](http://e.org)", "![i](a.png)", "<b>", "</em>",
          "&amp;", "&nbsp;", "&#32;", "http://e.org/x_y", "{1}", "{/1}", "[a]: /u", "\\", '"']
piece = st.one_of(
    st.sampled_from(SYNTAX), st.sampled_from(SYNTAX), st.sampled_from(SYNTAX), st.sampled_from(SYNTAX),
    st.sampled_from(MARKUP), st.sampled_from(MARKUP),
    st.characters(codec="utf-8"),
)
arbitrary_documents = st.lists(piece, max_size=40).map("".join)

_PRE_RE = re.compile(r"(<pre>.*?</pre>)", re.DOTALL)
_HTML_SPACE_RE = re.compile(r"[ \t\n\r\f]+")


def page(markdown: str) -> str:
    """The rendered HTML, runs of white space outside ``<pre>`` as one space, the ends stripped."""
    parts = _PRE_RE.split(render_html(markdown))
    return "".join(p if p.startswith("<pre>") else _HTML_SPACE_RE.sub(" ", p) for p in parts).strip()


@ARBITRARY
@given(arbitrary_documents)
# inputs that broke the round trip, and what they broke:
@example("*****Word**0**\n")  # delimiter runs merged into "****", which then pair up differently
@example("***__#。    ****_(#&amp;*`。([a]: /ue.g.*_\n")  # the same, among escaped delimiters
@example("***__#Ö    *&amp;*_\\\\>*`。([a]: /ue.g.*_\n")
@example("*a*\\<\\<b>*c*\n")  # mdformat escaped only the first "<" of "<<b>": an HTML tag appeared
@example("word).&nbsp;**\n")  # the no-break space between two sentences became a space
@example("\x1c\n")  # characters Python strips as white space and CommonMark does not were lost
@example("}    [a]: /u0]\x1c\n")
@example("<http://x.org/a_\x1e\n")
@example("a\x1d21. b\n")  # pysbd raised ValueError on a numbered-list look-alike
@example("[a](x\\&copy;)\n")  # an escaped entity in a link destination was written unescaped
@example('[a](x "t\\\\")\n')  # a backslash ending a link title escaped its closing quote
@example("![a\\]b](x)\n")  # a bracket in an image description was written unescaped
@example("# &#32;a\n")  # a space at the start of a heading, as a reference, was stripped
@example("a\\\n&#160;b\n")  # a no-break space starting the line after a hard break was stripped
@example("\xa0\n")  # a paragraph of a no-break space (rendered empty) vanished
@example("- - *")  # nested lists written "- - -", a thematic break
@example("- a\n- - *\n  - b\n")
@example("```\nabc")  # a fence left open without a final line end got a closing fence inside the code
@example("_:No.*[|\n\n```\n)0*)    ó=*{`\n\n)")
@example("> <b>")  # an HTML block ending the document without a line end got one, part of its HTML
def test_arbitrary_documents_keep_their_html_through_segmentation_and_rebuild(body: str) -> None:
    assert page(round_trip(body)) == page(body)
