"""The review queue (`tilmech review ...`), `tilmech inbox` and `tilmech status`.

Each command acts through ``ctx.backend``: this project's store, or with ``--server`` a Tilmech
server's API (:mod:`.remote`); the output below is the same either way.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Sequence
from typing import Any

import click

from .context import Context, err, pass_ctx, short

# every state a translation can be in (tilmech.review.State), for the help and the default filter
STATES = ("draft", "needs-work", "stale", "approved")
OPEN_STATES = ",".join(state for state in STATES if state != "approved")  # review list's default


@click.group()
def review() -> None:
    """The review queue: list, show, edit, approve, send back, comment."""


def _findings(items: Any) -> str:
    return "; ".join(f"{f.severity}: {f.message}" for f in items)


def table(header: Sequence[str], rows: Sequence[Sequence[str]], right: frozenset[int] = frozenset()) -> list[str]:
    """``header`` and ``rows`` as lines of columns aligned on the widest cell (the last column is not
    padded; the columns in ``right`` are aligned right)."""
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header) - 1)]
    lines = []
    for row in (header, *rows):
        cells = [str(cell).rjust(widths[i]) if i in right else str(cell).ljust(widths[i])
                 for i, cell in enumerate(row[:-1])]
        lines.append("  ".join([*cells, str(row[-1])]).rstrip())
    return lines


def as_json(value: Any) -> str:
    """Service values (frozen dataclasses) as indented JSON, datetimes in ISO 8601, text as written."""
    def default(obj: Any) -> Any:
        if hasattr(obj, "isoformat"):
            return obj.isoformat()
        raise TypeError(f"{type(obj).__name__} is not JSON")

    def plain(obj: Any) -> Any:
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        if isinstance(obj, list | tuple):
            return [plain(v) for v in obj]
        if isinstance(obj, dict):
            return {str(k): plain(v) for k, v in obj.items()}
        return obj

    return json.dumps(plain(value), ensure_ascii=False, indent=2, default=default)


@review.command("list")
@click.option("--lang", default=None, metavar="L")
@click.option("--state", default=None, metavar="S[,S]",
              help=f"Only these states: {', '.join(STATES)} (several: separated by commas). "
                   "Default: all but approved.")
@click.option("--all", "every", is_flag=True, help="Every state, approved segments too.")
@click.option("--article", default=None, metavar="SLUG")
@click.option("--order", type=click.Choice(["risk", "position", "score"]), default="risk", show_default=True,
              help="risk: worst first; position: article order; score: the engine's weakest drafts first.")
@click.option("--min-risk", type=float, default=None, metavar="X", help="Only segments with risk X or more (0-100).")
@click.option("--max-risk", type=float, default=None, metavar="X", help="Only segments with risk X or less (0-100).")
@click.option("--limit", type=click.IntRange(0), default=100, show_default=True, metavar="N",
              help="The first N in that order; 0: all.")
@click.option("--json", "as_json_", is_flag=True,
              help="A JSON array: one object per segment with every field (findings, placeholders, version...).")
@click.option("--ids", is_flag=True, help="Only the segment IDs, one a line (for `review approve -`).")
@pass_ctx
def review_list(ctx: Context, lang: str | None, state: str | None, every: bool, article: str | None, order: str,
                min_risk: float | None, max_risk: float | None, limit: int, as_json_: bool, ids: bool) -> None:
    """Segments and their translations, worst first (risk 0-100, see docs/quality.md).

    Columns: SEGMENT (the ID other commands take), LANG, RISK (0-100; - not checked yet), STATE,
    QA (number of open findings), ARTICLE, TEXT (the current translation, cut to 70 characters).
    Approved segments are left out unless asked for (--state approved, or --all)."""
    if every and state:
        raise click.UsageError("give --state S or --all, not both")
    if as_json_ and ids:
        raise click.UsageError("give --json or --ids, not both")
    states = None if every else state or OPEN_STATES
    items = ctx.backend.review_list(lang, states, article, order=order, min_risk=min_risk, max_risk=max_risk,
                                    limit=limit or None)
    if as_json_:
        click.echo(as_json(items))
    elif ids:
        for it in items:
            click.echo(it.segment_id)
    elif items:
        rows = [(it.segment_id, it.lang, f"{it.risk:.1f}" if it.risk is not None else "-", it.state,
                 str(len(it.findings)), it.article, short(it.text)) for it in items]
        for line in table(("SEGMENT", "LANG", "RISK", "STATE", "QA", "ARTICLE", "TEXT"), rows,
                          right=frozenset({2, 4})):
            click.echo(line)
    more = " (the first; --limit 0 lists all)" if limit and len(items) == limit else ""
    hidden = "; approved ones not listed (--all lists them)" if states == OPEN_STATES else ""
    err(f"{len(items)} segments{more}{hidden}")


def _notes(view: Any) -> list[str]:
    """The send-back notes and comments of a segment's translations, oldest first, one line each."""
    notes = []
    for lang, entries in view.history.items():
        for h in entries:
            if h.action == "send-back":
                notes.append((h.at, lang, f"{h.who} sent back: {h.note}" if h.note else f"{h.who} sent back"))
    for lang, comments in (view.comments or {}).items():
        for c in comments:
            notes.append((c.at, lang, f"{c.who} commented: {c.text}"))
    notes.sort(key=lambda note: note[0])  # by time (to the second): within one, send-backs first
    return [f"  {at}  {lang}  {' '.join(text.split())}" for at, lang, text in notes]


