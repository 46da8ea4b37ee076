"""The desk's pages without a browser: the dashboard per person, the editor's title, notes and
read-only reason, the forms without JavaScript, the preview and the inbox (the real app, in process)."""

from __future__ import annotations

import re
from pathlib import Path

from tilmech import services
from tilmech.web import create_app
from web_support import signed_in, workbench_runtime

SEED = "smart-classroom-kyrgyzstan"
PARTNERS = "partners-showcase"


def rows(html: str) -> list[tuple[str, str]]:
    """(article, lang) of the dashboard's rows, in order."""
    return re.findall(r'<tr data-article="([^"]+)" data-lang="([^"]+)"', html)


def test_the_dashboard_puts_the_translators_work_first_and_shows_editors_what_blocks(pseudo_project: Path) -> None:
    rt = workbench_runtime(pseudo_project)
    app = create_app(rt)
    sent = services.review_list(rt, "ky", article=SEED)[3]
    services.review_send_back(rt, "ky", [sent.segment_id], "check the date")
    for code in ("ru", "ky", "zh"):
        services.review_approve(rt, code, [i.segment_id for i in services.review_list(rt, code, article=PARTNERS)],
                                acknowledge=sorted({f.code for i in services.review_list(rt, code, article=PARTNERS)
                                                    for f in i.findings}))

    page = signed_in(app, "bakyt").get("/").text
    mine, _, others = page.partition('<details class="others">')
    # Kyrgyz only, the article sent back first, the finished one last; titles with the slug as a hint
    assert rows(mine) == [(SEED, "ky"), (PARTNERS, "ky")]
    assert "Establishment Ceremony Held for Smart Classroom in Kyrgyzstan</a> <small class=\"slug\">" in mine
    seed_row = mine.split(f'data-article="{SEED}"')[1].split("</tr>")[0]
    assert re.search(r'class="needs-work"><a [^>]*>1</a>', seed_row)
    assert mine.index(">Needs work<") < mine.index(">Stale<") < mine.index(">Draft<") < mine.index(">Progress<")
    assert {lang for _, lang in rows(others)} == {"ru", "zh"}
    assert "What blocks the next release" not in page

    page = signed_in(app, "elena").get("/").text
    blocking = page.split('<table class="blocking">')[1].split("</table>")[0]
    assert rows(blocking) == [(SEED, "ky"), (SEED, "ru"), (SEED, "zh")]  # the partners article is complete
    assert "not approved" in blocking


def test_the_editor_names_the_article_says_why_it_is_read_only_and_shows_notes_at_the_top(
        pseudo_project: Path) -> None:
    rt = workbench_runtime(pseudo_project)
    app = create_app(rt)
    editor, translator = signed_in(app, "elena"), signed_in(app, "bakyt")
    first = services.review_list(rt, "ky", article=SEED)[0]
    page = editor.get(f"/edit/{SEED}/ky").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf is not None
    # the form without JavaScript sends back with a note
    answer = editor.post(f"/edit/{SEED}/ky/{first.segment_id}", data={
        "action": "send-back", "version": str(first.version), "note": "Use the official name", "csrf": csrf.group(1)},
        follow_redirects=False)
    assert answer.status_code == 303
    assert services.review_list(rt, "ky", article=SEED)[0].state == "needs-work"

    page = translator.get(f"/edit/{SEED}/ky").text
    assert "<title>Establishment Ceremony Held for Smart Classroom in Kyrgyzstan · Kyrgyz · Tilmech</title>" in page
    section = page.split(f'id="seg-{first.segment_id}"')[1].split("</section>")[0]
    assert section.index('class="notes"') < section.index("<h3>Source</h3>")  # at the top, not in History
    assert "elena sent back</strong>: Use the official name" in section
    assert 'id="inbox-count">1<' in page
    assert "Read only" not in page and 'value="approve"' in page

    page = translator.get(f"/edit/{SEED}/zh").text
    assert "Read only: you translate ky as a translator; this page is Chinese (Simplified)." in page
    assert 'value="approve"' not in page and page.count("readonly") >= 1
    assert 'lang="zh-Hans"' in page and ' lang="zh"' not in page  # (data-lang="zh" is the store's code)

    inbox = translator.get("/inbox").text
    assert "Use the official name" in inbox and "<strong class=\"badge\">new</strong>" in inbox
    assert 'id="inbox-count"' not in translator.get("/").text  # seen


def test_the_preview_renders_the_current_text_and_marks_what_is_not_translated(pseudo_project: Path) -> None:
    (pseudo_project / "content" / "en" / "short.md").write_text(
        "---\ntitle: A short one\ndate: 2024-05-01\nsummary: Short.\n---\n\nIt has **two** sentences. "
        "The second one is [linked](https://example.org).\n", encoding="utf-8")
    rt = workbench_runtime(pseudo_project)
    items = services.review_list(rt, "ru", article="short")
    body = [i for i in items if i.field == "body"]
    services.review_edit(rt, body[0].segment_id, "ru", "В ней {1}два{/1} предложения.", body[0].version)
    text = (pseudo_project / "content" / "en" / "short.md").read_text(encoding="utf-8")
    (pseudo_project / "content" / "en" / "short.md").write_text(text + "\nA third, new.\n", encoding="utf-8")
    services.ingest(rt)

    client = signed_in(create_app(rt), "aida")
    fragment = client.get("/edit/short/ru/preview", headers={"X-Fragment": "preview"}).text
    assert not fragment.lstrip().startswith("<!DOCTYPE")
    assert '<article lang="ru" class="article-preview">' in fragment
    assert "В ней <strong>два</strong> предложения." in fragment  # rendered as the site renders it
    assert '<a href="https://example.org"' in fragment
    assert re.search(r'<mark class="untranslated"[^>]*>A third, new\.</mark>', fragment)
    assert "1 segment not translated yet" in fragment
    page = client.get("/edit/short/ru/preview").text
    assert page.startswith("<!DOCTYPE html>") and "В ней <strong>два</strong> предложения." in page
