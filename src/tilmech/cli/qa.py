"""QA checks: `tilmech qa checks`, `verify`, `report`, `recheck`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .context import Context, pass_ctx, short


@click.group()
def qa() -> None:
    """QA checks: list them, verify a pair, report on the queue, check the queue again."""


@qa.command("checks")
@pass_ctx
def qa_checks(ctx: Context) -> None:
    """Every check: code, severity, languages, what it looks for (and where tilmech.yaml switches it off)."""
    from ..errors import ConfigError
    from ..qa import all_checks
    from ..settings import find_project, load_settings

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

    from ..qa import Severity
    from ..services import qa_verify as verify

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

    from ..services import qa_report as report

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
                      short(it.text, 50), ", ".join(dict.fromkeys(f.code for f in it.findings)))
    console.print(table)


@qa.command("recheck")
@click.option("--lang", default=None, metavar="L")
@click.option("--article", default=None, metavar="SLUG")
@pass_ctx
def qa_recheck(ctx: Context, lang: str | None, article: str | None) -> None:
    """Run the checks again on every stored translation and store findings and risk (after an upgrade
    or a change of qa.disabled)."""
    from ..services import qa_recheck as recheck

    result = recheck(ctx.runtime, lang, article)
    click.echo(f"checked {result.checked} translations, {result.changed} changed")
