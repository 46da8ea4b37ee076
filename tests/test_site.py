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
from test_publish import approve_article
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
            approve_article(rt, code, slug)
    approve_article(rt, "ky", SEED)
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
    assert [t.get("datetime") for t in ru.xpath("//main//li//time")] == ["2024-03-15", "2023-06-06"]
    article = _page(site / "zh" / f"{SEED}.html")
    (time,) = article.xpath("//article//time")
    assert time.get("datetime") == "2023-06-06" and time.text_content() == "2023年6月6日"

    landing = _page(site / "index.html")
    links = {a.text_content(): (a.get("href"), a.get("lang")) for a in landing.xpath("//main//a")}
    assert links == {NAMES[c]: (f"{c}/index.html", BCP47[c]) for c in NAMES}  # each language by its own name
    assert _head(landing)["hreflang"] == {**{BCP47[c]: f"{BASE}{c}/" for c in NAMES}, "x-default": BASE}
    assert _head(landing)["canonical"] == [BASE]
    assert len(landing.xpath("//h1")) == 1 and (site / "static" / "favicon.svg").read_bytes().startswith(b"<svg")


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
    (asset,) = [a for a in json.loads((site / "manifest.json").read_text(encoding="utf-8"))["assets"]
                if a["source"] == "content/en/images/knu-smart-classroom.jpg"]
    seed_item = next(item for item in feed["items"] if item["id"] == SEED)
    assert f'src="../{asset["path"]}"' in seed_item["content_html"]  # no base URL: as the page has it
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


ALT = "Teachers at the opening of the Smart Classroom at Kyrgyz National University"


def test_with_a_base_url_feed_content_points_at_images_by_absolute_url(site: Path) -> None:
    """Feed readers resolve a relative URL against nothing reliable: with a base URL, the images in
    the feeds' content are at their public URL, a file of the release."""
    manifest = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    (asset,) = [a for a in manifest["assets"] if a["source"] == "content/en/images/knu-smart-classroom.jpg"]
    for code in NAMES:
        feed = json.loads((site / code / "feed.json").read_text(encoding="utf-8"))
        atom = etree.parse(str(site / code / "feed.xml")).getroot()
        bodies = {f"{item['id']} (feed.json)": item["content_html"] for item in feed["items"]}
        bodies |= {f"{e.findtext(f'{ATOM}id')} (feed.xml)": str(e.findtext(f"{ATOM}content"))
                   for e in atom.iter(f"{ATOM}entry")}
        images = {}
        for name, body in bodies.items():
            fragment = html.fragment_fromstring(body, create_parent="div")
            for url in fragment.xpath("//img/@src | //a/@href"):
                assert str(url).startswith(("https://", "http://", "mailto:")), (code, name, url)
            images[name] = [str(u) for u in fragment.xpath("//img/@src")]
        seeds = [srcs for name, srcs in images.items() if SEED in name]
        assert seeds == [[BASE + asset["path"]]] * 2, code  # in both feeds
        assert (site / asset["path"]).is_file()


def test_the_seed_image_ships_with_its_alt_text_in_each_language(site: Path) -> None:
    """The seed article's image: in the release once, in the manifest, on every locale's page with
    the alt text of that locale (a segment translated and approved like the others)."""
    manifest = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    (asset,) = [a for a in manifest["assets"] if a["source"] == "content/en/images/knu-smart-classroom.jpg"]
    assert (asset["width"], asset["height"]) == (800, 450) and (site / asset["path"]).is_file()
    alts = {}
    for code in NAMES:
        page = _page(site / code / f"{SEED}.html")
        (image,) = page.xpath("//article//img")
        assert image.get("src") == f"../{asset['path']}" and (image.get("width"), image.get("height")) == ("800", "450")
        alts[code] = str(image.get("alt"))
    assert alts["en"] == ALT
    assert len(set(alts.values())) == 4  # each locale its own text
    for code in ("ru", "ky", "zh"):
        assert alts[code] != ALT and "Kyrgyz" not in alts[code] and alts[code].strip()


def test_alt_text_and_link_titles_are_segments_checked_and_published(pseudo_project: Path, tmp_path: Path) -> None:
    rt = drafted(pseudo_project)
    items = {item.field: item for item in services.review_list(rt, "ru", article=SEED) if item.field == "alt"}
    alt = items["alt"]
    assert alt.source == ALT and alt.text != ALT  # machine-translated like every segment
    titles = [item for item in services.review_list(rt, "ru", article=OTHER) if item.field == "link-title"]
    assert [t.source for t in titles] == ["KNU website"]
    # checked like the others: English left in the alt text is a finding
    services.review_edit(rt, alt.segment_id, "ru", ALT)
    (edited,) = [i for i in services.review_list(rt, "ru", article=SEED) if i.segment_id == alt.segment_id]
    assert "untranslated" in {f.code for f in edited.findings}
    services.review_edit(rt, alt.segment_id, "ru", "Учителя на открытии Смарт-класса в КНУ")
    services.review_edit(rt, titles[0].segment_id, "ru", "Сайт КНУ")
    for slug in (SEED, OTHER):
        approve_article(rt, "ru", slug)
    release = services.release_create(rt)
    services.release_approve(rt, release.id)
    report = services.publish(rt, release.id, tmp_path / "public")
    seed = _page(report.path / "ru" / f"{SEED}.html")
    assert [i.get("alt") for i in seed.xpath("//article//img")] == ["Учителя на открытии Смарт-класса в КНУ"]
    other = _page(report.path / "ru" / f"{OTHER}.html")
    assert [a.get("title") for a in other.xpath("//article//a[@title]")] == ["Сайт КНУ"]
    markdown = (report.path / "ru" / f"{SEED}.md").read_text(encoding="utf-8")
    (asset,) = [a for a in json.loads((report.path / "manifest.json").read_text(encoding="utf-8"))["assets"]
                if a["source"] == "content/en/images/knu-smart-classroom.jpg"]
    assert f"![Учителя на открытии Смарт-класса в КНУ](../{asset['path']})" in markdown  # the release's copy
    # ingest again: nothing changes for unchanged articles
    assert services.ingest(rt).new_segments == 0
    rt.close()


