"""Crash safety: real `tilmech` processes killed with SIGKILL at several points, then run again.

The engine is the pseudo engine, logging every text it is sent (crash_runner.py), so
the tests can tell what a run after a kill translates again.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import make_project
from tilmech import services
from tilmech.runtime import load_runtime
from tilmech.services import review as review_service
from tilmech.services import xliff as xliff_service
from tilmech.store import Store
from tilmech.store.integrity import check_store

RUNNER = Path(__file__).resolve().parent / "crash_runner.py"
ARTICLES, SENTENCES = 16, 10
LANGS = ("ru", "ky", "zh")
DELAY = 0.004  # seconds per text sent to the engine


def crash_project(tmp_path: Path) -> Path:
    """A project of generated articles (every sentence different), pseudo engine, small batches."""
    project = make_project(tmp_path / "project", engine="pseudo", extra_articles=False)
    settings = project / "tilmech.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("max_batch_size: 32", "max_batch_size: 2"),
                        encoding="utf-8")
    content = project / "content" / "en"
    for old in content.glob("*.md"):
        old.unlink()
    for a in range(ARTICLES):
        body = "\n\n".join(f"Partner school {a}-{i} opened {i + 2} smart classrooms for {a * 10 + i} students "
                           f"in district {a}." for i in range(SENTENCES))
        (content / f"report-{a:02d}.md").write_text(
            f"---\ntitle: Report {a} on the classrooms\ndate: 2024-01-{a % 28 + 1:02d}\n"
            f"summary: What partner schools of report {a} opened.\n---\n\n{body}\n", encoding="utf-8")
    return project


@dataclass
class Run:
    code: int | None  # None: killed
    output: str
    sent: list[tuple[str, str]]  # (lang, text) sent to the engine by this run


def count(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0


@pytest.fixture
def prefect_api(prefect_server: None) -> dict[str, str]:
    """The tests' Prefect server, for the flows of `tilmech translate` in other processes."""
    from prefect.settings import get_current_settings

    return {"PREFECT_API_URL": str(get_current_settings().api.url)}


def run_tilmech(project: Path, log: Path, *args: str, kill_when: Callable[[], bool] | None = None,
                env: dict[str, str] | None = None, timeout: float = 300) -> Run:
    """Run `tilmech --project PROJECT ARGS` in a new process group; SIGKILL all of it once ``kill_when()``."""
    offset = log.stat().st_size if log.exists() else 0
    process = subprocess.Popen([sys.executable, str(RUNNER), str(log), str(DELAY), "--", "--project", str(project),
                                *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True, env={**os.environ, **(env or {})})
    deadline = time.monotonic() + timeout
    killed = False
    try:
        while process.poll() is None:
            if kill_when is not None and kill_when():
                os.killpg(process.pid, signal.SIGKILL)  # the process and any it started (Prefect's server)
                killed = True
                break
            assert time.monotonic() < deadline, "the run did not finish"
            time.sleep(0.005)
        output = process.communicate(timeout=60)[0]
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    with log.open("a"):  # exists even when nothing was sent
        pass
    with log.open(encoding="utf-8") as f:
        f.seek(offset)
        entries = [json.loads(line) for line in f if line.strip()]
    sent = [(e["lang"], e["text"]) for e in entries if "text" in e]
    return Run(None if killed else process.returncode, output, sent)


def committed_inputs(db: Path) -> dict[str, set[str]]:
    """Per language, the engine inputs whose output the store holds (translation memory)."""
    with sqlite3.connect(db) as conn:
        out: dict[str, set[str]] = {lang: set() for lang in LANGS}
        for lang, source in conn.execute("SELECT lang, source FROM memory"):
            out[lang].add(source)
        return out


def assert_store_sound(db: Path) -> None:
    store = Store(f"sqlite:///{db}")
    try:
        assert check_store(store) == []
    finally:
        store.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) - count(DISTINCT segment_id || lang) FROM translations").fetchone() == (0,)
        assert conn.execute("SELECT count(*) - count(DISTINCT source_hash || lang) FROM memory").fetchone() == (0,)
        # every draft has its one history entry, written in the same transaction
        assert conn.execute("SELECT count(*) FROM translations t WHERE (SELECT count(*) FROM history h "
                            "WHERE h.translation_id = t.id) != t.version").fetchone() == (0,)


