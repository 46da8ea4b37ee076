"""The translator's desk in a real browser (Debian's Chromium driven by Playwright).

A Kyrgyz translator takes a memory suggestion with Alt+1, saves with Ctrl+Enter and sees "saved"
and the new risk; an editor approves a sentence and copies it to the identical sentence of another
article; an editor's send-back note reaches the translator's inbox; the preview pane shows the
edited sentence and marks the one not translated yet; axe-core finds no violation on the sign-in,
dashboard, editor, inbox and releases pages.

With ``TILMECH_SCREENSHOTS=DIR`` the tests leave photographs of the editor with suggestions and of
the inbox in DIR (the README's come from ``TILMECH_SCREENSHOTS=docs/images``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import approve_article
from test_workbench_browser import sign_in, wait_until
from tilmech import services
from tilmech.runtime import Runtime
from web_support import served_in_thread, workbench_runtime

SEED = "smart-classroom-kyrgyzstan"
PARTNERS = "partners-showcase"
FOLLOW_UP = "smart-classroom-one-year-on"
# An article whose sentences are near (one number changed) or identical to sentences of partners-showcase.
FOLLOW_UP_TEXT = """---
title: The Smart Classroom at KNU, one year on
date: 2024-06-05
summary: A year after the opening, the classroom is in daily use.
---

Prof. HAN Wei visited *Bishkek* in 2024.

Opening ceremony.
"""
APPROVED_KY = "Профессор Хань Вэй 2023-жылы {1}Бишкекке{/1} келди."


@pytest.fixture
def desk(pseudo_project: Path) -> Iterator[tuple[str, Runtime]]:
    (pseudo_project / "content" / "en" / f"{FOLLOW_UP}.md").write_text(FOLLOW_UP_TEXT, encoding="utf-8")
    rt = workbench_runtime(pseudo_project)
    with served_in_thread(rt) as url:
        yield url, rt


def item(rt: Runtime, lang: str, article: str, source: str) -> services.ReviewItem:
    """The queue entry of ``article`` whose English starts with ``source``."""
    return next(i for i in services.review_list(rt, lang, article=article) if i.source.startswith(source))


def photograph(page: Any, name: str) -> None:
    folder = os.environ.get("TILMECH_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=False)


def axe_violations(page: Any) -> list[str]:
    """axe-core's violations of the page, one line each (rule, impact, the first offending elements)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
            for v in results.response["violations"]]


def test_a_suggestion_taken_by_keyboard_is_saved_with_its_new_risk(desk, browser) -> None:  # type: ignore[no-untyped-def]
    base, rt = desk
    near = item(rt, "ky", PARTNERS, "Prof. HAN Wei visited")
    services.review_edit(rt, near.segment_id, "ky", APPROVED_KY, near.version)
    services.review_approve(rt, "ky", [near.segment_id])
    target = item(rt, "ky", FOLLOW_UP, "Prof. HAN Wei visited")

    page = sign_in(browser, base, "bakyt")
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{base}/edit/{FOLLOW_UP}/ky")
    seg = page.locator(f'section.seg[data-id="{target.segment_id}"]')
    area = seg.locator("textarea")
    area.focus()
    seg.locator(".memory li").first.wait_for()
    first = seg.locator(".memory li").first
    assert first.locator(".text").text_content() == APPROVED_KY
    similarity = int(first.locator(".similarity").text_content().rstrip("%"))
    assert 70 <= similarity < 100
    # the English that differs is highlighted: 2023 in the remembered sentence, 2024 in this one
    assert "2023" in first.locator("del").all_text_contents()[0] and "2024" in first.locator("ins").all_text_contents()[0]
    seg.evaluate("section => section.scrollIntoView({block: 'start'})")
    photograph(page, "editor-suggestions.png")

    old_risk = seg.locator(".risk").text_content()
    area.press("Alt+1")
    assert area.input_value() == APPROVED_KY
    area.press("Control+Enter")  # save and next
    wait_until(page, f"document.querySelector('section.seg[data-id=\"{target.segment_id}\"] .saved').textContent.startsWith('Saved')")
    saved = item(rt, "ky", FOLLOW_UP, "Prof. HAN Wei visited")
    assert (saved.text, saved.state, saved.version) == (APPROVED_KY, "draft", target.version + 1)
    assert saved.risk is not None
    assert seg.locator(".risk").text_content() == f"risk {saved.risk:.0f}" != old_risk
    assert seg.get_attribute("data-version") == str(saved.version)
    # the findings of the new text are shown in place: the year does not match the English
    assert "number" in {f.code for f in saved.findings}
    assert all(f.message in seg.locator(".findings").text_content() for f in saved.findings)

    # approving it asks to confirm the open findings, listed; confirmed, it is approved
    area.press("Control+Shift+Enter")
    confirm = seg.locator(".confirm")
    confirm.locator("button.acknowledge").wait_for()
    assert all(f.message in confirm.text_content() for f in saved.findings)
    confirm.locator("button.acknowledge").click()
    wait_until(page, f"document.querySelector('section.seg[data-id=\"{target.segment_id}\"] .state').textContent === 'approved'")
    assert item(rt, "ky", FOLLOW_UP, "Prof. HAN Wei visited").state == "approved"


