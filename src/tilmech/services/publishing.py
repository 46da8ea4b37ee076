"""Publishing an approved release as localized bundles, atomically; the published releases of the
configured target (list, roll back), and what a release changes against the one being served.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..auth import require_editor
from ..errors import NotFound
from ..languages import get_language
from ..publish import (
    SITE_ROOT,
    Published,
    PublishReport,
    build_catalog,
    build_locale,
    build_root,
    list_published,
    open_target,
    rollback,
)
from ..publish.assets import collect_assets
from ..publish.site import load_site
from ..publish.theme import load_theme
from ..runtime import Runtime
from .releases import ReleaseDiff, compare_releases, has_release, release_content


def publish(rt: Runtime, release_id: int, dest: Path | str | None = None, *,
            allow_missing_assets: bool = False) -> PublishReport:
    """Write the bundles of an approved release and make it the current one (editors).

    The files the articles reference (images...) are copied in; a missing one stops the build
    (file and line named) unless ``allow_missing_assets``, where it is a warning."""
    authorize_publish(rt)
    content = release_content(rt, release_id)
    settings = rt.settings
    target = open_target(dest if dest is not None else publish_location(rt))
    available = {code: set(articles) for code, articles in content.editions.items()}
    site = load_site(settings.site.base_url, settings.source_language, settings.site.title, settings.site.footer)
    theme = load_theme(settings.path("theme"))  # the project's own templates and static files, if any
    assets, missing = collect_assets(content.sources.values(), settings.root, settings.content_dir,
                                     allow_missing=allow_missing_assets)
    newest = max((a.date for a in content.sources.values()), default=None)
    revision = hashlib.sha256("\n".join(f"{slug} {a.content_hash}" for slug, a in sorted(content.sources.items()))
                              .encode()).hexdigest()
    bundles: dict[str, dict[str, bytes]] = {}
    for code in [settings.source_language, *settings.target_languages]:
        lang = get_language(code)
        mo = None if code == settings.source_language else build_catalog(settings.path("locales"), lang)
        editions = content.editions.get(code, {})
        held_back = tuple(sorted(set(content.sources) - set(editions)))
        bundles[code] = build_locale(lang, editions, available, mo, settings.source_language, release_id,
                                     content.glossary_version, source_revision=revision, held_back=held_back,
                                     earlier=content.earlier.get(code, {}), site=site, updated=newest,
                                     assets=assets, theme=theme)
    bundles[SITE_ROOT] = build_root(site, available, release_id, assets.values(), theme)
    import datetime as dt
    import platform

    from .. import __version__

    info = {"release": release_id, "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "built_by": rt.user, "host": platform.node(), "tilmech": __version__}
    folder = target.write_release(release_id, bundles, info)
    return PublishReport(release_id, folder, target.location, {k: len(v) for k, v in content.editions.items()},
                         sum(len(files) for files in bundles.values()), (*site.warnings, *missing))


def authorize_publish(rt: Runtime) -> None:
    """Refuse (Forbidden) a user who may not publish: before work that runs as the operator (a flow)."""
    require_editor(rt.actor, "publish a release")


def publish_location(rt: Runtime) -> str:
    """``paths.publish``: a folder relative to the project, or an fsspec URL."""
    configured = rt.settings.paths.publish
    return configured if "://" in configured else str(rt.settings.path("publish"))


def published_releases(rt: Runtime, dest: Path | str | None = None) -> list[Published]:
    """The releases published to ``dest`` (default: the configured target), the served one marked."""
    return list_published(dest if dest is not None else publish_location(rt))


def served_release(rt: Runtime, dest: Path | str | None = None) -> int | None:
    """The release the target serves now; None before the first publish."""
    return open_target(dest if dest is not None else publish_location(rt)).current()


def release_rollback(rt: Runtime, release_id: int | None = None, dest: Path | str | None = None) -> int:
    """Serve release ``release_id`` again (default: the one published before the current one), after
    checking its files against their manifests (editors). Returns the release now served."""
    require_editor(rt.actor, "roll back the published site")
    return rollback(dest if dest is not None else publish_location(rt), release_id)


def release_diff(rt: Runtime, release_id: int, against: int | None = None,
                 dest: Path | str | None = None) -> ReleaseDiff:
    """What release ``release_id`` changes, per locale, against release ``against`` (default: the
    release the target serves now; against nothing before the first publish)."""
    if against is None:
        against = served_release(rt, dest)
        if against is not None and not has_release(rt, against):
            raise NotFound(f"release {against} is served at {dest if dest is not None else publish_location(rt)} "
                           "but this store does not hold it: compare with another release (--against R)")
    return compare_releases(rt, release_id, against)
