"""The published site as search engines and feed readers read it: absolute URLs from ``site.base_url``,
``sitemap.xml``, ``robots.txt``, Atom feeds, canonical / hreflang / Open Graph, a landing page, a favicon.

Judged by schemas and checkers others wrote: the sitemaps.org 0.9 XSD and the RFC 4287 RELAX NG
grammar (copies in tests/data/schemas/), and the Nu Html Checker when its jar is there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from lxml import etree, html

from conftest import drafted, make_project
from tilmech import services
from tilmech.errors import ConfigError
from tilmech.runtime import Runtime

BASE = "https://news.example.org/ichei/"
SCHEMAS = Path(__file__).parent / "data" / "schemas"
SEED, OTHER = "smart-classroom-kyrgyzstan", "partners-showcase"
ATOM = "{http://www.w3.org/2005/Atom}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"
NAMES = {"en": "English", "ru": "Русский", "ky": "Кыргызча", "zh": "简体中文"}
BCP47 = {"en": "en", "ru": "ru", "ky": "ky", "zh": "zh-Hans"}


def _set_base_url(project: Path, base_url: str) -> None:
    settings = project / "tilmech.yaml"
    text = settings.read_text(encoding="utf-8")
    assert 'base_url: ""' in text
    settings.write_text(text.replace('base_url: ""', f'base_url: "{base_url}"'), encoding="utf-8")


def _approved_release(rt: Runtime) -> int:
    """ru and zh ship both articles; ky only the seed (the other is held back there)."""
    for code in ("ru", "zh"):
        for slug in (SEED, OTHER):
            services.review_approve(rt, code, article=slug)
    services.review_approve(rt, "ky", article=SEED)
    release = services.release_create(rt)
    services.release_approve(rt, release.id)
    return release.id


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One release published with ``site.base_url`` set; the folder ``current`` points at."""
    root = tmp_path_factory.mktemp("site")
    project = make_project(root / "project", engine="pseudo")
    _set_base_url(project, BASE.rstrip("/"))  # written without the trailing slash: it is added
    rt = drafted(project)
    report = services.publish(rt, _approved_release(rt), root / "public")
    assert report.warnings == ()
    rt.close()
    return root / "public" / "current"


def _page(path: Path) -> html.HtmlElement:
    return html.fromstring(path.read_bytes())


def _head(page: html.HtmlElement) -> dict[str, Any]:
    def meta(key: str, value: str) -> list[str]:
        return [str(m.get("content")) for m in page.xpath(f"//head/meta[@{key}=$v]", v=value)]

    return {
        "canonical": [str(link.get("href")) for link in page.xpath("//head/link[@rel='canonical']")],
        "hreflang": {str(link.get("hreflang")): str(link.get("href"))
                     for link in page.xpath("//head/link[@rel='alternate'][@hreflang]")},
        "feeds": {str(link.get("type")): str(link.get("href"))
                  for link in page.xpath("//head/link[@rel='alternate'][@type]")},
        "icon": [str(link.get("href")) for link in page.xpath("//head/link[@rel='icon']")],
        "description": meta("name", "description"),
        "og": {key: meta("property", f"og:{key}") for key in ("type", "title", "description", "url", "locale")},
    }


def _pages(folder: Path) -> dict[str, Path]:
    """Every HTML page of the release by its path from the release root."""
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*.html"))}


def _url(path: str) -> str:
    """The public URL of a page: index pages as their folder."""
    return BASE + (path.removesuffix("index.html"))


def test_with_a_base_url_every_url_a_crawler_reads_is_absolute(site: Path) -> None:
    pages = _pages(site)
    assert f"ky/{OTHER}.html" not in pages and f"ru/{OTHER}.html" in pages
    for path, file in pages.items():
        head = _head(_page(file))
        assert head["canonical"] == [_url(path)], path
        assert head["og"]["url"] == [_url(path)], path
        hreflang = head["hreflang"]
        assert isinstance(hreflang, dict) and hreflang and all(h.startswith(BASE) for h in hreflang.values()), path
        if path != "index.html":
            assert hreflang[BCP47[path.split("/")[0]]] == _url(path), path  # each page names itself
        # the favicon is linked from every page and is there
        assert head["icon"] and (file.parent / str(head["icon"][0])).resolve().is_file(), path

    article = _head(_page(site / "ru" / f"{OTHER}.html"))
    # ky holds the article back: absent from the alternates; x-default is the English page
    assert article["hreflang"] == {"en": f"{BASE}en/{OTHER}.html", "ru": f"{BASE}ru/{OTHER}.html",
                                   "zh-Hans": f"{BASE}zh/{OTHER}.html", "x-default": f"{BASE}en/{OTHER}.html"}
    assert article["feeds"] == {"application/atom+xml": f"{BASE}ru/feed.xml",
                                "application/feed+json": f"{BASE}ru/feed.json"}
    summary = json.loads((site / "ru" / "feed.json").read_text(encoding="utf-8"))["items"][0]["summary"]
    assert article["description"] == [" ".join(summary.split())] and summary
    assert article["og"] == {"type": ["article"], "title": [_page(site / "ru" / f"{OTHER}.html").findtext(".//h1")],
                             "description": article["description"], "url": [f"{BASE}ru/{OTHER}.html"],
                             "locale": ["ru_RU"]}
    seed = _head(_page(site / "ky" / f"{SEED}.html"))
    assert set(seed["hreflang"]) == {"en", "ru", "ky", "zh-Hans", "x-default"}

    index = _head(_page(site / "zh" / "index.html"))
    assert index["hreflang"] == {**{BCP47[c]: f"{BASE}{c}/" for c in NAMES}, "x-default": BASE}
    assert index["og"]["locale"] == ["zh_CN"] and index["og"]["type"] == ["website"]

    feed = json.loads((site / "ru" / "feed.json").read_text(encoding="utf-8"))
    assert feed["home_page_url"] == f"{BASE}ru/" and feed["feed_url"] == f"{BASE}ru/feed.json"
    assert [item["url"] for item in feed["items"]] == [f"{BASE}ru/{OTHER}.html", f"{BASE}ru/{SEED}.html"]


