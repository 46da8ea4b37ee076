"""Translating: translate, sync, compare engines, import a page of the site."""

from __future__ import annotations

import click

from .context import Context, err, pass_ctx, say
from .orchestration import flow_runs


def _plan_run(ctx: Context, languages: tuple[str, ...], articles: tuple[str, ...], redraft: bool) -> bool:
    """Whether a flow run has work: validates languages, articles and glossary, and checks the models
    of the languages with work, all before Prefect is imported. Says why when there is nothing to do."""
    from ..services import check_documents, check_engines, plan_translation

    rt = ctx.runtime
    rt.settings.resolve_languages(languages)
    hashes: dict[str, str] = {}
    if check_documents(rt, articles, hashes=hashes) == 0:
        folder = rt.settings.content_dir
        where = folder.relative_to(rt.settings.root) if folder.is_relative_to(rt.settings.root) else folder
        click.echo(f"no articles in {where}/: write one, see docs/articles.md")
        return False
    _ = rt.glossary  # a broken glossary is reported whether or not there is work
    plan = plan_translation(rt, articles, languages, hashes=hashes)
    if plan.nothing_to_do and not redraft:
        count = len(plan.articles)
        click.echo(f"nothing to translate: {count} article{'' if count == 1 else 's'} unchanged")
        return False
    busy = plan.languages if redraft else plan.busy_languages
    check_engines(rt, busy)
    what = f"{len(plan.changed)} changed of {len(plan.articles)} articles" if plan.changed else \
        f"{sum(len(a) for a in plan.pending.values())} article-languages with pending segments"
    say(f"to translate: {what}, into {', '.join(busy)}")
    return True


@click.command()
@click.option("--lang", "languages", multiple=True, metavar="L", help="Target language (repeatable). Default: all.")
@click.option("--article", "articles", multiple=True, metavar="SLUG", help="Article (repeatable). Default: all.")
@click.option("--redraft-unapproved", is_flag=True,
              help="Draft again the unapproved, unedited segments whose model changed since (never approved ones).")
@click.option("--processes", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Run the languages in this many processes, sharing the cores (see docs/performance.md: when it helps).")
@pass_ctx
def translate(ctx: Context, languages: tuple[str, ...], articles: tuple[str, ...], redraft_unapproved: bool,
              processes: int) -> None:
    """Translate new and changed text of content/en/ into the review queue (flow translate-articles).

    What there is to do is worked out first, in about a second and before Prefect starts: the
    articles are read, their files compared with the store, the models of the languages with
    work checked. Nothing to do ends there (exit 0); a missing model too (exit 3)."""
    from .. import progress
    from ..services import merge_reports

    rt = ctx.runtime
    if not _plan_run(ctx, languages, articles, redraft_unapproved):
        return
    with flow_runs(ctx, "flow translate-articles"), progress.showing(lines=not ctx.quiet):
        from ..flows.translate import translate_articles

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
            err(f"{r.lang}: {note}")


@click.command()
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

    from ..services import compare_engines

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
            err(f"{e.engine} did not run: {e.failure}")
    width = max(len(e.engine) for e in result.engines)
    for seg in result.segments:
        click.echo(f"\n{seg.segment_id}  {seg.article}\n  {'en':<{width}}  {seg.source}")
        for out in seg.outputs:
            score = "" if out.score is None else f"  [score {out.score:.3f}]"
            score += "" if out.risk is None else f"  [risk {out.risk:.0f}]"
            click.echo(f"  {out.engine:<{width}}  {out.text if out.text else '(' + (out.error or 'none') + ')'}{score}")
            for f in out.findings:
                click.echo(f"  {'':<{width}}    QA {f.severity}: {f.message}")


@click.command("import-html")
@click.argument("location", metavar="FILE_OR_URL")
@click.option("--slug", required=True, help="The article's name: content/en/SLUG.md.")
@click.option("--force", is_flag=True, help="Replace an existing article of that name.")
@pass_ctx
def import_html(ctx: Context, location: str, slug: str, force: bool) -> None:
    """Turn a page of the site (HTML, or its text) into a clean article in content/en/."""
    from ..services import import_page

    result = import_page(ctx.runtime, location, slug, force)
    for line in result.dropped:
        err(f"dropped {line}")
    for warning in result.warnings:
        err(f"warning: {warning}")
    click.echo(f"wrote content/{ctx.runtime.settings.source_language}/{slug}.md: {result.article.title} "
               f"({result.article.date.isoformat()})")


@click.command()
@pass_ctx
def sync(ctx: Context) -> None:
    """Translate what is new or changed in content/en/, once (flow sync-articles)."""
    from .. import progress

    if not _plan_run(ctx, (), (), False):
        return
    with flow_runs(ctx, "flow sync-articles"), progress.showing(lines=not ctx.quiet):
        from ..flows.translate import sync_articles

        reports = sync_articles(project=ctx.project_dir, user=ctx.runtime.user)
    for r in reports:
        click.echo(f"{r.lang}: {r.new} new, {r.from_memory} from memory, {r.flagged} flagged")
    if not reports:
        click.echo("nothing new to translate")