@review.command("show")
@click.argument("segment_id")
@click.option("--lang", default=None, metavar="L")
@pass_ctx
def review_show(ctx: Context, segment_id: str, lang: str | None) -> None:
    """A segment: its send-back notes and comments first, then source, machine draft, current text, QA
    findings and history."""
    view = ctx.backend.review_show(segment_id, lang)
    click.echo(f"segment {view.segment_id}  article {view.article}")
    notes = _notes(view)
    if notes:
        click.echo("notes:")
        for line in notes:
            click.echo(line)
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
    backend = ctx.backend
    if version is None:  # the text replaced is the one read now: a change after this read is refused too
        items = backend.review_show(segment_id, lang).items
        version = items[0].version if items else None
    item = backend.review_edit(segment_id, lang, text, version)
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
@click.option("--acknowledge", "acknowledge", multiple=True, metavar="CODE[,CODE]",
              help="Approve although the text has open functional QA findings of this code (e.g. term-missing; "
                   "repeatable); the acknowledgement is recorded. Without it, a terminal asks; otherwise the "
                   "approval is refused (exit 1) naming the codes.")
@click.option("--propagate", is_flag=True,
              help="Also give the approved text to every segment not yet approved whose English is identical, "
                   "in this language (left as drafts, recorded in their history).")
@pass_ctx
def review_approve(ctx: Context, segment_ids: tuple[str, ...], lang: str, articles: tuple[str, ...],
                   max_risk: float | None, yes: bool, include: tuple[str, ...], acknowledge: tuple[str, ...],
                   propagate: bool) -> None:
    """Approve segments (IDs...) or the drafts of a whole article (--article SLUG); all or nothing.

    Of an article, segments sent back (needs-work) or whose English changed (stale) are
    skipped and counted, unless named by id or asked for with --include needs-work,stale.
    With --max-risk X, only the article's segments whose risk is below X and that
    have no QA findings are approved (the count is shown first; confirm or --yes).
    A text with open functional QA findings is approved only with --acknowledge CODE
    (or a yes at the terminal's question); critical findings always refuse it.
    """
    backend = ctx.backend
    codes = tuple(part.strip() for item in acknowledge for part in item.split(",") if part.strip())
    from_stdin = segment_ids == ("-",)
    if from_stdin:  # the ids on stdin, separated by spaces or lines (a script's output)
        segment_ids = tuple(sys.stdin.read().split())
        if not segment_ids:
            raise click.UsageError("no segment IDs on stdin")
    if len(articles) > 1 and max_risk is None and not segment_ids:  # one process, one transaction each
        for slug in articles:
            each = backend.approve(lang, (), slug, include=include, acknowledge=codes, propagate=propagate)
            click.echo(f"{slug}: approved {each.approved} segments ({each.lang})" + _reported(each))
        return
    if len(articles) > 1 and max_risk is not None:
        raise click.UsageError("--max-risk takes one --article")
    article = articles[0] if articles else None
    if segment_ids and article:
        raise click.UsageError("give segment IDs or --article, not both")
    if include and not article:
        raise click.UsageError("--include needs --article SLUG (segments named by id are approved in any state)")
    if max_risk is None:
        done = _approve_acknowledging(backend, lang, segment_ids, article, include, codes, propagate,
                                      ask=not from_stdin and sys.stdin.isatty())
        click.echo(f"approved {done.approved} segments ({done.lang})" + _reported(done))
        return
    if not article:
        raise click.UsageError("--max-risk needs --article SLUG")
    if propagate:
        raise click.UsageError("--propagate goes with IDs or --article without --max-risk")
    plan = backend.bulk_approve(lang, article, max_risk, dry_run=True, only=None, include=include, acknowledge=codes)
    click.echo(f"{len(plan.approved)} segments of {article} ({plan.lang}) have risk below {max_risk:g} and no QA "
               f"findings; {plan.held_back} held back, {plan.already} approved before" + _reported(plan))
    if not plan.approved:
        return
    if not yes:
        click.confirm(f"approve these {len(plan.approved)} segments?", abort=True)
    done_bulk = backend.bulk_approve(lang, article, max_risk, dry_run=False, only=plan.approved, include=include,
                                     acknowledge=codes)
    click.echo(f"approved {len(done_bulk.approved)} segments ({done_bulk.lang})")


