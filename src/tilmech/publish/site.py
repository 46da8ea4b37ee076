"""The site around the bundles: URLs, language alternates, sitemap, robots.txt, Atom feeds, the landing page.

URLs: with ``site.base_url`` set, every URL a search engine or feed reader reads (canonical,
hreflang alternates, ``og:url``, feed links, sitemap locations) is absolute and starts with it;
without it they are relative, as a folder opened from disk needs, and the page has no canonical
link, no ``og:url`` and the release no ``sitemap.xml`` (they must be absolute). Links people click
(the language switcher, "All news") stay relative either way, so a release works wherever it is
served. A locale holding an article back is absent from that article's alternates everywhere.

Nothing here depends on when the release is built: dates come from the articles.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

from ..articles import Article
from ..errors import ConfigError
from ..languages import Language, get_language

SITEMAP = "sitemap.xml"
ROBOTS = "robots.txt"
FAVICON = "static/favicon.svg"  # the site icon, one of the static files (see :mod:`.theme`)
ATOM = "feed.xml"
JSON_FEED = "feed.json"
ATOM_NS = "http://www.w3.org/2005/Atom"
NO_BASE_URL = ("site.base_url is not set in tilmech.yaml: hreflang alternates and feed links are relative, and "
               "the pages have no canonical link or og:url and the release no sitemap.xml (they need absolute "
               "URLs): set site.base_url to the site's public URL, e.g. https://news.example.org/")


@dataclass(frozen=True)
class Site:
    """Where the release root is served (``base_url``, ending in ``/``; empty: unknown), its source language,
    its name (``site.title``) and footer text (``site.footer``), both translated where a catalog has them."""

    base_url: str = ""
    source_language: str = "en"
    title: str = "UNESCO-ICHEI News"
    footer: str = ""

    @property
    def warnings(self) -> tuple[str, ...]:
        return () if self.base_url else (NO_BASE_URL,)

    def url(self, path: str, depth: int) -> str:
        """The URL of ``path`` (relative to the release root) as read from a page ``depth`` folders down:
        absolute with a base URL (``ru/index.html`` as ``…/ru/``), else relative (``../ru/index.html``)."""
        if self.base_url:
            return self.base_url + (path[:-len("index.html")] if path == "index.html" or
                                    path.endswith("/index.html") else path)
        return "../" * depth + path

    def absolute(self, path: str) -> str | None:
        """The absolute URL of ``path``, or None without a base URL."""
        return self.url(path, 0) if self.base_url else None


def load_site(base_url: str, source_language: str, title: str = Site.title, footer: str = "") -> Site:
    """``site.base_url`` checked and normalized (a trailing ``/`` added): an http(s) URL without query or fragment."""
    text = base_url.strip()
    if not text:
        return Site("", source_language, title, footer)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(f"tilmech.yaml: site.base_url: {base_url!r} is not an http(s) URL of the site "
                          "(like https://news.example.org/ or https://example.org/news/): fix it, or leave it "
                          "empty for relative links")
    return Site(text if text.endswith("/") else text + "/", source_language, title, footer)


def alternates(site: Site, available: dict[str, set[str]], page: str, slug: str | None,
               depth: int) -> tuple[list[dict[str, str]], str | None]:
    """The language versions of ``page`` (an article's, or each locale's index when ``slug`` is None),
    and the ``x-default`` URL: the source-language article, or the landing page for index pages.

    Each version: ``bcp47``, ``name`` (in its own language), ``href`` (relative, for the language
    switcher) and ``url`` (for ``<link rel="alternate" hreflang>``: absolute with a base URL).
    """
    out = []
    for code in sorted(available):
        if slug is not None and slug not in available[code]:
            continue  # held back in that locale: no alternate anywhere
        other = get_language(code)
        out.append({"bcp47": other.bcp47, "name": other.native_name, "code": code,
                    "href": "../" * depth + f"{code}/{page}", "url": site.url(f"{code}/{page}", depth)})
    if slug is None:
        default: str | None = site.url("index.html", depth)
    elif site.source_language in available and slug in available[site.source_language]:
        default = site.url(f"{site.source_language}/{page}", depth)
    else:
        default = None
    return out, default


def og_locale(lang: Language) -> str:
    """``ll_TT`` as Open Graph wants it (ru_RU, zh_CN), from Babel's likely subtags."""
    from babel import Locale
    from babel.core import get_global

    locale = lang.locale
    territory = locale.territory
    if not territory:
        likely = get_global("likely_subtags").get(locale.language, "")
        territory = Locale.parse(likely).territory if likely else None
    return f"{locale.language}_{territory}" if territory else locale.language


