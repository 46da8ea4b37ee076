"""Publishing an approved release as localized bundles, atomically.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..languages import get_language
from ..publish import PublishReport, build_catalog, build_locale, open_target
from ..runtime import Runtime
from .releases import release_content


def publish(rt: Runtime, release_id: int, dest: Path | str | None = None) -> PublishReport:
    """Write the bundles of an approved release and make it the current one."""
    content = release_content(rt, release_id)
    settings = rt.settings
    target = open_target(dest if dest is not None else publish_location(rt))
    available = {code: set(articles) for code, articles in content.editions.items()}
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
                                     earlier=content.earlier.get(code, {}))
    import datetime as dt
    import platform

    from .. import __version__

    info = {"release": release_id, "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "built_by": rt.user, "host": platform.node(), "tilmech": __version__}
    folder = target.write_release(release_id, bundles, info)
    return PublishReport(release_id, folder, target.location, {k: len(v) for k, v in content.editions.items()},
                         sum(len(files) for files in bundles.values()))


def publish_location(rt: Runtime) -> str:
    """``paths.publish``: a folder relative to the project, or an fsspec URL."""
    configured = rt.settings.paths.publish
    return configured if "://" in configured else str(rt.settings.path("publish"))
