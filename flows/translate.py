"""translate-articles: ingest → segment → glossary → MT per language → QA → review queue.

One task per language, so languages run concurrently and fail independently.
Idempotency lives in the store: a segment that has a translation is never
translated again, and the translation memory answers repeated sentences.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from sqlalchemy.exc import OperationalError

from tilmech import services
from tilmech.errors import TilmechError, TranslationFailed
from tilmech.runtime import load_runtime


def _transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry only what may pass on its own: a busy or briefly unreachable database."""
    try:
        state.result()
    except OperationalError:
        return True
    except Exception:
        return False
    return False


@task(name="ingest-articles", cache_policy=NO_CACHE)
def ingest_articles(project: str, articles: list[str] | None = None) -> services.IngestReport:
    rt = load_runtime(project)
    try:
        return services.ingest(rt, articles)
    finally:
        rt.close()


@task(name="translate-language", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10],
      retry_condition_fn=_transient, task_run_name="translate {lang}")
def translate_language(project: str, lang: str, articles: list[str] | None = None,
                       user: str | None = None) -> services.TranslateReport:
    rt = load_runtime(project, user)
    try:
        return services.translate_language(rt, lang, articles)
    finally:
        rt.close()


def _run_name() -> str:
    from prefect.runtime import flow_run

    params = flow_run.parameters
    langs = params.get("languages") or []
    articles = params.get("articles") or []
    what = " ".join(langs) if langs else "all languages"
    scope = f"{len(articles)} articles" if articles else "all articles"
    return f"translate {what} · {scope}"


@flow(name="translate-articles", flow_run_name=_run_name, log_prints=False)
def translate_articles(project: str = ".", languages: list[str] | None = None, articles: list[str] | None = None,
                       user: str | None = None) -> list[services.TranslateReport]:
    rt = load_runtime(project, user)
    try:
        codes = [lang.code for lang in rt.settings.resolve_languages(languages)]
    finally:
        rt.close()
    ingest_articles(project, articles)
    futures = {code: translate_language.submit(project, code, articles, user) for code in codes}
    reports: list[services.TranslateReport] = []
    failures: dict[str, TilmechError] = {}
    for code, future in futures.items():
        try:
            reports.append(future.result())
        except TilmechError as exc:
            failures[code] = exc
    if failures:
        raise TranslationFailed(failures)
    return reports