@pytest.mark.slow
def test_translate_killed_at_several_points_finishes_the_job_without_translating_twice(
        tmp_path: Path, prefect_api: dict[str, str]) -> None:
    project = crash_project(tmp_path)
    db, log = project / "tilmech.db", tmp_path / "engine.log"
    segments = ARTICLES * (SENTENCES + 2)  # body sentences, title, summary
    total = segments * len(LANGS)
    translations = "SELECT count(*) FROM translations"
    kill_points: list[tuple[str, Callable[[], bool]]] = [
        ("after ingest, before any translation", lambda: count(db, "SELECT count(*) FROM segments") > 0),
        ("a third of the way", lambda: count(db, translations) >= total // 3),
        ("two thirds of the way", lambda: count(db, translations) >= 2 * total // 3),
    ]
    sent_total = 0
    for name, point in kill_points:
        before = committed_inputs(db) if db.exists() else {lang: set() for lang in LANGS}
        run = run_tilmech(project, log, "translate", kill_when=point, env=prefect_api)
        assert run.code is None, f"{name}: the run ended before the kill point: {run.output}"
        sent_total += len(run.sent)
        # nothing the store had committed before this run was sent to the engine again
        assert not [(lang, text) for lang, text in run.sent if text in before[lang]], name
        assert_store_sound(db)
    before = committed_inputs(db)
    done_before = count(db, translations)
    assert 2 * total // 3 <= done_before < total
    final = run_tilmech(project, log, "translate", env=prefect_api)
    assert final.code == 0, final.output
    assert not [(lang, text) for lang, text in final.sent if text in before[lang]]
    assert len(final.sent) == total - done_before  # exactly what was missing, once
    assert_store_sound(db)
    assert count(db, translations) == total
    assert count(db, "SELECT count(*) FROM segments WHERE active") == segments
    # what the killed runs lost: at most the batch each language had in flight (4 texts per batch of 8 here)
    assert sent_total + len(final.sent) - total <= len(kill_points) * len(LANGS) * 8


def test_reviewer_edits_made_while_translate_runs_are_kept(tmp_path: Path, prefect_api: dict[str, str]) -> None:
    project = crash_project(tmp_path)
    db, log = project / "tilmech.db", tmp_path / "engine.log"
    rt = load_runtime(project, "aida")
    edited: dict[str, str] = {}
    drafted_then: list[int] = []

    def edit_while_running() -> bool:
        """Once some Russian drafts are committed, edit and approve them (the run goes on)."""
        if edited or count(db, "SELECT count(*) FROM translations WHERE lang = 'ru'") < 10:
            return False
        for item in services.review_list(rt, "ru")[:3]:
            services.review_edit(rt, item.segment_id, "ru", f"Правка рецензента {item.position}.", item.version)
            services.review_approve(rt, "ru", [item.segment_id])
            edited[item.segment_id] = f"Правка рецензента {item.position}."
        drafted_then.append(count(db, "SELECT count(*) FROM translations"))
        return False  # never kill: let the run finish

    run = run_tilmech(project, log, "translate", kill_when=edit_while_running, env=prefect_api)
    assert run.code == 0, run.output
    assert len(edited) == 3 and drafted_then[0] < ARTICLES * (SENTENCES + 2) * len(LANGS)  # while it ran
    for sid, text in edited.items():
        item = services.review_show(rt, sid, "ru").items[0]
        assert (item.text, item.state, item.version) == (text, "approved", 3)
    assert_store_sound(db)
    rt.close()


def test_approving_an_article_killed_midway_approves_nothing_then_everything(tmp_path: Path) -> None:
    project = crash_project(tmp_path)
    log = tmp_path / "engine.log"
    rt = load_runtime(project)
    services.ingest(rt)
    services.translate_language(rt, "ru", ["report-03"])
    rt.close()
    db = project / "tilmech.db"
    approved = "SELECT count(*) FROM translations WHERE state = 'approved'"

    def halfway() -> bool:
        return log.exists() and log.read_text(encoding="utf-8").count('"change"') >= SENTENCES // 2

    killed = run_tilmech(project, log, "review", "approve", "--article", "report-03", "--lang", "ru",
                         kill_when=halfway, env={"SLOW_CHANGE": "0.05"})
    assert killed.code is None
    assert count(db, approved) == 0  # half of the approvals were made in the transaction: none is kept
    assert_store_sound(db)
    done = run_tilmech(project, log, "review", "approve", "--article", "report-03", "--lang", "ru")
    assert done.code == 0, done.output
    assert count(db, approved) == SENTENCES + 2
    assert_store_sound(db)


@pytest.fixture
def translated(tmp_path: Path):  # type: ignore[no-untyped-def]
    project = crash_project(tmp_path)
    rt = load_runtime(project)
    services.ingest(rt, ["report-01", "report-02"])
    services.translate_language(rt, "ru", ["report-01", "report-02"])
    yield rt
    rt.close()


def _snapshot(rt) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    with sqlite3.connect(rt.settings.root / "tilmech.db") as conn:
        return conn.execute("SELECT t.id, t.text, t.state, t.version, (SELECT count(*) FROM history h WHERE "
                            "h.translation_id = t.id), (SELECT count(*) FROM releases) FROM translations t "
                            "ORDER BY t.id").fetchall()


def _fail_on_call(monkeypatch: pytest.MonkeyPatch, name: str, n: int) -> None:
    """Make the service step <name> raise on its n-th call (a fault in the middle of a multi-row
    change), in every use case module that calls it."""
    original = getattr(services, name)
    calls = [0]

    def failing(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls[0] += 1
        if calls[0] == n:
            raise OSError("disk I/O error (injected)")
        return original(*args, **kwargs)

    for module in (review_service, xliff_service):
        if hasattr(module, name):
            monkeypatch.setattr(module, name, failing)


def test_an_article_approval_that_fails_midway_changes_nothing(translated, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    before = _snapshot(translated)
    _fail_on_call(monkeypatch, "approve_translation", 5)
    with pytest.raises(OSError):
        services.review_approve(translated, "ru", article="report-01")
    assert _snapshot(translated) == before


def test_an_xliff_import_that_fails_midway_changes_nothing(translated, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    exported = services.xliff_export(translated, "report-01", "ru", "1.2")
    edited = exported.replace("[", "[Правка ").replace("<trans-unit ", '<trans-unit approved="yes" ')
    before = _snapshot(translated)
    _fail_on_call(monkeypatch, "edit_translation", 6)
    with pytest.raises(OSError):
        services.xliff_import(translated, edited, "report-01.ru.xlf")
    assert _snapshot(translated) == before
    monkeypatch.undo()
    outcomes = services.xliff_import(translated, edited, "report-01.ru.xlf")  # the same import, whole
    assert {o.outcome for o in outcomes} == {"edited+approved"}


def test_a_release_that_fails_midway_leaves_no_release(translated, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    services.review_approve(translated, "ru", article="report-01")
    before = _snapshot(translated)
    originals = {"read_text": Path.read_text, "read_bytes": Path.read_bytes}
    reads = [0]

    def failing(name: str):  # type: ignore[no-untyped-def]
        def read(self: Path, *args, **kwargs):  # type: ignore[no-untyped-def]
            if self.name == "report-05.md" and self.parent.name == "en":
                reads[0] += 1
                if reads[0] == 2:  # read once to list the articles, then again inside the transaction
                    raise OSError("disk I/O error (injected)")
            return originals[name](self, *args, **kwargs)
        return read

    for name in originals:
        monkeypatch.setattr(Path, name, failing(name))
    with pytest.raises(OSError):
        services.release_create(translated)
    assert _snapshot(translated) == before
    with sqlite3.connect(translated.settings.root / "tilmech.db") as conn:
        assert conn.execute("SELECT (SELECT count(*) FROM release_sources) + (SELECT count(*) FROM "
                            "release_articles)").fetchone() == (0,)
    monkeypatch.undo()
    assert services.release_create(translated).locales["ru"] == ("report-01",)


def test_concurrent_saves_of_one_segment_keep_exactly_one(translated) -> None:  # type: ignore[no-untyped-def]
    """Two reviewers save the same version at once: one wins, the other gets a conflict, nothing is lost."""
    from concurrent.futures import ThreadPoolExecutor

    from tilmech.errors import Conflict
    from tilmech.runtime import Runtime

    item = services.review_list(translated, "ru")[0]
    runtimes = [Runtime(translated.settings, name) for name in ("aida", "bakyt")]

    def save(rt: Runtime) -> str:
        try:
            services.review_edit(rt, item.segment_id, "ru", f"Текст {rt.user}", item.version)
            return "saved"
        except Conflict:
            return "conflict"

    for round_ in range(5):
        current = services.review_show(translated, item.segment_id, "ru").items[0]
        item = current
        with ThreadPoolExecutor(2) as pool:
            results = sorted(pool.map(save, runtimes))
        assert results == ["conflict", "saved"], round_
        after = services.review_show(translated, item.segment_id, "ru")
        assert after.items[0].version == current.version + 1
        assert after.items[0].text in ("Текст aida", "Текст bakyt")
        assert after.history["ru"][-1].after_text == after.items[0].text
    for rt in runtimes:
        rt.close()
