"""The published site in a real browser: lang attributes, hreflang alternates, the language switcher."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import drafted
from tilmech import services

SEED = "smart-classroom-kyrgyzstan"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--allow-file-access-from-files"]


@pytest.fixture
def site(pseudo_project: Path, tmp_path: Path) -> Path:
    rt = drafted(pseudo_project, approve=(SEED, "partners-showcase"))
    release = services.release_create(rt)
    services.release_approve(rt, release.id)
    return services.publish(rt, release.id, tmp_path / "out").current


def test_language_switcher_and_alternates(site: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.goto((site / "ky" / "index.html").resolve().as_uri())
        assert page.get_attribute("html", "lang") == "ky"
        assert page.text_content("p.meta") == "2 макала"  # Babel's plural rules through the ky catalog
        titles = page.locator("ul.articles li a")
        assert titles.count() == 2
        assert "2024" in page.locator("ul.articles li").nth(0).text_content()  # newest first
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
        browser.close()
