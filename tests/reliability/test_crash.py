"""Crash safety on both stores: real `tilmech` processes (translate, publish, review approve) killed
with SIGKILL at several points, then run again, and multi-row changes that fail midway. After each,
`db check` is clean, no translation or memory entry is there twice, and every translation has one
history entry per version; on SQLite and on the tests' PostgreSQL.

The engine is the pseudo engine, logging every text it is sent (crash_runner.py), so the tests can
tell what a run after a kill translates again. The tests read the store the processes write with
SQLAlchemy, the same way on both stores.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, Select, create_engine, func, select
from sqlalchemy.exc import DBAPIError

from conftest import make_project
from tilmech import services
from tilmech.publish import current_release, verify_release
from tilmech.qa import CHECKS, Severity
from tilmech.runtime import Runtime, load_runtime
from tilmech.services import review as review_service
from tilmech.services import xliff as xliff_service
from tilmech.store import (
    HistoryRow,
    MemoryRow,
    ReleaseArticleRow,
    ReleaseRow,
    ReleaseSourceRow,
    SegmentRow,
    Store,
    TranslationRow,
)
from tilmech.store.integrity import check_store

RUNNER = Path(__file__).resolve().parent / "crash_runner.py"
ARTICLES, SENTENCES = 16, 10
LANGS = ("ru", "ky", "zh")
DELAY = 0.004  # seconds per text sent to the engine
SQLITE = "sqlite:///tilmech.db"  # the project's own setting
# the tests that run `tilmech` in processes take several seconds each on PostgreSQL
SLOW_ON_POSTGRESQL = ["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)]
STORES = ["sqlite", "postgresql"]
# what a reviewer approving their own short edit acknowledges (number, length...)
FUNCTIONAL = tuple(code for code, check in CHECKS.items() if check.severity is Severity.FUNCTIONAL)

SEGMENTS = select(func.count()).select_from(SegmentRow)
TRANSLATIONS = select(func.count()).select_from(TranslationRow)
APPROVED = TRANSLATIONS.where(TranslationRow.state == "approved")


def crash_project(tmp_path: Path, store: str) -> Path:
    """A project of generated articles (every sentence different), pseudo engine, small batches, its
    store at ``store``."""
    project = make_project(tmp_path / "project", engine="pseudo", extra_articles=False)
    settings = project / "tilmech.yaml"
    text = settings.read_text(encoding="utf-8")
    assert f"store: {SQLITE}" in text and "max_batch_size: 32" in text
    settings.write_text(text.replace("max_batch_size: 32", "max_batch_size: 2")
                        .replace(f"store: {SQLITE}", f"store: {store}"), encoding="utf-8")
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


class Probe:
    """A crash project and the test's own view of its store (SQLite file or PostgreSQL database),
    read while `tilmech` processes write it."""

    def __init__(self, project: Path, url: str) -> None:
        self.project = project
        self.sqlite = url.startswith("sqlite")
        self.file = project / "tilmech.db"
        self.url = f"sqlite:///{self.file}" if self.sqlite else url
        self._engine: Engine | None = None

    def count(self, query: Select[Any]) -> int:
        """The count ``query`` selects; 0 while the store or its tables are not there yet."""
        if self.sqlite and not self.file.exists():
            return 0  # opening it would create it
        if self._engine is None:  # SQLite: read-only, never the write lock the processes need
            self._engine = create_engine(f"sqlite:///file:{self.file}?mode=ro&uri=true" if self.sqlite else self.url)
        try:
            with self._engine.connect() as conn:
                return int(conn.execute(query).scalar_one())
        except DBAPIError:  # not created yet
            return 0

    def committed_inputs(self) -> dict[str, set[str]]:
        """Per language, the engine inputs whose output the store holds (translation memory)."""
        out: dict[str, set[str]] = {lang: set() for lang in LANGS}
        if self.sqlite and not self.file.exists():
            return out
        with self._store() as store, store.reading() as s:
            for lang, source in s.execute(select(MemoryRow.lang, MemoryRow.source)):
                out[lang].add(source)
        return out

    def assert_sound(self) -> None:
        """`db check` is clean; no translation or memory entry twice; one history entry per version."""
        with self._store() as store:
            assert [str(f) for f in check_store(store)] == []
            with store.reading() as s:
                twice = s.execute(select(TranslationRow.segment_id, TranslationRow.lang)
                                  .group_by(TranslationRow.segment_id, TranslationRow.lang)
                                  .having(func.count() > 1)).all()
                assert twice == []
                remembered_twice = s.execute(select(MemoryRow.source_hash, MemoryRow.lang)
                                             .group_by(MemoryRow.source_hash, MemoryRow.lang)
                                             .having(func.count() > 1)).all()
                assert remembered_twice == []
                # every draft has its one history entry, written in the same transaction
                entries = select(func.count()).where(HistoryRow.translation_id == TranslationRow.id) \
                    .correlate(TranslationRow).scalar_subquery()
                assert s.execute(select(TranslationRow.id).where(entries != TranslationRow.version)).all() == []

    def _store(self) -> closing[Store]:
        return closing(Store(self.url))

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


@pytest.fixture
def probe(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Probe]:
    """A crash project whose store is a SQLite file or a new database on the tests' PostgreSQL
    (the parameter), and the test's view of that store."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else SQLITE
    view = Probe(crash_project(tmp_path, url), url)
    yield view
    view.close()


