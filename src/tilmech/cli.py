"""The ``tilmech`` command. Errors are rendered here, once: one line, no traceback, an exit code.

Exit codes: 0 ok, 1 the work failed, 2 usage or configuration, 3 environment not
ready (a model, the database).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from .errors import TilmechError

F = TypeVar("F", bound=Callable[..., Any])


class Context:
    def __init__(self, project: Path | None, user: str | None, verbose: bool) -> None:
        self.project = project
        self.user = user
        self.verbose = verbose
        self._runtime: Any = None

    @property
    def runtime(self) -> Any:
        if self._runtime is None:
            from .runtime import load_runtime

            self._runtime = load_runtime(self.project, self.user)
        return self._runtime

    @property
    def project_dir(self) -> str:
        return str(self.runtime.settings.root)


pass_ctx = click.make_pass_decorator(Context)


def _err(message: str) -> None:
    click.echo(message, err=True)


def _prepare_prefect(verbose: bool) -> None:
    """Quiet, offline-friendly Prefect defaults; the user's own settings win."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if verbose else "CRITICAL")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING" if verbose else "CRITICAL")
    # the temporary API server Prefect starts on its own can take a while on a small machine
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Project folder (holding tilmech.yaml). Default: the current folder or the nearest parent.")
@click.option("--user", default=None, help="Who is acting, for the history. Default: $TILMECH_USER or the login name.")
@click.option("-v", "--verbose", is_flag=True, help="Show Prefect's logs.")
@click.version_option(package_name="tilmech")
@click.pass_context
def cli(ctx: click.Context, project: Path | None, user: str | None, verbose: bool) -> None:
    """Tilmech: English articles to reviewed Russian, Kyrgyz and Chinese editions."""
    ctx.obj = Context(project, user, verbose)


# -- translate ------------------------------------------------------------------------------------


@cli.command()
@click.option("--lang", "languages", multiple=True, metavar="L", help="Target language (repeatable). Default: all.")
@click.option("--article", "articles", multiple=True, metavar="SLUG", help="Article (repeatable). Default: all.")
@click.option("--redraft-unapproved", is_flag=True,
              help="Draft again the unapproved, unedited segments whose model changed since (never approved ones).")
