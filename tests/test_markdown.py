"""Markdown → segments with placeholders (tilmech.markdown.extract), and back (tilmech.markdown.render)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tilmech.articles import Article, load_article
from tilmech.errors import WorkflowError
from tilmech.languages import get_language
from tilmech.markdown.extract import SegmentedArticle, segment_article, split_sentences
from tilmech.markdown.placeholders import Segment
from tilmech.markdown.render import render_html, translate_article

ROOT = Path(__file__).resolve().parents[1]
CONTENT_ARTICLE = ROOT / "content" / "en" / "smart-classroom-kyrgyzstan.md"
EN, RU, ZH = get_language("en"), get_language("ru"), get_language("zh")


def article(body: str, title: str = "A title", summary: str = "", slug: str = "sample") -> Article:
    return Article(slug=slug, title=title, date=dt.date(2023, 6, 6), body=body, summary=summary)


def body_segments(doc: SegmentedArticle) -> list[Segment]:
    return [s for s in doc.segments if s.field == "body"]


def body_texts(body: str) -> list[str]:
    return [s.text for s in body_segments(segment_article(article(body)))]


def identity(doc: SegmentedArticle) -> dict[str, str]:
    return {s.id: s.text for s in doc.segments}


def visible(text: str) -> str:
    return "(" + text + ")"


# A document with most of what CommonMark offers. No paragraph has a line break
# *between* two sentences (those are re-joined, see test_soft_breaks_between_sentences...).
VARIED = r"""# Smart Classroom in Kyrgyzstan