def test_an_approval_is_offered_to_the_identical_segments(desk, browser) -> None:  # type: ignore[no-untyped-def]
    base, rt = desk
    source = item(rt, "ky", PARTNERS, "Opening ceremony.")
    twin = item(rt, "ky", FOLLOW_UP, "Opening ceremony.")
    page = sign_in(browser, base, "elena")
    page.goto(f"{base}/edit/{PARTNERS}/ky")
    seg = page.locator(f'section.seg[data-id="{source.segment_id}"]')
    seg.locator("textarea").fill("Ачылыш аземи.")
    seg.locator('button[value="approve"]').click()
    offer = seg.locator(".propagate button")
    offer.wait_for()
    assert "1 identical segment" in offer.text_content()
    offer.click()
    wait_until(page, f"document.querySelector('section.seg[data-id=\"{source.segment_id}\"] .propagate').textContent.includes('Copied to 1')")
    copied = item(rt, "ky", FOLLOW_UP, "Opening ceremony.")
    assert (copied.text, copied.state) == ("Ачылыш аземи.", "draft")
    assert copied.version == twin.version + 1
    history = services.review_show(rt, twin.segment_id, "ky").history["ky"]
    assert history[-1].who == "elena" and source.segment_id in history[-1].note
    assert item(rt, "ky", PARTNERS, "Opening ceremony.").state == "approved"


def test_a_sent_back_note_reaches_the_translators_inbox(desk, browser) -> None:  # type: ignore[no-untyped-def]
    base, rt = desk
    first = services.review_list(rt, "ky", article=SEED)[0]
    editor = sign_in(browser, base, "elena")
    editor.goto(f"{base}/edit/{SEED}/ky")
    seg = editor.locator(f'section.seg[data-id="{first.segment_id}"]')
    seg.locator('input[name="note"]').fill("Use the university's official Kyrgyz name")
    seg.locator('button[value="send-back"]').click()
    wait_until(editor, f"document.querySelector('section.seg[data-id=\"{first.segment_id}\"] .state').textContent === 'needs-work'")
    second = services.review_list(rt, "ky", article=SEED)[1]
    other = editor.locator(f'section.seg[data-id="{second.segment_id}"]')
    other.locator('input[name="comment"]').fill("Is “Smart Classroom” a name here? Keep it capitalized.")
    other.locator("form.comment button").click()
    wait_until(editor, f"document.querySelector('section.seg[data-id=\"{second.segment_id}\"] .notes') !== null")
    assert "elena comment: Is “Smart Classroom” a name here?" in other.locator(".notes").text_content()

    translator = sign_in(browser, base, "bakyt")
    translator.set_viewport_size({"width": 1200, "height": 700})
    assert translator.text_content("#inbox-count").startswith("2")
    # the dashboard puts the sent-back article first, with its to-do count
    first_row = translator.locator("table.progress tbody tr").first
    assert (first_row.get_attribute("data-article"), first_row.get_attribute("data-lang")) == (SEED, "ky")
    assert first_row.locator("td.needs-work").text_content() == "1"
    translator.click("#inbox-link")
    translator.wait_for_url(f"{base}/inbox")
    entry = translator.locator(f'.inbox li[data-segment="{first.segment_id}"]')
    assert "Use the university's official Kyrgyz name" in entry.text_content()
    assert "elena" in entry.text_content() and "new" in entry.locator(".badge").text_content()
    assert "Keep it capitalized." in translator.locator(f'.inbox li[data-segment="{second.segment_id}"]').text_content()
    photograph(translator, "inbox.png")
    # the note is at the top of the segment in the editor, and the inbox is seen
    entry.locator("a").click()
    translator.wait_for_url(f"{base}/edit/{SEED}/ky#seg-{first.segment_id}")
    notes = translator.locator(f'section.seg[data-id="{first.segment_id}"] .notes')
    assert "elena sent back: Use the university's official Kyrgyz name" in notes.text_content()
    assert translator.locator("#inbox-count").count() == 0