def head(site: Site, lang: Language, *, path: str, depth: int, title: str, description: str, og_type: str,
         alternates: list[dict[str, str]], x_default: str | None, feeds: bool,
         published: dt.date | None = None) -> dict[str, Any]:
    """What ``base.html`` puts in ``<head>`` for the page at ``path`` (relative to the release root)."""
    folder = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
    feed_links = []
    if feeds:
        feed_links = [{"type": "application/atom+xml", "href": site.url(folder + ATOM, depth)},
                      {"type": "application/feed+json", "href": site.url(folder + JSON_FEED, depth)}]
    return {
        "canonical": site.absolute(path),
        "description": " ".join(description.split()),
        "og_type": og_type,
        "og_title": title,
        "og_locale": og_locale(lang),
        "og_locale_alternates": sorted({og_locale(get_language(a["code"])) for a in alternates
                                        if a["bcp47"] != lang.bcp47}),
        "published": published.isoformat() if published else None,
        "feeds": feed_links,
        "favicon": "../" * depth + FAVICON,
        "alternates": alternates,
        "x_default": x_default,
    }


# -- Atom (RFC 4287) ------------------------------------------------------------------------------------


def _entry_id(site: Site, lang: Language, slug: str) -> str:
    """A permanent id: the article's URL with a base URL, else a name-based UUID of locale and slug."""
    url = site.absolute(f"{lang.code}/{slug}.html")
    return url or f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'tilmech:{lang.code}/{slug}')}"


def _stamp(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def build_atom(site: Site, lang: Language, title: str, articles: list[Article], bodies: dict[str, str],
               updated: dt.date) -> str:
    """The locale's Atom feed, newest first: id, title, updated, links (self, the index), and per
    article its id, title, dates, link, summary and HTML content. ``updated``: the feed's date when it
    has no article (the newest article's otherwise)."""
    feed_id = site.absolute(f"{lang.code}/index.html") or f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'tilmech:{lang.code}')}"
    newest = max((a.date for a in articles), default=updated)
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             f'<feed xmlns="{ATOM_NS}" xml:lang={quoteattr(lang.bcp47)}>',
             f"  <id>{escape(feed_id)}</id>",
             f'  <title type="text">{escape(title)}</title>',
             f"  <updated>{_stamp(newest)}</updated>",
             f"  <author><name>{escape(title)}</name></author>",
             f'  <link rel="self" type="application/atom+xml" href={quoteattr(site.url(f"{lang.code}/{ATOM}", 0) if site.base_url else ATOM)}/>',
             f'  <link rel="alternate" type="text/html" hreflang={quoteattr(lang.bcp47)} '
             f'href={quoteattr(site.url(f"{lang.code}/index.html", 0) if site.base_url else "index.html")}/>']
    for a in articles:
        href = site.url(f"{lang.code}/{a.slug}.html", 0) if site.base_url else f"{a.slug}.html"
        lines += ["  <entry>",
                  f"    <id>{escape(_entry_id(site, lang, a.slug))}</id>",
                  f'    <title type="text">{escape(a.title)}</title>',
                  f"    <updated>{_stamp(a.date)}</updated>",
                  f"    <published>{_stamp(a.date)}</published>",
                  *([f"    <author><name>{escape(a.author)}</name></author>"] if a.author else []),
                  f'    <link rel="alternate" type="text/html" href={quoteattr(href)}/>',
                  *([f'    <summary type="text">{escape(a.summary)}</summary>'] if a.summary else []),
                  *[f"    <category term={quoteattr(tag)}/>" for tag in a.tags],
                  f'    <content type="html">{escape(bodies[a.slug])}</content>',
                  "  </entry>"]
    lines.append("</feed>")
    return "\n".join(lines) + "\n"


# -- the release root: landing page, sitemap, robots.txt -------------------------------------------------


def build_sitemap(site: Site, available: dict[str, set[str]]) -> str:
    """sitemaps.org 0.9: the landing page, each locale's index and articles, each with its language
    alternates as ``xhtml:link`` and ``x-default`` (the landing page has those of the index pages).
    Only with a base URL (locations are absolute)."""
    pages: list[tuple[str, str | None]] = [("index.html", None)]
    for code in sorted(available):
        pages.append((f"{code}/index.html", None))
        pages += [(f"{code}/{slug}.html", slug) for slug in sorted(available[code])]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">']
    for path, slug in pages:
        lines += ["  <url>", f"    <loc>{escape(site.url(path, 0))}</loc>"]
        versions, default = alternates(site, available, path.rsplit("/", 1)[-1], slug, 0)
        for alt in versions:
            lines.append(f'    <xhtml:link rel="alternate" hreflang={quoteattr(alt["bcp47"])} '
                         f'href={quoteattr(alt["url"])}/>')
        if default:
            lines.append(f'    <xhtml:link rel="alternate" hreflang="x-default" href={quoteattr(default)}/>')
        lines.append("  </url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def build_robots(site: Site) -> str:
    """Everything may be crawled; the sitemap is named when there is one (it needs an absolute URL)."""
    lines = ["User-agent: *", "Allow: /"]
    if site.base_url:
        lines += ["", f"Sitemap: {site.url(SITEMAP, 0)}"]
    return "\n".join(lines) + "\n"
