"""Publishing: localized bundles of an approved release, switched in atomically.

Layout of the target folder::

    public/
      releases/<id>/index.html, robots.txt, sitemap.xml, manifest.json, build-info.json,
                    static/ (site.css, favicon.svg: the theme's), assets/ (files the articles reference)
                    <locale>/index.html, <slug>.html, <slug>.md, feed.json, feed.xml, manifest.json,
                             LC_MESSAGES/messages.mo
      current -> releases/<id>

Everything of a release is written into a staging folder next to ``releases/``
and renamed into place in one step; then the ``current`` link is replaced in one
step. An interrupted publish leaves the previous release served and intact. The
same release published twice gives byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from markupsafe import Markup

from ..articles import Article, write_article
from ..errors import ConfigError, InputError
from ..languages import Language, get_language
from ..markdown.render import render_html
from .assets import ASSETS, Asset, absolute_html, finish_html, rewrite_markdown
from .site import (
    ATOM,
    JSON_FEED,
    ROBOTS,
    SITEMAP,
    Site,
    alternates,
    build_atom,
    build_robots,
    build_sitemap,
    head,
)
from .theme import STATIC, Theme

MANIFEST = "manifest.json"
BUILD_INFO = "build-info.json"
SITE_ROOT = ""  # the key of the release root's own files in the bundles (see build_root)


@dataclass(frozen=True)
class PublishReport:
    release: int
    location: str  # the release's folder (or URL prefix)
    target: str  # where releases are published
    locales: dict[str, int]  # locale -> number of articles
    files: int
    warnings: tuple[str, ...] = ()  # what the editor should know: site.base_url not set

    @property
    def path(self) -> Path:
        """The release folder of a local target."""
        return Path(self.location)

    @property
    def current(self) -> Path:
        """The ``current`` link of a local target."""
        return Path(self.target) / "current"


# -- gettext catalogs ---------------------------------------------------------------


def build_catalog(locales_dir: Path, lang: Language) -> bytes:
    """Compile ``locales/<folder>/LC_MESSAGES/messages.po`` to .mo bytes (fuzzy entries left out)."""
    path = locales_dir / lang.gettext / "LC_MESSAGES" / "messages.po"
    if not path.is_file():
        raise ConfigError(f"{path}: gettext catalog for {lang.code} is missing: create it with "
                          f"`pybabel init -l {lang.gettext} -d {locales_dir.name} -i {locales_dir.name}/messages.pot`")
    try:
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=lang.gettext, abort_invalid=True)
    except Exception as exc:
        line = getattr(exc, "lineno", None)
        raise InputError(str(path), line, f"invalid PO file: {exc}") from None
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def load_translations(mo: bytes | None) -> NullTranslations:
    return Translations(io.BytesIO(mo)) if mo else NullTranslations()


# -- rendering ----------------------------------------------------------------------------


def _site_vars(site: Site, translations: NullTranslations, depth: int) -> dict[str, str]:
    """``site`` in the templates: the name and footer in the locale's language where the catalog has
    them, and the paths of the release root and its static files from a page ``depth`` folders down."""
    root = "../" * depth
    return {"title": translations.gettext(site.title), "footer": translations.gettext(site.footer) if site.footer
            else "", "root": root, "static": f"{root}{STATIC}/"}


_FIRST_IMAGE = re.compile(r"<img\s[^>]*>")  # in a body finish_html wrote: attribute values are escaped


def safe_html(markdown: str, assets: Mapping[str, Asset] | None = None, depth: int = 1) -> str:
    """The article body as HTML with nothing executable left: raw HTML is sanitized (nh3), so
    ``<script>``, ``on*`` attributes and ``javascript:`` links never reach a published page; then made
    valid (:func:`.assets.finish_html`: images keep an alt and a src, a link without href its text
    only). ``assets``: the article's referenced files by URL as written, pointed at from a page
    ``depth`` folders below the release root."""
    import nh3

    tags = set(nh3.ALLOWED_TAGS) | {"h1", "h2", "h3", "h4", "h5", "h6", "img", "figure", "figcaption"}
    attributes = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
    attributes["*"] = attributes.get("*", set()) | {"class", "id", "title", "lang", "dir"}
    attributes["img"] = attributes.get("img", set()) | {"src", "alt", "title", "width", "height"}
    attributes["a"] = attributes.get("a", set()) | {"href", "title"}
    attributes["ol"] = attributes.get("ol", set()) | {"start"}
    clean = nh3.clean(render_html(markdown), tags=tags, attributes=attributes, link_rel=None,
                      url_schemes={"http", "https", "mailto"})
    found = assets or {}

    def resolve(url: str, image: bool) -> tuple[str, int | None, int | None] | None:
        asset = found.get(url)
        return None if asset is None else ("../" * depth + asset.path, asset.width, asset.height)

    return finish_html(clean, resolve)


def localized_date(article: Article, lang: Language) -> str:
    return format_date(article.date, format="long", locale=lang.locale)


def build_locale(lang: Language, articles: dict[str, Article], available: dict[str, set[str]],
                 mo: bytes | None, source_lang: str, release: int, glossary_version: str, *,
                 source_revision: str = "", held_back: tuple[str, ...] = (),
                 earlier: dict[str, int] | None = None, site: Site | None = None,
                 updated: dt.date | None = None,
                 assets: Mapping[tuple[str, str], Asset] | None = None,
                 theme: Theme | None = None) -> dict[str, bytes]:
    """All files of one locale's bundle, by relative path.

    Nothing in them depends on when or where they are built: the same release gives
    the same bytes (the time of the build goes to ``build-info.json``, outside the bundles).
    ``site``: where the release is served (URLs, see :mod:`tilmech.publish.site`); ``updated``:
    the date of an Atom feed without articles (default: 1 January 2000); ``assets``: the referenced
    files (:func:`.assets.collect_assets`), by article slug and URL, written at the release root and
    pointed at from the pages and the ``.md`` files alike (feed content: absolute with a base URL);
    ``theme``: the project's templates (:mod:`.theme`).
    """
    site = site or Site("", source_lang)
    translations = load_translations(mo)
    env = (theme or Theme()).environment(translations)
    site_vars = _site_vars(site, translations, 1)
    site_title = site_vars["title"]
    files: dict[str, bytes] = {}
    ordered = sorted(articles.values(), key=lambda a: (a.date, a.slug), reverse=True)
    by_article: dict[str, dict[str, Asset]] = {}
    for (slug, url), asset in (assets or {}).items():
        by_article.setdefault(slug, {})[url] = asset
    bodies = {a.slug: safe_html(a.body, by_article.get(a.slug)) for a in ordered}
    # a feed's content is read away from the page: with a base URL, its images and links are absolute
    feed_bodies = {slug: absolute_html(body, site.url(f"{lang.code}/{slug}.html", 0)) for slug, body in
                   bodies.items()} if site.base_url else bodies

    entries = []
    for article in ordered:
        html_name, md_name = f"{article.slug}.html", f"{article.slug}.md"
        date_localized = localized_date(article, lang)
        shipped = replace(article, body=rewrite_markdown(article.body, by_article.get(article.slug, {}), "../"))
        files[md_name] = write_article(
            shipped, lang=lang.code, original=None if lang.code == source_lang else article.slug).encode()
        versions, x_default = alternates(site, available, html_name, article.slug, 1)
        meta = head(site, lang, path=f"{lang.code}/{html_name}", depth=1, title=article.title,
                    description=article.summary, og_type="article", alternates=versions, x_default=x_default,
                    feeds=True, published=article.date)
        date_html = Markup('<time datetime="{}">{}</time>').format(article.date.isoformat(), date_localized)
        page = env.get_template("article.html").render(
            lang=lang, article=article, date_localized=date_localized, date_html=date_html,
            body_html=Markup(bodies[article.slug]), meta=meta, site_title=site_title, site=site_vars)
        files[html_name] = page.encode()
        image = _FIRST_IMAGE.search(bodies[article.slug])
        teaser = {"summary": article.summary, "image": Markup(image.group(0)) if image else None}
        entry: dict[str, Any] = {"slug": article.slug, "title": article.title, "date": article.date.isoformat(),
                                 "date_localized": date_localized, "href": html_name,
                                 "paths": {"html": html_name, "markdown": md_name}}
        if earlier and article.slug in earlier:
            entry["earlier_edition_of_release"] = earlier[article.slug]
        entries.append(entry | {"teaser": teaser})
    versions, x_default = alternates(site, available, "index.html", None, 1)
    description = " · ".join(a.title for a in ordered[:3]) or site_title
    meta = head(site, lang, path=f"{lang.code}/index.html", depth=1, title=site_title, description=description,
                og_type="website", alternates=versions, x_default=x_default, feeds=True)
    files["index.html"] = env.get_template("index.html").render(
        lang=lang, articles=[{**{k: v for k, v in e.items() if k != "teaser"}, **e["teaser"]} for e in entries],
        meta=meta,
        site_title=site_title, site=site_vars,
        article_count=format_decimal(len(entries), locale=lang.locale)).encode()
    files["feed.json"] = _feed(lang, ordered, site_title, feed_bodies, site).encode()
    files[ATOM] = build_atom(site, lang, site_title, ordered, feed_bodies, updated or dt.date(2000, 1, 1)).encode()
    if mo is not None:
        files["LC_MESSAGES/messages.mo"] = mo
    manifest: dict[str, Any] = {
        "release": release,
        "locale": lang.code,
        "bcp47": lang.bcp47,
        "source_revision": source_revision,
        "glossary_version": glossary_version,
        "counts": {"articles": len(entries), "files": len(files) + 1},
        "held_back": list(held_back),
        "articles": [{k: v for k, v in e.items() if k not in ("href", "teaser")} for e in entries],
        "files": _listing(files),
    }
    files[MANIFEST] = (json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()
    return files


def _listing(files: dict[str, bytes]) -> list[dict[str, Any]]:
    return [{"path": p, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            for p, data in sorted(files.items())]


def _feed(lang: Language, articles: list[Article], title: str, bodies: dict[str, str], site: Site) -> str:
    """A JSON Feed 1.1 of the locale's articles, newest first, for a headless CMS."""
    def url(page: str) -> str:
        return site.url(f"{lang.code}/{page}", 0) if site.base_url else page

    items = [{
        "id": a.slug,
        "url": url(f"{a.slug}.html"),
        "title": a.title,
        "summary": a.summary,
        "content_html": bodies[a.slug],
        "date_published": f"{a.date.isoformat()}T00:00:00Z",
        "tags": list(a.tags),
        "language": lang.bcp47,
        **({"authors": [{"name": a.author}]} if a.author else {}),
    } for a in articles]
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": title, "home_page_url": url("index.html"),
            **({"feed_url": url(JSON_FEED)} if site.base_url else {}), "language": lang.bcp47, "items": items}
    return json.dumps(feed, ensure_ascii=False, indent=2) + "\n"


