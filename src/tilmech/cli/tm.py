"""The translation memory: `tilmech tm search/export/import` and `tilmech review suggest`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .context import Context, err, pass_ctx, save_output


@click.group()
def tm() -> None:
    """The translation memory: concordance search, TMX export and import."""


@tm.command("search")
@click.argument("phrase")
@click.option("--lang", required=True, metavar="L")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True, metavar="N")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_ctx
def tm_search(ctx: Context, phrase: str, lang: str, limit: int, as_json: bool) -> None:
    """Segments whose English or L translation holds PHRASE (any case), approved ones first."""
    from ..services import tm_search as search

    results = search(ctx.runtime, phrase, lang, limit)
    for r in results:
        if as_json:
            click.echo(json.dumps({"article": r.article, "segment_id": r.segment_id, "source": r.source,
                                   "text": r.text, "state": r.state}, ensure_ascii=False))
        else:
            click.echo(f"{r.segment_id[:10]}  {r.article}  [{r.state}]\n  en: {r.source}\n  {lang}: {r.text}")
    err(f"{len(results)} found" + (f" (the first {limit}: --limit for more)" if len(results) == limit else ""))


@tm.command("export")
@click.option("--lang", required=True, metavar="L")
@click.option("--approved-only", is_flag=True, help="Only approved translations (default: all but stale ones).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The TMX file to write.")
@pass_ctx
def tm_export(ctx: Context, lang: str, approved_only: bool, output: Path) -> None:
    """Export a language's translations as TMX 1.4b, for CAT tools."""
    from ..services import tm_export as export

    text, count = export(ctx.runtime, lang, approved_only=approved_only)
    save_output(output, text)
    click.echo(f"wrote {output} ({count} units)")


@tm.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--origin", default=None, metavar="NAME",
              help="Name of the memory the units join, shown with each suggestion. Default: the file's name.")
@pass_ctx
def tm_import(ctx: Context, file: Path, origin: str | None) -> None:
    """Add the units of a TMX file to the translation memory (never as approved translations)."""
    from ..inputs import load_input
    from ..services import tm_import as do_import

    text = load_input(file, ctx.runtime.settings.limits.import_bytes)
    report = do_import(ctx.runtime, text, file.name, origin or file.stem)
    click.echo(f"{report.origin}: {report.units} units read, {report.added} added, {report.known} known before"
               + (f" ({', '.join(report.languages)})" if report.languages else ""))


@click.command("suggest")
@click.argument("segment_id")
@click.option("--lang", required=True, metavar="L")
@click.option("--limit", type=click.IntRange(1, 50), default=3, show_default=True, metavar="N")
@click.option("--json", "as_json", is_flag=True, help="The suggestions as JSON (the API's shape).")
@pass_ctx
def suggest(ctx: Context, segment_id: str, lang: str, limit: int, as_json: bool) -> None:
    """Memory suggestions for a segment: close English sentences and their translations, closest first."""
    import dataclasses

    from ..services import suggestions

    found = suggestions(ctx.runtime, segment_id, lang, limit)
    if as_json:
        click.echo(json.dumps({"suggestions": [dataclasses.asdict(x) for x in found]}, ensure_ascii=False,
                              indent=2))
        return
    for n, x in enumerate(found, 1):
        where = f"{x.article} {x.segment_id[:10]}" if x.segment_id else x.origin
        diff = " ".join(p.text if p.op == "equal" else f"[-{p.text}-]" if p.op == "delete" else f"{{+{p.text}+}}"
                        for p in x.diff)
        click.echo(f"{n}. {x.similarity}%  [{x.state}]  {where}\n   en: {diff}\n   {lang}: {x.text}")
    if not found:
        err("no suggestions: no translation or memory unit is close enough")
