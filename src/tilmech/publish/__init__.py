"""Publishing: localized bundles of an approved release, switched in atomically.

Layout of the target folder::

    public/
      releases/<id>/<locale>/index.html, <slug>.html, <slug>.md, manifest.json,
                             LC_MESSAGES/messages.mo
      current -> releases/<id>

Everything of a release is written into a staging folder next to ``releases/``
and renamed into place in one step; then the ``current`` link is replaced in one
step. An interrupted publish leaves the previous release served and intact. The
same release published twice gives byte-identical files.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from ..articles import Article, write_article
from ..errors import ConfigError, InputError
from ..languages import Language, get_language
from ..markdown.render import render_html

MANIFEST = "manifest.json"
BUILD_INFO = "build-info.json"


@dataclass(frozen=True)
class PublishReport:
    release: int
    location: str  # the release's folder (or URL prefix)
    target: str  # where releases are published
    locales: dict[str, int]  # locale -> number of articles
    files: int

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


def _environment(translations: NullTranslations) -> Environment:
    env = Environment(loader=PackageLoader("tilmech.publish", "templates"), autoescape=select_autoescape(["html"]),
                      extensions=["jinja2.ext.i18n"], undefined=StrictUndefined, keep_trailing_newline=True)
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    return env


def safe_html(markdown: str) -> str:
    """The article body as HTML with nothing executable left: raw HTML is sanitized (nh3), so
    ``<script>``, ``on*`` attributes and ``javascript:`` links never reach a published page."""
    import nh3

    tags = set(nh3.ALLOWED_TAGS) | {"h1", "h2", "h3", "h4", "h5", "h6", "img", "figure", "figcaption"}
    attributes = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
    attributes["*"] = attributes.get("*", set()) | {"class", "id", "title", "lang", "dir"}
    attributes["img"] = attributes.get("img", set()) | {"src", "alt", "title", "width", "height"}
    attributes["a"] = attributes.get("a", set()) | {"href", "title"}
    attributes["ol"] = attributes.get("ol", set()) | {"start"}
    return nh3.clean(render_html(markdown), tags=tags, attributes=attributes, link_rel=None,
                     url_schemes={"http", "https", "mailto"})


def localized_date(article: Article, lang: Language) -> str:
    return format_date(article.date, format="long", locale=lang.locale)


def build_locale(lang: Language, articles: dict[str, Article], available: dict[str, set[str]],
                 mo: bytes | None, source_lang: str, release: int, glossary_version: str, *,
                 source_revision: str = "", held_back: tuple[str, ...] = (),
                 earlier: dict[str, int] | None = None) -> dict[str, bytes]:
    """All files of one locale's bundle, by relative path.

    Nothing in them depends on when or where they are built: the same release gives
    the same bytes (the time of the build goes to ``build-info.json``, outside the bundles).
    """
    translations = load_translations(mo)
    env = _environment(translations)
    files: dict[str, bytes] = {}
    ordered = sorted(articles.values(), key=lambda a: (a.date, a.slug), reverse=True)

    def alternates(page: str, slug: str | None) -> list[dict[str, str]]:
        out = []
        for code in sorted(available):
            if slug is not None and slug not in available[code]:
                continue
            other = get_language(code)
            out.append({"bcp47": other.bcp47, "name": other.native_name, "href": f"../{code}/{page}"})
        return out

    entries = []
    for article in ordered:
        html_name, md_name = f"{article.slug}.html", f"{article.slug}.md"
        date_localized = localized_date(article, lang)
        files[md_name] = write_article(
            article, lang=lang.code, original=None if lang.code == source_lang else article.slug).encode()
        page = env.get_template("article.html").render(
            lang=lang, article=article, date_localized=date_localized, body_html=Markup(safe_html(article.body)),
            alternates=alternates(html_name, article.slug))
        files[html_name] = page.encode()
        entry: dict[str, Any] = {"slug": article.slug, "title": article.title, "date": article.date.isoformat(),
                                 "date_localized": date_localized, "href": html_name,
                                 "paths": {"html": html_name, "markdown": md_name}}
        if earlier and article.slug in earlier:
            entry["earlier_edition_of_release"] = earlier[article.slug]
        entries.append(entry)
    files["index.html"] = env.get_template("index.html").render(
        lang=lang, articles=entries, alternates=alternates("index.html", None),
        article_count=format_decimal(len(entries), locale=lang.locale)).encode()
    files["feed.json"] = _feed(lang, ordered, translations).encode()
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
        "articles": [{k: v for k, v in e.items() if k != "href"} for e in entries],
        "files": [{"path": p, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
                  for p, data in sorted(files.items())],
    }
    files[MANIFEST] = (json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()
    return files


def _feed(lang: Language, articles: list[Article], translations: NullTranslations) -> str:
    """A JSON Feed 1.1 of the locale's articles, newest first, for a headless CMS."""
    title = translations.gettext("UNESCO-ICHEI News")
    items = [{
        "id": a.slug,
        "url": f"{a.slug}.html",
        "title": a.title,
        "summary": a.summary,
        "content_html": safe_html(a.body),
        "date_published": f"{a.date.isoformat()}T00:00:00Z",
        "tags": list(a.tags),
        "language": lang.bcp47,
        **({"authors": [{"name": a.author}]} if a.author else {}),
    } for a in articles]
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": title, "home_page_url": "index.html",
            "language": lang.bcp47, "items": items}
    return json.dumps(feed, ensure_ascii=False, indent=2) + "\n"


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
                path = staging / bundle_path(locale) / bundle_path(rel)
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
        link = self.root / "current"
        if not link.is_symlink():
            return None
        name = os.readlink(link).rstrip("/").rsplit("/", 1)[-1]
        return int(name) if name.isdigit() else None

    def releases(self) -> list[int]:
        folder = self.root / "releases"
        return sorted(int(p.name) for p in folder.iterdir() if p.name.isdigit()) if folder.is_dir() else []

    def files(self, release: int) -> list[str]:
        folder = self.root / "releases" / str(release)
        return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())

    def read(self, release: int, path: str) -> bytes | None:
        folder = (self.root / "releases" / str(release)).resolve()
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

        self.fs, self.root = fsspec.core.url_to_fs(url)
        self.location = url

    def _path(self, *parts: str) -> str:
        return "/".join([self.root.rstrip("/"), *parts])

    def write_release(self, release: int, bundles: dict[str, dict[str, bytes]],
                      build_info: dict[str, Any] | None) -> str:
        base = self._path("releases", str(release))
        marker = f"{base}/.complete"
        if self.fs.exists(marker):
            self.fs.rm(marker)
        data = {f"{base}/{locale}/{rel}": content for locale, files in bundles.items()
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


def list_published(dest: Path | str) -> list[Published]:
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
    """Every file of every locale against its manifest's sha256 and size; problems, or an empty list."""
    from ..errors import NotFound, UsageError

    target = open_target(dest)
    if release not in target.releases():
        raise NotFound(f"release {release} is not published in {target.location}")
    files = target.files(release)
    problems = []
    locales = sorted({f.split("/", 1)[0] for f in files if "/" in f})
    for locale in locales:
        raw = target.read(release, f"{locale}/{MANIFEST}")
        if raw is None:
            problems.append(f"{locale}/{MANIFEST} is missing")
            continue
        try:
            manifest = json.loads(raw)
            listed = {str(entry["path"]) for entry in manifest["files"]}
            for entry in manifest["files"]:
                bundle_path(str(entry["path"]))
        except (ValueError, KeyError, TypeError, UsageError) as exc:
            problems.append(f"{locale}/{MANIFEST}: not a valid manifest ({exc})")
            continue
        for entry in manifest["files"]:
            data = target.read(release, f"{locale}/{entry['path']}")
            if data is None:
                problems.append(f"{locale}/{entry['path']}: missing")
            elif hashlib.sha256(data).hexdigest() != entry["sha256"] or len(data) != entry["size"]:
                problems.append(f"{locale}/{entry['path']}: differs from the manifest")
        for path in files:
            if path.startswith(locale + "/"):
                rel = path[len(locale) + 1:]
                if rel != MANIFEST and rel not in listed:
                    problems.append(f"{locale}/{rel}: not in the manifest")
    return problems