def build_root(site: Site, available: dict[str, set[str]], release: int,
               assets: Iterable[Asset] = (), theme: Theme | None = None) -> dict[str, bytes]:
    """The files at the release root: the landing page (each language by its own name, with the
    hreflang alternates), ``robots.txt``, the favicon, ``sitemap.xml`` (with a base URL), the
    articles' referenced files under ``assets/`` and a ``manifest.json`` of them (the assets also
    with their source, width and height). Written beside the locales (key :data:`SITE_ROOT`)."""
    source = get_language(site.source_language)
    theme = theme or Theme()
    env = theme.environment(NullTranslations())
    site_vars = _site_vars(site, NullTranslations(), 0)
    site_title = site_vars["title"]
    versions, x_default = alternates(site, available, "index.html", None, 0)
    meta = head(site, source, path="index.html", depth=0, title=site_title, description=site_title,
                og_type="website", alternates=versions, x_default=x_default, feeds=False)
    files = {"index.html": env.get_template("landing.html").render(lang=source, meta=meta, site_title=site_title,
                                                                   site=site_vars).encode(),
             ROBOTS: build_robots(site).encode()}
    files |= {f"{STATIC}/{bundle_path(name)}": data for name, data in theme.static_files().items()}
    if site.base_url:
        files[SITEMAP] = build_sitemap(site, available).encode()
    shipped = {asset.path: asset for asset in assets}
    files |= {path: asset.data for path, asset in shipped.items()}
    manifest: dict[str, Any] = {"release": release, "site": site.base_url, "files": _listing(files)}
    if shipped:
        manifest["assets"] = [asset.listing() for _, asset in sorted(shipped.items())]
    files[MANIFEST] = (json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()
    return files


# -- writing, atomically ---------------------------------------------------------------------


def bundle_path(rel: str) -> str:
    """``rel`` if it names a file inside a release folder; an absolute path or ``..`` is refused."""
    parts = rel.replace("\\", "/").split("/")
    if not rel or rel.startswith(("/", "\\")) or ":" in parts[0] or any(p in ("", ".", "..") for p in parts):
        from ..errors import UsageError

        raise UsageError(f"{rel!r}: not a path inside a release folder")
    return rel


def write_release(dest: Path, release: int, bundles: dict[str, dict[str, bytes]],
                  build_info: dict[str, Any] | None = None) -> tuple[Path, Path]:
    """Write ``bundles`` as ``dest/releases/<release>`` and point ``dest/current`` at it.

    ``build_info`` (when and by whom) goes to ``build-info.json`` beside the locales.
    """
    releases = dest / "releases"
    releases.mkdir(parents=True, exist_ok=True)
    for leftover in releases.glob(".*.staging-*"):  # what a killed publish left behind
        shutil.rmtree(leftover, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{release}.staging-", dir=releases))
    try:
        for locale, files in bundles.items():
            for rel, data in files.items():
                path = (staging / bundle_path(locale) if locale != SITE_ROOT else staging) / bundle_path(rel)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
        if build_info is not None:
            (staging / BUILD_INFO).write_text(json.dumps(build_info, indent=2, sort_keys=True) + "\n",
                                              encoding="utf-8")
        for path in sorted(staging.rglob("*"), reverse=True):
            if path.is_file():
                with path.open("rb") as fh:
                    os.fsync(fh.fileno())
        os.chmod(staging, 0o755)
        final = releases / str(release)
        if final.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{release}.old-", dir=releases))
            os.replace(final, old / "release")
            os.replace(staging, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final, _switch(dest, release)


def _switch(dest: Path, release: int) -> Path:
    current = dest / "current"
    link = dest / f".current-{release}.tmp"
    if link.is_symlink() or link.exists():
        link.unlink()
    os.symlink(Path("releases") / str(release), link)
    os.replace(link, current)
    return current


# -- targets: a local folder, or any fsspec URL ------------------------------------------------------


class Target:
    """Where releases are published. Guarantees are the target's own (see the subclasses)."""

    location: str

    def write_release(self, release: int, bundles: dict[str, dict[str, bytes]],
                      build_info: dict[str, Any] | None) -> str:
        raise NotImplementedError

    def switch(self, release: int) -> None:
        raise NotImplementedError

    def current(self) -> int | None:
        raise NotImplementedError

    def releases(self) -> list[int]:
        raise NotImplementedError

    def linked(self) -> dict[int, str]:
        """Releases that are links to somewhere else, refused (a folder target can have them)."""
        return {}

    def files(self, release: int) -> list[str]:
        """Paths of a release's files, relative to its folder."""
        raise NotImplementedError

    def read(self, release: int, path: str) -> bytes | None:
        raise NotImplementedError


class LocalTarget(Target):
    """A folder: staging folder renamed into place, then a ``current`` symlink replaced; each step atomic."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.location = str(root)
        # a file where the folder (or one above it) should be: say so before anything is written
        for folder in (root, *root.parents):
            if folder.exists():
                if not folder.is_dir():
                    from ..errors import UsageError

                    raise UsageError(f"{folder}: not a folder: publish to a folder (it is made if missing) "
                                     "or to an fsspec URL (--to, or paths.publish in tilmech.yaml)")
                break

    def write_release(self, release: int, bundles: dict[str, dict[str, bytes]],
                      build_info: dict[str, Any] | None) -> str:
        final, _ = write_release(self.root, release, bundles, build_info)
        return str(final)

    def switch(self, release: int) -> None:
        _switch(self.root, release)

    def current(self) -> int | None:
        """The release ``current`` points at: one of :meth:`releases`, else None."""
        link = self.root / "current"
        if not link.is_symlink():
            return None
        name = os.readlink(link).rstrip("/").rsplit("/", 1)[-1]
        if not name.isdigit() or int(name) not in self.releases():
            return None
        return int(name) if link.resolve() == (self.root / "releases" / name).resolve() else None

    def releases(self) -> list[int]:
        """The releases in folders of their own: a link in ``releases/`` is not one (see :meth:`linked`)."""
        folder = self.root / "releases"
        if not folder.is_dir():
            return []
        return sorted(int(p.name) for p in folder.iterdir() if p.name.isdigit() and p.is_dir() and not p.is_symlink())

    def linked(self) -> dict[int, str]:
        """Release numbers in ``releases/`` that are links (to what they point at): never listed,
        served or verified. A publish writes folders only; a link there was made by hand."""
        folder = self.root / "releases"
        if not folder.is_dir():
            return {}
        return {int(p.name): os.readlink(p) for p in sorted(folder.iterdir()) if p.name.isdigit() and p.is_symlink()}

    def _folder(self, release: int) -> Path | None:
        folder = self.root / "releases" / str(release)
        return folder if release in self.releases() else None

    def files(self, release: int) -> list[str]:
        folder = self._folder(release)
        if folder is None:
            return []
        return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())

    def read(self, release: int, path: str) -> bytes | None:
        found = self._folder(release)
        if found is None:
            return None
        folder = found.resolve()
        file = (folder / bundle_path(path)).resolve()
        if not file.is_relative_to(folder):  # a link out of the release folder
            return None
        return file.read_bytes() if file.is_file() else None


class FsspecTarget(Target):
    """Any fsspec URL (``s3://bucket/site``...): files first, a ``.complete`` marker, then ``current.json``.

    Object stores have no rename: a release is complete once its marker is written, and
    it is served once ``current.json`` (one small object, replaced in one write) names it.
    A publish that stops half-way leaves an incomplete release that is never listed or
    served; readers follow ``current.json``.
    """

    def __init__(self, url: str) -> None:
        import fsspec

        from ..errors import EnvironmentNotReady, UsageError

        protocol = url.split("://", 1)[0]
        try:
            self.fs, self.root = fsspec.core.url_to_fs(url)
        except ImportError as exc:  # fsspec knows the protocol, its package is not installed
            missing = getattr(exc.__cause__, "name", None) or getattr(exc, "name", None)
            package = missing.split(".")[0] if missing else f"the fsspec package for {protocol}://"
            install = f"pip install {package}" if missing else f"install {package}"
            raise EnvironmentNotReady(f"{url}: publishing to {protocol}:// needs {package}, which is not "
                                      f"installed: {install}, then publish again") from None
        except ValueError as exc:  # a protocol fsspec does not know
            raise UsageError(f"{url}: {exc}: publish to a folder or to a URL fsspec knows "
                             "(s3://, gcs://, az://...)") from None
        self.location = url

    def _path(self, *parts: str) -> str:
        return "/".join([self.root.rstrip("/"), *parts])

    def write_release(self, release: int, bundles: dict[str, dict[str, bytes]],
                      build_info: dict[str, Any] | None) -> str:
        base = self._path("releases", str(release))
        marker = f"{base}/.complete"
        if self.fs.exists(marker):
            self.fs.rm(marker)
        data = {"/".join(p for p in (base, locale, rel) if p): content for locale, files in bundles.items()
                for rel, content in files.items()}
        if build_info is not None:
            data[f"{base}/{BUILD_INFO}"] = (json.dumps(build_info, indent=2, sort_keys=True) + "\n").encode()
        self.fs.pipe(data)
        self.fs.pipe(marker, b"")
        self.switch(release)
        return base

    def switch(self, release: int) -> None:
        self.fs.pipe(self._path("current.json"), json.dumps({"release": release}).encode())

    def current(self) -> int | None:
        try:
            return int(json.loads(self.fs.cat(self._path("current.json")))["release"])
        except (FileNotFoundError, KeyError, ValueError):
            return None

    def releases(self) -> list[int]:
        base = self._path("releases")
        if not self.fs.exists(base):
            return []
        names = [p.rstrip("/").rsplit("/", 1)[-1] for p in self.fs.ls(base, detail=False)]
        return sorted(int(n) for n in names if n.isdigit() and self.fs.exists(f"{base}/{n}/.complete"))

    def files(self, release: int) -> list[str]:
        base = self._path("releases", str(release)).lstrip("/")
        found = [p.lstrip("/") for p in self.fs.find(self._path("releases", str(release)))]
        return sorted(p[len(base) + 1:] for p in found if not p.endswith("/.complete"))

    def read(self, release: int, path: str) -> bytes | None:
        try:
            return bytes(self.fs.cat(self._path("releases", str(release), path)))
        except FileNotFoundError:
            return None


def open_target(location: str | Path) -> Target:
    """A local folder (a path or ``file://``), else the fsspec filesystem of the URL."""
    text = str(location)
    if "://" in text and not text.startswith("file://"):
        return FsspecTarget(text)
    return LocalTarget(Path(text.removeprefix("file://")).resolve())


# -- published releases: list, roll back, verify ---------------------------------------------------


@dataclass(frozen=True)
class Published:
    release: int
    current: bool
    locales: tuple[str, ...]
    built_at: str


def current_release(dest: Path | str) -> int | None:
    return open_target(dest).current()


def linked_releases(dest: Path | str) -> dict[int, str]:
    """Release numbers that are links to somewhere else (to where): :func:`list_published` leaves them out."""
    return open_target(dest).linked()


def _refuse_linked(target: Target, release: int) -> None:
    from ..errors import UsageError

    linked = target.linked()
    if release in linked:
        raise UsageError(f"{target.location}/releases/{release} is a link to {linked[release]}, not a release "
                         f"folder: releases are read only from their own folders; remove the link, or publish "
                         f"release {release} again")


def list_published(dest: Path | str) -> list[Published]:
    """The published releases, oldest first (a release that is a link is not one: :func:`linked_releases`)."""
    target = open_target(dest)
    current = target.current()
    out = []
    for release in target.releases():
        files = target.files(release)
        info = target.read(release, BUILD_INFO)
        built = json.loads(info).get("built_at", "") if info else ""
        locales = tuple(sorted(f.split("/", 1)[0] for f in files if f.endswith("/" + MANIFEST)))
        out.append(Published(release, release == current, locales, built))
    return out


def rollback(dest: Path | str, release: int | None = None) -> int:
    """Point ``current`` at ``release`` (default: the published release before the current one)."""
    from ..errors import NotFound, WorkflowError

    target = open_target(dest)
    if release is not None:
        _refuse_linked(target, release)
    published = target.releases()
    if not published:
        raise NotFound(f"nothing is published in {target.location}")
    if release is None:
        current = target.current()
        earlier = [r for r in published if current is not None and r < current]
        if not earlier:
            raise WorkflowError(f"no release before {current} is published in {target.location}: "
                                "name one with rollback R")
        release = earlier[-1]
    if release not in published:
        raise NotFound(f"release {release} is not published in {target.location} "
                       f"(published: {', '.join(map(str, published))})")
    problems = verify_release(dest, release)
    if problems:
        raise WorkflowError(f"release {release} does not verify, not switching to it: " + "; ".join(problems[:5]))
    target.switch(release)
    return release


def verify_release(dest: Path | str, release: int) -> list[str]:
    """Every file of every locale, and of the release root, against the manifest of its folder (sha256
    and size); problems, or an empty list."""
    from ..errors import NotFound

    target = open_target(dest)
    _refuse_linked(target, release)
    if release not in target.releases():
        raise NotFound(f"release {release} is not published in {target.location}")
    files = target.files(release)
    problems = []
    locales = sorted({f.split("/", 1)[0] for f in files if "/" in f} - {ASSETS, STATIC})
    if MANIFEST in files:  # the release root's own files (releases before it had none)
        problems += _check_manifest(target, release, "", files)
    for locale in locales:
        problems += _check_manifest(target, release, locale + "/", files)
    return problems


def _check_manifest(target: Target, release: int, prefix: str, files: list[str]) -> list[str]:
    """The files in folder ``prefix`` of a release (``""``: its root) against the manifest there."""
    from ..errors import UsageError

    raw = target.read(release, f"{prefix}{MANIFEST}")
    if raw is None:
        return [f"{prefix}{MANIFEST} is missing"]
    try:
        manifest = json.loads(raw)
        listed = {str(entry["path"]) for entry in manifest["files"]}
        for entry in manifest["files"]:
            bundle_path(str(entry["path"]))
    except (ValueError, KeyError, TypeError, UsageError) as exc:
        return [f"{prefix}{MANIFEST}: not a valid manifest ({exc})"]
    problems = []
    for entry in manifest["files"]:
        data = target.read(release, f"{prefix}{entry['path']}")
        if data is None:
            problems.append(f"{prefix}{entry['path']}: missing")
        elif hashlib.sha256(data).hexdigest() != entry["sha256"] or len(data) != entry["size"]:
            problems.append(f"{prefix}{entry['path']}: differs from the manifest")
    for path in files:
        if path.startswith(prefix):
            rel = path[len(prefix):]
            if not prefix and "/" in rel and rel.split("/", 1)[0] not in (ASSETS, STATIC):
                continue  # a locale's file: checked against the locale's manifest
            if rel != MANIFEST and rel not in listed and (prefix or rel != BUILD_INFO):
                problems.append(f"{prefix}{rel}: not in the manifest")
    return problems
