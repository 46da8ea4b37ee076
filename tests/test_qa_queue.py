"""QA in the queue: risk stored after MT and every edit, worst first, filters, bulk approval with a
guard, `tilmech qa` commands, checks switched off per language, the 0002 migration."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest

from conftest import drafted
from tilmech import services
from tilmech.errors import UsageError
from tilmech.qa import Finding, Severity, risk_score
from tilmech.runtime import load_runtime
from tilmech.services import review as review_service
from tilmech.store import Store
from tilmech.store.queries import segment_model

SEED = "smart-classroom-kyrgyzstan"


def disable(project: Path, lines: str) -> str:
    """Switch checks off in the project's tilmech.yaml (``lines`` under qa.disabled); returns the new text."""
    settings = project / "tilmech.yaml"
    text = settings.read_text(encoding="utf-8")
    assert "  disabled: {}" in text
    text = text.replace("  disabled: {}", "  disabled:\n" + lines)
    settings.write_text(text, encoding="utf-8")
    return text


@pytest.fixture
def translated(pseudo_project: Path) -> Path:
    drafted(pseudo_project).close()
    return pseudo_project


def test_risk_formula() -> None:
    critical = Finding("placeholder", Severity.CRITICAL, "x")
    cosmetic = Finding("nbsp", Severity.COSMETIC, "x")
    # 40 per critical + 30 × engine uncertainty (score -1 → 0.5) + 10 × words/40 + 10 for terms
    assert risk_score([critical], -1.0, " ".join(["word"] * 20), has_terms=True) == 40 + 15 + 5 + 10
    assert risk_score([], None, "Two words.") == 15 + 0.5  # no score: uncertainty 0.5
    assert risk_score([cosmetic], -0.2, "Two words.", edited=True) == 5 + 0.5  # a person's text: no engine part
    assert risk_score([critical] * 3, -5.0, "x") == 100  # capped


def test_risk_is_stored_after_mt_and_recomputed_after_an_edit(translated: Path) -> None:
    rt = load_runtime(translated)
    items = services.review_list(rt, "ru", article=SEED)
    assert all(i.risk is not None and 0 <= i.risk <= 100 for i in items)
    clean = next(i for i in items if not i.findings)
    broken = services.review_edit(rt, clean.segment_id, "ru", "The text is still English, not Russian at all.")
    assert {f.code for f in broken.findings} >= {"untranslated"}
    assert broken.risk is not None and broken.risk >= 20
    fixed = services.review_edit(rt, clean.segment_id, "ru", clean.text)
    assert fixed.risk is not None and fixed.risk < broken.risk