def test_the_preview_pane_shows_the_edited_sentence(desk, browser) -> None:  # type: ignore[no-untyped-def]
    base, rt = desk
    path = Path(rt.settings.content_dir) / f"{FOLLOW_UP}.md"
    path.write_text(FOLLOW_UP_TEXT + "\nA sentence nobody translated yet.\n", encoding="utf-8")
    services.ingest(rt)  # the new sentence has no Kyrgyz text
    page = sign_in(browser, base, "bakyt")
    page.goto(f"{base}/edit/{FOLLOW_UP}/ky")
    pane = page.locator("#preview-body")
    pane.locator("article").wait_for()
    assert pane.locator("article").get_attribute("lang") == "ky"
    assert pane.locator("article mark.untranslated").all_text_contents() == ["A sentence nobody translated yet."]
    assert pane.locator("article em").count() == 1  # the Markdown is rendered as the site renders it
    target = item(rt, "ky", FOLLOW_UP, "Prof. HAN Wei visited")
    area = page.locator(f'section.seg[data-id="{target.segment_id}"] textarea')
    area.fill("Профессор Хань Вэй 2024-жылы {1}Бишкекке{/1} келди.")
    area.press("Control+Enter")
    wait_until(page, "document.getElementById('preview-body').textContent.includes('2024-жылы Бишкекке келди.')")
    assert pane.locator("article em").text_content() == "Бишкекке"


def test_a_page_of_another_language_says_why_it_is_read_only(desk, browser) -> None:  # type: ignore[no-untyped-def]
    base, _ = desk
    page = sign_in(browser, base, "bakyt")
    page.goto(f"{base}/edit/{SEED}/ru")
    assert "Read only: you translate ky" in page.text_content("#read-only")
    assert page.locator("section.seg textarea[readonly]").count() == page.locator("section.seg").count() > 0
    assert page.locator('section.seg button[value="save"]').count() == 0
    assert page.title().startswith("Establishment Ceremony Held for Smart Classroom in Kyrgyzstan · Russian")


@pytest.mark.slow
def test_axe_finds_no_violations_on_the_workbench(desk, browser) -> None:  # type: ignore[no-untyped-def]
    base, rt = desk
    for code in ("ru", "ky", "zh"):  # a pending release, whose diff the releases page shows
        approve_article(rt, code, PARTNERS)
    services.release_create(rt)
    services.review_send_back(rt, "ky", [services.review_list(rt, "ky", article=SEED)[0].segment_id], "a note")
    page = browser.new_context().new_page()
    page.goto(f"{base}/login")
    found = {"/login": axe_violations(page)}
    for name in ("elena", "bakyt"):
        page = sign_in(browser, base, name)
        for path in ("/", f"/edit/{SEED}/ky", f"/edit/{PARTNERS}/zh", "/inbox", "/releases",
                     f"/edit/{SEED}/ky/preview"):
            page.goto(f"{base}{path}")
            if page.locator("#preview-body").count():
                page.locator("#preview-body article").wait_for()
            if page.locator("section.seg textarea").count():
                page.locator("section.seg textarea").first.focus()
                page.wait_for_timeout(300)  # suggestions fetched for the segments in view
            if path == f"/edit/{PARTNERS}/zh":  # the workbench names Chinese as the site does
                assert page.locator("section.seg textarea").first.get_attribute("lang") == "zh-Hans"
            found[f"{name} {path}"] = axe_violations(page)
    assert {where: v for where, v in found.items() if v} == {}


def test_placeholders_go_in_by_click_or_shortcut_and_the_memory_is_searched(desk, browser) -> None:  # type: ignore[no-untyped-def]
    base, rt = desk
    linked = item(rt, "ky", PARTNERS, "The Smart Classroom at {1}Kyrgyz National University{/1}")
    page = sign_in(browser, base, "bakyt")
    page.goto(f"{base}/edit/{PARTNERS}/ky")
    seg = page.locator(f'section.seg[data-id="{linked.segment_id}"]')
    chips = seg.locator(".chip")
    assert [c.text_content() for c in chips.all()] == ["{1}…{/1} link https://knu.kg/en", "{2}…{/2} bold"]
    area = seg.locator("textarea")
    seg.locator(".copy-source").click()
    assert area.input_value() == linked.source  # the English, placeholders kept
    area.fill("Кыргыз улуттук университети")
    area.evaluate("a => a.setSelectionRange(0, 6)")  # "Кыргыз" selected
    chips.nth(0).click()
    assert area.input_value() == "{1}Кыргыз{/1} улуттук университети"
    area.press("Control+End")
    area.press("Alt+Shift+2")
    assert area.input_value() == "{1}Кыргыз{/1} улуттук университети{2}{/2}"
    # the textarea grows with its text
    height = area.evaluate("a => a.clientHeight")
    area.fill("Кыргыз улуттук университети. " * 30)
    assert area.evaluate("a => a.clientHeight") > height

    # concordance: how was "Bishkek" written before?
    page.fill("#tm-q", "Bishkek")
    page.press("#tm-q", "Enter")
    page.locator("#tm-results table tbody tr").first.wait_for()
    found = page.locator("#tm-results table tbody tr").all_text_contents()
    assert any(PARTNERS in row and "Bishkek" in row for row in found)
