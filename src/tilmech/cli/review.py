"""The review queue (`tilmech review ...`) and `tilmech status`."""

from __future__ import annotations

from typing import Any

import click

from .context import Context, err, pass_ctx, short


@click.group()
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
    """Segments and their translations, worst first (risk 0-100, see docs/quality.md)."""
    from ..services import review_list as list_items

    items = list_items(ctx.runtime, lang, state, article, order=order, min_risk=min_risk, max_risk=max_risk,
                       limit=limit or None)
    for it in items:
        flag = f"  [{len(it.findings)} QA]" if it.findings else ""
        risk = f"{it.risk:5.1f}" if it.risk is not None else "    -"
        click.echo(f"{it.segment_id}  {it.lang}  {risk}  {it.state:<10}  {it.article}  {short(it.text)}{flag}")
    err(f"{len(items)} segments" + (" (the first; --limit 0 lists all)" if limit and len(items) == limit else ""))


@review.command("show")
@click.argument("segment_id")
@click.option("--lang", default=None, metavar="L")
@pass_ctx
def review_show(ctx: Context, segment_id: str, lang: str | None) -> None:
    """A segment: source, machine draft, current text, QA findings and history."""
    from ..services import review_show as show

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
        click.echo(f"\n[{it.lang}] {it.state}  version {it.version}  engine {it.engine} ({it.origin})"
                   + (f"  model {it.model} {it.model_version}" if it.model else "")
                   + (f"  score {it.score:.3f}" if it.score is not None else ""))
        click.echo(f"machine:  {it.machine}")
        click.echo(f"current:  {it.text}")
        for f in it.findings:
            click.echo(f"QA {f.severity}: {f.message}")
        for h in view.history.get(it.lang, ()):
            click.echo(f"  {h.at}  {h.who}  {h.action}  {h.before_state or '-'} → {h.after_state}"
                       + (f"  via {h.surface}" if h.surface else ""))
    if not view.items:
        err("no translations yet: run `tilmech translate`")


@review.command("edit")
@click.argument("segment_id")
@click.option("--lang", required=True, metavar="L")
@click.option("--text", required=True, help="The new translation, with the source's placeholders ({1}, {/1}).")
@click.option("--version", "version", type=click.IntRange(1, 2**31 - 1), default=None, metavar="N",
              help="The version the new text replaces (as `review show` printed it); refused if the "
                   "translation changed since. Default: the version this command reads just before saving.")
@pass_ctx
def review_edit(ctx: Context, segment_id: str, lang: str, text: str, version: int | None) -> None:
    """Replace a translation; it goes (back) to draft and QA runs again."""
    from ..services import review_edit as edit
    from ..services import review_show as show

    if version is None:  # the text replaced is the one read now: a change after this read is refused too
        items = show(ctx.runtime, segment_id, lang).items
        version = items[0].version if items else None
    item = edit(ctx.runtime, segment_id, lang, text, version)
    click.echo(f"{item.segment_id} {item.lang} {item.state}")
    if item.findings:
        err("QA: " + _findings(item.findings))


@review.command("approve")
@click.argument("segment_ids", nargs=-1)
@click.option("--lang", required=True, metavar="L")
@click.option("--article", "articles", multiple=True, metavar="SLUG",
              help="Approve every segment of this article (repeatable).")
@click.option("--max-risk", type=float, default=None, metavar="X",
              help="With --article: approve only the segments with risk below X and no QA findings.")
@click.option("--yes", is_flag=True, help="With --max-risk: do not ask for confirmation.")
@click.option("--include", "include", multiple=True, metavar="STATE[,STATE]",
              help="With --article: approve the needs-work and/or stale segments too (skipped by default).")
@pass_ctx
def review_approve(ctx: Context, segment_ids: tuple[str, ...], lang: str, articles: tuple[str, ...],
                   max_risk: float | None, yes: bool, include: tuple[str, ...]) -> None:
    """Approve segments (IDs...) or the drafts of a whole article (--article SLUG); all or nothing.

    Of an article, segments sent back (needs-work) or whose English changed (stale) are
    skipped and counted, unless named by id or asked for with --include needs-work,stale.
    With --max-risk X, only the article's segments whose risk is below X and that
    have no QA findings are approved (the count is shown first; confirm or --yes).
    """
    from ..services import approve_segments, bulk_approve

    if segment_ids == ("-",):  # the ids on stdin, separated by spaces or lines (a script's output)
        import sys

        segment_ids = tuple(sys.stdin.read().split())
        if not segment_ids:
            raise click.UsageError("no segment IDs on stdin")
    if len(articles) > 1 and max_risk is None and not segment_ids:  # one process, one transaction each
        for slug in articles:
            each = approve_segments(ctx.runtime, lang, (), slug, include=include)
            click.echo(f"{slug}: approved {each.approved} segments ({each.lang})" + _skipped(each.skipped))
        return
    if len(articles) > 1 and max_risk is not None:
        raise click.UsageError("--max-risk takes one --article")
    article = articles[0] if articles else None
    if segment_ids and article:
        raise click.UsageError("give segment IDs or --article, not both")
    if include and not article:
        raise click.UsageError("--include needs --article SLUG (segments named by id are approved in any state)")
    if max_risk is None:
        done = approve_segments(ctx.runtime, lang, segment_ids, article, include=include)
        click.echo(f"approved {done.approved} segments ({done.lang})" + _skipped(done.skipped))
        return
    if not article:
        raise click.UsageError("--max-risk needs --article SLUG")
    plan = bulk_approve(ctx.runtime, lang, article, max_risk, dry_run=True, include=include)
    click.echo(f"{len(plan.approved)} segments of {article} ({plan.lang}) have risk below {max_risk:g} and no QA "
               f"findings; {plan.held_back} held back, {plan.already} approved before" + _skipped(plan.skipped))
    if not plan.approved:
        return
    if not yes:
        click.confirm(f"approve these {len(plan.approved)} segments?", abort=True)
    done_bulk = bulk_approve(ctx.runtime, lang, article, max_risk, only=plan.approved, include=include)
    click.echo(f"approved {len(done_bulk.approved)} segments ({done_bulk.lang})")


def _skipped(skipped: dict[str, tuple[str, ...]]) -> str:
    """``; skipped 2 needs-work, 1 stale: ...`` naming the way to approve them; "" when none were."""
    if not skipped:
        return ""
    counts = ", ".join(f"{len(ids)} {state}" for state, ids in sorted(skipped.items()))
    ids = " ".join(sid for _, group in sorted(skipped.items()) for sid in group)
    return (f"; skipped {counts}: name them by id ({ids}) or use --include {','.join(sorted(skipped))}")


@review.command("send-back")
@click.argument("segment_ids", nargs=-1, required=True)
@click.option("--lang", required=True, metavar="L")
@click.option("--note", default="", help="Why, for the translator.")
@pass_ctx
def review_send_back(ctx: Context, segment_ids: tuple[str, ...], lang: str, note: str) -> None:
    """Mark segments needs-work."""
    from ..services import review_send_back as send_back

    count = send_back(ctx.runtime, lang, segment_ids, note)
    click.echo(f"sent back {count} segments ({lang})")


@click.command()
@pass_ctx
def status(ctx: Context) -> None:
    """Segments per language and state."""
    from ..services import stats

    data = stats(ctx.runtime)
    for lang in ctx.runtime.settings.target_languages:
        counts = data.get(lang, {})
        total = sum(counts.values())
        parts = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        click.echo(f"{lang}: {total} segments" + (f" ({parts})" if parts else ""))