def test_the_queue_puts_the_worst_first_and_filters_by_risk(translated: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    rt = load_runtime(translated)
    items = services.review_list(rt, "zh", order="risk")
    risks = [i.risk for i in items]
    assert risks == sorted(risks, key=lambda r: -(r or 0)) and risks[0] != risks[-1]
    middle = sorted(r for r in risks if r is not None)[len(risks) // 2]
    high = services.review_list(rt, "zh", min_risk=middle)
    low = services.review_list(rt, "zh", max_risk=middle)
    assert high and low and all(i.risk is not None and i.risk >= middle for i in high)
    assert all(i.risk is not None and i.risk <= middle for i in low)
    assert len(high) + len(low) - sum(1 for r in risks if r == middle) == len(items)
    with pytest.raises(UsageError, match="risk runs from 0 to 100"):
        services.review_list(rt, "zh", min_risk=150)
    # the command line: worst first by default, the risk shown
    out = tilmech("--project", translated, "review", "list", "--lang", "zh", "--min-risk", str(middle))
    assert out.code == 0
    shown = [float(line.split()[2]) for line in out.out.splitlines()[1:]]  # under the header row
    assert shown == sorted(shown, reverse=True) and len(shown) == len(high)


def test_bulk_approve_takes_only_low_risk_segments_without_findings(
        translated: Path, tilmech, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    rt = load_runtime(translated)
    items = services.review_list(rt, "ru", article=SEED)
    threshold = 40.0
    expected = {i.segment_id for i in items if i.risk is not None and i.risk < threshold and not i.findings}
    assert expected and len(expected) < len(items)  # some pass the guard, some do not
    # asked first; "no" changes nothing
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    declined = tilmech("--project", translated, "review", "approve", "--article", SEED, "--lang", "ru",
                       "--max-risk", str(threshold))
    assert declined.code == 1 and f"{len(expected)} segments of {SEED} (ru) have risk below 40" in declined.out
    assert services.stats(rt)["ru"].get("approved", 0) == 0
    done = tilmech("--project", translated, "review", "approve", "--article", SEED, "--lang", "ru",
                   "--max-risk", str(threshold), "--yes")
    assert done.code == 0 and f"approved {len(expected)} segments (ru)" in done.out
    approved = {i.segment_id for i in services.review_list(rt, "ru", article=SEED, state="approved")}
    assert approved == expected
    again = services.bulk_approve(rt, "ru", SEED, threshold)
    assert again.approved == () and again.already == len(expected)
    no_article = tilmech("--project", translated, "review", "approve", "--lang", "ru", "--max-risk", "40")
    assert no_article.code == 2 and "--max-risk needs --article SLUG" in no_article.err


def test_bulk_approve_is_one_transaction(translated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rt = load_runtime(translated)
    calls = 0
    original = review_service.approve_translation

    def failing(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("disk full")
        return original(*args, **kwargs)

    monkeypatch.setattr(review_service, "approve_translation", failing)
    with pytest.raises(RuntimeError):
        services.bulk_approve(rt, "ru", SEED, 60.0)
    assert calls == 2 and services.stats(rt)["ru"].get("approved", 0) == 0  # the first approval rolled back


def test_qa_verify_exit_codes(pseudo_project: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    ok = tilmech("--project", pseudo_project, "qa", "verify", "--lang", "ru", "--source",
                 "Kyrgyz National University, founded in 1932, has 1,250 teachers.", "--target",
                 "Кыргызский национальный университет, основанный в 1932 году, имеет 1\u00a0250 преподавателей.")
    assert (ok.code, ok.out.strip()) == (0, "ok")
    cosmetic = tilmech("--project", pseudo_project, "qa", "verify", "--lang", "ru", "--source",
                       "The centre has 2,500 partners.", "--target", "У центра 2 500 партнёров.")
    assert cosmetic.code == 0 and cosmetic.out.startswith("cosmetic nbsp:")
    wrong = tilmech("--project", pseudo_project, "qa", "verify", "--lang", "ky", "--source",
                    "The equipment of this classroom is now being tested and will be shipped soon.", "--target",
                    "Оборудование для этого класса сейчас находится на тестировании и скоро будет отправлено.",
                    "--json")
    assert wrong.code == 1
    assert [f["code"] for f in json.loads(wrong.out)] == ["looks-russian"]


def test_qa_checks_lists_every_check_and_what_is_switched_off(pseudo_project: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    disable(pseudo_project, "    ky: [looks-russian]")
    listed = tilmech("--project", pseudo_project, "qa", "checks")
    assert listed.code == 0
    lines = {line.split()[0]: line for line in listed.out.splitlines()}
    assert {"placeholder", "number", "date", "looks-russian", "latin-in-chinese", "repeat", "length",
            "zh-punctuation", "term-forbidden"} <= set(lines)
    assert "critical" in lines["placeholder"] and "(off: ky)" in lines["looks-russian"]
    # switched off: the same Russian-looking Kyrgyz passes
    verify = tilmech("--project", pseudo_project, "qa", "verify", "--lang", "ky", "--source",
                     "The equipment of this classroom is now being tested and will be shipped soon.", "--target",
                     "Оборудование для этого класса сейчас находится на тестировании и скоро будет отправлено.")
    assert (verify.code, verify.out.strip()) == (0, "ok")


def test_an_unknown_check_in_the_settings_names_the_line(pseudo_project: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    text = disable(pseudo_project, "    ky: [looks-russian, spelling]")
    result = tilmech("--project", pseudo_project, "qa", "verify", "--lang", "ky", "--source", "A.", "--target", "Б.")
    line = next(i for i, line in enumerate(text.splitlines(), 1) if "spelling" in line)
    assert result.code == 2
    assert result.err.strip() == (f"error: tilmech.yaml:{line}: qa.disabled.ky[1]: unknown check 'spelling': "
                                  "see `tilmech qa checks`")


def test_qa_report_counts_per_check_language_and_article(translated: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    result = tilmech("--project", translated, "qa", "report", "--json", "--worst", "5")
    assert result.code == 0
    report = json.loads(result.out)
    items = services.review_list(load_runtime(translated))
    assert report["segments"] == len(items)
    assert report["flagged"] == sum(1 for i in items if i.findings)
    by_check: dict[str, int] = {}
    for item in items:
        for f in item.findings:
            by_check[f.code] = by_check.get(f.code, 0) + 1
    assert report["by_check"] == by_check
    assert set(report["by_lang"]) == {"ru", "ky", "zh"}
    assert sum(c["segments"] for c in report["by_article"].values()) == len(items)
    risks = [w["risk"] for w in report["worst"]]
    assert len(risks) == 5 and risks == sorted(risks, reverse=True)
    assert risks[0] == max(i.risk or 0 for i in items)
    table = tilmech("--project", translated, "qa", "report", "--lang", "zh", "--article", SEED)
    assert table.code == 0 and "worst segments" in table.out and "latin-in-chinese" in table.out


def test_qa_recheck_applies_switched_off_checks_to_the_stored_queue(translated: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    rt = load_runtime(translated)
    before = [i for i in services.review_list(rt, "zh") if any(f.code == "latin-in-chinese" for f in i.findings)]
    assert before
    disable(translated, "    zh: [latin-in-chinese]")
    result = tilmech("--project", translated, "qa", "recheck", "--lang", "zh")
    assert result.code == 0 and "changed" in result.out
    rt = load_runtime(translated)
    after = {i.segment_id: i for i in services.review_list(rt, "zh")}
    for item in before:
        assert "latin-in-chinese" not in {f.code for f in after[item.segment_id].findings}
        assert (after[item.segment_id].risk or 0) < (item.risk or 0)


def test_the_0002_migration_adds_risk_and_keeps_every_row(tmp_path: Path) -> None:
    from alembic import command

    db = tmp_path / "store.db"
    store = Store(f"sqlite:///{db}")
    with store.engine.begin() as conn:
        command.downgrade(store._alembic(conn), "0001")
    store.close()
    with sqlite3.connect(db) as conn:
        assert "risk" not in {row[1] for row in conn.execute("PRAGMA table_info(translations)")}
        conn.execute("INSERT INTO articles (slug, title, date, content_hash, source_path, updated_at) "
                     "VALUES ('a', 'A', '2023-06-06', 'h', 'a.md', '2023-06-06 00:00:00')")
        conn.execute("INSERT INTO segments (id, article, field, position, source, placeholders, active) "
                     "VALUES ('s1', 'a', 'body', 0, 'Text.', '{}', 1)")
        conn.execute("INSERT INTO translations (segment_id, lang, machine, text, state, origin, engine, qa, "
                     "updated_at, updated_by, version) VALUES ('s1', 'ru', 'Т', 'Текст', 'approved', 'mt', 'argos', "
                     "'[]', '2023-06-06 00:00:00', 'x', 3)")
    store = Store(f"sqlite:///{db}", check=False)
    before, head = store.upgrade()
    store.close()
    assert before == "0001" and head != "0001"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT text, state, version, risk FROM translations").fetchall() == [
            ("Текст", "approved", 3, None)]


def test_the_web_api_orders_and_filters_by_risk(pseudo_project: Path) -> None:
    from fastapi.testclient import TestClient

    from tilmech.web import create_app
    from web_support import PASSWORD, workbench_runtime

    rt = workbench_runtime(pseudo_project)
    client = TestClient(create_app(rt))
    signed = client.post("/api/login", json={"name": "bakyt", "password": PASSWORD})
    client.headers["X-CSRF-Token"] = signed.json()["csrf"]
    items = client.get("/api/segments", params={"lang": "ky", "order": "risk"}).json()
    risks = [i["risk"] for i in items]
    assert risks == sorted(risks, reverse=True) and risks[0] > risks[-1]
    cut = risks[len(risks) // 2]
    filtered = client.get("/api/segments", params={"lang": "ky", "min_risk": cut}).json()
    assert filtered and all(i["risk"] >= cut for i in filtered)
    plan = client.post(f"/api/articles/{SEED}/ky/approve", json={"max_risk": 40, "dry_run": True}).json()
    assert plan["approved"] and services.stats(rt)["ky"].get("approved", 0) == 0
    done = client.post(f"/api/articles/{SEED}/ky/approve", json={"max_risk": 40, "only": plan["approved"]}).json()
    assert done["approved"] == plan["approved"]
    assert services.stats(rt)["ky"]["approved"] == len(plan["approved"])
    assert client.post(f"/api/articles/{SEED}/ru/approve", json={"max_risk": 40}).status_code == 403
    report = client.get("/api/qa/report", params={"lang": "ky"}).json()
    assert set(report["by_lang"]) == {"ky"}
    page = client.get(f"/edit/{SEED}/ky", params={"order": "risk", "max_risk": "30"})
    assert page.status_code == 200 and "worst first (risk)" in page.text
    assert page.text.count('class="seg ') == len(client.get("/api/segments", params={
        "lang": "ky", "article": SEED, "max_risk": 30}).json())
    assert client.get(f"/edit/{SEED}/ky", params={"min_risk": "high"}).status_code == 400
    assert f"/edit/{SEED}/ky?order=risk" in client.get("/").text  # the dashboard's QA flags lead worst first


def test_an_edit_is_checked_against_the_stored_segment_as_against_the_parsed_one(translated: Path) -> None:
    """A reviewer's save checks the text without splitting the article again: the placeholders
    (kinds and labels) rebuilt from the stored row give the findings the parsed segment gives."""
    from tilmech.languages import get_language
    from tilmech.qa import check_translation
    from tilmech.store import SegmentRow

    rt = load_runtime(translated)
    ru = get_language("ru")
    with rt.store.reading() as s:
        rows = {row.id: row for row in s.query(SegmentRow)}
    compared = 0
    for doc in services.load_documents(rt):
        for seg in doc.segments:
            stored = segment_model(rows[seg.id])
            assert stored.placeholder_labels() == seg.placeholder_labels()
            assert [m.kind for _, m in stored.markup] == [m.kind for _, m in seg.markup]
            for target in (seg.text, seg.text.replace("{1}", ""), "Перевод 2024 года."):
                assert ([f.message for f in check_translation(stored, target, ru)]
                        == [f.message for f in check_translation(seg, target, ru)])
            compared += bool(seg.markup)
    assert compared >= 5  # segments with links, emphasis or code among them


def test_the_store_orders_the_queue_and_stops_at_the_limit(translated: Path) -> None:
    """Worst first and weakest score first are sorted by the store, with segments not checked yet
    first and article order within a tie; a limit gives the head of the same order."""
    from tilmech.store import TranslationRow

    rt = load_runtime(translated)
    some = [i.segment_id for i in services.review_list(rt, "ru")[3:6]]
    with rt.store.session() as s:  # as after a migration: not checked yet
        for row in s.query(TranslationRow).filter(TranslationRow.segment_id.in_(some), TranslationRow.lang == "ru"):
            row.risk = None
    everything = services.review_list(rt, "ru")
    by_risk = services.review_list(rt, "ru", order="risk")
    assert by_risk == sorted(everything, key=lambda i: -(i.risk if i.risk is not None else 101.0))
    assert [i.segment_id for i in by_risk[:3]] == some
    by_score = services.review_list(rt, "ru", order="score")
    assert by_score == sorted(everything, key=lambda i: (i.score is None, i.score or 0.0))
    for order in ("risk", "score", "position"):
        assert services.review_list(rt, "ru", order=order, limit=7) == services.review_list(rt, "ru", order=order)[:7]
    flagged = services.review_list(rt, "ru", order="risk", flag="any")
    assert flagged and services.review_list(rt, "ru", order="risk", flag="any", limit=2) == flagged[:2]
    with pytest.raises(UsageError):
        services.review_list(rt, "ru", limit=0)


def test_the_qa_report_streams_the_queue_and_keeps_the_worst_as_the_queue_orders_them(translated: Path) -> None:
    rt = load_runtime(translated)
    items = services.review_list(rt, order="risk")
    for articles in (None, [SEED], ["partners-showcase", SEED]):
        chosen = [i for i in items if articles is None or i.article in articles]
        report = services.qa_report(rt, articles=articles, worst=7)
        assert report.segments == len(chosen) and report.flagged == sum(bool(i.findings) for i in chosen)
        assert list(report.worst) == chosen[:7]
        counts: dict[str, int] = {}
        for i in chosen:
            for f in i.findings:
                counts[f.code] = counts.get(f.code, 0) + 1
        assert report.by_check == dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        assert sum(c["segments"] for c in report.by_article.values()) == len(chosen)


def test_qa_verify_reads_markdown_as_the_queue_does(pseudo_project: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    """A lost **bold** is caught by `qa verify` as in the pipeline, and the same pair, ingested and
    translated into the queue, gets the same finding."""
    source = "We **thank** our partners at [KNU](https://knu.kg)."
    kept = tilmech("--project", pseudo_project, "qa", "verify", "--lang", "ru", "--source", source, "--target",
                   "Мы **благодарим** наших партнёров из [КНУ](https://knu.kg).")
    assert (kept.code, kept.out.strip()) == (0, "ok")
    lost = tilmech("--project", pseudo_project, "qa", "verify", "--lang", "ru", "--source", source, "--target",
                   "Мы благодарим наших партнёров из [КНУ](https://knu.kg).", "--json")
    assert lost.code == 1
    assert [(f["code"], f["message"]) for f in json.loads(lost.out)] == [
        ("placeholder", "placeholder {/1} (strong) is missing"), ("placeholder", "placeholder {1} (strong) is missing")]
    moved = tilmech("--project", pseudo_project, "qa", "verify", "--lang", "ru", "--source", source, "--target",
                    "Мы **благодарим** наших партнёров из [КНУ](https://knu.kg/evil).", "--json")
    assert moved.code == 1 and {f["code"] for f in json.loads(moved.out)} == {"placeholder"}
    # the queue's own form (placeholders in the source) is still taken as it is
    queue = tilmech("--project", pseudo_project, "qa", "verify", "--lang", "ru", "--source",
                    "We {1}thank{/1} our partners.", "--target", "Мы {1}благодарим{/1} наших партнёров.")
    assert (queue.code, queue.out.strip()) == (0, "ok")
    # the pipeline on the same Markdown: the stored draft's findings, checked again, say the same
    import datetime as dt

    from tilmech import services
    from tilmech.articles import Article
    from tilmech.languages import get_language
    from tilmech.markdown.extract import segment_article
    from tilmech.runtime import load_runtime

    rt = load_runtime(pseudo_project)
    (segment,) = segment_article(Article("x", "", dt.date(2024, 1, 1), source)).segments
    in_queue = services.check_draft(rt, segment, "Мы благодарим наших партнёров из {2}КНУ{/2}.", get_language("ru"))
    assert sorted(f.message for f in in_queue) == sorted(f["message"] for f in json.loads(lost.out))