@click.option("--processes", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Run the languages in this many processes, sharing the cores (see README: when it helps).")
@pass_ctx
def translate(ctx: Context, languages: tuple[str, ...], articles: tuple[str, ...], redraft_unapproved: bool,
              processes: int) -> None:
    """Translate new and changed text of content/en/ into the review queue (flow translate-articles)."""
    from . import progress
    from .services import check_documents, merge_reports

    rt = ctx.runtime
    # validate everything before starting Prefect: languages, articles (one at a time), glossary
    rt.settings.resolve_languages(languages)
    check_documents(rt, articles)
    _ = rt.glossary
    _prepare_prefect(ctx.verbose)
    from .flows import run_here
    from .flows.translate import translate_articles

    with progress.showing(), run_here():
        reports = translate_articles(project=ctx.project_dir, languages=list(languages) or None,
                                     articles=list(articles) or None, user=rt.user,
                                     redraft_unapproved=redraft_unapproved, processes=processes)
    from rich.console import Console
    from rich.table import Table

    table = Table(title="translate")
    for column in ("lang", "engine", "articles", "segments", "new", "memory", "unchanged", "flagged"):
        table.add_column(column, justify="left" if column in ("lang", "engine") else "right")
    for r in merge_reports(reports):
        table.add_row(r.lang, r.engine, str(r.articles), str(r.segments), str(r.new), str(r.from_memory),
                      str(r.unchanged), str(r.flagged))
    Console().print(table)
    for r in reports:
        if r.redrafted:
            click.echo(f"{r.lang}: {r.redrafted} unapproved drafts made again with the current model")
        for note in r.notes:
            _err(f"{r.lang}: {note}")


@cli.command()
@click.option("--lang", required=True, metavar="L", help="Target language.")
@click.option("--engines", "engine_list", required=True, metavar="A,B",
              help="Engines to compare, comma-separated: argos, pseudo or names from engine_defs.")
@click.option("--article", default=None, metavar="SLUG", help="Take the sample from this article. Default: all.")
@click.option("--sample", type=int, default=20, show_default=True, help="Segments to translate.")
@pass_ctx
def compare(ctx: Context, lang: str, engine_list: str, article: str | None, sample: int) -> None:
    """Translate a sample with each engine (nothing is stored) and show QA findings and scores side by side."""
    from rich.console import Console
    from rich.table import Table

    from .services import compare_engines

    names = [n.strip() for n in engine_list.split(",") if n.strip()]
    result = compare_engines(ctx.runtime, lang, names, article, sample)
    table = Table(title=f"compare {result.lang}")
    for column in ("engine", "model", "segments", "flagged", "critical", "findings", "mean risk", "mean score",
                   "seconds"):
        table.add_column(column, justify="left" if column in ("engine", "model") else "right")
    for e in result.engines:
        table.add_row(e.engine, f"{e.model} {e.version}".strip() or "-", str(e.segments), str(e.flagged),
                      str(e.critical), str(e.findings), "-" if e.mean_risk is None else f"{e.mean_risk:.1f}",
                      "-" if e.mean_score is None else f"{e.mean_score:.3f}", f"{e.seconds:.1f}")
    import shutil

    Console(width=max(shutil.get_terminal_size().columns, 120)).print(table)  # model names in full
    for e in result.engines:
        if e.failure:
            _err(f"{e.engine} did not run: {e.failure}")
    width = max(len(e.engine) for e in result.engines)
    for seg in result.segments:
        click.echo(f"\n{seg.segment_id}  {seg.article}\n  {'en':<{width}}  {seg.source}")
        for out in seg.outputs:
            score = "" if out.score is None else f"  [score {out.score:.3f}]"
            score += "" if out.risk is None else f"  [risk {out.risk:.0f}]"
            click.echo(f"  {out.engine:<{width}}  {out.text if out.text else '(' + (out.error or 'none') + ')'}{score}")
            for f in out.findings:
                click.echo(f"  {'':<{width}}    QA {f.severity}: {f.message}")


@cli.command("import-html")
@click.argument("location", metavar="FILE_OR_URL")
@click.option("--slug", required=True, help="The article's name: content/en/SLUG.md.")
@click.option("--force", is_flag=True, help="Replace an existing article of that name.")
@pass_ctx
def import_html(ctx: Context, location: str, slug: str, force: bool) -> None:
    """Turn a page of the site (HTML, or its text) into a clean article in content/en/."""
    from .services import import_page

    result = import_page(ctx.runtime, location, slug, force)
    for line in result.dropped:
        _err(f"dropped {line}")
    for warning in result.warnings:
        _err(f"warning: {warning}")
    click.echo(f"wrote content/{ctx.runtime.settings.source_language}/{slug}.md: {result.article.title} "
               f"({result.article.date.isoformat()})")


@cli.group()
def catalogs() -> None:
    """The site's interface strings (gettext catalogs in locales/)."""


@catalogs.command("update")
@click.option("--lang", "languages", multiple=True, metavar="L", help="Target language (repeatable). Default: all.")
@pass_ctx
def catalogs_update(ctx: Context, languages: tuple[str, ...]) -> None:
    """Extract messages.pot, merge it into each .po; machine-translate new strings as fuzzy for review."""
    from .services import catalogs_update as update

    for r in update(ctx.runtime, languages):
        click.echo(f"{r.lang}: {r.messages} strings, {r.translated} translated ({r.fuzzy} fuzzy, to review), "
                   f"{r.machine_translated} machine-translated now")


@cli.group()
def db() -> None:
    """The store: schema migrations, checks, backups."""


@db.command("upgrade")
@pass_ctx
def db_upgrade(ctx: Context) -> None:
    """Apply pending schema migrations to the store (back it up first)."""
    from .store import Store

    store = Store(ctx.runtime.settings.store_url, check=False)
    try:
        before, head = store.upgrade()
    finally:
        store.close()
    click.echo(f"store schema: {before or 'none'} → {head}" + (" (up to date)" if before == head else ""))


@db.command("check")
@pass_ctx
def db_check(ctx: Context) -> None:
    """Check the store: SQLite integrity, references, approved text, releases, history (exit 1 on a problem)."""
    from .errors import WorkflowError
    from .services import db_check as check

    findings = check(ctx.runtime)
    for finding in findings:
        click.echo(str(finding))
    if findings:
        raise WorkflowError(f"the store has {len(findings)} problem{'s' if len(findings) > 1 else ''}: "
                            "restore a backup (tilmech db backup) or repair the rows named above")
    click.echo("store: no problems found")


@db.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_ctx
def db_backup(ctx: Context, file: Path) -> None:
    """Copy the SQLite store to a new FILE, consistently, even while the workbench or a flow writes."""
    from .services import db_backup as backup

    size = backup(ctx.runtime, file)
    click.echo(f"store copied to {file} ({size:,} bytes)")


@cli.command()
@pass_ctx
def sync(ctx: Context) -> None:
    """Translate what is new or changed in content/en/, once (flow sync-articles)."""
    from . import progress

    _prepare_prefect(ctx.verbose)
    from .flows import run_here
    from .flows.translate import sync_articles

    with progress.showing(), run_here():
        reports = sync_articles(project=ctx.project_dir, user=ctx.runtime.user)
    for r in reports:
        click.echo(f"{r.lang}: {r.new} new, {r.from_memory} from memory, {r.flagged} flagged")
    if not reports:
        click.echo("nothing new to translate")


@cli.command()
@click.option("--cron", default="0 * * * *", show_default=True, help="When sync runs (cron, in UTC).")
@click.option("--interval", type=int, default=None, metavar="SECONDS", help="Run sync every N seconds instead.")
@pass_ctx
def schedule(ctx: Context, cron: str, interval: int | None) -> None:
    """Serve the flows in this process: sync on its schedule, translate and publish on demand."""
    _prepare_prefect(ctx.verbose)
    from prefect import serve

    from .flows.publish import publish_release
    from .flows.translate import sync_articles, translate_articles

    project = {"project": ctx.project_dir}
    timing: dict[str, Any] = {"interval": interval} if interval else {"cron": cron}
    _err(f"serving sync ({'every ' + str(interval) + ' s' if interval else cron}), translate and publish; "
         "stop with Ctrl+C")
    serve(sync_articles.to_deployment(name="sync", parameters=project, **timing),
          translate_articles.to_deployment(name="translate", parameters=project),
          publish_release.to_deployment(name="publish", parameters=project))


@cli.command()
@click.option("--pool", default="tilmech", show_default=True, help="The Prefect work pool.")
@pass_ctx
def deploy(ctx: Context, pool: str) -> None:
    """Register the deployments of prefect.yaml (sync, translate, publish) on the Prefect server."""
    import subprocess

    project = ctx.project_dir
    if not (Path(project) / "prefect.yaml").is_file():
        from .errors import ConfigError

        raise ConfigError(f"{project}/prefect.yaml: not found: deploy from a clone of the Tilmech project")
    env = dict(os.environ, TILMECH_PROJECT=os.environ.get("TILMECH_PROJECT", project))
    prefect = [sys.executable, "-m", "prefect"]
    subprocess.run([*prefect, "work-pool", "create", pool, "--type", "process"], env=env, cwd=project,
                   capture_output=True)  # exists already: fine
    result = subprocess.run([*prefect, "--no-prompt", "deploy", "--all"], env=env, cwd=project,
                            capture_output=True, text=True)
    if result.returncode != 0:
        from .errors import EnvironmentNotReady

        raise EnvironmentNotReady("prefect deploy failed (is PREFECT_API_URL set to a running Prefect server?): "
                                  + (result.stderr or result.stdout).strip().splitlines()[-1])
    click.echo(f"deployed sync-articles/sync, translate-articles/translate, publish-release/publish on pool {pool}; "
               f"start workers with `tilmech worker`")


@cli.command()
@click.option("--pool", default="tilmech", show_default=True, help="The Prefect work pool.")
@click.option("--limit", type=int, default=None, help="At most this many flow runs at once on this worker.")
@pass_ctx
def worker(ctx: Context, pool: str, limit: int | None) -> None:
    """Run a Prefect worker for the pool in this project folder (stop with Ctrl+C)."""
    env = dict(os.environ, TILMECH_PROJECT=os.environ.get("TILMECH_PROJECT", ctx.project_dir))
    extra = ["--limit", str(limit)] if limit else []
    os.chdir(ctx.project_dir)
    # become the worker, so that signals (Ctrl+C, a service manager's SIGTERM) reach it directly
    os.execve(sys.executable, [sys.executable, "-m", "prefect", "worker", "start", "--pool", pool, *extra], env)


# -- models ----------------------------------------------------------------------------------------


@cli.group()
def models() -> None:
    """Argos Translate models: install (online by pair, offline from a file) and list."""


@models.command("install")
@click.argument("items", nargs=-1, required=True, metavar="(PAIR | FILE.argosmodel)...")
def models_install(items: tuple[str, ...]) -> None:
    """Install models: a pair such as en-ky downloads from the Argos index; a file path installs offline."""
    from .mt import argos

    for item in items:
        if item.endswith(".argosmodel") or Path(item).is_file():
            model = argos.install_file(Path(item))
        else:
            source, target = argos.parse_pair(item)
            model = argos.install_pair(source, target)
        label = " ".join(part for part in (model.pair, model.name, model.version) if part)
        click.echo(f"installed {label} in {model.path}")


@models.command("list")
def models_list() -> None:
    """Installed models."""
    from .mt import argos

    found = argos.installed_models()
    if not found:
        _err("no models installed: `tilmech models install en-ru en-ky en-zh` (online) "
             "or `tilmech models install FILE.argosmodel` (offline)")
        return
    for m in found:
        click.echo(f"{m.pair}\t{m.name or '-'}\t{m.version or '-'}\t{m.path}")


# -- review -----------------------------------------------------------------------------------------


@cli.group()
def review() -> None:
    """The review queue: list, show, edit, approve, send back."""


def _findings(items: Any) -> str:
    return "; ".join(f"{f.severity}: {f.message}" for f in items)


@review.command("list")
@click.option("--lang", default=None, metavar="L")
@click.option("--state", default=None, metavar="S", help="draft, needs-work or approved.")
@click.option("--article", default=None, metavar="SLUG")
@click.option("--order", type=click.Choice(["risk", "position", "score"]), default="risk", show_default=True,
              help="risk: worst first; position: article order; score: the engine's weakest drafts first.")
@click.option("--min-risk", type=float, default=None, metavar="X", help="Only segments with risk X or more (0-100).")
@click.option("--max-risk", type=float, default=None, metavar="X", help="Only segments with risk X or less (0-100).")
@click.option("--limit", type=click.IntRange(0), default=100, show_default=True, metavar="N",
              help="The first N in that order; 0: all.")
@pass_ctx
def review_list(ctx: Context, lang: str | None, state: str | None, article: str | None, order: str,
                min_risk: float | None, max_risk: float | None, limit: int) -> None:
    """Segments and their translations, worst first (risk 0-100, see the README)."""
    from .services import review_list as list_items

    items = list_items(ctx.runtime, lang, state, article, order=order, min_risk=min_risk, max_risk=max_risk,
                       limit=limit or None)
    for it in items:
        flag = f"  [{len(it.findings)} QA]" if it.findings else ""
        risk = f"{it.risk:5.1f}" if it.risk is not None else "    -"
        click.echo(f"{it.segment_id}  {it.lang}  {risk}  {it.state:<10}  {it.article}  {_short(it.text)}{flag}")
    _err(f"{len(items)} segments" + (" (the first; --limit 0 lists all)" if limit and len(items) == limit else ""))


def _short(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


@review.command("show")
@click.argument("segment_id")
@click.option("--lang", default=None, metavar="L")
@pass_ctx
def review_show(ctx: Context, segment_id: str, lang: str | None) -> None:
    """A segment: source, machine draft, current text, QA findings and history."""
    from .services import review_show as show

    view = show(ctx.runtime, segment_id, lang)
    click.echo(f"segment {view.segment_id}  article {view.article}")
    click.echo(f"source:   {view.source}")
    for tag, label in view.placeholders.items():
        click.echo(f"          {tag} = {label}")
    for term in view.terms:
        renderings = "; ".join(f"{code}: {' / '.join(forms)}" for code, forms in term.renderings.items())
        click.echo(f"term:     {term.english} → {renderings}" + (f"  ({term.note})" if term.note else ""))
    if view.items and view.items[0].source_diff:
        click.echo(f"changed:  {view.items[0].source_diff}")
    for it in view.items:
        click.echo(f"\n[{it.lang}] {it.state}  engine {it.engine} ({it.origin})"
                   + (f"  model {it.model} {it.model_version}" if it.model else "")
                   + (f"  score {it.score:.3f}" if it.score is not None else ""))
        click.echo(f"machine:  {it.machine}")
        click.echo(f"current:  {it.text}")
        for f in it.findings:
            click.echo(f"QA {f.severity}: {f.message}")
        for h in view.history.get(it.lang, ()):
            click.echo(f"  {h.at}  {h.who}  {h.action}  {h.before_state or '-'} → {h.after_state}")
    if not view.items:
        _err("no translations yet: run `tilmech translate`")


@review.command("edit")
@click.argument("segment_id")
@click.option("--lang", required=True, metavar="L")
@click.option("--text", required=True, help="The new translation, with the source's placeholders ({1}, {/1}).")
@pass_ctx
def review_edit(ctx: Context, segment_id: str, lang: str, text: str) -> None:
    """Replace a translation; it goes (back) to draft and QA runs again."""
    from .services import review_edit as edit

    item = edit(ctx.runtime, segment_id, lang, text)
    click.echo(f"{item.segment_id} {item.lang} {item.state}")
    if item.findings:
        _err("QA: " + _findings(item.findings))


@review.command("approve")
@click.argument("segment_ids", nargs=-1)
@click.option("--lang", required=True, metavar="L")
@click.option("--article", default=None, metavar="SLUG", help="Approve every segment of this article.")
@click.option("--max-risk", type=float, default=None, metavar="X",
              help="With --article: approve only the segments with risk below X and no QA findings.")
@click.option("--yes", is_flag=True, help="With --max-risk: do not ask for confirmation.")
@pass_ctx
def review_approve(ctx: Context, segment_ids: tuple[str, ...], lang: str, article: str | None,
                   max_risk: float | None, yes: bool) -> None:
    """Approve segments (IDs...) or a whole article (--article SLUG); all or nothing.

    With --max-risk X, only the article's segments whose risk is below X and that
    have no QA findings are approved (the count is shown first; confirm or --yes).
    """
    from .services import bulk_approve
    from .services import review_approve as approve

    if segment_ids and article:
        raise click.UsageError("give segment IDs or --article, not both")
    if max_risk is None:
        count = approve(ctx.runtime, lang, segment_ids, article)
        click.echo(f"approved {count} segments ({lang})")
        return
    if not article:
        raise click.UsageError("--max-risk needs --article SLUG")
    plan = bulk_approve(ctx.runtime, lang, article, max_risk, dry_run=True)
    click.echo(f"{len(plan.approved)} segments of {article} ({plan.lang}) have risk below {max_risk:g} and no QA "
               f"findings; {plan.held_back} held back, {plan.already} approved before")
    if not plan.approved:
        return
    if not yes:
        click.confirm(f"approve these {len(plan.approved)} segments?", abort=True)
    done = bulk_approve(ctx.runtime, lang, article, max_risk, only=plan.approved)
    click.echo(f"approved {len(done.approved)} segments ({done.lang})")


@review.command("send-back")
@click.argument("segment_ids", nargs=-1, required=True)
@click.option("--lang", required=True, metavar="L")
@click.option("--note", default="", help="Why, for the translator.")
@pass_ctx
def review_send_back(ctx: Context, segment_ids: tuple[str, ...], lang: str, note: str) -> None:
    """Mark segments needs-work."""
    from .services import review_send_back as send_back

    count = send_back(ctx.runtime, lang, segment_ids, note)
    click.echo(f"sent back {count} segments ({lang})")


# -- qa ------------------------------------------------------------------------------------------


@cli.group()
def qa() -> None:
    """QA checks: list them, verify a pair, report on the queue, check the queue again."""


@qa.command("checks")
@pass_ctx
def qa_checks(ctx: Context) -> None:
    """Every check: code, severity, languages, what it looks for (and where tilmech.yaml switches it off)."""
    from .errors import ConfigError
    from .qa import all_checks
    from .settings import find_project, load_settings

    try:
        root = ctx.project or find_project(Path.cwd())
    except ConfigError:  # outside a project: the checks without the project's switches
        root = None
    settings = load_settings(root) if root else None
    for check in all_checks():
        langs = ",".join(check.languages) or "all"
        off = [code for code in settings.target_languages if check.code in settings.disabled_checks(code)] \
            if settings else []
        note = f"  (off: {','.join(off)})" if off else ""
        click.echo(f"{check.code:<18} {check.severity:<10} {langs:<6} {check.description}{note}")


@qa.command("verify")
@click.option("--lang", required=True, metavar="L", help="Language of the target text.")
@click.option("--source", required=True, help="The English text (placeholders {1}, {/1} allowed).")
@click.option("--target", required=True, help="Its translation.")
@click.option("--json", "as_json", is_flag=True, help="The findings as JSON.")
@pass_ctx
def qa_verify(ctx: Context, lang: str, source: str, target: str, as_json: bool) -> None:
    """Run every check on one pair; exit 1 when a finding is critical or functional, else 0."""
    import json

    from .qa import Severity
    from .services import qa_verify as verify

    findings = verify(ctx.runtime, lang, source, target)
    if as_json:
        click.echo(json.dumps([f.to_dict() for f in findings], ensure_ascii=False, indent=2))
    else:
        for f in findings:
            click.echo(f"{f.severity} {f.code}: {f.message}")
        if not findings:
            click.echo("ok")
    sys.exit(1 if any(f.severity is not Severity.COSMETIC for f in findings) else 0)


@qa.command("report")
@click.option("--lang", default=None, metavar="L")
@click.option("--article", default=None, metavar="SLUG")
@click.option("--worst", default=10, show_default=True, metavar="N", help="How many of the worst segments to show.")
@click.option("--json", "as_json", is_flag=True, help="The report as JSON.")
@pass_ctx
def qa_report(ctx: Context, lang: str | None, article: str | None, worst: int, as_json: bool) -> None:
    """Findings per check, language and article, and the worst segments."""
    import json

    from rich.console import Console
    from rich.table import Table

    from .services import qa_report as report

    data = report(ctx.runtime, lang, article, worst=worst)
    if as_json:
        click.echo(json.dumps(data.to_dict(), ensure_ascii=False, indent=2))
        return
    console = Console()
    checks = Table(title=f"QA findings per check ({data.flagged} of {data.segments} segments flagged)")
    checks.add_column("check")
    checks.add_column("findings", justify="right")
    for code, count in data.by_check.items():
        checks.add_row(code, str(count))
    console.print(checks)
    for title, groups in (("language", data.by_lang), ("article", data.by_article)):
        table = Table(title=f"per {title}")
        for column in (title, "segments", "flagged", "critical", "functional", "cosmetic"):
            table.add_column(column, justify="left" if column == title else "right")
        for name, counts in groups.items():
            table.add_row(name, *(str(counts[k]) for k in ("segments", "flagged", "critical", "functional",
                                                           "cosmetic")))
        console.print(table)
    table = Table(title="worst segments")
    for column in ("segment", "lang", "risk", "article", "text", "findings"):
        table.add_column(column, justify="right" if column == "risk" else "left")
    for it in data.worst:
        table.add_row(it.segment_id, it.lang, f"{it.risk:.1f}" if it.risk is not None else "-", it.article,
                      _short(it.text, 50), ", ".join(dict.fromkeys(f.code for f in it.findings)))
    console.print(table)


@qa.command("recheck")
@click.option("--lang", default=None, metavar="L")
@click.option("--article", default=None, metavar="SLUG")
@pass_ctx
def qa_recheck(ctx: Context, lang: str | None, article: str | None) -> None:
    """Run the checks again on every stored translation and store findings and risk (after an upgrade
    or a change of qa.disabled)."""
    from .services import qa_recheck as recheck

    result = recheck(ctx.runtime, lang, article)
    click.echo(f"checked {result.checked} translations, {result.changed} changed")


@cli.command()
@pass_ctx
def status(ctx: Context) -> None:
    """Segments per language and state."""
    from .services import stats

    data = stats(ctx.runtime)
    for lang in ctx.runtime.settings.target_languages:
        counts = data.get(lang, {})
        total = sum(counts.values())
        parts = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        click.echo(f"{lang}: {total} segments" + (f" ({parts})" if parts else ""))


# -- glossary ---------------------------------------------------------------------------------------


@cli.group()
def glossary() -> None:
    """Term bases: verify translations, check the queue, exchange TBX and CSV, coverage."""


@glossary.command("verify")
@click.option("--lang", default=None, metavar="L", help="Language of the target text.")
@click.option("--source", default=None, help="The English text.")
@click.option("--target", default=None, help="Its translation.")
@click.option("--jsonl", "jsonl", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help='Many pairs: one {"lang", "source", "target"} JSON object per line; one JSON result per line.')
@pass_ctx
def glossary_verify(ctx: Context, lang: str | None, source: str | None, target: str | None,
                    jsonl: Path | None) -> None:
    """Check a translation's glossary terms (any inflected form). Exit 1 when a term is violated."""
    import json

    from .errors import InputError, UsageError
    from .services import verify_terms

    if jsonl is None:
        if not (lang and source is not None and target is not None):
            raise UsageError("give --lang, --source and --target, or --jsonl FILE")
        findings = verify_terms(ctx.runtime, lang, source, target)
        for f in findings:
            click.echo(f"{f.severity} {f.code} {f.term}: {f.message}")
        if not findings:
            click.echo("ok")
        sys.exit(1 if findings else 0)
    violated = False
    with jsonl.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                pair = json.loads(line)
                item = (str(pair["lang"]), str(pair["source"]), str(pair["target"]))
            except (ValueError, KeyError, TypeError) as exc:
                raise InputError(str(jsonl), number, f'expected {{"lang", "source", "target"}}: {exc}') from None
            findings = verify_terms(ctx.runtime, *item)
            violated = violated or bool(findings)
            click.echo(json.dumps({"lang": item[0], "source": item[1], "target": item[2], "ok": not findings,
                                   "findings": [f.to_dict() for f in findings]}, ensure_ascii=False))
    sys.exit(1 if violated else 0)


@glossary.command("export")
@click.option("--format", "fmt", type=click.Choice(["tbx", "csv"]), default="tbx", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write. Default: standard output.")
@pass_ctx
def glossary_export(ctx: Context, fmt: str, output: Path | None) -> None:
    """Export the term base as TBX (TBX-Basic) or CSV."""
    from .services import glossary_export as export

    text = export(ctx.runtime, fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        _err(f"wrote {len(ctx.runtime.glossary)} terms to {output}")


@glossary.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--into", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Glossary file for new terms. Default: glossary/imported.yaml.")
@pass_ctx
def glossary_import(ctx: Context, file: Path, into: Path | None) -> None:
    """Merge a TBX or CSV file into the term base; reports what was added, changed and skipped."""
    from .services import glossary_import as do_import

    report = do_import(ctx.runtime, file, into)
    for label, ids in (("added", report.added), ("changed", report.changed), ("skipped", report.skipped)):
        click.echo(f"{label} {len(ids)}" + (f": {', '.join(ids)}" if ids else ""))


@glossary.command("check")
@click.option("--lang", default=None, metavar="L")
@pass_ctx
def glossary_check(ctx: Context, lang: str | None) -> None:
    """Glossary violations across the review queue, in the current text of each segment."""
    from .services import glossary_check as check

    violations = check(ctx.runtime, lang)
    for v in violations:
        click.echo(f"{v.segment_id}  {v.lang}  {v.state:<10}  {v.finding.severity} {v.finding.code} "
                   f"{v.finding.term}: {v.finding.message}")
    _err(f"{len(violations)} violations")


@glossary.command("stats")
@pass_ctx
def glossary_stats(ctx: Context) -> None:
    """Coverage: terms without a rendering, terms never used, the most frequent violations."""
    from .services import glossary_stats as stats

    data = stats(ctx.runtime)
    click.echo(f"{data.terms} terms")
    for code, ids in data.without_rendering.items():
        click.echo(f"{code}: {len(ids)} without an approved rendering" + (f" ({', '.join(ids)})" if ids else ""))
    click.echo(f"never seen in content: {len(data.unused)}" + (f" ({', '.join(data.unused)})" if data.unused else ""))
    for lang, term, code, count in data.violations[:20]:
        click.echo(f"{count:>5}  {lang}  {term}  {code}")


# -- XLIFF --------------------------------------------------------------------------------------------


@cli.group()
def xliff() -> None:
    """XLIFF for CAT tools: export an article's segments, import the translated file."""


@xliff.command("export")
@click.option("--article", required=True, metavar="SLUG")
@click.option("--lang", required=True, metavar="L")
@click.option("--version", "version", type=click.Choice(["2.1", "1.2"]), default="2.1", show_default=True,
              help="1.2 for CAT tools that read only that (OmegaT).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write. Default: SLUG.LANG.xlf in the current folder.")
@pass_ctx
def xliff_export(ctx: Context, article: str, lang: str, version: str, output: Path | None) -> None:
    """Export the segments of one article and language as XLIFF."""
    from .services import xliff_export as export

    text = export(ctx.runtime, article, lang, version)
    target = output or Path(f"{article}.{lang}.xlf")
    target.write_text(text, encoding="utf-8")
    click.echo(f"wrote {target}")


@xliff.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_ctx
def xliff_import(ctx: Context, file: Path) -> None:
    """Apply a translated XLIFF file; reports per segment what changed or why it was refused."""
    from .errors import WorkflowError
    from .inputs import load_input
    from .services import xliff_import as do_import

    text = load_input(file, ctx.runtime.settings.limits.import_bytes)
    outcomes = do_import(ctx.runtime, text, file.name)
    for o in outcomes:
        click.echo(f"{o.segment_id}  {o.outcome}" + (f": {o.detail}" if o.detail else ""))
    refused = sum(o.outcome == "refused" for o in outcomes)
    _err(f"{len(outcomes)} units: {sum(o.outcome not in ('refused', 'unchanged') for o in outcomes)} changed, "
         f"{refused} refused")
    if refused:
        raise WorkflowError(f"{refused} of {len(outcomes)} units were refused (see above)")


# -- users and the workbench -------------------------------------------------------------------------


@cli.group()
def users() -> None:
    """Workbench users: translators, editors, admins."""


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["translator", "editor", "admin"]))
@click.option("--lang", "languages", default="", metavar="L[,L]", help="A translator's languages, e.g. ru,ky.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (for scripts).")
@pass_ctx
def users_add(ctx: Context, name: str, role: str, languages: str, password_stdin: bool) -> None:
    """Add a user, or change an existing user's role, languages and password."""
    from .services import users_add as add

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    codes = [c.strip() for c in languages.split(",") if c.strip()]
    user = add(ctx.runtime, name, role, password, codes)
    click.echo(f"{user.name}: {user.role}" + (f" ({', '.join(user.languages)})" if user.languages else ""))


@users.command("list")
@pass_ctx
def users_list(ctx: Context) -> None:
    """All users with their roles and languages."""
    from .services import users_list as list_users

    for user in list_users(ctx.runtime):
        click.echo(f"{user.name}\t{user.role}\t{','.join(user.languages) or '*'}")


@users.command("token")
@click.argument("name")
@click.option("--label", default="", help="What the token is for.")
@pass_ctx
def users_token(ctx: Context, name: str, label: str) -> None:
    """Create an API token for NAME (shown once): send it as `Authorization: Bearer TOKEN`."""
    from .services import create_token

    click.echo(create_token(ctx.runtime, name, label))


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes: one per CPU core serves more reviewers at once.")
@pass_ctx
def serve(ctx: Context, host: str, port: int, workers: int) -> None:
    """Start the review workbench (web pages and the JSON API under /api/)."""
    import uvicorn

    from .web import create_app

    app = create_app(ctx.runtime)  # also checks the project and creates the session key once
    _err(f"workbench on http://{host}:{port}/ (API: /api/, OpenAPI: /openapi.json)"
         + (f", {workers} processes" if workers > 1 else ""))
    if workers == 1:
        uvicorn.run(app, host=host, port=port, log_level="warning")
        return
    # each process builds its app from the project: sessions are signed with the store's key,
    # so any process serves any reviewer
    os.environ["TILMECH_SERVE_PROJECT"] = ctx.project_dir
    if ctx.user:
        os.environ["TILMECH_USER"] = ctx.user
    uvicorn.run("tilmech.web:app_from_environment", factory=True, host=host, port=port, workers=workers,
                log_level="warning")


# -- releases and publishing --------------------------------------------------------------------------


@cli.group()
def release() -> None:
    """Releases: create a snapshot of approved text, approve it (editors), list."""


def _describe_release(info: Any) -> None:
    _err(f"release {info.id}: {info.state}, created by {info.created_by} at {info.created_at}"
         + (f", approved by {info.approved_by}" if info.approved_by else ""))
    for lang, slugs in info.locales.items():
        _err(f"  {lang}: {len(slugs)} articles" + (f" ({', '.join(slugs)})" if slugs else ""))
    for lang, slugs in info.previous.items():
        _err(f"  {lang}: earlier editions shipped again: {', '.join(slugs)}")
    for lang, slugs in info.incomplete.items():
        _err(f"  {lang}: not complete, left out: {', '.join(slugs)}")


@release.command("create")
@click.option("--previous-editions", is_flag=True,
              help="Where an article is not complete in a locale (its English changed, say), ship the locale's "
                   "edition from the latest release instead of leaving the article out.")
@pass_ctx
def release_create(ctx: Context, previous_editions: bool) -> None:
    """Snapshot the articles that are fully approved, per locale. Prints `release ID`."""
    from .services import release_create as create

    info = create(ctx.runtime, previous_editions)
    click.echo(f"release {info.id}")
    _describe_release(info)


@release.command("approve")
@click.argument("release_id", type=int)
@pass_ctx
def release_approve(ctx: Context, release_id: int) -> None:
    """The editor's approval of release R; only approved releases can be published."""
    from .services import release_approve as approve

    info = approve(ctx.runtime, release_id)
    click.echo(f"release {info.id} {info.state}")


@release.command("list")
@pass_ctx
def release_list(ctx: Context) -> None:
    """All releases."""
    from .services import release_list as list_releases

    for info in list_releases(ctx.runtime):
        locales = " ".join(f"{k}:{len(v)}" for k, v in info.locales.items())
        click.echo(f"{info.id}\t{info.state}\t{info.created_at}\t{locales}")


@cli.command()
@click.argument("release_id", type=int)
@click.option("--to", "dest", default=None, metavar="DIR_OR_URL",
              help="Target folder or fsspec URL (s3://bucket/site). Default: paths.publish of tilmech.yaml.")
@pass_ctx
def publish(ctx: Context, release_id: int, dest: str | None) -> None:
    """Publish approved release R as localized bundles (flow publish-release)."""
    from .services import release_info

    info = release_info(ctx.runtime, release_id)  # fail early: unknown release
    if info.state != "approved":
        from .errors import WorkflowError

        raise WorkflowError(f"release {release_id} is not approved: an editor runs "
                            f"`tilmech release approve {release_id}` first")
    _prepare_prefect(ctx.verbose)
    from .flows import run_here
    from .flows.publish import publish_release

    with run_here():
        report = publish_release(project=ctx.project_dir, release=release_id,
                                 to=_published_dir(ctx, dest) if dest else None)
    click.echo(f"published release {report.release} to {report.location}")
    for locale, count in report.locales.items():
        _err(f"  {locale}: {count} articles")


def _published_dir(ctx: Context, dest: str | None) -> str:
    from .services import publish_location

    if dest is None:
        return publish_location(ctx.runtime)
    return dest if "://" in dest else str(Path(dest).resolve())


_to_option = click.option("--to", "dest", default=None, metavar="DIR_OR_URL",
                          help="The publishing folder or fsspec URL. Default: paths.publish of tilmech.yaml.")


@cli.command()
@_to_option
@pass_ctx
def releases(ctx: Context, dest: str | None) -> None:
    """Published releases, the current one marked with *."""
    from .publish import list_published

    found = list_published(_published_dir(ctx, dest))
    if not found:
        _err("nothing published yet: tilmech publish R")
    for p in found:
        click.echo(f"{'*' if p.current else ' '} {p.release}\t{' '.join(p.locales)}\t{p.built_at}")


@cli.command()
@click.argument("release_id", type=int, required=False)
@_to_option
@pass_ctx
def rollback(ctx: Context, release_id: int | None, dest: str | None) -> None:
    """Serve release R again (default: the one published before the current one)."""
    from .publish import rollback as switch

    click.echo(f"current release: {switch(_published_dir(ctx, dest), release_id)}")


@cli.command()
@click.argument("release_id", type=int)
@_to_option
@pass_ctx
def verify(ctx: Context, release_id: int, dest: str | None) -> None:
    """Re-check every file of published release R against its manifest (sha256 and size)."""
    from .errors import WorkflowError
    from .publish import verify_release

    problems = verify_release(_published_dir(ctx, dest), release_id)
    for problem in problems:
        click.echo(problem)
    if problems:
        raise WorkflowError(f"release {release_id}: {len(problems)} files differ from the manifests")
    click.echo(f"release {release_id}: every file matches its manifest")


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, render TilmechError as one line and its exit code."""
    try:
        result = cli.main(args=argv, prog_name="tilmech", standalone_mode=False)
    except click.exceptions.Abort:
        _err("aborted")
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except TilmechError as exc:
        _err(f"error: {exc}")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _err("interrupted")
        sys.exit(130)
    sys.exit(result if isinstance(result, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
