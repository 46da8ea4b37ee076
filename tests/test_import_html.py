"""import-html: a page of the site becomes a clean article."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import DATA, ROOT
from tilmech.articles import load_article, read_article
from tilmech.markdown.render import render_html


def test_the_seed_page_becomes_the_article_in_content(pseudo_project: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    result = tilmech("--project", pseudo_project, "import-html", DATA / "import" / "ichei-news-1003.txt",
                     "--slug", "imported")
    assert result.code == 0, result
    assert result.out.strip() == ("wrote content/en/imported.md: Establishment Ceremony Held for Smart Classroom "
                                  "in Kyrgyzstan (2023-06-06)")
    assert "dropped line 1: boilerplate: The site is currently under configuration" in result.err
    assert "dropped line 3: boilerplate: Will be available soon......" in result.err
    assert "dropped line 36: duplicate of earlier text" in result.err
    imported = load_article(pseudo_project / "content" / "en" / "imported.md")
    clean = load_article(ROOT / "content" / "en" / "smart-classroom-kyrgyzstan.md")
    assert (imported.title, imported.date) == (clean.title, clean.date)
    # the same article as the one cleaned by hand (which also fixed one spelling mistake, and added
    # the photo: the old site's page is text, and import-html brings text only, no images)
    photo = re.compile(r"^!\[[^\]\n]*\]\([^)\n]*\)\n\n", re.MULTILINE)
    by_hand, photos = photo.subn("", clean.body)
    assert photos == 1 and "images/knu-smart-classroom.jpg" not in by_hand
    assert render_html(imported.body).replace("foundamental", "fundamental") == render_html(by_hand)
    assert imported.summary.startswith("On June 5th, 2023, delegation of the International Centre")


def test_an_html_page_keeps_sections_and_lists_and_reports_glued_words(pseudo_project: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    result = tilmech("--project", pseudo_project, "import-html", DATA / "import" / "smart-classroom-page.html",
                     "--slug", "from-html")
    assert result.code == 0, result
    assert "warning: smart-classroom-page.html:10: 'Technologyand' looks like words glued by lost markup" in result.err
    assert "CreateView" not in result.err  # a glossary term, not a glued word
    text = (pseudo_project / "content" / "en" / "from-html.md").read_text(encoding="utf-8")
    article = read_article(text, "from-html")
    assert article.title == "Establishment Ceremony Held for Smart Classroom in Kyrgyzstan"
    html = render_html(article.body)
    assert html.count("<h2>") == 1 and html.count("<li>") == 2 and html.count("<p>") == 2
    assert "&amp; the cultural centre" in html
    for noise in ("Home", "News", "©", "tracking", "configuration", "Kyrgyz Nati<"):
        assert noise not in article.body


def test_import_refuses_to_overwrite_and_explains_missing_dates(pseudo_project: Path, tmp_path: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    page = DATA / "import" / "ichei-news-1003.txt"
    assert tilmech("--project", pseudo_project, "import-html", page, "--slug", "smart-classroom-kyrgyzstan").code == 2
    undated = tmp_path / "undated.txt"
    undated.write_text("A title\n\nA paragraph of text that is long enough to be a paragraph of an article.\n",
                       encoding="utf-8")
    result = tilmech("--project", pseudo_project, "import-html", undated, "--slug", "undated")
    assert result.code == 2 and "no date found" in result.err
    assert tilmech("--project", pseudo_project, "import-html", page, "--slug", "Bad Slug").code == 2


LITERAL = ["# not a heading", "---", "1. not a list", "* not a list", "<img src=x onerror=alert(1)>",
           "A path C:\\temp\\new and a \\* backslash.", "Some *stars* and _underscores_ that were literal.",
           "A [bracket](text) that was literal.", "+ plus, > quote, 2023) and a `tick` & &amp; too.",
           "==="]


def test_page_text_that_looks_like_markdown_stays_text(pseudo_project: Path, tmp_path: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    """The text of a page is text: written to the .md escaped, it renders back to the same text."""
    from html import escape

    from markdown_it import MarkdownIt

    page = tmp_path / "page.html"
    paragraphs = "".join(f"<p>{escape(text)}</p>\n" for text in LITERAL)
    page.write_text(f"<html><body><h1>Literal text</h1><p>2023.06.06</p>\n<h2>Section #</h2>\n{paragraphs}"
                    f"<ul><li>- item</li><li>1. item</li></ul></body></html>", encoding="utf-8")
    result = tilmech("--project", pseudo_project, "import-html", page, "--slug", "literal")
    assert result.code == 0, result
    article = read_article((pseudo_project / "content" / "en" / "literal.md").read_text(encoding="utf-8"), "literal")

    blocks = []
    tokens = MarkdownIt("commonmark").parse(article.body)
    for i, token in enumerate(tokens):
        if token.type == "inline":
            children = token.children or []
            assert [c.type for c in children] == ["text"] * len(children), (token.content, children)
            blocks.append((tokens[i - 1].type, "".join(c.content for c in children)))
    assert blocks == [("heading_open", "Section #"), *[("paragraph_open", text) for text in LITERAL],
                      ("paragraph_open", "- item"), ("paragraph_open", "1. item")]
    assert [t.type for t in tokens].count("bullet_list_open") == 1  # the two items, one list
    html = render_html(article.body)
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<hr" not in html and "<h1>" not in html and "<em>" not in html and "<a " not in html
