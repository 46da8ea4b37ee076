"""The Prefect flows on Prefect's test harness: batches, artifacts, sync, retries, schedules."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from conftest import approve_article
from tilmech import services
from tilmech.runtime import load_runtime

NEW_ARTICLE = """---
title: KNU Hosts a Digital Teaching Workshop
date: 2024-05-20
---

Kyrgyz National University hosted a workshop on digital teaching. Teachers from 12 faculties took part.
"""


def _artifact(key: str):  # type: ignore[no-untyped-def]
    """The newest artifact with ``key``."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
                                      sort=ArtifactSort.CREATED_DESC, limit=1)
    return found[0] if found else None


@pytest.mark.usefixtures("prefect_server")
def test_translate_flow_runs_batches_and_publishes_a_summary(pseudo_project: Path) -> None:
    from tilmech.flows.translate import translate_articles

    reports = translate_articles(project=str(pseudo_project), languages=["ru", "ky"], batch_size=1)
    assert sorted(r.lang for r in reports) == ["ky", "ky", "ru", "ru"]  # one task per (article, language)
    assert sum(r.new for r in reports if r.lang == "ru") == len(services.review_list(load_runtime(pseudo_project),
                                                                                      "ru"))
    table = _artifact("translate-summary")
    assert table is not None
    rows = table.data if isinstance(table.data, list) else __import__("json").loads(table.data)
    assert {(row["article"], row["language"]) for row in rows} == {
        (a, lang) for a in ("partners-showcase", "smart-classroom-kyrgyzstan") for lang in ("ru", "ky")}
    links = _artifact("translate-review-links")
    assert links is not None and "/edit/smart-classroom-kyrgyzstan/ky" in links.data
    # the QA summary, as `tilmech qa report` counts it
    qa = _artifact("qa-summary")
    assert qa is not None
    qa_rows = qa.data if isinstance(qa.data, list) else __import__("json").loads(qa.data)
    expected = services.qa_report(load_runtime(pseudo_project)).by_check
    assert expected and {row["check"]: row["findings"] for row in qa_rows} == expected
    qa_report = _artifact("qa-report")
    assert qa_report is not None and "Worst segments" in qa_report.data and "| ky |" in qa_report.data

    # a run with nothing to translate publishes its summary alone: the last QA summary stays the newest
    again = translate_articles(project=str(pseudo_project), languages=["ru", "ky"], batch_size=1)
    assert sum(r.new for r in again) == 0
    summary = _artifact("translate-review-links")
    assert summary.id != links.id and "Nothing new to translate." in summary.data and "| ky | 0 |" in summary.data
    assert _artifact("qa-summary").id == qa.id and _artifact("translate-summary").id == table.id


@pytest.mark.usefixtures("prefect_server")
def test_languages_can_run_in_processes_of_their_own(pseudo_project: Path, tmp_path: Path) -> None:
    """With processes, one task per language runs in a process pool; the queue is the one threads make."""
    import shutil

    from tilmech.flows.translate import translate_articles

    threaded = tmp_path / "threaded"
    shutil.copytree(pseudo_project, threaded)
    in_threads = translate_articles(project=str(threaded), batch_size=1)
    in_processes = translate_articles(project=str(pseudo_project), batch_size=1, processes=2)
    assert len(in_threads) == 6  # one task per (article, language)
    assert sorted((r.lang, r.articles, r.new) for r in in_processes) == sorted(  # one task per language
        (r.lang, r.articles, r.new) for r in services.merge_reports(in_threads))

    def queue(project: Path) -> list[tuple[str, str, str]]:
        rt = load_runtime(project)
        return [(i.segment_id, i.lang, i.text) for i in services.review_list(rt)]

    assert queue(pseudo_project) == queue(threaded)