def _approve_acknowledging(backend: Any, lang: str, segment_ids: Sequence[str], article: str | None,
                           include: Sequence[str], codes: Sequence[str], propagate: bool, *, ask: bool) -> Any:
    """The approval; refused for open findings not acknowledged: at a terminal, the findings are listed
    and, when confirmed, approved again acknowledging them; otherwise the refusal names the codes."""
    from ..errors import FindingsNotAcknowledged

    try:
        return backend.approve(lang, segment_ids, article, include=include, acknowledge=codes, propagate=propagate)
    except FindingsNotAcknowledged as exc:
        found = sorted({str(f.get("code", "")) for f in exc.findings} - set(codes) - {""})
        if not ask or not found:
            flags = " ".join(f"--acknowledge {code}" for code in found)
            if flags and flags not in str(exc):
                raise FindingsNotAcknowledged(f"{exc} (here: run again with {flags})", exc.findings) from None
            raise
        err(str(exc))
        for f in exc.findings:
            err(f"  {f.get('severity', '')} {f.get('code', '')}: {f.get('message', '')}")
        click.confirm("Approve anyway?", abort=True, err=True)
        return backend.approve(lang, segment_ids, article, include=include, acknowledge=(*codes, *found),
                               propagate=propagate)


def _reported(done: Any) -> str:
    """What an approval skipped and why, naming the way to approve those, and what it propagated:
    ``; skipped 2 needs-work: ...``; "" when it did all it was asked."""
    held = {state: ids for state, ids in done.skipped.items() if ids}
    text = ""
    if held:
        counts = ", ".join(f"{len(ids)} {state}" for state, ids in sorted(held.items()))
        ids = " ".join(sid for _, group in sorted(held.items()) for sid in group)
        text = f"; skipped {counts}: name them by id ({ids}) or use --include {','.join(sorted(held))}"
    unacknowledged = getattr(done, "unacknowledged", None) or {}
    if unacknowledged:
        codes = sorted({str(f.get("code")) for findings in unacknowledged.values() for f in findings})
        text += (f"; skipped {len(unacknowledged)} with open QA findings ({', '.join(codes)}): approve them "
                 f"with --acknowledge CODE, or edit them ({' '.join(unacknowledged)})")
    propagated = getattr(done, "propagated", 0) or 0
    if propagated:
        text += f"; the same text given to {propagated} identical segments (left as drafts)"
    return text


@review.command("send-back")
@click.argument("segment_ids", nargs=-1, required=True)
@click.option("--lang", required=True, metavar="L")
@click.option("--note", default="", help="Why, for the translator (it reaches their inbox).")
@pass_ctx
def review_send_back(ctx: Context, segment_ids: tuple[str, ...], lang: str, note: str) -> None:
    """Mark segments needs-work."""
    count = ctx.backend.send_back(lang, segment_ids, note)
    click.echo(f"sent back {count} segments ({lang})")


@review.command("comment")
@click.argument("segment_id")
@click.option("--lang", required=True, metavar="L")
@click.option("--text", required=True, help="The comment (it reaches the inbox of the language's translators).")
@pass_ctx
def review_comment(ctx: Context, segment_id: str, lang: str, text: str) -> None:
    """Comment on a segment's translation (anyone who may review the language)."""
    ctx.backend.comment(segment_id, lang, text)
    click.echo(f"commented on {segment_id} ({lang})")


@click.command()
@click.option("--all", "every", is_flag=True,
              help="The notes seen before too (the latest 200), the new ones marked *; changes nothing.")
@click.option("--json", "as_json_", is_flag=True, help='A JSON object: {"items": [...], "unseen": N}.')
@pass_ctx
def inbox(ctx: Context, every: bool, as_json_: bool) -> None:
    """Segments of your languages sent back (with the note) or commented by someone else since you last
    looked, newest first. Listing them counts as looking (here, in the workbench or through the API):
    the next `tilmech inbox` lists only what comes after. --all looks back without that."""
    items = ctx.backend.inbox(include_seen=every, mark_seen=not every)
    unseen = sum(item.unseen for item in items)
    if as_json_:
        click.echo(as_json({"items": items, "unseen": unseen}))
    elif items:
        rows = [(*(("*" if item.unseen else "",) if every else ()), f"{item.when:%Y-%m-%d %H:%M}", item.lang,
                 item.kind, item.who, item.segment_id, item.state, item.article, short(item.text or "-"))
                for item in items]
        header = (*(("NEW",) if every else ()), "WHEN (UTC)", "LANG", "KIND", "WHO", "SEGMENT", "STATE",
                  "ARTICLE", "TEXT")
        for line in table(header, rows):
            click.echo(line)
    if every:
        err(f"{len(items)} notes, {unseen} new")
    else:
        err(f"{unseen} new notes" if items else "nothing new in your inbox (--all lists the earlier notes)")


@click.command()
@pass_ctx
def status(ctx: Context) -> None:
    """Segments per language and state."""
    languages, data = ctx.backend.status()
    for lang in languages:
        counts = data.get(lang, {})
        total = sum(counts.values())
        parts = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        click.echo(f"{lang}: {total} segments" + (f" ({parts})" if parts else ""))
