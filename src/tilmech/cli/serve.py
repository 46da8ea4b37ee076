"""The review workbench: `tilmech serve`."""

from __future__ import annotations

import os
from typing import Any

import click

from .context import Context, err, pass_ctx


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes: one per CPU core serves more reviewers at once.")
@click.option("--forwarded-allow-ips", "forwarded", default="", metavar="IPS",
              help="Addresses of the reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed "
                   "(comma-separated, e.g. 127.0.0.1); default: none, every client is its peer address.")
@pass_ctx
def serve(ctx: Context, host: str, port: int, workers: int, forwarded: str) -> None:
    """Start the review workbench (web pages and the JSON API under /api/)."""
    import uvicorn

    from ..web import create_app

    app = create_app(ctx.runtime)  # also checks the project and creates the session key once
    err(f"workbench on http://{host}:{port}/ (API: /api/, OpenAPI: /openapi.json)"
         + (f", {workers} processes" if workers > 1 else ""))
    proxies = ",".join(ip.strip() for ip in forwarded.split(",") if ip.strip())
    # without a proxy named, uvicorn must not believe X-Forwarded-For (its own default trusts 127.0.0.1):
    # anyone could pose as a new client to the sign-in limit
    trust: dict[str, Any] = {"proxy_headers": bool(proxies), "forwarded_allow_ips": proxies or None}
    if workers == 1:
        uvicorn.run(app, host=host, port=port, log_level="warning", **trust)
        return
    # each process builds its app from the project: sessions are signed with the store's key,
    # so any process serves any reviewer
    os.environ["TILMECH_SERVE_PROJECT"] = ctx.project_dir
    if ctx.user:
        os.environ["TILMECH_USER"] = ctx.user
    uvicorn.run("tilmech.web:app_from_environment", factory=True, host=host, port=port, workers=workers,
                log_level="warning", **trust)
