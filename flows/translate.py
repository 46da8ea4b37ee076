"""translate-articles and sync-articles: ingest → segment → glossary → MT → QA → review queue.

One task per (batch of articles, language): languages and batches run concurrently
and fail independently. Idempotency lives in the store: a segment that has a
translation is never translated again, so a retried task or flow redoes no finished
work. Each run publishes a Prefect artifact (article × language: new, from memory,
flagged) and a summary with links to the workbench.

With a Prefect server, a task that uses a model holds a slot of a Prefect global concurrency
limit (limit 1) named after the model and the machine, so two flow runs on one worker
machine never load the same model at once; the limits show in the Prefect UI under
Concurrency, and the server takes back the slot of a worker that died (its lease expires).
Without one, the engines' machine-wide file lock does that job.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.tasks import exponential_backoff
from sqlalchemy.exc import IntegrityError, OperationalError
from tilmech.flows import reports_to_a_server

from tilmech import progress, services
from tilmech.errors import EnvironmentNotReady, ModelMissing, TilmechError, TranslationFailed
from tilmech.runtime import load_runtime

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun
    from prefect.futures import PrefectFuture
    from prefect.task_runners import TaskRunner


class _KnownTimeoutBehaviour(logging.Filter):
    """Prefect warns on every task with a timeout that runs in a worker thread that the timeout waits
    for blocking calls to return; for these tasks that is one engine batch, as documented."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "but the task is running in a worker thread" not in record.getMessage()


logging.getLogger("prefect.task_runs").addFilter(_KnownTimeoutBehaviour())


def _transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry what may pass on its own: a busy or unreachable database, an engine that failed to load,
    a task that ran past its timeout (the retry keeps what the first attempt stored)."""
    try:
        state.result()
    except TimeoutError:
        return True
    except IntegrityError:
        return True  # another run stored the same work first: the retry keeps theirs
    except (OperationalError, EnvironmentNotReady) as exc:
        return not isinstance(exc, ModelMissing)
    except Exception:
        return False
    return False


@task(name="ingest-articles", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=exponential_backoff(2),
      retry_condition_fn=_transient)
def ingest_articles(project: str, articles: list[str] | None = None) -> services.IngestReport:
    rt = load_runtime(project)
    try:
        return services.ingest(rt, articles)
    finally:
        rt.close()


@task(name="plan-work", cache_policy=NO_CACHE)
def plan_work(project: str, articles: list[str] | None = None,
              languages: list[str] | None = None) -> dict[str, dict[str, float]]:
    """Per language, the articles with a segment left to translate (the only ones a run gives a
    task), each with the share of its segments left."""
    rt = load_runtime(project)
    try:
        return services.pending_work(rt, articles, languages)
    finally:
        rt.close()


def model_slot_name(engine: str, pair: str) -> str:
    """The name of the global concurrency limit of one model on this machine."""
    host = re.sub(r"[^A-Za-z0-9_.-]+", "-", socket.gethostname())
    return f"tilmech-model-{engine}-{pair}-{host}"


_SLOT_CREATION = threading.Lock()  # tasks of one process create a limit one at a time


@dataclass
class _HeldSlot:
    """A slot this process holds, and how many of its tasks are using the model."""

    stack: ExitStack
    users: int = 0


_HELD: dict[str, _HeldSlot] = {}
_HELD_LOCKS: dict[str, threading.Lock] = {}


@contextmanager
def model_slot(engine: str, pair: str) -> Iterator[None]:
    """Use the model ``engine``/``pair`` while this process holds the one slot of this machine's
    limit for it (created on first use).

    The tasks of one process share the slot (and the model they loaded once): the first
    takes it, the last to finish gives it back; meanwhile one task's parsing and store
    writes overlap another's engine work, with no wait in between. Another process (a
    second flow, a second worker) waits until this one is done with the model.
    """
    from prefect.concurrency.sync import concurrency

    name = model_slot_name(engine, pair)
    _ensure_limit(name)
    with _SLOT_CREATION:
        lock = _HELD_LOCKS.setdefault(name, threading.Lock())
    with lock:  # this process's tasks wait here, not on the server, while the first one takes the slot
        held = _HELD.get(name)
        if held is None:
            stack = ExitStack()
            stack.enter_context(concurrency(name, occupy=1, strict=True, raise_on_lease_renewal_failure=False))
            held = _HELD[name] = _HeldSlot(stack)
        held.users += 1
    try:
        yield
    finally:
        with lock:
            held.users -= 1
            if held.users == 0:
                del _HELD[name]
                held.stack.close()


def _ensure_limit(name: str) -> None:
    """Create the global concurrency limit ``name`` (limit 1) unless it exists."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    with _SLOT_CREATION, get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            try:
                client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))
            except ObjectAlreadyExists:  # another process created it first
                pass
            except Exception:
                # A server on SQLite answers a simultaneous creation by another process with an
                # error instead of a conflict: the limit exists if it can be read now.
                client.read_global_concurrency_limit_by_name(name)