def test_a_store_from_before_alt_text_segments_publishes_and_segments_it_when_the_article_changes(
        pseudo_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Upgrade: an article segmented before alt text was a segment is not segmented again while it is
    unchanged (its alt text ships as written); once its file changes, ingest adds the alt segment."""
    from tilmech.markdown import extract
    from tilmech.services.documents import segmented

    with monkeypatch.context() as old:
        old.setattr(extract, "_attribute_texts", lambda children: [])  # what the earlier version did
        segmented.cache_clear()
        rt = drafted(pseudo_project)
        approve_article(rt, "ru", SEED)
    segmented.cache_clear()
    assert services.ingest(rt).new_segments == 0  # unchanged: not segmented again
    release = services.release_create(rt)
    assert release.locales["ru"] == (SEED,)
    services.release_approve(rt, release.id)
    report = services.publish(rt, release.id, tmp_path / "public")
    assert [i.get("alt") for i in _page(report.path / "ru" / f"{SEED}.html").xpath("//article//img")] == [ALT]

    source = pseudo_project / "content" / "en" / f"{SEED}.md"
    source.write_text(source.read_text(encoding="utf-8").replace("(images/", "(./images/"), encoding="utf-8")
    assert services.ingest(rt).new_segments == 1  # the alt text, now a segment
    services.translate_language(rt, "ru")
    assert [i.source for i in services.review_list(rt, "ru", article=SEED) if i.field == "alt"] == [ALT]
    rt.close()


THEMED_ARTICLE = """{% extends "default/article.html" %}
{% block main %}<p class="org-kicker">{% trans %}All news{% endtrans %}</p>
{{ super() }}{% endblock %}
"""


def test_a_project_theme_overriding_the_article_template_changes_the_article_pages_only(
        pseudo_project: Path, tmp_path: Path) -> None:
    rt = drafted(pseudo_project)
    release = _approved_release(rt)
    plain = services.publish(rt, release, tmp_path / "plain").path
    templates = pseudo_project / "theme" / "templates"
    templates.mkdir(parents=True)
    (templates / "article.html").write_text(THEMED_ARTICLE, encoding="utf-8")
    themed = services.publish(rt, release, tmp_path / "themed").path

    def files(folder: Path) -> dict[str, bytes]:
        return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
                if p.is_file() and p.name != "build-info.json"}

    before, after = files(plain), files(themed)
    assert set(before) == set(after)
    changed = sorted(path for path in before if before[path] != after[path])
    articles = sorted(path for path in before if path.count("/") == 1 and path.endswith(".html")
                      and not path.endswith("/index.html"))
    assert len(articles) == 7  # en, ru, zh: two articles; ky: one
    assert changed == sorted(articles + [f"{code}/manifest.json" for code in NAMES])  # manifests list their sha256
    for code in NAMES:  # ... and nothing else differs in them
        one, two = (json.loads(f[f"{code}/manifest.json"]) for f in (before, after))
        assert {e["path"] for e in one["files"] if e not in two["files"]} == {
            p.split("/", 1)[1] for p in articles if p.startswith(code + "/")}
    kicker = _page(themed / "ru" / f"{SEED}.html").xpath("//p[@class='org-kicker']")
    assert [p.text_content() for p in kicker] == ["Все новости"]  # interface strings still from gettext
    assert _page(themed / "ru" / f"{SEED}.html").xpath("//article/h1")  # the built-in template inside

    static = pseudo_project / "theme" / "static"
    static.mkdir()
    (static / "site.css").write_text("body { color: black; }\n", encoding="utf-8")
    restyled = services.publish(rt, release, tmp_path / "restyled").path
    assert (restyled / "static" / "site.css").read_text(encoding="utf-8") == "body { color: black; }\n"
    assert (restyled / "static" / "favicon.svg").read_bytes() == (plain / "static" / "favicon.svg").read_bytes()
    rt.close()


def test_the_default_theme_has_a_masthead_teasers_and_a_footer(pseudo_project: Path, tmp_path: Path) -> None:
    settings = pseudo_project / "tilmech.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace(
        "  title: UNESCO-ICHEI News", "  title: ICHEI Bulletin"), encoding="utf-8")
    rt = drafted(pseudo_project)
    site = services.publish(rt, _approved_release(rt), tmp_path / "public").path
    index = _page(site / "zh" / "index.html")
    assert [a.text_content() for a in index.xpath("//header//a[@class='site-name']")] == ["ICHEI Bulletin"]
    assert index.xpath("//header//nav//a[@aria-current='page']/@lang") == ["zh-Hans"]
    teasers = index.xpath("//main//li[@class='teaser']")
    assert len(teasers) == 2 and all(t.xpath(".//h2/a") and t.xpath(".//time/@datetime") and t.xpath(".//p")
                                     for t in teasers)
    assert all(t.xpath(".//img[@alt][@width][@height]") for t in teasers)  # each article has an image
    footer = index.xpath("//footer")
    assert footer and "UNESCO International Centre for Higher Education Innovation" in footer[0].text_content()
    css = (site / "static" / "site.css").read_text(encoding="utf-8")
    assert "prefers-color-scheme: dark" in css and "@import" not in css and "url(" not in css  # nothing external
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "<script" not in text and "fonts.googleapis" not in text, page
    rt.close()
