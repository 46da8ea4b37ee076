"""The published site judged by the web's own tools: Lighthouse 12 scores and linkinator's broken links.

    bash scripts/test --co -q >/dev/null     # once: installs the npm tools under .cache/webcheck/
    .venv/bin/python bench/site_checks.py    # prints the scores; exit 1 when one is below the bar

It builds a project in a temporary folder from this repository's articles, glossary and
catalogs (and the test article with links and an image, ``tests/data/articles/``), drafts it in
ru, ky and zh with the pseudo engine, approves everything, publishes the release with
``site.base_url`` set to where it is then served (``http://127.0.0.1:PORT/``, a local HTTP server),
and runs:

  linkinator   ``linkinator URL --recurse`` (npm ``linkinator``): every link, image, stylesheet and
               icon of the site; links to other hosts skipped (no network here)
  lighthouse   Lighthouse 12.2.3 (npm; 13 needs Node 22), headless Debian Chromium
               (``CHROME_PATH``, default ``/usr/bin/chromium``), on an article in ru and in zh and
               on the zh index: SEO, accessibility, best practices (and performance, shown only)

The bar (issue 20): SEO 100, accessibility 100, best practices >= 96, no broken link.
``--tools DIR`` names the folder of the npm installs (default ``.cache/webcheck``).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import inspect
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEED = "smart-classroom-kyrgyzstan"
PAGES = {"ru article": f"ru/{SEED}.html", "zh article": f"zh/{SEED}.html", "zh index": "zh/index.html"}
CATEGORIES = ("seo", "accessibility", "best-practices", "performance")
BAR = {"seo": 100, "accessibility": 100, "best-practices": 96}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_site(folder: Path, base_url: str) -> Path:
    """The release described in the module's docstring; the folder ``current`` points at."""
    from tilmech import services
    from tilmech.runtime import load_runtime

    project = folder / "project"
    for name in ("content", "glossary", "locales"):
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("*.mo"))
    shutil.copytree(ROOT / "tests" / "data" / "articles", project / "content" / "en", dirs_exist_ok=True)
    settings = (ROOT / "tilmech.yaml").read_text(encoding="utf-8").replace(": argos", ": pseudo")
    (project / "tilmech.yaml").write_text(settings.replace('base_url: ""', f'base_url: "{base_url}"'),
                                          encoding="utf-8")
    rt = load_runtime(project)
    services.ingest(rt)
    acknowledging = "acknowledge" in inspect.signature(services.review_approve).parameters
    for code in ("ru", "ky", "zh"):
        services.translate_language(rt, code)
        for slug in sorted({item.article for item in services.review_list(rt, code)}):
            codes = sorted({f.code for item in services.review_list(rt, code, article=slug) for f in item.findings
                            if f.severity != "critical"})
            options: dict[str, Any] = {"acknowledge": codes} if acknowledging else {}
            services.review_approve(rt, code, article=slug, **options)
    release = services.release_create(rt)
    services.release_approve(rt, release.id)
    report = services.publish(rt, release.id, folder / "public")
    rt.close()
    return report.current


def serve(folder: Path, port: int) -> http.server.ThreadingHTTPServer:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def linkinator(tools: Path, url: str) -> tuple[int, list[str]]:
    """(links checked, broken ones) of the site at ``url``; other hosts skipped."""
    result = subprocess.run([str(tools / "node_modules" / ".bin" / "linkinator"), url, "--recurse", "--format", "json",
                             "--skip", f"^(?!{url})"], capture_output=True, text=True, timeout=600)
    links = json.loads(result.stdout)["links"]
    checked = [link for link in links if link["state"] != "SKIPPED"]
    return len(checked), [f"{link['status']} {link['url']} (on {link.get('parent')})" for link in checked
                          if link["state"] == "BROKEN"]


def lighthouse(tools: Path, url: str, out: Path) -> dict[str, Any]:
    """Lighthouse's category scores (0-100) and failing audits of one page."""
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    subprocess.run([str(tools / "node_modules" / ".bin" / "lighthouse"), url, "--quiet", "--output=json",
                    f"--output-path={out}", f"--only-categories={','.join(CATEGORIES)}",
                    "--chrome-flags=--headless=new --no-sandbox --disable-gpu"],
                   env=env, check=True, capture_output=True, timeout=600)
    report = json.loads(out.read_text(encoding="utf-8"))
    scores = {key: round(report["categories"][key]["score"] * 100) for key in CATEGORIES}
    failing = sorted({ref["id"] for key in CATEGORIES for ref in report["categories"][key]["auditRefs"]
                      if ref["weight"] and (report["audits"][ref["id"]]["score"] or 0) < 1
                      and report["audits"][ref["id"]]["scoreDisplayMode"] == "binary"})
    return {"scores": scores, "failing": failing, "version": report["lighthouseVersion"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tools", type=Path, default=ROOT / ".cache" / "webcheck")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryDirectory(prefix="tilmech-site-checks-") as tmp:
        site = build_site(Path(tmp), url)
        server = serve(site, port)
        try:
            checked, broken = linkinator(args.tools, url)
            pages = {name: lighthouse(args.tools, url + path, Path(tmp) / f"{name.replace(' ', '-')}.json")
                     for name, path in PAGES.items()}
        finally:
            server.shutdown()
    figures = {"linkinator": {"checked": checked, "broken": broken}, "lighthouse": pages}
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"linkinator: {checked} links checked, {len(broken)} broken")
        for line in broken:
            print(f"  {line}")
        version = next(iter(pages.values()))["version"]
        print(f"\nLighthouse {version}    " + "  ".join(f"{key:>14}" for key in CATEGORIES))
        for name, page in pages.items():
            print(f"{name:<20}" + "  ".join(f"{page['scores'][key]:>14}" for key in CATEGORIES))
            if page["failing"]:
                print(f"{'':<20}failing: {', '.join(page['failing'])}")
    low = [f"{name} {key} {page['scores'][key]}" for name, page in pages.items()
           for key, bar in BAR.items() if page["scores"][key] < bar]
    return 1 if low or broken else 0


if __name__ == "__main__":
    sys.exit(main())