def local_models(rt: Any, lang: str) -> list[str]:
    """The engines of ``lang``'s chain that load a model on this machine (argos, ct2)."""
    defs = rt.settings.engine_defs
    return [name for name in rt.settings.engine_chain(lang)
            if (defs[name].type if name in defs else name) in ("argos", "ct2")]


@task(name="translate-batch", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=exponential_backoff(5),
      retry_jitter_factor=0.5, retry_condition_fn=_transient,
      task_run_name="translate {lang} · {label}")
def translate_batch(project: str, lang: str, articles: list[str] | None, label: str,
                    user: str | None = None, redraft_unapproved: bool = False) -> services.TranslateReport:
    rt = load_runtime(project, user)
    # the task's articles in one chunk (a task holds at most MAX_ARTICLES_PER_TASK): sentences
    # edited across 200 articles meet in one engine call, not two
    chunk = MAX_ARTICLES_PER_TASK if articles else services.CHUNK_ARTICLES
    try:
        models = local_models(rt, lang)
        if not models or not reports_to_a_server():
            # nothing loaded on this machine, or no server: the engines' machine-wide file lock
            # keeps processes apart, and the OS lets go of it when a process dies (a slot taken
            # in the temporary API's database would outlive a killed run and hold up every later one)
            return services.translate_language(rt, lang, articles, redraft_unapproved=redraft_unapproved,
                                               chunk=chunk)
        with model_slot("+".join(models), f"{rt.settings.source_language}-{lang}"):
            return services.translate_language(rt, lang, articles, redraft_unapproved=redraft_unapproved,
                                               chunk=chunk)
    finally:
        rt.close()


