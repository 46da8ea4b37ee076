"""Releases read the store: the preview and a new release agree with the review queue and the
articles, whatever their mix of approved, unapproved and stale segments in each language.
Managing them: a locale that ships nothing is named, an empty release is refused, approving
twice says so, a pending release can be discarded, and a diff tells what a release changes
against the one being served."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import approve_article, drafted
from tilmech import services
from tilmech.auth import Role, User
from tilmech.errors import Forbidden, NotFound, WorkflowError
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
    approve_article(rt, "ru", SEED, include=["stale"])
    approve_article(rt, "ky", SEED, include=["stale"])
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
    approve_article(rt, "ru", SEED, include=["stale"])
    assert services.release_create(rt).locales["ru"] == (PARTNERS, SEED)
    path = rt.settings.content_dir / f"{SEED}.md"
    path.write_text(path.read_text(encoding="utf-8").replace(NEW, "A sentence nobody translated yet"),
                    encoding="utf-8")
    info = services.release_create(rt)
    assert info.locales["ru"] == (PARTNERS,) and info.incomplete["ru"] == (SEED,)
    services.ingest(rt)
    services.translate_language(rt, "ru", [SEED])
    approve_article(rt, "ru", SEED, include=["stale"])
    assert services.release_create(rt).locales["ru"] == (PARTNERS, SEED)


# -- managing releases: warnings on create, approve twice, discard, diff against the served release ----


def test_a_locale_that_ships_nothing_is_named_on_create(rt: Runtime, tilmech) -> None:  # type: ignore[no-untyped-def]
    info = services.release_create(rt)
    assert set(info.locales) == {"en", "ru"}
    assert [w.split(":")[0] for w in info.warnings] == ["ky ships nothing", "zh ships nothing"]
    assert info.warnings[0] == f"ky ships nothing: none of its 2 articles is complete (held back: {PARTNERS}, {SEED})"
    created = tilmech("--project", rt.settings.root, "release", "create")
    assert created.code == 0 and created.out == f"release {info.id + 1}\n"
    assert f"warning: ky ships nothing: none of its 2 articles is complete (held back: {PARTNERS}, {SEED})" \
        in created.err.splitlines()
    assert "warning: zh ships nothing" in created.err and "warning: ru" not in created.err


def test_a_release_that_ships_nothing_is_refused(pseudo_project: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    rt = drafted(pseudo_project)  # nothing approved in any language
    with pytest.raises(WorkflowError, match=r"^nothing to release: no article is complete in ru, ky or zh"):
        services.release_create(rt)
    assert services.release_list(rt) == []
    with rt.store.reading() as s:  # nothing frozen either: the transaction was undone
        assert s.scalars(select(ReleaseSourceRow)).first() is None
    refused = tilmech("--project", pseudo_project, "release", "create")
    assert refused.code == 1 and refused.out == ""
    assert refused.err.startswith("error: nothing to release") or refused.err.startswith("nothing to release")
    assert services.release_list(rt) == []


def test_approving_twice_says_it_is_already_approved(rt: Runtime, tilmech) -> None:  # type: ignore[no-untyped-def]
    release = services.release_create(rt).id
    first = services.release_approve(rt, release)
    assert (first.state, first.approved_by, first.warnings) == ("approved", "tester", ())
    again = services.release_approve(rt.acting_as(User("elena", Role.EDITOR)), release)
    assert again.warnings == (f"release {release} is already approved (by tester)",)
    assert again.approved_by == "tester"  # the first approval stands
    cli = tilmech("--project", rt.settings.root, "release", "approve", release)
    assert (cli.code, cli.out) == (0, f"release {release} is already approved (by tester)\n")
    pending = services.release_create(rt).id
    cli = tilmech("--project", rt.settings.root, "release", "approve", pending)
    assert (cli.code, cli.out) == (0, f"release {pending} approved\n")


def test_a_pending_release_can_be_discarded_and_an_approved_one_cannot(rt: Runtime, tilmech) -> None:  # type: ignore[no-untyped-def]
    kept, dropped = services.release_create(rt).id, services.release_create(rt).id
    services.release_approve(rt, kept)
    assert services.release_discard(rt, dropped) == dropped
    with pytest.raises(NotFound, match=f"no release {dropped}"):
        services.release_info(rt, dropped)
    with rt.store.reading() as s:
        assert not s.scalars(select(ReleaseArticleRow).where(ReleaseArticleRow.release_id == dropped)).all()
        assert not s.scalars(select(ReleaseSourceRow).where(ReleaseSourceRow.release_id == dropped)).all()
    with pytest.raises(WorkflowError, match=f"release {kept} is approved: only a pending release can be discarded"):
        services.release_discard(rt, kept)
    assert services.release_info(rt, kept).locales["ru"] == (PARTNERS,)
    translator = rt.acting_as(User("bakyt", Role.TRANSLATOR, ("ky",)))
    third = services.release_create(rt).id
    with pytest.raises(Forbidden, match="only an editor can discard a release"):
        services.release_discard(translator, third)
    project = rt.settings.root
    assert tilmech("--project", project, "release", "discard", kept).code == 1
    done = tilmech("--project", project, "release", "discard", third)
    assert (done.code, done.out) == (0, f"release {third} discarded\n")
    assert [i.id for i in services.release_list(rt)] == [kept]
    assert tilmech("--project", project, "release", "discard", third).code == 2  # no such release


def test_the_diff_counts_what_a_release_changes_against_the_served_one(rt: Runtime, tilmech) -> None:  # type: ignore[no-untyped-def]
    served = services.release_create(rt).id  # en: both; ru: PARTNERS
    unpublished = services.release_diff(rt, served)
    assert unpublished.against is None
    assert {d.lang: d.added for d in unpublished.locales} == {"en": (PARTNERS, SEED), "ru": (PARTNERS,),
                                                              "ky": (), "zh": ()}
    services.release_approve(rt, served)
    services.publish(rt, served)
    assert services.served_release(rt) == served
    # then: SEED approved in ru and ky, one PARTNERS sentence retranslated in ru
    approve_article(rt, "ru", SEED, include=["stale"])
    approve_article(rt, "ky", SEED, include=["stale"])
    item = services.review_list(rt, "ru", article=PARTNERS)[1]
    services.review_edit(rt, item.segment_id, "ru", item.text + " (правка)")
    services.review_approve(rt, "ru", [item.segment_id])
    pending = services.release_create(rt).id
    diff = {d.lang: d for d in services.release_diff(rt, pending).locales}
    assert services.release_diff(rt, pending).against == served
    assert diff["en"] == services.LocaleDiff("en", unchanged=2)
    assert diff["ru"] == services.LocaleDiff("ru", added=(SEED,), changed=(services.ArticleChange(PARTNERS, 1),))
    assert diff["ky"] == services.LocaleDiff("ky", added=(SEED,), held_back=(PARTNERS,))
    assert diff["zh"] == services.LocaleDiff("zh", held_back=(PARTNERS, SEED))
    shown = tilmech("--project", rt.settings.root, "release", "diff", pending)
    assert shown.code == 0, shown
    assert shown.out.splitlines() == [
        f"release {pending} against release {served}", "  en: no change (2 articles)",
        f"  ru: added: {SEED}", f"  ru: changed: {PARTNERS} (1 segment)",
        f"  ky: added: {SEED}", f"  ky: held back: {PARTNERS}",
        f"  zh: held back: {PARTNERS}, {SEED}", "  zh: no change (0 articles)"]
    # the English of PARTNERS edited: one sentence is new in English; ru holds PARTNERS back (stale)
    path = rt.settings.content_dir / f"{PARTNERS}.md"
    text = path.read_text(encoding="utf-8")
    english = next(i.source for i in services.review_list(rt, "ru", article=PARTNERS)[1:]
                   if not i.placeholders and i.source.endswith(".") and text.count(i.source) == 1)
    path.write_text(text.replace(english, english[:-1] + ", again."), encoding="utf-8")
    services.ingest(rt)
    services.translate_language(rt, "ru", [PARTNERS])
    edited = services.release_create(rt).id
    diff = {d.lang: d for d in services.release_diff(rt, edited).locales}
    assert diff["en"] == services.LocaleDiff("en", changed=(services.ArticleChange(PARTNERS, 1, 1),), unchanged=1)
    assert diff["ru"] == services.LocaleDiff("ru", added=(SEED,), removed=(PARTNERS,), held_back=(PARTNERS,))
    against = services.release_diff(rt, edited, against=pending)  # any two releases of the store
    assert {d.lang: d.removed for d in against.locales}["ru"] == (PARTNERS,)
    assert tilmech("--project", rt.settings.root, "release", "diff", edited, "--against", 99).code == 2


def test_only_editors_publish_and_roll_back(rt: Runtime) -> None:
    translator = rt.acting_as(User("aida", Role.TRANSLATOR, ("ru",)))
    editor = rt.acting_as(User("elena", Role.EDITOR))
    first = services.release_create(rt).id
    services.release_approve(rt, first)
    with pytest.raises(Forbidden, match="only an editor can publish a release"):
        services.publish(translator, first)
    services.publish(editor, first)
    second = services.release_create(rt).id
    services.release_approve(rt, second)
    services.publish(editor, second)
    with pytest.raises(Forbidden, match="only an editor can roll back"):
        services.release_rollback(translator)
    assert services.served_release(rt) == second
    assert services.release_rollback(editor) == first
    assert [(p.release, p.current) for p in services.published_releases(rt)] == [(first, True), (second, False)]


def test_releases_are_managed_alike_on_postgresql(pseudo_project: Path, postgres_url: str, tilmech) -> None:  # type: ignore[no-untyped-def]
    """Warnings, the refusal, approve twice, discard and the diff; and an approval racing a discard of the
    same release: exactly one of them happens, whole."""
    import threading

    from tilmech.runtime import load_runtime

    settings = pseudo_project / "tilmech.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("sqlite:///tilmech.db", postgres_url),
                        encoding="utf-8")
    assert tilmech("--project", pseudo_project, "db", "upgrade").code == 0
    rt = load_runtime(pseudo_project)
    assert rt.store.engine.dialect.name == "postgresql"
    services.ingest(rt)
    services.translate_language(rt, "ru", [SEED])
    with pytest.raises(WorkflowError, match="nothing to release"):
        services.release_create(rt)
    approve_article(rt, "ru", SEED, include=["stale"])
    first = services.release_create(rt)
    assert [w.split(":")[0] for w in first.warnings] == ["ky ships nothing", "zh ships nothing"]
    services.release_approve(rt, first.id)
    assert services.release_approve(rt, first.id).warnings == (f"release {first.id} is already approved (by tester)",)
    with pytest.raises(WorkflowError):
        services.release_discard(rt, first.id)
    services.publish(rt, first.id)
    second = services.release_create(rt).id
    diff = {d.lang: d for d in services.release_diff(rt, second).locales}
    assert diff["ru"] == services.LocaleDiff("ru", unchanged=1, held_back=(PARTNERS,))
    assert services.release_discard(rt, second) == second

    def act(name: str, action, release: int, barrier: threading.Barrier,  # type: ignore[no-untyped-def]
            outcomes: dict[str, str]) -> None:
        barrier.wait()
        try:
            action(rt, release)
            outcomes[name] = "done"
        except (WorkflowError, NotFound) as exc:
            outcomes[name] = type(exc).__name__

    for _ in range(3):
        release = services.release_create(rt).id
        barrier, outcomes = threading.Barrier(2), dict[str, str]()
        threads = [threading.Thread(target=act, args=(name, action, release, barrier, outcomes))
                   for name, action in (("approve", services.release_approve), ("discard", services.release_discard))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        with rt.store.reading() as s:
            rows = len(s.scalars(select(ReleaseSourceRow).where(ReleaseSourceRow.release_id == release)).all())
        if services.has_release(rt, release):  # approved first: the discard was refused, nothing deleted
            assert services.release_info(rt, release).state == "approved"
            assert outcomes == {"approve": "done", "discard": "WorkflowError"} and rows == 2
        else:  # discarded first: the approval found no release
            assert outcomes == {"approve": "NotFound", "discard": "done"} and rows == 0
    rt.close()
