"""Releases read the store: the preview and a new release agree with the review queue and the
articles, whatever their mix of approved, unapproved and stale segments in each language."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import drafted
from tilmech import services
from tilmech.qa import Severity
from tilmech.runtime import Runtime
from tilmech.store import ReleaseArticleRow, ReleaseSourceRow, TranslationRow

SEED = "smart-classroom-kyrgyzstan"
PARTNERS = "partners-showcase"
OLD = "He wished that the two organizations could build a long-term and effective cooperative relationship"
NEW = "He wished that the two organizations would build a lasting and effective cooperative relationship"


@pytest.fixture
def rt(pseudo_project: Path) -> Runtime:
    """Both articles approved in ru, ky and zh, then: SEED's English edited (one stale segment in ru and
    ky, zh not translated again: its edited sentence has no translation), one PARTNERS segment
    unapproved in ky, and one in zh edited to lose its markup (a critical QA finding)."""
    runtime = drafted(pseudo_project, approve=(SEED, PARTNERS))
    path = runtime.settings.content_dir / f"{SEED}.md"
    path.write_text(path.read_text(encoding="utf-8").replace(OLD, NEW), encoding="utf-8")
    services.ingest(runtime)
    for code in ("ru", "ky"):
        services.translate_language(runtime, code, [SEED])
    ky = services.review_list(runtime, "ky", article=PARTNERS)
    services.review_send_back(runtime, "ky", [ky[0].segment_id], "check the title")
    marked = next(i for i in services.review_list(runtime, "zh", article=PARTNERS) if i.placeholders)
    services.review_edit(runtime, marked.segment_id, "zh", "没有标记的译文。")
    return runtime


def expected_preview(rt: Runtime) -> list[services.LocalePreview]:
    """The preview computed the plain way: every article parsed, the whole queue scanned."""
    slugs = [doc.article.slug for doc in services.load_documents(rt)]
    items = services.review_list(rt)
    out = []
    for code in rt.settings.target_languages:
        ready, blocked = [], {}
        for slug in slugs:
            mine = [i for i in items if i.article == slug and i.lang == code]
            open_ = [i for i in mine if i.state != "approved"]
            if mine and not open_:
                ready.append(slug)
                continue
            critical = sum(1 for i in open_ if any(f.severity is Severity.CRITICAL for f in i.findings))
            reason = f"{len(open_)} of {len(mine)} segments not approved" if mine else "not translated yet"
            blocked[slug] = reason + (f", {critical} with critical QA findings" if critical else "")
        out.append(services.LocalePreview(code, tuple(ready), blocked))
    return out


def test_the_preview_counts_what_the_queue_holds(rt: Runtime) -> None:
    states = {(i.lang, i.state) for i in services.review_list(rt)}
    assert {("ru", "stale"), ("ky", "stale"), ("ky", "needs-work"), ("zh", "draft"), ("zh", "approved")} <= states
    preview = services.release_preview(rt)
    assert preview == expected_preview(rt)
    by_lang = {p.lang: p for p in preview}
    assert by_lang["ru"].ready == (PARTNERS,) and by_lang["ru"].blocked[SEED].startswith("1 of ")
    assert by_lang["ky"].ready == () and set(by_lang["ky"].blocked) == {PARTNERS, SEED}
    assert by_lang["zh"].blocked[PARTNERS].endswith(", 1 with critical QA findings")


def test_an_article_nobody_translated_waits_in_the_preview(rt: Runtime) -> None:
    (rt.settings.content_dir / "new-report.md").write_text(
        "---\ntitle: A new report\ndate: 2024-05-01\n---\n\nNot ingested yet.\n", encoding="utf-8")
    preview = services.release_preview(rt)
    assert preview == expected_preview(rt)
    assert all(p.blocked["new-report"] == "not translated yet" for p in preview)


def test_a_release_freezes_exactly_the_complete_articles(rt: Runtime) -> None:
    docs = services.load_documents(rt)
    expected: dict[str, dict[str, dict[str, str]]] = {}  # lang -> article -> approved texts
    with rt.store.reading() as s:
        for code in rt.settings.target_languages:
            for doc in docs:
                ids = [seg.id for seg in doc.segments]
                texts = dict(s.execute(select(TranslationRow.segment_id, TranslationRow.text).where(
                    TranslationRow.lang == code, TranslationRow.state == "approved",
                    TranslationRow.segment_id.in_(ids))).all())
                if len(texts) == len(ids):
                    expected.setdefault(code, {})[doc.article.slug] = texts
    info = services.release_create(rt)
    assert info.locales == {"en": (PARTNERS, SEED), "ru": (PARTNERS,)}
    assert info.incomplete == {"ru": (SEED,), "ky": (PARTNERS, SEED), "zh": (PARTNERS, SEED)}
    with rt.store.reading() as s:
        frozen: dict[str, dict[str, dict[str, str]]] = {}
        for row in s.scalars(select(ReleaseArticleRow).where(ReleaseArticleRow.release_id == info.id)):
            frozen.setdefault(row.lang, {})[row.article] = dict(row.texts)
        sources = dict(s.execute(select(ReleaseSourceRow.article, ReleaseSourceRow.text)
                                 .where(ReleaseSourceRow.release_id == info.id)).all())
    assert frozen == expected
    assert sources == {doc.article.slug: (rt.settings.content_dir / f"{doc.article.slug}.md").read_text(
        encoding="utf-8") for doc in docs}


def test_a_release_is_the_same_whatever_the_chunk_of_articles(rt: Runtime) -> None:
    services.review_approve(rt, "ru", article=SEED)
    services.review_approve(rt, "ky", article=SEED)
    whole = services.release_create(rt)
    one_by_one = services.release_create(rt, chunk=1)
    assert whole.locales == {"en": (PARTNERS, SEED), "ru": (PARTNERS, SEED), "ky": (SEED,)}
    assert (one_by_one.locales, one_by_one.incomplete, one_by_one.previous) == \
        (whole.locales, whole.incomplete, whole.previous)
    with rt.store.reading() as s:
        def frozen(release_id: int) -> dict[tuple[str, str], dict[str, str]]:
            return {(row.lang, row.article): dict(row.texts) for row in s.scalars(
                select(ReleaseArticleRow).where(ReleaseArticleRow.release_id == release_id))}
        assert frozen(one_by_one.id) == frozen(whole.id)


def test_an_article_edited_since_ingest_waits_until_it_is_translated_again(rt: Runtime) -> None:
    """Its segments are those of its text now (split again), not those the store holds."""
    services.review_approve(rt, "ru", article=SEED)
    assert services.release_create(rt).locales["ru"] == (PARTNERS, SEED)
    path = rt.settings.content_dir / f"{SEED}.md"
    path.write_text(path.read_text(encoding="utf-8").replace(NEW, "A sentence nobody translated yet"),
                    encoding="utf-8")
    info = services.release_create(rt)
    assert info.locales["ru"] == (PARTNERS,) and info.incomplete["ru"] == (SEED,)
    services.ingest(rt)
    services.translate_language(rt, "ru", [SEED])
    services.review_approve(rt, "ru", article=SEED)
    assert services.release_create(rt).locales["ru"] == (PARTNERS, SEED)