@dataclass
class Run:
    code: int | None  # None: killed
    output: str
    sent: list[tuple[str, str]]  # (lang, text) sent to the engine by this run


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


def logged(log: Path, kind: str) -> int:
    """How many lines of ``kind`` ("change", "write") the runner logged so far."""
    return log.read_text(encoding="utf-8").count(f'"{kind}"') if log.exists() else 0


@pytest.mark.slow
@pytest.mark.parametrize("probe", STORES, indirect=True)
def test_translate_killed_at_several_points_finishes_the_job_without_translating_twice(
        probe: Probe, tmp_path: Path, prefect_api: dict[str, str]) -> None:
    project, log = probe.project, tmp_path / "engine.log"
    segments = ARTICLES * (SENTENCES + 2)  # body sentences, title, summary
    total = segments * len(LANGS)
    # on PostgreSQL (slower to run) one kill before and one during the translation
    thirds = (1, 2) if probe.sqlite else (3 / 2,)

    def translated_at(n: float) -> Callable[[], bool]:
        return lambda: probe.count(TRANSLATIONS) >= n

    kill_points: list[tuple[str, Callable[[], bool]]] = [
        ("after ingest, before any translation", lambda: probe.count(SEGMENTS) > 0),
        *[(f"{n:g} thirds of the way", translated_at(n * total // 3)) for n in thirds],
    ]
    sent_total = 0
    for name, point in kill_points:
        before = probe.committed_inputs()
        run = run_tilmech(project, log, "translate", kill_when=point, env=prefect_api)
        assert run.code is None, f"{name}: the run ended before the kill point: {run.output}"
        sent_total += len(run.sent)
        # nothing the store had committed before this run was sent to the engine again
        assert not [(lang, text) for lang, text in run.sent if text in before[lang]], name
        probe.assert_sound()
    before = probe.committed_inputs()
    done_before = probe.count(TRANSLATIONS)
    assert thirds[-1] * total // 3 <= done_before < total
    final = run_tilmech(project, log, "translate", env=prefect_api)
    assert final.code == 0, final.output
    assert not [(lang, text) for lang, text in final.sent if text in before[lang]]
    assert len(final.sent) == total - done_before  # exactly what was missing, once
    probe.assert_sound()
    assert probe.count(TRANSLATIONS) == total
    assert probe.count(SEGMENTS.where(SegmentRow.active.is_(True))) == segments
    # what the killed runs lost: at most the batch each language had in flight (4 texts per batch of 8 here)
    assert sent_total + len(final.sent) - total <= len(kill_points) * len(LANGS) * 8


@pytest.mark.slow  # each `tilmech publish` takes several seconds to start
@pytest.mark.parametrize("probe", STORES, indirect=True)
def test_publish_killed_at_several_points_keeps_the_served_release(probe: Probe, tmp_path: Path,
                                                                   prefect_api: dict[str, str]) -> None:
    """`tilmech publish` killed while it writes the release's files: the site still serves the release
    before, whole; the store is untouched and sound; publishing again then switches to the new one."""
    log, out = tmp_path / "engine.log", probe.project / "public"
    rt = load_runtime(probe.project)
    services.ingest(rt)
    services.translate_language(rt, "ru", ["report-01", "report-02"])
    services.review_approve(rt, "ru", article="report-01")
    first = services.release_create(rt)
    services.release_approve(rt, first.id)
    files = services.publish(rt, first.id).files
    services.review_approve(rt, "ru", article="report-02")
    second = services.release_create(rt)
    services.release_approve(rt, second.id)
    rt.close()
    releases = select(func.count()).select_from(ReleaseArticleRow)
    frozen = probe.count(releases)

    def wrote(n: int) -> bool:
        return logged(log, "write") >= n

    points = [("after the first file", 1), ("half-way through the files", files // 2)]
    for name, written in points if probe.sqlite else points[1:]:  # on PostgreSQL (slower) one
        run = run_tilmech(probe.project, log, "publish", str(second.id), kill_when=partial(wrote, written),
                          env={**prefect_api, "SLOW_WRITE": "0.01"})
        assert run.code is None, f"{name}: the publish ended before the kill point: {run.output}"
        assert current_release(out) == first.id, name
        assert verify_release(out, first.id) == [], name
        assert not (out / "releases" / str(second.id)).exists(), name
        probe.assert_sound()
        assert probe.count(releases) == frozen
    done = run_tilmech(probe.project, log, "publish", str(second.id), env=prefect_api)
    assert done.code == 0, done.output
    assert current_release(out) == second.id and verify_release(out, second.id) == []
    assert (out / "releases" / str(second.id) / "ru" / "report-02.html").exists()
    assert not list((out / "releases").glob(".*.staging-*"))  # what the killed runs left is gone
    probe.assert_sound()


@pytest.mark.parametrize("probe", SLOW_ON_POSTGRESQL, indirect=True)
def test_reviewer_edits_made_while_translate_runs_are_kept(probe: Probe, tmp_path: Path,
                                                          prefect_api: dict[str, str]) -> None:
    log = tmp_path / "engine.log"
    rt = load_runtime(probe.project, "aida")
    edited: dict[str, str] = {}
    drafted_then: list[int] = []

    def edit_while_running() -> bool:
        """Once some Russian drafts are committed, edit and approve them (the run goes on)."""
        if edited or probe.count(TRANSLATIONS.where(TranslationRow.lang == "ru")) < 10:
            return False
        for item in services.review_list(rt, "ru")[:3]:
            text = f"Правка рецензента {item.position}."
            services.review_edit(rt, item.segment_id, "ru", text, item.version)
            services.review_approve(rt, "ru", [item.segment_id], acknowledge=FUNCTIONAL)
            edited[item.segment_id] = text
        drafted_then.append(probe.count(TRANSLATIONS))
        return False  # never kill: let the run finish

    run = run_tilmech(probe.project, log, "translate", kill_when=edit_while_running, env=prefect_api)
    assert run.code == 0, run.output
    assert len(edited) == 3 and drafted_then[0] < ARTICLES * (SENTENCES + 2) * len(LANGS)  # while it ran
    for sid, text in edited.items():
        item = services.review_show(rt, sid, "ru").items[0]
        assert (item.text, item.state, item.version) == (text, "approved", 3)
    probe.assert_sound()
    rt.close()


@pytest.mark.parametrize("probe", SLOW_ON_POSTGRESQL, indirect=True)
def test_approving_an_article_killed_midway_approves_nothing_then_everything(probe: Probe, tmp_path: Path) -> None:
    log = tmp_path / "engine.log"
    rt = load_runtime(probe.project)
    services.ingest(rt)
    services.translate_language(rt, "ru", ["report-03"])
    rt.close()

    def halfway() -> bool:
        return logged(log, "change") >= SENTENCES // 2

    killed = run_tilmech(probe.project, log, "review", "approve", "--article", "report-03", "--lang", "ru",
                         kill_when=halfway, env={"SLOW_CHANGE": "0.05"})
    assert killed.code is None
    assert probe.count(APPROVED) == 0  # half of the approvals were made in the transaction: none is kept
    probe.assert_sound()
    done = run_tilmech(probe.project, log, "review", "approve", "--article", "report-03", "--lang", "ru")
    assert done.code == 0, done.output
    assert probe.count(APPROVED) == SENTENCES + 2
    probe.assert_sound()


@pytest.fixture
def translated(probe: Probe) -> Iterator[Runtime]:
    rt = load_runtime(probe.project)
    services.ingest(rt, ["report-01", "report-02"])
    services.translate_language(rt, "ru", ["report-01", "report-02"])
    yield rt
    rt.close()


def _snapshot(rt: Runtime) -> list[tuple[object, ...]]:
    """Every translation (text, state, version, its number of history entries) and the number of releases."""
    entries = select(func.count()).where(HistoryRow.translation_id == TranslationRow.id) \
        .correlate(TranslationRow).scalar_subquery()
    releases = select(func.count()).select_from(ReleaseRow).scalar_subquery()
    with rt.store.reading() as s:
        return [tuple(row) for row in s.execute(
            select(TranslationRow.id, TranslationRow.text, TranslationRow.state, TranslationRow.version, entries,
                   releases).order_by(TranslationRow.id))]


def _fail_on_call(monkeypatch: pytest.MonkeyPatch, name: str, n: int) -> None:
    """Make the service step <name> raise on its n-th call (a fault in the middle of a multi-row
    change), in every use case module that calls it."""
    original = getattr(services, name)
    calls = [0]

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == n:
            raise OSError("disk I/O error (injected)")
        return original(*args, **kwargs)

    for module in (review_service, xliff_service):
        if hasattr(module, name):
            monkeypatch.setattr(module, name, failing)


@pytest.mark.parametrize("probe", STORES, indirect=True)
def test_an_article_approval_that_fails_midway_changes_nothing(probe: Probe, translated: Runtime,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    before = _snapshot(translated)
    _fail_on_call(monkeypatch, "approve_translation", 5)
    with pytest.raises(OSError):
        services.review_approve(translated, "ru", article="report-01")
    assert _snapshot(translated) == before
    probe.assert_sound()


@pytest.mark.parametrize("probe", STORES, indirect=True)
def test_an_xliff_import_that_fails_midway_changes_nothing(probe: Probe, translated: Runtime,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
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
    probe.assert_sound()


@pytest.mark.parametrize("probe", STORES, indirect=True)
def test_a_release_that_fails_midway_leaves_no_release(probe: Probe, translated: Runtime,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    services.review_approve(translated, "ru", article="report-01")
    before = _snapshot(translated)
    originals: dict[str, Callable[..., Any]] = {"read_text": Path.read_text, "read_bytes": Path.read_bytes}
    reads = [0]

    def failing(name: str) -> Callable[..., Any]:
        def read(self: Path, *args: Any, **kwargs: Any) -> Any:
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
    frozen = select(func.count()).select_from(ReleaseSourceRow)
    assert probe.count(frozen) + probe.count(select(func.count()).select_from(ReleaseArticleRow)) == 0
    monkeypatch.undo()
    assert services.release_create(translated).locales["ru"] == ("report-01",)
    probe.assert_sound()


@pytest.mark.parametrize("probe", STORES, indirect=True)
def test_concurrent_saves_of_one_segment_keep_exactly_one(probe: Probe, translated: Runtime) -> None:
    """Two reviewers save the same version at once: one wins, the other gets a conflict, nothing is lost."""
    from concurrent.futures import ThreadPoolExecutor

    from tilmech.errors import Conflict

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
    probe.assert_sound()