def test_each_process_gets_its_share_of_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    from tilmech.flows.translate import share_cores

    from tilmech.mt import ctranslate

    monkeypatch.setenv("TILMECH_CORES", "")  # unset: the affinity mask (and restored after the test)
    cores = ctranslate.cpu_count()
    share_cores(2)
    assert ctranslate.cpu_count() == max(1, cores // 2)


@pytest.mark.usefixtures("prefect_server")
def test_sync_translates_only_what_is_new(pseudo_project: Path) -> None:
    from tilmech.flows.translate import sync_articles

    assert sum(r.new for r in sync_articles(project=str(pseudo_project))) > 0
    assert sync_articles(project=str(pseudo_project)) == []  # nothing new: no task, no engine
    (pseudo_project / "content" / "en" / "knu-workshop.md").write_text(NEW_ARTICLE, encoding="utf-8")
    reports = sync_articles(project=str(pseudo_project))
    assert {(r.lang, tuple(c.article for c in r.by_article)) for r in reports} == {
        (lang, ("knu-workshop",)) for lang in ("ru", "ky", "zh")}
    assert services.pending_work(load_runtime(pseudo_project)) == {}


@pytest.mark.usefixtures("prefect_server")
def test_a_failed_task_is_retried(pseudo_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tilmech.flows.translate as flows

    calls: list[str] = []
    real = services.translate_language

    def flaky(rt, lang, articles=None, **options):  # type: ignore[no-untyped-def]
        calls.append(lang)
        if calls.count(lang) == 1:
            raise OperationalError("UPDATE translations", {}, Exception("database is locked"))
        return real(rt, lang, articles, **options)

    monkeypatch.setattr(services, "translate_language", flaky)
    monkeypatch.setattr(flows, "translate_batch", flows.translate_batch.with_options(retry_delay_seconds=0))
    reports = flows.translate_articles(project=str(pseudo_project), languages=["zh"])
    assert calls == ["zh", "zh"] and reports[0].new > 0


@pytest.mark.usefixtures("prefect_server")
def test_a_task_past_its_timeout_is_stopped_and_retried(pseudo_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tilmech.flows.translate as flows

    attempts: list[str] = []
    real = services.translate_language

    def stuck_once(rt, lang, articles=None, **options):  # type: ignore[no-untyped-def]
        attempts.append("started")
        if len(attempts) == 1:
            for _ in range(600):  # an engine working through batches for a minute
                time.sleep(0.1)
            attempts.append("first attempt ran to its end")
        return real(rt, lang, articles, **options)

    monkeypatch.setattr(services, "translate_language", stuck_once)
    monkeypatch.setattr(flows, "translate_batch", flows.translate_batch.with_options(retry_delay_seconds=0))
    reports = flows.translate_articles(project=str(pseudo_project), languages=["ru"], task_timeout=2)
    assert attempts == ["started", "started"]  # stopped, not waited for, then retried
    assert reports[0].new > 0 and "ru" not in services.pending_work(load_runtime(pseudo_project))


_HOLD_SLOT = """
import sys, time
from tilmech.flows.translate import model_slot
with model_slot("argos", "en-ky"):
    print("holding", time.time(), flush=True)
    time.sleep(8)  # long enough for the test's client to start and create the other model's limit
    print("released", time.time(), flush=True)
"""


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_server")
def test_one_model_is_used_by_one_process_at_a_time_on_a_machine() -> None:
    """Another process waits for the model's slot; the tasks of the process holding it share it
    (no wait between them), and a task on another model is not held up."""
    import threading

    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL
    from tilmech.flows.translate import model_slot, model_slot_name

    other = subprocess.Popen([sys.executable, "-c", _HOLD_SLOT], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())})
    assert other.stdout is not None
    first = other.stdout.readline().split()
    assert first and first[0] == "holding", first
    spans: dict[str, list[tuple[float, float]]] = {"en-ky": [], "en-ru": []}

    def use(pair: str) -> None:
        with model_slot("argos", pair):
            start = time.time()
            time.sleep(1.5)
            spans[pair].append((start, time.time()))

    threads = [threading.Thread(target=use, args=(pair,)) for pair in ("en-ky", "en-ky", "en-ky", "en-ru")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    released = float(other.stdout.readline().split()[1])
    assert other.wait(30) == 0
    ky = sorted(spans["en-ky"])
    assert len(ky) == 3 and all(start >= released for start, _ in ky)  # after the other process
    assert max(start for start, _ in ky) < min(end for _, end in ky)  # this process's tasks together
    ru = spans["en-ru"][0]
    assert ru[0] < released  # another model is not held up by this one
    with get_client(sync_client=True) as client:
        limit = client.read_global_concurrency_limit_by_name(model_slot_name("argos", "en-ky"))
    assert limit.limit == 1 and limit.active_slots == 0


_KILLED_MID_RUN = """
import sys, time
from tilmech import services
from tilmech.flows import run_here
from tilmech.flows.translate import translate_articles

def engine_at_work(*args, **kwargs):
    print("translating", flush=True)
    time.sleep(600)

services.translate_language = engine_at_work
with run_here():
    translate_articles(project=sys.argv[1], languages=["ru"])
"""


@pytest.mark.slow
@pytest.mark.usefixtures("installed_models")
def test_a_run_killed_while_it_translates_does_not_hold_up_the_next(project: Path, tmp_path: Path) -> None:
    """Without a Prefect server: `tilmech translate` killed (kill -9) while its engine works, then
    run again, translates; nothing the dead run held is waited for."""
    import threading

    # the temporary API's database, kept from one run to the next (made by the first: give it time)
    env = dict(os.environ, PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="240")
    env.pop("PREFECT_API_URL", None)
    killed = subprocess.Popen([sys.executable, "-c", _KILLED_MID_RUN, str(project)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)

    def kill() -> None:  # the run and its temporary API server (which would outlive it)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(killed.pid, signal.SIGKILL)

    timer = threading.Timer(300, kill)  # never wait for ever
    timer.start()
    assert killed.stdout is not None and killed.stderr is not None
    started = killed.stdout.readline().strip()
    kill()
    timer.cancel()
    assert started == "translating", killed.stderr.read()
    killed.wait(30)
    again = subprocess.run([sys.executable, "-m", "tilmech.cli", "--project", str(project), "translate",
                            "--lang", "ru"], env=env, capture_output=True, text=True, timeout=240)
    assert again.returncode == 0, again.stderr
    assert "ru" not in services.pending_work(load_runtime(project))


def start_prefect_server(tmp_path: Path, database: str | None = None):  # type: ignore[no-untyped-def]
    """A real `prefect server start` on loopback, with its scheduler (the test harness has none)."""
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, PREFECT_HOME=str(tmp_path / "prefect-server"), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT_API_URL=f"http://127.0.0.1:{port}/api", PREFECT_LOGGING_LEVEL="WARNING")
    if database:
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = database
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                               "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail("the Prefect server did not start: " + (tmp_path / "server.log").read_text())
    return server, env, log


def stop(process: subprocess.Popen) -> None:  # type: ignore[type-arg]
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def prefect_server_process(tmp_path: Path):  # type: ignore[no-untyped-def]
    server, env, log = start_prefect_server(tmp_path)
    yield env
    stop(server)
    log.close()


@pytest.mark.slow
def test_a_scheduled_sync_picks_up_a_new_article(pseudo_project: Path, tmp_path: Path,
                                                 prefect_server_process: dict[str, str]) -> None:
    env = prefect_server_process
    log = (tmp_path / "schedule.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "tilmech.cli", "--project", str(pseudo_project), "schedule",
                             "--interval", "5"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        time.sleep(8)  # the first runs translate what is there
        (pseudo_project / "content" / "en" / "knu-workshop.md").write_text(NEW_ARTICLE, encoding="utf-8")
        added = time.monotonic()
        rt = load_runtime(pseudo_project)
        while time.monotonic() - added < 180:
            items = [i for i in services.review_list(rt) if i.article == "knu-workshop"] \
                if "knu-workshop" in {a for a in _articles(rt)} else []
            if len(items) == 3 * 3:  # title and two sentences, in three languages
                break
            time.sleep(1)
        else:
            pytest.fail("the new article was not translated: " + (tmp_path / "schedule.log").read_text())
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _articles(rt) -> set[str]:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from tilmech.store import ArticleRow

    with rt.store.session() as s:
        return set(s.scalars(select(ArticleRow.slug)))


KILLER_FREE_TRANSLATE = """
import sys
from tilmech import services
from tilmech.runtime import load_runtime
rt = load_runtime(sys.argv[1])
services.ingest(rt)
print(services.translate_language(rt, "ru").new)
"""


def test_two_processes_translating_at_once_translate_each_segment_once(pseudo_project: Path) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", KILLER_FREE_TRANSLATE, str(pseudo_project)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    rt = load_runtime(pseudo_project)
    items = services.review_list(rt, "ru")
    assert len(items) == len({i.segment_id for i in items})  # no segment twice
    assert sum(int(out.strip()) for out, _ in outputs) == len(items)  # and none lost


def test_an_engine_failure_names_the_article_and_segment(pseudo_project: Path) -> None:
    from tilmech.errors import TilmechError
    from tilmech.mt.pseudo import PseudoEngine

    class Breaks(PseudoEngine):
        def translate(self, texts, source, target, advance=None):  # type: ignore[no-untyped-def]
            if any("1932" in t for t in texts):
                raise RuntimeError("CUDA out of memory")
            return super().translate(texts, source, target, advance)

    rt = load_runtime(pseudo_project)
    rt._engines["pseudo"] = Breaks()
    services.ingest(rt)
    with pytest.raises(TilmechError) as info:
        services.translate_language(rt, "ky")
    assert services.review_list(rt, "ky") == []  # nothing half-written
    segment = next(s for d in services.load_documents(rt) for s in d.segments if "1932" in s.text)
    assert str(info.value) == (f"pseudo failed on segment {segment.id} of {segment.article} (ky): "
                               "CUDA out of memory")


@pytest.mark.usefixtures("prefect_server")
def test_a_publish_run_publishes_the_release_summary(pseudo_project: Path, tmp_path: Path) -> None:
    from tilmech.flows.publish import publish_release

    rt = load_runtime(pseudo_project)
    services.ingest(rt)
    services.translate_language(rt, "ru")
    approve_article(rt, "ru", "smart-classroom-kyrgyzstan")
    release = services.release_create(rt)
    services.release_approve(rt, release.id)
    report = publish_release(project=str(pseudo_project), release=release.id, to=str(tmp_path / "site"))
    summary = _artifact("release-manifest")
    assert summary is not None and f"# Release {report.release} published" in summary.data
    assert "| ru | 1 |" in summary.data and "| ky | 0 |" not in summary.data


@pytest.mark.slow
def test_two_workers_run_syncs_from_deployments_and_translate_each_segment_once(
        pseudo_project: Path, tmp_path: Path, postgres: str, postgres_url: str) -> None:
    """Prefect server (on PostgreSQL), a work pool, the deployments of prefect.yaml, two workers."""
    import psycopg

    from conftest import ROOT
    from tilmech.store import lock_key

    settings = pseudo_project / "tilmech.yaml"
    text = settings.read_text(encoding="utf-8").replace("sqlite:///tilmech.db", postgres_url)
    settings.write_text(re.sub(r"(?m)^store_timeout: \d+", "store_timeout: 2", text), encoding="utf-8")
    assert "store_timeout: 2" in settings.read_text(encoding="utf-8")
    seed = (pseudo_project / "content" / "en" / "smart-classroom-kyrgyzstan.md").read_text(encoding="utf-8")
    for n in range(3):  # more articles: more runs to share
        (pseudo_project / "content" / "en" / f"copy-{n}.md").write_text(
            seed.replace("title: Establishment", f"title: Copy {n} of the Establishment"), encoding="utf-8")
    with psycopg.connect(f"{postgres.replace('+psycopg', '')}/postgres", autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS prefect_workers")
        conn.execute("CREATE DATABASE prefect_workers")
    server, env, log = start_prefect_server(
        tmp_path, postgres.replace("+psycopg", "+asyncpg") + "/prefect_workers")
    env = dict(env, TILMECH_PROJECT=str(ROOT))
    workers = []
    blocker = psycopg.connect(postgres_url.replace("+psycopg", ""))
    try:
        deployed = subprocess.run([sys.executable, "-m", "tilmech.cli", "--project", str(ROOT), "deploy"], env=env,
                                  capture_output=True, text=True, timeout=180)
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        assert "deployed sync-articles/sync" in deployed.stdout
        for i in range(2):
            worker_log = (tmp_path / f"worker-{i}.log").open("w")
            workers.append(subprocess.Popen([sys.executable, "-m", "tilmech.cli", "--project", str(ROOT), "worker",
                                             "--limit", "3"], env=dict(env, PREFECT_LOGGING_LEVEL="INFO"),
                                            stdout=worker_log, stderr=subprocess.STDOUT))
        # a long transaction of someone else holds the Kyrgyz translations: those tasks fail, and are retried
        blocker.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key("translations-ky"),))
        # two syncs at once, over the same new content: whichever worker takes which, no work is done twice
        runs = [subprocess.Popen([sys.executable, "-m", "prefect", "deployment", "run", "sync-articles/sync",
                                  "--param", f"project={pseudo_project}", "--param", "batch_size=2", "--watch"],
                                 env=env, cwd=ROOT,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
        deadline = time.monotonic() + 240
        while not any("Retry 1/2 will start" in (tmp_path / f"worker-{i}.log").read_text() for i in range(2)):
            assert time.monotonic() < deadline, "no task failed on the busy store and was retried"
            time.sleep(0.5)
        blocker.commit()  # the store is free again: the retries finish the work
        outputs = [r.communicate(timeout=900)[0] for r in runs]
        assert all("Flow run finished successfully in 'Completed'" in out for out in outputs), outputs
        assert all("prefect.artifact.created" in out for out in outputs)  # each run's summary
        time.sleep(3)  # the workers write their last lines
        took = [(tmp_path / f"worker-{i}.log").read_text().count("Task run 'translate ") for i in range(2)]
        assert all(took), f"each worker runs translate runs of the syncs: {took}"
    finally:
        blocker.close()
        for w in workers:
            stop(w)
        stop(server)
        log.close()
    rt = load_runtime(pseudo_project)
    items = services.review_list(rt)
    segments = {i.segment_id for i in items}
    assert len(items) == 3 * len(segments)  # every segment in every language, once
    histories = [services.review_show(rt, sid).history for sid in list(segments)[:5]]
    assert all(len(h[lang]) == 1 for h in histories for lang in h)  # translated exactly once


def test_flows_run_here_send_heartbeats_only_to_a_server_that_outlives_the_run(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings
    from tilmech.flows import run_here

    for name in ("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", "PREFECT_RUNNER_HEARTBEAT_FREQUENCY"):
        monkeypatch.delenv(name, raising=False)
    default = get_current_settings().flows.heartbeat_frequency
    assert default is not None  # Prefect's own default: on
    # no server: Prefect's temporary one ends with the process, nothing to tell a crash by heartbeats
    with temporary_settings(updates={PREFECT_API_URL: None}), run_here():
        assert get_current_settings().flows.heartbeat_frequency is None
    assert get_current_settings().flows.heartbeat_frequency == default
    # a server (or a worker's run): heartbeats as configured
    with temporary_settings(updates={PREFECT_API_URL: "http://prefect-host:4200/api"}), run_here():
        assert get_current_settings().flows.heartbeat_frequency == default
    # the user's own choice is kept
    monkeypatch.setenv("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", "60")
    with temporary_settings(updates={PREFECT_API_URL: None}), run_here():
        assert get_current_settings().flows.heartbeat_frequency is not None


def test_drafts_from_memory_are_kept_when_the_engine_fails(pseudo_project: Path) -> None:
    """What needs no engine is stored with the engine's first step, or before its error is raised."""
    import shutil

    from tilmech.errors import TilmechError
    from tilmech.mt.pseudo import PseudoEngine

    class Breaks(PseudoEngine):
        def translate(self, texts, source, target, advance=None):  # type: ignore[no-untyped-def]
            raise RuntimeError("CUDA out of memory")

    rt = load_runtime(pseudo_project)
    services.ingest(rt)
    services.translate_language(rt, "ky", ["smart-classroom-kyrgyzstan"])
    content = pseudo_project / "content" / "en"
    shutil.copy(content / "smart-classroom-kyrgyzstan.md", content / "seed-copy.md")
    path = content / "seed-copy.md"
    path.write_text(path.read_text(encoding="utf-8").replace("title: ", "title: A copy of the ", 1), encoding="utf-8")
    ingested = services.ingest(rt, ["seed-copy"])
    rt._engines["pseudo"] = Breaks()
    with pytest.raises(TilmechError, match="CUDA out of memory"):
        services.translate_language(rt, "ky", ["seed-copy"])
    kept = services.review_list(rt, "ky", article="seed-copy")
    assert len(kept) == ingested.segments - 1 > 0  # all but the changed title, from memory
    assert {item.origin for item in kept} == {"memory"}


def _processes() -> dict[int, tuple[int, int, str]]:
    """pid -> (parent pid, start time, command line) of every running process (zombies left out)."""
    found = {}
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text(errors="replace")
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError):
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if entry.name.isdigit() and fields[0] not in ("Z", "X"):
            found[int(entry.name)] = (int(fields[1]), int(fields[19]), command)
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="Linux: processes are read from /proc")
def test_a_killed_translate_leaves_no_process_of_its_own_running(pseudo_project: Path, tmp_path: Path) -> None:
    """`tilmech translate` killed (kill -9, the process alone) while its engine works: 5 s later none
    of the processes it started (Prefect's temporary API server among them) is still running."""
    runner = Path(__file__).resolve().parent / "reliability" / "crash_runner.py"
    log = tmp_path / "engine.jsonl"
    env = dict(os.environ, PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="240")
    env.pop("PREFECT_API_URL", None)
    run = subprocess.Popen([sys.executable, str(runner), str(log), "30", "--", "--project", str(pseudo_project),
                            "translate", "--lang", "ru"], env=env, stdout=subprocess.DEVNULL,
                           stderr=(tmp_path / "stderr").open("w"), start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while not (log.exists() and log.stat().st_size) and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)  # until the engine works on its first texts
        assert log.exists() and log.stat().st_size, (tmp_path / "stderr").read_text()
        time.sleep(1)  # the watchdog has looked at least once since
        processes = _processes()
        children = {pid: (started, command) for pid, (parent, started, command) in processes.items()
                    if parent == run.pid}
        assert any("prefect.server.api.server:create_app" in command for _, command in children.values()), children

        os.kill(run.pid, signal.SIGKILL)
        run.wait(30)
        time.sleep(5)
        processes = _processes()
        alive = {pid: command for pid, (started, command) in children.items()
                 if pid in processes and processes[pid][1] == started}
        assert alive == {}
    finally:
        with contextlib.suppress(ProcessLookupError):  # whatever is left of it (the run's own process group)
            os.killpg(run.pid, signal.SIGKILL)
        run.wait()