def share_cores(processes: int) -> None:
    """In each of ``processes`` processes: its share of this machine's cores for the engine."""
    from tilmech.mt.ctranslate import cpu_count

    os.environ["TILMECH_CORES"] = str(max(1, cpu_count() // processes))


def _label(articles: list[str] | None) -> str:
    if articles is None:
        return "all articles"
    return f"{len(articles)} article" + ("" if len(articles) == 1 else "s")


# Articles one task may take at most, however little of each is left to translate: bounds the
# articles a task reads and segments, and the memory they take.
MAX_ARTICLES_PER_TASK = 200

Work = Mapping[str, float] | Sequence[str]  # articles, with the share of each left to translate (else 1)


def _batches(articles: Work, size: int) -> list[list[str]]:
    """Tasks of ``size`` articles' worth of text to translate each (at most MAX_ARTICLES_PER_TASK
    articles): 20 new articles make a task, and so do 200 with one sentence in ten edited. Few
    large engine calls instead of many small ones: a call of 20 sentences runs at half the rate
    of one of 100 or more."""
    shares = articles if isinstance(articles, Mapping) else dict.fromkeys(articles, 1.0)
    batches: list[list[str]] = []
    batch: list[str] = []
    worth = 0.0
    for slug, share in shares.items():
        batch.append(slug)
        worth += share
        if worth >= size - 1e-9 or len(batch) >= max(size, MAX_ARTICLES_PER_TASK):
            batches.append(batch)
            batch, worth = [], 0.0
    return [*batches, batch] if batch else batches


def _run_name() -> str:
    from prefect.runtime import flow_run

    params = flow_run.parameters
    langs = params.get("languages") or []
    what = " ".join(langs) if langs else "ru ky zh"
    return f"translate {what} · {_label(params.get('articles'))}"


def run_batches(project: str, work: Mapping[str, Work | None], batch_size: int,
                user: str | None, task_timeout: float | None = None,
                redraft_unapproved: bool = False, settled: Sequence[services.TranslateReport] = (),
                processes: int = 1) -> list[services.TranslateReport]:
    """Submit one task per (batch, language), wait for all, report, and fail with every failure named.

    ``task_timeout``: seconds a task may run; one that runs longer stops when the engine returns
    from its current batch, and is retried (what it stored is kept). ``settled``: reports of
    articles with nothing to do, added to the summary. ``processes`` (2 or more): the
    languages run in that many processes, one task per language, instead of one task per
    (batch, language) in threads of this process.
    """
    rt = load_runtime(project)
    try:
        source = rt.settings.source.code
        for lang, articles in work.items():  # one progress bar per language, advanced by its batches
            progress.plan(f"{source}→{lang}", len(articles) if articles else services.count_documents(rt))
    finally:
        rt.close()
    # batch by batch, each batch's languages in turn: they read the same articles while those are
    # still remembered (services segments an article once for all languages)
    plan = [(lang, batch) for lang, articles in work.items()
            for batch in (_batches(articles, batch_size) if articles else [None])]
    plan.sort(key=lambda item: (item[1] or [""])[0])
    translate = translate_batch.with_options(timeout_seconds=task_timeout) if task_timeout else translate_batch
    reports: list[services.TranslateReport] = []
    failures: dict[str, TilmechError] = {}

    def collect(futures: list[tuple[str, list[str] | None, Any]]) -> None:
        for lang, batch, future in futures:
            try:
                reports.append(future.result())
            except TilmechError as exc:
                failures[f"{lang} ({', '.join(batch) if batch else 'all articles'})"] = exc

    if processes > 1 and len(work) > 1:
        # one task per language, each in a process of its own with its share of the cores:
        # every process loads one model and no Python work of one language waits on another's
        from prefect.task_runners import ProcessPoolTaskRunner

        per_lang = {lang: list(articles) if articles else None for lang, articles in work.items()}
        with ProcessPoolTaskRunner(max_workers=min(processes, len(work)), initializer=share_cores,
                                   initargs=(min(processes, len(work)),)) as runner:
            collect([(lang, slugs, runner.submit(translate, {
                "project": project, "lang": lang, "articles": slugs, "label": _label(slugs), "user": user,
                "redraft_unapproved": redraft_unapproved})) for lang, slugs in per_lang.items()])
    else:
        collect([(lang, batch, translate.submit(project, lang, batch, _label(batch), user, redraft_unapproved))
                 for lang, batch in plan])
    reports += settled
    publish_summary(project, reports)
    if failures:
        raise TranslationFailed(failures)
    return reports


def publish_summary(project: str, reports: list[services.TranslateReport]) -> None:
    """The run's artifacts: the segments per article and language, the review links, the QA summary.

    A run that translated nothing publishes its summary alone: the tables and the QA summary of
    the last run that did stay the newest under their keys.
    """
    rt = load_runtime(project)
    try:
        base = rt.settings.workbench_url.rstrip("/")
        rows = [{"article": c.article, "language": r.lang, "new": c.new, "from memory": c.from_memory,
                 "flagged": c.flagged} for r in reports for c in r.by_article]
        lines = ["# Translation run", "", "| language | new | from memory | unchanged | flagged |",
                 "|---|---|---|---|---|"]
        lines += [f"| {r.lang} | {r.new} | {r.from_memory} | {r.unchanged} | {r.flagged} |" for r in reports]
        if not rows:
            lines += ["", "Nothing new to translate."]
            create_markdown_artifact(key="translate-review-links", markdown="\n".join(lines))
            return
        create_table_artifact(key="translate-summary", table=rows,
                              description="Segments per article and language: new, reused from memory, "
                                          "flagged by QA")
        lines += ["", "Review in the workbench:"]
        lines += sorted({f"- [{c.article} · {r.lang}]({base}/edit/{c.article}/{r.lang})" for r in reports
                         for c in r.by_article})
        create_markdown_artifact(key="translate-review-links", markdown="\n".join(lines))
        publish_qa_summary(rt, reports)
        get_run_logger().info("translated: %s", ", ".join(f"{r.lang} {r.new} new" for r in reports))
    finally:
        rt.close()


def publish_qa_summary(rt: Any, reports: list[services.TranslateReport]) -> None:
    """The QA summary of the run's articles (as `tilmech qa report` shows it): a table and a report."""
    articles = sorted({c.article for r in reports for c in r.by_article})
    langs = {r.lang for r in reports}
    report = services.qa_report(rt, articles=articles)
    rows = [{"check": code, "findings": count} for code, count in report.by_check.items()]
    create_table_artifact(key="qa-summary", table=rows or [{"check": "-", "findings": 0}],
                          description=f"QA findings per check: {report.flagged} of {report.segments} segments "
                                      "flagged (tilmech qa report)")
    lines = ["# QA", "", f"{report.flagged} of {report.segments} segments flagged.", "",
             "| language | segments | flagged | critical | functional | cosmetic |", "|---|---|---|---|---|---|"]
    lines += [f"| {lang} | {c['segments']} | {c['flagged']} | {c['critical']} | {c['functional']} | {c['cosmetic']} |"
              for lang, c in report.by_lang.items() if lang in langs]
    lines += ["", "| article | segments | flagged | critical | functional | cosmetic |", "|---|---|---|---|---|---|"]
    lines += [f"| {a} | {c['segments']} | {c['flagged']} | {c['critical']} | {c['functional']} | {c['cosmetic']} |"
              for a, c in report.by_article.items()]
    lines += ["", "Worst segments:", "", "| segment | language | risk | findings |", "|---|---|---|---|"]
    lines += [f"| {i.segment_id} | {i.lang} | {i.risk if i.risk is not None else '-'} | "
              f"{', '.join(dict.fromkeys(f.code for f in i.findings)) or '-'} |" for i in report.worst]
    create_markdown_artifact(key="qa-report", markdown="\n".join(lines))


# Tasks running at once: enough to overlap a batch's parsing and store writes with another's
# engine work; bounded, so 10 000 articles are never all in memory at once.
MAX_PARALLEL_TASKS = 4


def _threads() -> TaskRunner[PrefectFuture[Any]]:
    """A flow's task runner: MAX_PARALLEL_TASKS threads. (The flow decorator is typed for a runner
    of any Prefect futures; a thread pool's are one kind of them.)"""
    return cast("TaskRunner[PrefectFuture[Any]]", ThreadPoolTaskRunner(max_workers=MAX_PARALLEL_TASKS))


@flow(name="translate-articles", flow_run_name=_run_name, log_prints=False,
      task_runner=_threads())
def translate_articles(project: str = ".", languages: list[str] | None = None, articles: list[str] | None = None,
                       user: str | None = None, batch_size: int = 20,
                       task_timeout: float | None = 3600,
                       redraft_unapproved: bool = False, processes: int = 1) -> list[services.TranslateReport]:
    """Translate the given articles (all by default) into the given languages (all by default).

    ``task_timeout``: seconds one (batch, language) task may run before it is stopped and retried.
    With ``redraft_unapproved``, unapproved drafts whose model changed are drafted again.
    ``processes``: 2 or more runs the languages in separate processes (one task per language).
    """
    rt = load_runtime(project, user)
    try:
        codes = [lang.code for lang in rt.settings.resolve_languages(languages)]
    finally:
        rt.close()
    report = ingest_articles(project, articles)
    slugs = list(articles) if articles else list(report.articles)
    if redraft_unapproved:  # every article may hold a draft of an older model
        return run_batches(project, {code: slugs for code in codes}, batch_size, user, task_timeout, True,
                           processes=processes)
    # only articles with something left to translate get a task: a re-run over unchanged content
    # starts none, and edited sentences spread over many articles meet in as few engine calls as can be
    work = plan_work(project, slugs, codes)
    rt = load_runtime(project, user)
    try:
        settled = services.settled_reports(rt, slugs, work, codes)
    finally:
        rt.close()
    if not work:
        get_run_logger().info("nothing new to translate")
        publish_summary(project, settled)
        return settled
    return run_batches(project, work, batch_size, user, task_timeout, settled=settled, processes=processes)


@flow(name="sync-articles", flow_run_name="sync new and changed articles", log_prints=False,
      task_runner=_threads())
def sync_articles(project: str = ".", user: str | None = None, batch_size: int = 20,
                  distribute: bool = False, task_timeout: float | None = 3600) -> list[services.TranslateReport]:
    """Pick up new and changed English articles and translate only what has no translation yet.

    With ``distribute`` (as deployed), each (batch, language) becomes a run of the
    ``translate-articles/translate`` deployment, so the workers of the pool share the work.
    """
    ingest_articles(project)
    work = plan_work(project)
    if not work:
        get_run_logger().info("nothing new to translate")
        publish_summary(project, [])
        return []
    if distribute:
        return distribute_batches(project, work, batch_size, user, task_timeout)
    return run_batches(project, work, batch_size, user, task_timeout)


def distribute_batches(project: str, work: Mapping[str, Work], batch_size: int,
                       user: str | None, task_timeout: float | None = None) -> list[services.TranslateReport]:
    """One translate-articles deployment run per (batch, language), for any worker; wait for them all."""
    import time

    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment

    # called from a flow's thread, run_deployment runs synchronously and returns the FlowRun
    runs = [cast("FlowRun", run_deployment("translate-articles/translate", timeout=0, as_subflow=True,
                                           parameters={"project": project, "languages": [lang], "articles": batch,
                                                       "user": user, "batch_size": batch_size,
                                                       "task_timeout": task_timeout}))
            for lang, articles in work.items() for batch in _batches(articles, batch_size)]
    logger = get_run_logger()
    logger.info("submitted %d translate runs", len(runs))
    with get_client(sync_client=True) as client:
        pending = {run.id for run in runs}
        failed = []
        while pending:
            time.sleep(2)
            for run_id in list(pending):
                state = client.read_flow_run(run_id).state
                if state is not None and state.is_final():
                    pending.discard(run_id)
                    if not state.is_completed():
                        failed.append(f"{run_id}: {state.name}")
    lines = ["# Sync", "", f"{len(runs)} translate runs, shared among the pool's workers:", ""]
    lines += [f"- {lang}: {len(_batches(articles, batch_size))} runs for {len(articles)} articles"
              for lang, articles in work.items()]
    create_markdown_artifact(key="sync-summary", markdown="\n".join(lines))
    if failed:
        raise TranslationFailed({f"run {f.split(':')[0]}": TilmechError(f) for f in failed})
    return []  # each translate run publishes its own summary
