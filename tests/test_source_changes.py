"""An English edit after approval re-queues exactly the changed segment; releases never ship it unchecked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import update

from conftest import approve_article, drafted
from tilmech import services
from tilmech.runtime import Runtime, load_runtime
from tilmech.services import ingestion
from tilmech.services import translate as translation
from tilmech.store import ArticleRow

SEED = "smart-classroom-kyrgyzstan"
OLD = "He wished that the two organizations could build a long-term and effective cooperative relationship"
NEW = "He wished that the two organizations would build a lasting and effective cooperative relationship"


@pytest.fixture
def rt(pseudo_project: Path) -> Runtime:
    runtime = drafted(pseudo_project, approve=(SEED,))
    first = services.release_create(runtime)
    services.release_approve(runtime, first.id)
    return runtime


def _edit_english(rt: Runtime, old: str, new: str) -> None:
    path = rt.settings.content_dir / f"{SEED}.md"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_only_the_changed_sentence_goes_back_to_review(rt: Runtime) -> None:
    before = {i.lang: i for i in services.review_list(rt, article=SEED) if i.source.startswith(OLD)}
    _edit_english(rt, OLD, NEW)
    report = services.ingest(rt)
    assert (report.new_segments, report.retired_segments) == (1, 0)
    for code in ("ru", "ky", "zh"):
        result = services.translate_language(rt, code, [SEED])
        assert result.new == 1 and result.unchanged == result.segments - 1
        items = services.review_list(rt, code, article=SEED)
        stale = [i for i in items if i.state == "stale"]
        assert len(stale) == 1 and stale[0].source.startswith(NEW)
        assert stale[0].text == before[code].text  # the approved translation of the old text, to be checked
        assert stale[0].source_diff.startswith("He wished that the two organizations [-could-] {+would+} build a "
                                               "[-long-term-] {+lasting+} and effective")
        assert all(i.state == "approved" for i in items if i is not stale[0])


def test_a_removed_sentence_is_retired(rt: Runtime) -> None:
    sentence = "Meanwhile, as the top university in Kyrgyzstan, KNU's rich resources and experience in the field " \
               "of digital education can be shared amid ICHEI's global partners network."
    before = services.stats(rt)
    _edit_english(rt, " " + sentence, "")
    report = services.ingest(rt)
    assert (report.new_segments, report.retired_segments) == (0, 1)
    assert not [i for i in services.review_list(rt, "ru", article=SEED) if i.source.startswith("Meanwhile")]
    # the status counts leave out the retired sentence's translations (kept in the store)
    after = services.stats(rt)
    for code in ("ru", "ky", "zh"):
        assert after[code]["approved"] == before[code]["approved"] - 1
        assert sum(after[code].values()) == sum(before[code].values()) - 1


def test_a_release_waits_or_ships_the_previous_edition_as_the_editor_chooses(rt: Runtime, tmp_path: Path,
                                                                             tilmech) -> None:  # type: ignore[no-untyped-def]
    old_ru = next(i.text for i in services.review_list(rt, "ru", article=SEED) if i.source.startswith(OLD))
    _edit_english(rt, OLD, NEW)
    services.ingest(rt)
    services.translate_language(rt, "ru", [SEED])
    services.translate_language(rt, "ky", [SEED])  # ky ships the new edition: a release that ships
    approve_article(rt, "ky", SEED, include=["stale"])  # nothing at all is refused

    waits = services.release_create(rt)
    assert SEED not in waits.locales.get("ru", ()) and SEED in waits.incomplete["ru"]
    assert waits.locales["en"] == ("partners-showcase", SEED)

    created = tilmech("--project", rt.settings.root, "release", "create", "--previous-editions")
    assert created.code == 0 and "ru: earlier editions shipped again: smart-classroom-kyrgyzstan" in created.err
    release_id = int(created.out.split()[1])
    services.release_approve(rt, release_id)
    report = services.publish(rt, release_id, tmp_path / "out")
    ru_md = (report.path / "ru" / f"{SEED}.md").read_text(encoding="utf-8")
    assert old_ru.strip("[] ~") in ru_md.replace("\n", " ")  # the old approved edition, not the stale text
    manifest = json.loads((report.path / "ru" / "manifest.json").read_text(encoding="utf-8"))
    entry = next(a for a in manifest["articles"] if a["slug"] == SEED)
    assert entry["earlier_edition_of_release"] == 1
    assert NEW.split(",")[0] in (report.path / "en" / f"{SEED}.md").read_text(encoding="utf-8")


def test_an_edited_article_has_only_its_changed_paragraph_split_again(
        rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    from tilmech.markdown import extract

    services.segmented.cache_clear()  # as in a new process: nothing segmented
    asked: list[str] = []
    real = extract.split_sentences
    monkeypatch.setattr(extract, "split_sentences", lambda text: asked.append(text) or real(text))
    _edit_english(rt, OLD, NEW)
    report = services.ingest(rt)
    assert report.new_segments == 1
    assert len(asked) == 1 and NEW in asked[0]  # the edited paragraph only: the others are cut as stored
    result = services.translate_language(rt, "ru", [SEED])
    assert result.new == 1


LATER = "Later on, Mr. XU Mingshun"  # the first of a paragraph of three sentences


def test_every_path_that_segments_an_article_gets_the_ids_the_store_has_in_any_process(
        pseudo_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store written when the sentence splitter cut a paragraph otherwise than it does now (an
    earlier pysbd kept it whole): every path that parses the article gets the segments ingest
    stored, in this process after its caches are cleared and in a new one."""
    from tilmech.articles import load_article
    from tilmech.markdown import extract
    from tilmech.markdown.extract import segment_article
    from tilmech.store.queries import stored_segments

    real = extract.split_sentences
    monkeypatch.setattr(extract, "split_sentences", lambda text: [text] if LATER in text else real(text))
    rt = load_runtime(pseudo_project)
    services.ingest(rt)
    services.translate_language(rt, "ru", [SEED])
    monkeypatch.undo()
    services.segmented.cache_clear()  # as in a new process: nothing segmented
    with rt.store.reading() as s:
        stored = [seg.id for seg in stored_segments(s, [SEED])[SEED]]
        (kept,) = [seg for seg in stored_segments(s, [SEED])[SEED] if seg.text.startswith(LATER)]
    path = rt.settings.content_dir / f"{SEED}.md"
    fresh = [seg.id for seg in segment_article(load_article(path, rt.settings.root)).segments]
    assert kept.id not in fresh and len(fresh) > len(stored)  # splitting afresh cuts the paragraph
    # other bytes, the same text: the paths that compare file hashes parse the article
    path.write_text(path.read_text(encoding="utf-8").replace("---\n", "---\n# checked\n", 1), encoding="utf-8")

    assert [seg.id for doc in services.load_documents(rt, [SEED]) for seg in doc.segments] == stored
    assert [seg.id for docs in services.iter_documents(rt, [SEED]) for doc in docs for seg in doc.segments] == stored
    redo = services.translate_language(rt, "ru", [SEED], redraft_unapproved=True)
    assert (redo.new, redo.segments) == (0, len(stored))
    compared = services.compare_engines(rt, "ru", ["pseudo"], article=SEED, sample=len(stored))
    assert [c.segment_id for c in compared.segments] == stored
    exported = services.xliff_export(rt, SEED, "ru")
    draft = next(i for i in services.review_list(rt, "ru", article=SEED) if i.segment_id == kept.id)
    outcomes = services.xliff_import(rt, exported.replace(f">{draft.text}<", ">Позже господин Сюй.<"), "x.xlf")
    assert [(o.segment_id, o.outcome) for o in outcomes if o.outcome != "unchanged"] == [(kept.id, "edited")]
    approve_article(rt, "ru", SEED)
    created = services.release_create(rt)
    assert SEED in created.locales["ru"]
    # a new process
    code = ("import json, sys; from tilmech import services; from tilmech.runtime import load_runtime\n"
            "rt = load_runtime(sys.argv[1])\n"
            f"print(json.dumps([seg.id for doc in services.load_documents(rt, [{SEED!r}]) for seg in doc.segments]))")
    out = subprocess.run([sys.executable, "-c", code, str(rt.settings.root)], capture_output=True, text=True,
                         check=True).stdout
    assert json.loads(out) == stored
    # an edit of another sentence: ingest keeps the paragraph as stored and re-queues only that sentence
    _edit_english(rt, OLD, NEW)
    report = services.ingest(rt)
    assert (report.new_segments, report.retired_segments) == (1, 0)
    with rt.store.reading() as s:
        assert kept.id in [seg.id for seg in stored_segments(s, [SEED])[SEED]]


