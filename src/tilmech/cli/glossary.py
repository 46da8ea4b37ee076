"""Term bases: `tilmech glossary verify`, `export`, `import`, `check`, `stats`, `suggest`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .context import Context, err, pass_ctx, save_output


@click.group()
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

    from ..errors import InputError, UsageError
    from ..services import verify_terms

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
    from ..services import glossary_export as export

    text = export(ctx.runtime, fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        save_output(output, text)
        err(f"wrote {len(ctx.runtime.glossary)} terms to {output}")


@glossary.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--into", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Glossary file for new terms. Default: glossary/imported.yaml.")
@pass_ctx
def glossary_import(ctx: Context, file: Path, into: Path | None) -> None:
    """Merge a TBX or CSV file into the term base; reports what was added, changed and skipped."""
    from ..services import glossary_import as do_import

    report = do_import(ctx.runtime, file, into)
    for label, ids in (("added", report.added), ("changed", report.changed), ("skipped", report.skipped)):
        click.echo(f"{label} {len(ids)}" + (f": {', '.join(ids)}" if ids else ""))


@glossary.command("check")
@click.option("--lang", default=None, metavar="L")
@pass_ctx
def glossary_check(ctx: Context, lang: str | None) -> None:
    """Glossary violations across the review queue, in the current text of each segment."""
    from ..services import glossary_check as check

    violations = check(ctx.runtime, lang)
    for v in violations:
        click.echo(f"{v.segment_id}  {v.lang}  {v.state:<10}  {v.finding.severity} {v.finding.code} "
                   f"{v.finding.term}: {v.finding.message}")
    err(f"{len(violations)} violations")


@glossary.command("stats")
@pass_ctx
def glossary_stats(ctx: Context) -> None:
    """Coverage: terms without a rendering, terms never used, the most frequent violations."""
    from ..services import glossary_stats as stats

    data = stats(ctx.runtime)
    click.echo(f"{data.terms} terms")
    for code, ids in data.without_rendering.items():
        click.echo(f"{code}: {len(ids)} without an approved rendering" + (f" ({', '.join(ids)})" if ids else ""))
    click.echo(f"never seen in content: {len(data.unused)}" + (f" ({', '.join(data.unused)})" if data.unused else ""))
    for lang, term, code, count in data.violations[:20]:
        click.echo(f"{count:>5}  {lang}  {term}  {code}")


@glossary.command("suggest")
@click.option("--min-count", default=2, show_default=True, metavar="N",
              help="Propose a candidate seen N times or more.")
@click.option("--limit", default=50, show_default=True, metavar="N", help="How many candidates to show (and write).")
@click.option("--write", is_flag=True,
              help="Add the candidates to glossary/proposed.yaml as status: proposed entries.")
@click.option("--json", "as_json", is_flag=True, help="The candidates as JSON.")
@pass_ctx
def glossary_suggest(ctx: Context, min_count: int, limit: int, write: bool, as_json: bool) -> None:
    """Candidate terms from content/en/ not in the term base yet: acronyms with their expansions,
    people, organisations, other proper-noun phrases, with counts and an example sentence."""
    import json

    from ..services import glossary_suggest as suggest

    report = suggest(ctx.runtime, min_count=min_count, limit=limit, write=write)
    if as_json:
        click.echo(json.dumps([c.to_dict() for c in report.candidates], ensure_ascii=False, indent=2))
    else:
        for c in report.candidates:
            name = f"{c.text} ({c.acronym})" if c.acronym else c.text
            click.echo(f"{c.count:>4}  {c.kind:<12}  {name}")
            click.echo(f"      e.g. {_around(c.examples[0], c.text)}")
    err(f"{len(report.candidates)} candidates" + (f"; wrote {len(report.written)} proposed terms to {report.file}"
                                                   if report.written else ""))


def _around(sentence: str, text: str, width: int = 100) -> str:
    """The part of ``sentence`` around ``text``, some ``width`` characters."""
    if len(sentence) <= width:
        return sentence
    at = max(sentence.find(text), 0)
    start = max(0, min(at - (width - len(text)) // 2, len(sentence) - width))
    return ("…" if start else "") + sentence[start : start + width].strip() + ("…" if start + width < len(sentence) else "")