Intro with a [titled link](https://example.org/a "Link title") and *emphasis around [a link](https://example.org/b)*. Then a [**strong link**](https://example.org/c) and **strong with *nested em***.

A hard break with two spaces␣␣
inside one sentence, and a backslash break\
in another one.

Escaped \*stars\*, \_underscores\_, \[brackets\], \`ticks\` and a \# hash stay literal. AT&amp;T uses &copy; too.

Setext heading
--------------

- First item with `inline code`.
- Second item
  - Nested item one.
  - Nested item two with an ![icon](https://example.org/icon.png "Icon title").
    1. Deep ordered item.
- Third item.

3. Third step of the plan.
4. Fourth step of the plan.

> A quote with a sentence. And another one.
>
> > A nested quote here.

```python
print("Code is never translated. Really.")
```

    indented code stays too

<div class="note">
An HTML block stays as it is.
</div>

![A picture of the classroom](https://example.org/room.png "Room") shows the new room.

***

See <https://knu.kg> or <span class="x">inline HTML</span> for more. Visit https://knu.kg/en today.

2023.06.06

Final words.
""".replace("␣", " ")  # ␣␣ + newline: a hard break


def counts(html: str) -> dict[str, int]:
    tags = ("h1", "h2", "h3", "ul", "ol", "li", "a", "img", "em", "strong", "code", "pre",
            "blockquote", "br", "hr", "p")
    return {tag: len(re.findall(rf"<{tag}[\s>/]", html)) for tag in tags}


def hrefs(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="([^"]*)"', html)


# -- sentence splitting ---------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Prof. Erlan Bazarbaev opened the ceremony. Mr. XU Mingshun presented the project. Dr. Smith agreed.",
         ["Prof. Erlan Bazarbaev opened the ceremony.", "Mr. XU Mingshun presented the project.",
          "Dr. Smith agreed."]),
        ("Room No. 1 is the Smart Classroom. CreateView Education Technology Co., Ltd. supplied it. It works.",
         ["Room No. 1 is the Smart Classroom.",
          "CreateView Education Technology Co., Ltd. supplied it.", "It works."]),
    ],
)
def test_abbreviations_do_not_end_a_sentence(body: str, expected: list[str]) -> None:
    assert body_texts(body) == expected


def test_a_paragraph_with_three_sentences_gives_three_segments() -> None:
    texts = body_texts("The classroom opened in June. Teachers were trained on site. Students use it daily.")
    assert len(texts) == 3


def test_title_and_summary_are_segments_of_their_own() -> None:
    doc = segment_article(article("Body sentence.", title="The title", summary="One summary. Two."))
    assert [(s.field, s.text) for s in doc.segments] == [
        ("title", "The title"), ("summary", "One summary."), ("summary", "Two."), ("body", "Body sentence."),
    ]
    assert [s.index for s in doc.segments] == [0, 1, 2, 3]


def test_a_sentence_ending_in_a_url_or_code_is_still_split() -> None:
    assert body_texts("Read the guide at https://knu.kg. It has three parts. Ask questions.") == [
        "Read the guide at {1}.", "It has three parts.", "Ask questions."]
    assert body_texts("Run `make`. Then run the tests. Done.") == ["Run {1}.", "Then run the tests.", "Done."]


# -- inline markup becomes placeholders --------------------------------------------


def only_body_segment(body: str) -> Segment:
    (segment,) = body_segments(segment_article(article(body)))
    return segment


def test_link_is_a_paired_placeholder_labelled_with_its_url() -> None:
    seg = only_body_segment("Visit [KNU](https://knu.kg) in Bishkek.")
    assert seg.text == "Visit {1}KNU{/1} in Bishkek."
    labels = seg.placeholder_labels()
    assert set(labels) == {"{1}", "{/1}"}
    assert "https://knu.kg" in labels["{1}"]


def test_strong_and_emphasis_are_paired_placeholders() -> None:
    seg = only_body_segment("This is **bold** and *emphasised* text.")
    assert seg.text == "This is {1}bold{/1} and {2}emphasised{/2} text."
    assert [m.kind for _, m in seg.markup] == ["open", "close", "open", "close"]


def test_code_span_is_atomic_and_hidden_from_the_translator() -> None:
    seg = only_body_segment("Run `tilmech translate --all` every night.")
    assert seg.text == "Run {1} every night."
    assert "tilmech translate" not in seg.text
    assert seg.placeholders["{1}"].kind == "atomic"


def test_image_is_atomic() -> None:
    seg = only_body_segment("The logo ![KNU logo](https://knu.kg/logo.png) is blue.")
    assert seg.text == "The logo {1} is blue."
    assert seg.placeholders["{1}"].kind == "atomic"
    assert "https://knu.kg/logo.png" in seg.placeholder_labels()["{1}"]


def test_bare_url_in_text_is_atomic() -> None:
    seg = only_body_segment("Visit https://knu.kg/en/news today.")
    assert seg.text == "Visit {1} today."
    assert seg.placeholders["{1}"].kind == "atomic"
    assert "https://knu.kg/en/news" in seg.placeholder_labels()["{1}"]


def test_bare_url_with_parentheses_is_one_placeholder() -> None:
    seg = only_body_segment("Read https://en.wikipedia.org/wiki/Bishkek_(city) for details.")
    assert seg.text == "Read {1} for details."


def test_literal_placeholder_in_source_text_is_protected() -> None:
    body = "Click [here](https://knu.kg) and type {1} in the box."
    seg = only_body_segment(body)
    assert seg.text == "Click {1}here{/1} and type {2} in the box."
    assert seg.placeholders["{2}"].kind == "atomic"
    out = translate_article(article(body), visible, RU)
    assert render_html(out.body) == (
        '<p>(Click <a href="https://knu.kg">here</a> and type {1} in the box.)</p>\n')


def test_literal_placeholder_in_title_survives_a_round_trip() -> None:
    src = article("Body.", title="Step {1} of the plan")
    doc = segment_article(src)
    assert doc.segments[0].text == "Step {1} of the plan"
    assert doc.rebuild(identity(doc), EN).title == "Step {1} of the plan"
    assert translate_article(src, visible, RU).title == "(Step {1} of the plan)"


# -- lines without letters ------------------------------------------------------


def test_lines_without_letters_are_not_segments_but_survive_rebuild() -> None:
    body = "2023.06.06\n\n80-90%\n\nThe ceremony was held in Bishkek.\n"
    src = article(body)
    doc = segment_article(src)
    assert [s.text for s in body_segments(doc)] == ["The ceremony was held in Bishkek."]
    html = render_html(translate_article(src, visible, RU).body)
    assert html == "<p>2023.06.06</p>\n<p>80-90%</p>\n<p>(The ceremony was held in Bishkek.)</p>\n"


# -- stable ids --------------------------------------------------------------------

STABLE = "First sentence here. Second sentence here. Third sentence here.\n\nA second paragraph.\n"


def ids(src: Article) -> list[str]:
    return [s.id for s in segment_article(src).segments]


def test_same_article_segmented_twice_gives_the_same_ids() -> None:
    assert ids(article(STABLE)) == ids(article(STABLE))


def test_editing_one_sentence_changes_only_its_id() -> None:
    before = ids(article(STABLE))
    after = ids(article(STABLE.replace("Second sentence here.", "Second sentence, edited.")))
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert changed == [2]  # 0 is the title


def test_inserting_a_paragraph_keeps_the_other_ids() -> None:
    before = ids(article(STABLE))
    after = ids(article("A new opening paragraph.\n\n" + STABLE))
    assert len(after) == len(before) + 1
    assert set(before) <= set(after)


def test_identical_sentences_in_one_article_get_distinct_ids() -> None:
    doc = segment_article(article("Thank you.\n\n- Thank you.\n- Thank you.\n"))
    segs = body_segments(doc)
    assert [s.text for s in segs] == ["Thank you."] * 3
    assert len({s.id for s in segs}) == 3


def test_title_and_body_with_the_same_text_get_distinct_ids() -> None:
    doc = segment_article(article("Smart Classroom opened.\n", title="Smart Classroom opened."))
    title, body = doc.segments
    assert title.text == body.text
    assert title.id != body.id


def test_ids_differ_between_articles() -> None:
    assert ids(article(STABLE, slug="one")) != ids(article(STABLE, slug="two"))


# -- round trip ----------------------------------------------------------------------


def test_varied_document_round_trips_to_the_same_html() -> None:
    source_counts = counts(render_html(VARIED))
    assert source_counts["br"] == 2 and source_counts["li"] == 8 and source_counts["blockquote"] == 2
    src = article(VARIED)
    doc = segment_article(src)
    rebuilt = doc.rebuild(identity(doc), EN)
    assert render_html(rebuilt.body) == render_html(VARIED)
    assert rebuilt.title == src.title


def test_varied_document_keeps_code_html_and_number_lines_away_from_translators() -> None:
    texts = " ".join(s.text for s in segment_article(article(VARIED)).segments)
    for hidden in ("print(", "indented code", "An HTML block", "2023.06.06", "inline code"):
        assert hidden not in texts


def test_content_article_round_trips_to_the_same_html() -> None:
    src = load_article(CONTENT_ARTICLE)
    doc = segment_article(src)
    rebuilt = doc.rebuild(identity(doc), EN)
    assert render_html(rebuilt.body) == render_html(src.body)
    assert (rebuilt.title, rebuilt.summary, rebuilt.date, rebuilt.tags, rebuilt.author) == (
        src.title, src.summary, src.date, src.tags, src.author)


def test_soft_breaks_between_sentences_are_rejoined_without_changing_the_text() -> None:
    body = "First line of the paragraph.\nSecond line of it.\n\n> Quoted line one.\n> Quoted line two.\n"
    src = article(body)
    doc = segment_article(src)
    assert [s.text for s in body_segments(doc)] == [
        "First line of the paragraph.", "Second line of it.", "Quoted line one.", "Quoted line two."]
    rebuilt = render_html(doc.rebuild(identity(doc), EN).body)
    # A line break inside a paragraph is only white space in HTML.
    assert " ".join(rebuilt.split()) == " ".join(render_html(body).split())


# -- translating with a visible fake translator ------------------------------------------


@pytest.mark.parametrize("code", ["ru", "zh"])
def test_fake_translation_keeps_the_structure(code: str) -> None:
    out = translate_article(article(VARIED), visible, get_language(code))
    source_html, target_html = render_html(VARIED), render_html(out.body)
    assert counts(target_html) == counts(source_html)
    assert hrefs(target_html) == hrefs(source_html)
    assert '<ol start="3">' in target_html
    assert 'title="(Link title)"' in target_html  # a link's title is translated (its own segment)
    assert 'print(&quot;Code is never translated. Really.&quot;)' in target_html
    assert "(Third step of the plan.)" in target_html
    assert out.title == "(A title)"


def test_fake_translation_of_the_content_article_keeps_links_and_headings() -> None:
    src = load_article(CONTENT_ARTICLE)
    out = translate_article(src, visible, RU)
    assert counts(render_html(out.body)) == counts(render_html(src.body))
    assert out.title == f"({src.title})"
    assert out.summary == f"({src.summary})"


def test_sentences_are_joined_with_a_space_in_russian_and_without_in_chinese() -> None:
    body = "> A quote with a sentence. And another one.\n\nScores rose to 80-90%. Then they fell.\n"
    ru = render_html(translate_article(article(body), visible, RU).body)
    zh = render_html(translate_article(article(body), visible, ZH).body)
    assert "(A quote with a sentence.) (And another one.)" in ru
    assert "(A quote with a sentence.)(And another one.)" in zh
    assert "(Scores rose to 80-90%.)(Then they fell.)" in zh


def test_bold_sentence_stays_bold_in_chinese() -> None:
    # Glued to the next sentence ('。**第三点'), a closing ** after punctuation would not
    # close by CommonMark's flanking rules; the full stop moves out of the bold span.
    src = article("First point. **Second point.** Third point.")
    doc = segment_article(src)
    zh = {"A title": "标题", "First point.": "第一点。", "{1}Second point.{/1}": "{1}第二点。{/1}",
          "Third point.": "第三点。"}
    out = doc.rebuild({s.id: zh[s.text] for s in doc.segments}, ZH)
    html = render_html(out.body)
    assert "<p>第一点。<strong>第二点</strong>。第三点。</p>" in html
    assert "*" not in html


def translated(body: str, translations: dict[str, str], lang: str = "ru") -> str:
    doc = segment_article(article(body))
    return doc.rebuild({s.id: translations.get(s.text, s.text) for s in doc.segments}, get_language(lang)).body


def test_bold_whose_delimiters_would_not_pair_up_where_the_translation_puts_them_is_written_as_tags() -> None:
    # "** отчёт **" would not open or close: a delimiter next to a space does not flank the text
    body = translated("Read **the report** today.\n",
                      {"Read {1}the report{/1} today.": "Прочитайте{1} отчёт {/1}сегодня."})
    assert body == "Прочитайте<strong> отчёт </strong>сегодня.\n"
    assert render_html(body) == "<p>Прочитайте<strong> отчёт </strong>сегодня.</p>\n"


def test_underscore_emphasis_glued_to_a_word_is_written_with_asterisks() -> None:
    # "_отчёт_сегодня" is no emphasis: an underscore inside a word neither opens nor closes
    body = translated("Read _the report_ today.\n",
                      {"Read {1}the report{/1} today.": "Прочитайте {1}отчёт{/1}сегодня."})
    assert body == "Прочитайте *отчёт*сегодня.\n"


def test_nested_emphasis_does_not_merge_into_one_delimiter_run() -> None:
    src = article("*****Word**0**\n")
    doc = segment_article(src)
    assert body_texts(src.body) == ["*{1}{2}Word{/2}0{/1}"]
    body = doc.rebuild(identity(doc), EN).body
    assert render_html(body) == render_html(src.body) == "<p>*<strong><strong>Word</strong>0</strong></p>\n"


def test_a_block_the_usual_writing_gets_wrong_is_written_in_the_safe_form() -> None:
    # a line of only "<b>" starts an HTML block: the line end the translation put after it
    # is written as a character reference, and the block stays a paragraph
    body = translated("<b>Bold</b> text.\n", {"{1}Bold{2} text.": "{1}\nЖирный{2} текст."})
    assert render_html(body) == "<p><b>\nЖирный</b> текст.</p>\n"


def test_translated_text_that_looks_like_markdown_stays_text() -> None:
    src = article("- An item.\n\nA sentence.\n")
    out = translate_article(src, lambda t: "1. <b>[x](http://y)</b> *a*", RU)
    html = render_html(out.body)
    assert html.count("<li>") == 1
    assert "<ol" not in html and "<b>" not in html and "<em>" not in html and "<a " not in html


# -- rebuilding refuses what does not fit ----------------------------------------------

PLACEHOLDER_SOURCE = "Visit [KNU](https://knu.kg) and **SUSTech** with `make`."


def test_rebuild_refuses_a_translation_missing_a_placeholder() -> None:
    src = article(PLACEHOLDER_SOURCE)
    doc = segment_article(src)
    translations = identity(doc)
    (seg,) = body_segments(doc)
    translations[seg.id] = "Посетите КНУ и {2}SUSTech{/2} с {3}."
    with pytest.raises(WorkflowError, match=r"\{1\}") as info:
        doc.rebuild(translations, RU)
    assert seg.id in str(info.value)
    assert info.value.exit_code == 1


def test_rebuild_refuses_a_missing_translation() -> None:
    doc = segment_article(article(PLACEHOLDER_SOURCE))
    translations = identity(doc)
    del translations[body_segments(doc)[0].id]
    with pytest.raises(WorkflowError, match="has no ru translation"):
        doc.rebuild(translations, RU)


_SBD_ALPHABET = "aAbBiIvVxXzZéčł0129 ,;:'\"«»“”‘’()[]-–—.!?…\n\t\u00a0\u2028\x1d♨∯☝ƪȸ%$€@#/&*+"


@given(st.text(alphabet=_SBD_ALPHABET, max_size=60)
       | st.lists(st.sampled_from(["Prof", "Dr", "U.S", "Mr", "KNU", "i", "a", "1", "12", "2021", "(a", "b)", "ii)",
                                   "3)", "one", "two", "said", "e.g", "p.m", "No", "St", "\"Yes", "Bishkek"]),
                  max_size=12).map(" ".join))
@settings(max_examples=1500, deadline=None, database=None)
def test_a_text_taken_as_one_sentence_without_pysbd_is_one_sentence_to_pysbd(text: str) -> None:
    from tilmech.markdown.extract import _ONE_SENTENCE, _sentence_splitter

    for candidate in (text, text + ".", text + "?", text.strip(), text.strip() + "!"):
        fast = split_sentences(candidate)
        if candidate and _ONE_SENTENCE.fullmatch(candidate):  # the fast path
            assert fast == [candidate] == list(_sentence_splitter().segment(candidate))


def test_the_sentence_splitter_agrees_with_pysbd_on_the_golden_rules() -> None:
    from benchmarks.english_golden_rules import GOLDEN_EN_RULES  # shipped with pysbd

    from tilmech.markdown.extract import _sentence_splitter

    for text, _ in GOLDEN_EN_RULES:
        assert split_sentences(text) == list(_sentence_splitter().segment(text))


def test_an_article_is_cut_where_the_splitter_cut_it_before_without_running_it_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tilmech.markdown import extract

    body = ("KNU and UNESCO-ICHEI met in Bishkek. Prof. HAN Wei opened the **smart** classroom. It has 24 seats.\n\n"
            "The second paragraph has two sentences. Here is the second one.\n")
    first = segment_article(article(body))
    assert len(first.cuts) == 2  # the two paragraphs the splitter cut (the title is one sentence as it stands)
    asked: list[str] = []
    real = extract.split_sentences
    monkeypatch.setattr(extract, "split_sentences", lambda text: asked.append(text) or real(text))
    again = segment_article(article(body), first.cuts)
    assert asked == [] and [s.text for s in again.segments] == [s.text for s in first.segments]
    assert again.cuts == first.cuts
    # an edit: only the changed paragraph goes to the splitter
    edited = segment_article(article(body.replace("It has 24 seats.", "It has 30 seats. Pupils love it.")), first.cuts)
    assert len(asked) == 1 and "30 seats" in asked[0]
    assert [s.text for s in edited.segments][-2:] == ["The second paragraph has two sentences.",
                                                      "Here is the second one."]
    assert "Pupils love it." in [s.text for s in edited.segments]
    # a cut that does not fit the text (another text with that key) is not used
    assert [s.text for s in segment_article(article(body), {key: [10_000] for key in first.cuts}).segments] == \
        [s.text for s in first.segments]


def test_the_cuts_given_decide_the_segments_not_what_was_segmented_before() -> None:
    """Segmenting keeps nothing between calls: the same article and the same cuts give the same
    segments whatever was segmented before, and without cuts the splitter decides afresh."""
    body = "Scores rose. They fell again.\n"
    fresh = segment_article(article(body))
    assert [s.text for s in body_segments(fresh)] == ["Scores rose.", "They fell again."]
    (key,) = fresh.cuts
    one = {key: ()}  # where an earlier splitter left the paragraph whole
    kept = segment_article(article(body), one)
    assert [s.text for s in body_segments(kept)] == ["Scores rose. They fell again."]
    assert kept.cuts == {key: ()}
    assert [s.id for s in segment_article(article(body)).segments] == [s.id for s in fresh.segments]
    assert [s.id for s in segment_article(article(body), one).segments] == [s.id for s in kept.segments]