def test_pages_have_dates_headings_and_a_landing_page(site: Path) -> None:
    ru = _page(site / "ru" / "index.html")
    assert [h.text_content() for h in ru.xpath("//h1")] == ["Новости UNESCO-ICHEI"]
    assert [t.get("datetime") for t in ru.xpath("//main//li/time")] == ["2024-03-15", "2023-06-06"]
    article = _page(site / "zh" / f"{SEED}.html")
    (time,) = article.xpath("//article//time")
    assert time.get("datetime") == "2023-06-06" and time.text_content() == "2023年6月6日"

    landing = _page(site / "index.html")
    links = {a.text_content(): (a.get("href"), a.get("lang")) for a in landing.xpath("//main//a")}
    assert links == {NAMES[c]: (f"{c}/index.html", BCP47[c]) for c in NAMES}  # each language by its own name
    assert _head(landing)["hreflang"] == {**{BCP47[c]: f"{BASE}{c}/" for c in NAMES}, "x-default": BASE}
    assert _head(landing)["canonical"] == [BASE]
    assert len(landing.xpath("//h1")) == 1 and (site / "favicon.svg").read_bytes().startswith(b"<svg")


def test_the_sitemap_is_valid_and_lists_every_page_with_its_alternates(site: Path) -> None:
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "sitemap-with-alternates.xsd")))
    doc = etree.parse(str(site / "sitemap.xml"))
    assert schema.validate(doc), schema.error_log
    urls = {str(u.findtext(f"{SM}loc")): {str(link.get("hreflang")): str(link.get("href"))
                                          for link in u.findall(f"{XHTML}link")}
            for u in doc.getroot().findall(f"{SM}url")}
    assert set(urls) == {_url(path) for path in _pages(site)}  # every page, nothing else
    assert f"{BASE}ky/{OTHER}.html" not in urls
    for loc, alternates in urls.items():
        assert alternates and all(href.startswith(BASE) for href in alternates.values()), loc
        for lang, href in alternates.items():  # alternates are reciprocal: each lists the same set
            if lang != "x-default":
                assert urls[href] == alternates, (loc, href)
    assert urls[f"{BASE}zh/{SEED}.html"]["x-default"] == f"{BASE}en/{SEED}.html"
    assert "ky" not in urls[f"{BASE}ru/{OTHER}.html"]
    robots = (site / "robots.txt").read_text(encoding="utf-8").splitlines()
    assert "User-agent: *" in robots and f"Sitemap: {BASE}sitemap.xml" in robots

    # the schema is not a rubber stamp: a relative location fails it
    bad = etree.fromstring((site / "sitemap.xml").read_bytes().replace(BASE.encode(), b"", 1))
    assert not schema.validate(bad)


def test_atom_feeds_are_valid_rfc_4287(site: Path) -> None:
    schema = etree.RelaxNG(etree.parse(str(SCHEMAS / "atom.rng")))
    for code in NAMES:
        doc = etree.parse(str(site / code / "feed.xml"))
        assert schema.validate(doc), (code, schema.error_log)
        feed = doc.getroot()
        manifest = json.loads((site / code / "manifest.json").read_text(encoding="utf-8"))
        entries = feed.findall(f"{ATOM}entry")
        assert [e.findtext(f"{ATOM}id") for e in entries] == [f"{BASE}{code}/{a['slug']}.html"
                                                              for a in manifest["articles"]]
        assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == BCP47[code]
        assert feed.find(f"{ATOM}author") is not None  # RFC 4287 4.1.1: a feed author, as entries may lack one
        links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
        assert links == {"self": f"{BASE}{code}/feed.xml", "alternate": f"{BASE}{code}/"}
        assert feed.findtext(f"{ATOM}updated") == max(f"{a['date']}T00:00:00Z" for a in manifest["articles"])
        for entry in entries:  # 4.1.2: at most one alternate link per type and language; a summary
            assert len(entry.findall(f"{ATOM}link[@rel='alternate']")) == 1
            assert entry.findtext(f"{ATOM}summary")
    ru = etree.parse(str(site / "ru" / "feed.xml")).getroot()
    ru.remove(ru.find(f"{ATOM}title"))
    assert not schema.validate(ru)  # a feed without a title fails the grammar


