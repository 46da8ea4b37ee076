"""Take the docs' screenshots (docs/screenshots/): the workbench's dashboard and segment editor,
and an article page of a published Kyrgyz edition.

    .venv/bin/python docs/screenshots.py

Builds a throw-away project from this repository's articles, translated with the
pseudo engine (so the text shown is pseudo-localized, not a translation), serves the
workbench on a free local port and photographs it with Debian's Chromium.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))


def main() -> None:
    import uvicorn
    from playwright.sync_api import sync_playwright

    from conftest import make_project
    from tilmech.web import create_app
    from web_support import PASSWORD, workbench_runtime

    with tempfile.TemporaryDirectory() as tmp:
        rt = workbench_runtime(make_project(Path(tmp) / "project", engine="pseudo"))
        server = uvicorn.Server(uvicorn.Config(create_app(rt), host="127.0.0.1", port=8765, log_level="warning"))
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                        args=["--headless", "--no-sandbox", "--disable-gpu",
                                              "--disable-background-networking", "--no-first-run",
                                              "--allow-file-access-from-files"])
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto("http://127.0.0.1:8765/login")
            page.fill('input[name="name"]', "aida")
            page.fill('input[name="password"]', PASSWORD)
            page.click('button[type="submit"]')
            page.wait_for_url("http://127.0.0.1:8765/")
            page.screenshot(path=str(HERE / "screenshots" / "dashboard.png"))
            page.goto("http://127.0.0.1:8765/edit/partners-showcase/ru")
            page.locator("section.seg textarea").nth(1).press("Control+Shift+Enter")
            page.wait_for_timeout(500)
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(HERE / "screenshots" / "editor.png"))
            # a published article page in Kyrgyz
            from tilmech import services

            for code in ("ru", "ky", "zh"):
                services.review_approve(rt, code, article="smart-classroom-kyrgyzstan")
            release = services.release_create(rt)
            services.release_approve(rt, release.id)
            current = services.publish(rt, release.id, Path(tmp) / "site").current
            page.goto((current / "ky" / "smart-classroom-kyrgyzstan.html").resolve().as_uri())
            page.screenshot(path=str(HERE / "screenshots" / "article-ky.png"))
            browser.close()
        server.should_exit = True


if __name__ == "__main__":
    main()
