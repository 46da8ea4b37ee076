"""The openai engine against a chat-completions server the tests run on loopback (tests/llm_server.py).

The server's "translation" is a visible fake (``[llm] `` + the English); what is
tested is what Tilmech sends, retries, spends and records.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from llm_server import Script, serve
from tilmech import services
from tilmech.errors import EnvironmentNotReady, TilmechError
from tilmech.languages import get_language
from tilmech.mt import MTContext, TermHint
from tilmech.mt.openai import OpenAIEngine
from tilmech.runtime import load_runtime
from tilmech.settings import read_settings
from tilmech.store import HistoryRow, MemoryRow

EN, KY = get_language("en"), get_language("ky")
SEED = "smart-classroom-kyrgyzstan"


@pytest.fixture
def script() -> Script:
    return Script()


@pytest.fixture
def url(script: Script) -> Iterator[str]:
    with serve(script) as base:
        yield base


def _engine(url: str, sleeps: list[float] | None = None, **keys: object) -> OpenAIEngine:
    definition = {"type": "openai", "url": url, "model": "test-model", **keys}
    settings = read_settings(yaml.safe_dump({"engine_defs": {"llm": definition}}), "tilmech.yaml")
    return OpenAIEngine("llm", settings.engine_defs["llm"],
                        sleep=(sleeps.append if sleeps is not None else lambda s: None))


def test_segments_go_in_batches_with_neighbours_terms_and_the_placeholder_rule(
        url: str, script: Script, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_LLM_KEY", "sk-test-123")
    engine = _engine(url, batch_size=2, concurrency=2, api_key_env="TEST_LLM_KEY")
    texts = ["One {1}link{/1}.", "Two {3} signed.", "Three.", "Four.", "Five."]
    contexts = [MTContext()] * 5
    contexts[1] = MTContext("One link.", "Three.", (TermHint("{3}", "KNU", "КУУ"),))
    results = engine.translate(texts, EN, KY, contexts=contexts)
    assert [r.text for r in results] == [f"[llm] {t}" for t in texts]
    assert all(r.error is None for r in results)
    assert len(script.requests) == 3 and engine.requests == 3 and engine.calls == 5  # batches of 2
    assert {h["authorization"] for h in script.headers} == {"Bearer sk-test-123"}
    body = next(b for i, b in enumerate(script.requests) if any(s["text"] == texts[1] for s in script.segments(i)))
    assert body["model"] == "test-model" and body["temperature"] == 0
    system = body["messages"][0]["content"]
    assert "from English into Kyrgyz" in system and "Keep every placeholder" in system
    sent = next(s for i in range(3) for s in script.segments(i) if s["text"] == texts[1])
    assert sent["before"] == "One link." and sent["after"] == "Three."
    assert sent["terms"] == [{"placeholder": "{3}", "english": "KNU", "required": "КУУ"}]


def test_429_is_retried_after_the_time_the_server_asks(url: str, script: Script) -> None:
    script.statuses = [429, 503]
    script.retry_after = "2"
    sleeps: list[float] = []
    engine = _engine(url, sleeps)
    assert [r.text for r in engine.translate(["Hello."], EN, KY)] == ["[llm] Hello."]
    assert len(script.requests) == 3
    assert sleeps[0] == 2.0  # Retry-After respected
    assert 0.5 <= sleeps[1] <= 1.5  # then exponential backoff


def test_a_server_that_keeps_failing_gives_up_after_the_retries(url: str, script: Script) -> None:
    script.statuses = [500] * 10
    engine = _engine(url, [], max_retries=2)
    (result,) = engine.translate(["Hello."], EN, KY)
    assert result.text == "" and result.error == "HTTP 500, 3 tries"
    assert len(script.requests) == 3


def test_a_placeholder_losing_answer_is_asked_again_once_then_flagged(url: str, script: Script) -> None:
    engine = _engine(url, batch_size=4)
    once, always = "Click {1}LOSE-ONCE{/1} now.", "Press {1}LOSE-ALWAYS{/1} here."
    results = engine.translate([once, always, "Fine {1}x{/1}."], EN, KY)
    assert results[0].text == f"[llm] {once}" and results[0].error is None
    assert results[1].text == "[llm] Press LOSE-ALWAYS here."  # kept, flagged
    assert results[1].error == "placeholders lost twice: {/1} {1}"
    assert results[2].error is None
    assert script.asked == {once: 2, always: 2, "Fine {1}x{/1}.": 1}  # each retried once, alone
    assert "lost or repeated the placeholders" in script.requests[-1]["messages"][1]["content"]


def test_the_budget_of_requests_stops_the_engine_with_a_clear_error(url: str, script: Script) -> None:
    engine = _engine(url, batch_size=1, concurrency=1, max_requests=2)
    results = engine.translate(["A.", "B.", "C.", "D."], EN, KY)
    assert [r.text for r in results[:2]] == ["[llm] A.", "[llm] B."]
    assert all(r.text == "" and r.error == "budget spent: 2 of 2 requests of this run "
               "(engine_defs.llm.max_requests)" for r in results[2:])
    assert len(script.requests) == 2


def test_the_budget_of_tokens_counts_what_the_server_reports(url: str, script: Script) -> None:
    engine = _engine(url, batch_size=1, concurrency=1, max_tokens=250)
    results = engine.translate(["A.", "B.", "C.", "D."], EN, KY)
    assert [r.error is None for r in results] == [True, True, True, False]  # 100 tokens each: the 4th is over
    assert "300 of 250 tokens" in (results[3].error or "")


def test_a_missing_api_key_is_an_environment_error(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_LLM_KEY", raising=False)
    with pytest.raises(EnvironmentNotReady, match=r"TEST_LLM_KEY .* is not set") as info:
        _engine(url, api_key_env="TEST_LLM_KEY").translate(["Hello."], EN, KY)
    assert info.value.exit_code == 3


# -- in the pipeline: chains, provenance, memory, redraft, compare ------------------------------------


def _configure(project: Path, url: str, chain: list[str], **keys: object) -> None:
    data = yaml.safe_load((project / "tilmech.yaml").read_text(encoding="utf-8"))
    data["engine_defs"] = {"llm": {"type": "openai", "url": url, "model": "test-model", "batch_size": 4,
                                   "concurrency": 2, **keys}}
    data["engines"]["ky"] = chain
    (project / "tilmech.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def _lose_placeholders_in_one_segment(project: Path) -> str:
    """Make one sentence of the seed article one the server answers without its placeholders."""
    path = project / "content" / "en" / f"{SEED}.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Kyrgyz National University, founded in 1932",
                                 "[Kyrgyz National University](https://knu.kg/en) LOSE-ALWAYS, founded in 1932"),
                    encoding="utf-8")
    return "LOSE-ALWAYS"


def test_drafts_record_engine_model_and_version_and_fall_back_per_segment(
        pseudo_project: Path, url: str, script: Script) -> None:
    _configure(pseudo_project, url, ["llm", "pseudo"])
    marker = _lose_placeholders_in_one_segment(pseudo_project)
    rt = load_runtime(pseudo_project)
    services.ingest(rt, [SEED])
    report = services.translate_language(rt, "ky", [SEED])
    items = services.review_list(rt, "ky")
    fell = [it for it in items if marker in it.source]
    assert len(fell) == 1 and fell[0].engine == "pseudo" and (fell[0].model, fell[0].model_version) == ("pseudo", "1")
    rest = [it for it in items if marker not in it.source]
    assert rest and all((it.engine, it.model, it.model_version) == ("llm", "test-model", "1") for it in rest)
    assert all(it.text.startswith("[llm] ") for it in rest)
    assert any("llm: 1 segments went to pseudo (placeholders lost twice" in n for n in report.notes)
    # the glossary terms of a segment reached the prompt with their required rendering
    knu = next(s for i in range(len(script.requests)) for s in script.segments(i) if "terms" in s)
    assert all(t["required"] and t["placeholder"] in knu["text"] for t in knu["terms"])
    # the memory is keyed by engine and model version
    with rt.store.session() as s:
        keys = {(m.engine, m.model, m.model_version) for m in s.query(MemoryRow)}
    assert keys == {("llm", "test-model", "1"), ("pseudo", "pseudo", "1")}


def test_without_a_next_engine_a_spent_budget_stores_what_was_done_and_says_so(
        pseudo_project: Path, url: str, script: Script) -> None:
    _configure(pseudo_project, url, ["llm"], max_requests=1, batch_size=3, concurrency=1)
    rt = load_runtime(pseudo_project)
    services.ingest(rt, [SEED])
    with pytest.raises(TilmechError, match=r"segments \(ky\) were not translated: llm: budget spent: 1 of 1 "
                                           r"requests .*run `tilmech translate --lang ky` again") as info:
        services.translate_language(rt, "ky", [SEED])
    assert info.value.exit_code == 1
    assert len(services.review_list(rt, "ky")) == 3  # the paid-for answer is kept
    _configure(pseudo_project, url, ["llm", "pseudo"], max_requests=1, batch_size=3, concurrency=1)
    rt = load_runtime(pseudo_project)
    report = services.translate_language(rt, "ky", [SEED])  # a new run: a new budget, then pseudo
    assert report.new > 0 and any("budget spent" in n for n in report.notes)
    assert {it.engine for it in services.review_list(rt, "ky")} == {"llm", "pseudo"}


def test_redraft_unapproved_follows_a_model_version_and_never_touches_approved_or_edited_text(
        pseudo_project: Path, url: str, script: Script) -> None:
    _configure(pseudo_project, url, ["llm"])
    rt = load_runtime(pseudo_project)
    services.ingest(rt, [SEED])
    services.translate_language(rt, "ky", [SEED])
    items = services.review_list(rt, "ky")
    approved, edited, *others = items
    # the script's drafts keep the English (an `untranslated` finding): acknowledged, the subject is the redraft
    acknowledged = sorted({f.code for f in approved.findings if f.severity == "functional"})
    assert services.review_approve(rt, "ky", [approved.segment_id], acknowledge=acknowledged) == 1
    services.review_edit(rt, edited.segment_id, "ky", edited.text + " (edited)")

    script.prefix = "[llm v2]"
    _configure(pseudo_project, url, ["llm"], version="2")
    rt = load_runtime(pseudo_project)
    unchanged = services.translate_language(rt, "ky", [SEED])  # without the flag nothing changes
    assert unchanged.new == 0 and unchanged.redrafted == 0
    report = services.translate_language(rt, "ky", [SEED], redraft_unapproved=True)
    assert report.redrafted == len(others) and report.new == 0
    assert any("1 unapproved drafts edited by a translator were kept" in n for n in report.notes)
    after = {it.segment_id: it for it in services.review_list(rt, "ky")}
    assert after[approved.segment_id].text == approved.text and after[approved.segment_id].state == "approved"
    assert after[approved.segment_id].model_version == "1"
    assert after[edited.segment_id].text == edited.text + " (edited)"
    for it in others:
        now = after[it.segment_id]
        assert now.text.startswith("[llm v2] ") and now.model_version == "2" and now.state == "draft"
        assert now.version == it.version + 1
    with rt.store.session() as s:
        notes = [h.note for h in s.query(HistoryRow).filter(HistoryRow.action == "redraft")]
    assert len(notes) == len(others) and all(n.endswith("was llm test-model 1") for n in notes)
    # a second redraft finds nothing left to do
    assert services.translate_language(rt, "ky", [SEED], redraft_unapproved=True).redrafted == 0


def test_compare_prints_findings_and_scores_per_engine_and_writes_nothing(
        pseudo_project: Path, url: str, script: Script, tilmech) -> None:  # type: ignore[no-untyped-def]
    _configure(pseudo_project, url, ["llm"])
    marker = _lose_placeholders_in_one_segment(pseudo_project)
    result = tilmech("--project", pseudo_project, "compare", "--lang", "ky", "--engines", "pseudo,llm",
                     "--article", SEED, "--sample", "50")
    assert result.code == 0, result
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in result.out.splitlines() if line.startswith("│")]
    rows = {c[0]: c[1:] for c in cells if c[0] in ("pseudo", "llm")}
    assert set(rows) == {"pseudo", "llm"}
    assert rows["llm"][0] == "test-model 1" and rows["pseudo"][0] == "pseudo 1"
    assert rows["llm"][3] == "1" and rows["pseudo"][3] == "0"  # critical: the placeholder-losing answer
    assert "QA critical" in result.out and "placeholders lost twice" in result.out
    assert sum(marker in line for line in result.out.splitlines()) == 2  # the English and llm's answer
    assert all(float(rows[name][5]) >= 0 for name in rows)  # the mean risk of each engine's drafts
    lines = result.out.splitlines()
    english = next(i for i, line in enumerate(lines) if marker in line)
    risk = {line.split()[0]: float(line.rsplit("[risk ", 1)[1].rstrip("]")) for line in lines[english + 1 : english + 3]}
    assert risk["llm"] > risk["pseudo"]  # the answer that lost its placeholders is the one to review first
    rt = load_runtime(pseudo_project)
    assert services.review_list(rt) == []
    with rt.store.session() as s:
        assert s.query(MemoryRow).count() == 0
    bad = tilmech("--project", pseudo_project, "compare", "--lang", "ky", "--engines", "pseudo,deepl")
    assert bad.code == 2 and "unknown engine 'deepl'" in bad.err