def _vnu() -> list[str] | None:
    jar = os.environ.get("VNU_JAR", "")
    if jar and Path(jar).is_file() and shutil.which("java"):
        return ["java", "-jar", jar]
    return [found] if (found := shutil.which("vnu")) else None


def test_every_page_is_well_formed_html(site: Path) -> None:
    """Always: one <h1>, a title, a lang, no duplicate ids, head metadata inside <head>."""
    for path, file in _pages(site).items():
        text = file.read_text(encoding="utf-8")
        assert text.startswith("<!DOCTYPE html>\n"), path
        page = _page(file)
        assert page.get("lang") and page.findtext(".//title"), path
        assert len(page.xpath("//h1")) == 1, path
        ids = [str(e.get("id")) for e in page.xpath("//*[@id]")]
        assert len(ids) == len(set(ids)), path
        assert not page.xpath("//body//link | //body//meta"), path


def test_every_page_passes_the_nu_html_checker(site: Path) -> None:
    """The W3C checker's engine (npm vnu-jar; VNU_JAR=path/to/vnu.jar, or vnu on PATH): no errors."""
    command = _vnu()
    if command is None:
        pytest.skip("the Nu Html Checker is not installed: npm install vnu-jar, then set VNU_JAR")
    result = subprocess.run([*command, "--errors-only", "--format", "json", *map(str, _pages(site).values())],
                            capture_output=True, text=True, timeout=300)
    assert json.loads(result.stderr or result.stdout)["messages"] == []


def test_without_a_base_url_publish_warns_and_links_stay_relative(pseudo_project: Path, tmp_path: Path,
                                                                  tilmech) -> None:  # type: ignore[no-untyped-def]
    rt = drafted(pseudo_project)
    release = _approved_release(rt)
    out = tmp_path / "public"
    result = tilmech("--project", pseudo_project, "publish", str(release), "--to", out)
    assert result.code == 0, result
    assert [line for line in result.err.splitlines() if line.startswith("warning:")] == [
        "warning: site.base_url is not set in tilmech.yaml: hreflang alternates and feed links are relative, and "
        "the pages have no canonical link or og:url and the release no sitemap.xml (they need absolute URLs): set "
        "site.base_url to the site's public URL, e.g. https://news.example.org/"]
    site = out / "current"
    assert not (site / "sitemap.xml").exists()
    assert (site / "robots.txt").read_text(encoding="utf-8") == "User-agent: *\nAllow: /\n"
    article = _head(_page(site / "ru" / f"{OTHER}.html"))
    assert article["canonical"] == [] and article["og"]["url"] == []
    assert article["hreflang"] == {"en": f"../en/{OTHER}.html", "ru": f"../ru/{OTHER}.html",
                                   "zh-Hans": f"../zh/{OTHER}.html", "x-default": f"../en/{OTHER}.html"}
    assert article["feeds"] == {"application/atom+xml": "../ru/feed.xml", "application/feed+json": "../ru/feed.json"}
    assert _head(_page(site / "ky" / "index.html"))["hreflang"]["x-default"] == "../index.html"
    assert _head(_page(site / "index.html"))["hreflang"]["ru"] == "ru/index.html"
    feed = json.loads((site / "ru" / "feed.json").read_text(encoding="utf-8"))
    assert feed["home_page_url"] == "index.html" and feed["items"][0]["url"] == f"{OTHER}.html"
    atom = etree.parse(str(site / "ru" / "feed.xml"))
    assert etree.RelaxNG(etree.parse(str(SCHEMAS / "atom.rng"))).validate(atom)
    assert all(str(i.text).startswith("urn:uuid:") for i in atom.getroot().iter(f"{ATOM}id"))


def test_a_base_url_that_is_not_an_http_url_is_refused(pseudo_project: Path, tmp_path: Path) -> None:
    _set_base_url(pseudo_project, "news.example.org")
    rt = drafted(pseudo_project)
    release = _approved_release(rt)
    with pytest.raises(ConfigError, match=r"^tilmech.yaml: site.base_url: 'news.example.org' is not an http\(s\)"):
        services.publish(rt, release, tmp_path / "public")
    assert not (tmp_path / "public" / "current").exists()
