"""Upkeep of a project: gettext catalogs, counts per state, store check and backup.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from ..languages import Language
from ..runtime import Runtime
from ..store import (
    SegmentRow,
    TranslationRow,
)

if TYPE_CHECKING:  # imported where used: `tilmech status` needs neither Babel nor the integrity checks
    from ..catalogs import CatalogReport
    from ..store.integrity import StoreFinding


def catalogs_update(rt: Runtime, languages: Sequence[str] | None = None) -> list[CatalogReport]:
    """Refresh messages.pot and the .po catalogs; untranslated strings get a fuzzy machine translation."""
    langs = rt.settings.resolve_languages(list(languages) if languages else None)

    def translate(lang: Language, texts: list[str]) -> list[str]:
        return [r.text for r in rt.engine(lang).translate(texts, rt.settings.source, lang)]

    from ..catalogs import update_catalogs

    return update_catalogs(rt.settings.path("locales"), langs, translate)


def stats(rt: Runtime) -> dict[str, dict[str, int]]:
    """Per language: segments by state (active segments only).

    Counted as every translation (on the (language, state) index alone) less those of the
    inactive segments (the sentences edited away: few, found by their own index). Joining every
    translation to its segment took a second at 300 000 translations; this takes a twentieth.
    """
    by_state = select(TranslationRow.lang, TranslationRow.state, func.count())
    with rt.store.reading() as s:
        every = s.execute(by_state.group_by(TranslationRow.lang, TranslationRow.state)).all()
        gone = s.execute(by_state.join(SegmentRow, SegmentRow.id == TranslationRow.segment_id)
                         .where(SegmentRow.active.is_(False))
                         .group_by(TranslationRow.lang, TranslationRow.state)).all()
    less = {(lang, state): int(count) for lang, state, count in gone}
    out: dict[str, dict[str, int]] = {}
    for lang, state, count in every:
        left = int(count) - less.get((lang, state), 0)
        if left:
            out.setdefault(lang, {})[state] = left
    return out


def db_check(rt: Runtime) -> list[StoreFinding]:
    """Every problem of the store (integrity, references, approved text, releases, history); empty: sound."""
    from ..store.integrity import check_store

    return check_store(rt.store)


def db_backup(rt: Runtime, dest: Path) -> int:
    """A consistent copy of the SQLite store in the new file ``dest``, made while others may write; its size."""
    from ..store.integrity import backup_store

    return backup_store(rt.store, Path(dest))