def _parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The articles ingest parses from now on."""
    parsed: list[str] = []
    real = ingestion.load_article
    for module in (ingestion, translation):  # the two that read article files
        monkeypatch.setattr(module, "load_article",
                            lambda path, *args, **kwargs: parsed.append(path.stem) or real(path, *args, **kwargs))
    return parsed


def test_a_file_with_the_bytes_it_had_when_ingested_is_not_parsed_again(
        pseudo_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rt = drafted(pseudo_project)
    first = services.ingest(rt)
    parsed = _parsed(monkeypatch)
    again = services.ingest(rt)
    assert parsed == []
    assert (again.articles, again.segments, again.new_segments, again.retired_segments) == \
           (first.articles, first.segments, 0, 0)

    # other bytes, the same text (a comment in the front matter): parsed once, nothing new
    path = rt.settings.content_dir / f"{SEED}.md"
    path.write_text(path.read_text(encoding="utf-8").replace("---\n", "---\n# checked by the editor\n", 1),
                    encoding="utf-8")
    report = services.ingest(rt)
    assert parsed == [SEED] and (report.segments, report.new_segments) == (first.segments, 0)
    services.ingest(rt)
    assert parsed == [SEED]  # its new bytes are known now

    _edit_english(rt, OLD, NEW)
    report = services.ingest(rt)
    assert parsed == [SEED, SEED] and (report.new_segments, report.retired_segments) == (1, 0)
    assert services.translate_language(rt, "ru").new == 1


def test_a_store_without_file_hashes_parses_each_article_once_more(
        pseudo_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rt = load_runtime(pseudo_project)
    first = services.ingest(rt)
    with rt.store.session() as s:  # as `tilmech db upgrade` leaves a store of an earlier version
        s.execute(update(ArticleRow).values(file_hash=None))
    parsed = _parsed(monkeypatch)
    report = services.ingest(rt)
    assert sorted(parsed) == sorted(first.articles) and (report.new_segments, report.retired_segments) == (0, 0)
    services.ingest(rt)
    assert len(parsed) == len(first.articles)


def _drafts(rt: Runtime, lang: str) -> dict[str, tuple[str, str, list[dict[str, str]], float | None]]:
    from tilmech.store import TranslationRow

    with rt.store.reading() as s:
        return {tr.segment_id: (tr.text, tr.state, tr.qa, tr.risk)
                for tr in s.query(TranslationRow).filter(TranslationRow.lang == lang)}


def test_translation_after_ingest_reads_the_segments_from_the_store(
        pseudo_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Articles as ingest left them are not parsed and split into sentences again to be translated:
    their segments (text, placeholders) come from the store, and give the drafts, QA findings
    and risks that parsing the articles gives."""
    from tilmech.store import HistoryRow, TranslationRow

    rt = load_runtime(pseudo_project)
    ingested = services.ingest(rt)
    parsed = _parsed(monkeypatch)
    report = services.translate_language(rt, "ru")
    assert parsed == []
    assert report.new + report.from_memory == ingested.segments > 0
    from_store = _drafts(rt, "ru")
    assert any(qa for _, _, qa, _ in from_store.values())  # findings to compare among them
    assert any("{1}" in text for text, _, _, _ in from_store.values())  # and placeholders

    with rt.store.session() as s:  # the same drafts made again from the parsed articles
        s.query(HistoryRow).delete()
        s.query(TranslationRow).delete()
        s.execute(update(ArticleRow).values(file_hash=None))
    services.segmented.cache_clear()
    services.translate_language(rt, "ru")
    assert sorted(parsed) == sorted(ingested.articles)
    assert _drafts(rt, "ru") == from_store


def test_a_file_edited_after_ingest_is_parsed_to_be_translated(
        pseudo_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rt = load_runtime(pseudo_project)
    services.ingest(rt)
    path = rt.settings.content_dir / f"{SEED}.md"
    path.write_text(path.read_text(encoding="utf-8").replace("---\n", "---\n# checked by the editor\n", 1),
                    encoding="utf-8")
    parsed = _parsed(monkeypatch)
    services.translate_language(rt, "ru")
    assert parsed == [SEED]  # its bytes are not those ingest saw: read again, not trusted to the store
