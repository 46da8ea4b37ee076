"""XLIFF for CAT tools: `tilmech xliff export` and `import`."""

from __future__ import annotations

from pathlib import Path

import click

from .context import Context, err, pass_ctx, save_output


@click.group()
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
    from ..services import xliff_export as export

    text = export(ctx.runtime, article, lang, version)
    target = output or Path(f"{article}.{lang}.xlf")
    save_output(target, text)
    click.echo(f"wrote {target}")


@xliff.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_ctx
def xliff_import(ctx: Context, file: Path) -> None:
    """Apply a translated XLIFF file; reports per segment what changed or why it was refused."""
    from ..errors import WorkflowError
    from ..inputs import load_input
    from ..services import xliff_import as do_import

    text = load_input(file, ctx.runtime.settings.limits.import_bytes)
    outcomes = do_import(ctx.runtime, text, file.name)
    for o in outcomes:
        click.echo(f"{o.segment_id}  {o.outcome}" + (f": {o.detail}" if o.detail else ""))
    refused = sum(o.outcome == "refused" for o in outcomes)
    err(f"{len(outcomes)} units: {sum(o.outcome not in ('refused', 'unchanged') for o in outcomes)} changed, "
         f"{refused} refused")
    if refused:
        raise WorkflowError(f"{refused} of {len(outcomes)} units were refused (see above)")
