"""The published site in a real browser: lang attributes, hreflang alternates, the language switcher,
and axe-core's accessibility rules (the engine of Lighthouse's accessibility score) on every kind of page."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import drafted
from test_publish import approve_article
from tilmech import services

SEED = "smart-classroom-kyrgyzstan"
LOCALES = ("en", "ru", "ky", "zh")


@pytest.fixture
def site(pseudo_project: Path, tmp_path: Path) -> Path:
    rt = drafted(pseudo_project)
    for code in ("ru", "ky", "zh"):
        for slug in (SEED, "partners-showcase"):
            approve_article(rt, code, slug)
    release = services.release_create(rt)
    services.release_approve(rt, release.id)
    current = services.publish(rt, release.id, tmp_path / "out").current
    rt.close()
    return current


@pytest.fixture
def served(site: Path) -> Iterator[str]:
    """The release served over HTTP on 127.0.0.1, as a web server serves it."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_language_switcher_and_alternates(site: Path, browser: Any) -> None:
    page = browser.new_page()
    page.goto((site / "ky" / "index.html").resolve().as_uri())
    assert page.get_attribute("html", "lang") == "ky"
    assert page.text_content("p.meta") == "2 макала"  # Babel's plural rules through the ky catalog
    titles = page.locator("ul.teasers li h2 a")
    assert titles.count() == 2
    assert "2024" in page.locator("ul.teasers li").nth(0).text_content()  # newest first
    titles.nth(1).click()
    assert page.url.endswith(f"/ky/{SEED}.html")
    assert "2023-ж., 6-июнь" in page.text_content("article .meta")
    alternates = {link.get_attribute("hreflang"): link.get_attribute("href")
                  for link in page.locator('link[rel="alternate"][hreflang]').all()}
    assert alternates == {"en": f"../en/{SEED}.html", "ky": f"../ky/{SEED}.html", "ru": f"../ru/{SEED}.html",
                          "zh-Hans": f"../zh/{SEED}.html", "x-default": f"../en/{SEED}.html"}
    assert page.get_attribute('nav.languages a[aria-current="page"]', "hreflang") == "ky"
    page.click('nav.languages a[hreflang="ru"]')
    assert page.url.endswith(f"/ru/{SEED}.html")
    assert page.get_attribute("html", "lang") == "ru"
    assert "6 июня 2023" in page.text_content("article .meta")
    page.click('nav.languages a[hreflang="zh-Hans"]')
    assert page.get_attribute("html", "lang") == "zh-Hans"
    assert page.text_content("article .meta") == "发布于 2023年6月6日"


def _violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {len(v['nodes'])}" for v in results.response["violations"]]


@pytest.mark.slow  # ~25 s: axe-core on nine pages, twice
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violation_on_the_landing_page_indexes_and_articles(served: str, browser: Any,
                                                                         scheme: str) -> None:
    """axe-core (PyPI axe-playwright-python) in Chromium: every rule, in light and dark colours."""
    pages = ["index.html", *(f"{code}/index.html" for code in LOCALES), *(f"{code}/{SEED}.html" for code in LOCALES)]
    context = browser.new_context(color_scheme=scheme)
    found = {}
    for path in pages:
        page = context.new_page()
        response = page.goto(served + path)
        assert response is not None and response.status == 200, path
        found[path] = _violations(page)
        page.close()
    assert found == {path: [] for path in pages}
    context.close()


def test_every_image_and_link_of_the_site_arrives(served: str, browser: Any) -> None:
    """What linkinator checks, from the browser: every page, stylesheet, icon and image the pages
    reference on the site answers 200 (links to other hosts are not followed)."""
    page = browser.new_page()
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    seen: set[str] = set()
    queue = [served + "index.html"]
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        response = page.goto(url)
        assert response is not None
        if response.status >= 400:
            failed.append(f"{response.status} {url}")
            continue
        images = page.eval_on_selector_all("img", "els => els.map(e => [e.currentSrc, e.naturalWidth])")
        failed += [f"broken image {src}" for src, width in images if not width]
        links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        queue += [link.split("#")[0] for link in links if link.startswith(served) and link.endswith(".html")]
    assert failed == []
    assert len(seen) == 1 + 4 + 8  # the landing page, four indexes, eight article pages
