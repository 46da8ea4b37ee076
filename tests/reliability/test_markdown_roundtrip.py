"""Markdown round trip with the identity engine: the rendered HTML of generated documents is kept.

Documents are generated from the Markdown an article uses (headings, paragraphs of
sentences with emphasis, links, images, code, URLs, lists, quotes, code blocks,
rules, inline HTML); each is segmented, every segment "translated" to itself, the
article rebuilt, and both are rendered with markdown-it-py.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tilmech.articles import Article
from tilmech.languages import get_language
from tilmech.segments import render_html, segment_article

EN = get_language("en")
ROUND_TRIP = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

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
