"""The workbench in a real browser (Debian's Chromium driven by Playwright).

A translator signs in, fixes a segment, approves the next one with the keyboard and
sees the progress change; an editor approves a release; a translator's attempt to
approve a release is refused; an editor imports an XLIFF file through the editor page.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import approve_article
from tilmech import services
from tilmech.runtime import Runtime
from web_support import PASSWORD, served_in_thread, workbench_runtime

SEED = "smart-classroom-kyrgyzstan"


def wait_until(page, expression: str, timeout: float = 15) -> None:  # type: ignore[no-untyped-def]
    """Like page.wait_for_function, without making the page eval a string (the workbench's CSP forbids that)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout} s: {expression}"
        time.sleep(0.05)


@pytest.fixture
def server(pseudo_project: Path) -> Iterator[tuple[str, Runtime]]:
    rt = workbench_runtime(pseudo_project)
    with served_in_thread(rt) as url:
        yield url, rt


def sign_in(browser, base: str, name: str):  # type: ignore[no-untyped-def]
    page = browser.new_context().new_page()
    page.goto(f"{base}/")
    assert page.url.startswith(f"{base}/login")
    page.fill('input[name="name"]', name)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url(f"{base}/")
    return page


def test_translator_fixes_and_approves_with_the_keyboard(server, browser) -> None:  # type: ignore[no-untyped-def]
    base, rt = server
    page = sign_in(browser, base, "aida")
    page.click(f'tr[data-article="{SEED}"][data-lang="ru"] a')
    page.wait_for_url(f"{base}/edit/{SEED}/ru")
    total = len(services.review_list(rt, "ru", article=SEED))
    assert page.text_content("#progress-label") == f"0 / {total} approved"

    segments = page.locator("section.seg")
    first, second = segments.nth(0), segments.nth(1)
    first.locator("textarea").fill("Церемония открытия Умного класса в Кыргызстане")
    first.locator("textarea").press("Control+Enter")  # save and next
    wait_until(page, "document.activeElement === document.querySelectorAll('section.seg textarea')[1]")
    item = services.review_list(rt, "ru", article=SEED)[0]
    assert (item.text, item.state, item.version) == ("Церемония открытия Умного класса в Кыргызстане", "draft", 2)

    open_findings = [f for f in services.review_list(rt, "ru", article=SEED)[1].findings if f.severity == "functional"]
    second.locator("textarea").press("Control+Shift+Enter")  # approve and next
    if open_findings:  # the pseudo engine's draft has some: the approval asks to confirm them, listed
        confirm = second.locator(".confirm")
        confirm.locator("button.acknowledge").wait_for()
        assert all(f.message in confirm.text_content() for f in open_findings)
        confirm.locator("button.acknowledge").press("Enter")
    wait_until(page, f"document.getElementById('progress-label').textContent === '1 / {total} approved'")
    assert second.locator(".state").text_content() == "approved"
    assert services.review_list(rt, "ru", article=SEED)[1].state == "approved"
    wait_until(page, "document.activeElement === document.querySelectorAll('section.seg textarea')[2]")

    # the dashboard shows the new progress
    page.goto(f"{base}/")
    assert page.text_content(f'tr[data-article="{SEED}"][data-lang="ru"] td.approved') == "1"

    # a critical QA finding blocks approval, shown in place
    third = segments.nth(2)
    page.goto(f"{base}/edit/{SEED}/ru")
    third.locator("textarea").fill("")
    third.locator("textarea").fill("Текст без плейсхолдера {9}")
    third.locator("textarea").press("Control+Shift+Enter")
    wait_until(page, "document.querySelectorAll('section.seg')[2].querySelector('.error').textContent !== ''")
    assert "cannot approve with critical QA findings" in third.locator(".error").text_content()
    assert "critical" in third.locator(".findings").text_content()


def test_editor_approves_a_release_and_a_translator_cannot(server, browser) -> None:  # type: ignore[no-untyped-def]
    base, rt = server
    for code in ("ru", "ky", "zh"):
        approve_article(rt, code, SEED)
    editor = sign_in(browser, base, "elena")
    editor.goto(f"{base}/releases")
    assert SEED in editor.text_content("table.preview")
    editor.click("#create-release")
    editor.click("#confirm")  # each release action is confirmed on a page of its own
    editor.wait_for_selector("#release-1")
    assert editor.text_content("#release-1 .state") == "pending"

    translator = sign_in(browser, base, "bakyt")
    translator.goto(f"{base}/releases")
    assert translator.locator("#create-release").count() == 0
    assert translator.locator("#release-1 button").count() == 0  # the page is read-only for translators
    translator.goto(f"{base}/releases/1/approve")
    assert "only an editor can approve a release" in translator.text_content(".error")
    assert services.release_info(rt, 1).state == "pending"

    editor.goto(f"{base}/releases")
    editor.click("#release-1 button")
    editor.click("#confirm")
    editor.wait_for_selector("#release-1 >> text=approved by elena")
    assert services.release_info(rt, 1).state == "approved"


def test_editor_imports_an_xliff_file_through_the_editor_page(server, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, rt = server
    item = services.review_list(rt, "ru", article=SEED)[0]
    exported = services.xliff_export(rt, SEED, "ru", "1.2").replace(f">{item.text}<", ">Церемония открытия<", 1)
    upload = tmp_path / "seed.ru.xlf"
    upload.write_text(exported, encoding="utf-8")

    editor = sign_in(browser, base, "elena")
    editor.goto(f"{base}/edit/{SEED}/ru")
    editor.click("details.xliff summary")
    editor.set_input_files('details.xliff input[type="file"]', str(upload))
    editor.click('details.xliff button[type="submit"]')
    editor.wait_for_url(f"{base}/edit/{SEED}/ru/xliff")
    row = editor.locator(f'table.imported tr:has(code:text-is("{item.segment_id}"))')
    assert row.locator("td").nth(1).text_content() == "edited"
    assert services.review_list(rt, "ru", article=SEED)[0].text == "Церемония открытия"
