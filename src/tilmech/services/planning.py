"""What a translation run has to do, found out before any machinery starts (no Prefect, no model
loaded): which article files are new or changed since ingest (their sha256 against the store),
which languages have segments left to translate, and whether each of those languages has an
engine whose model is installed.

The rule is cheap and errs on the side of running: a file that is new or whose bytes differ
from the ones ingest last read is work (ingest must split it to know its segments); otherwise
the store says which languages have untranslated segments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from ..articles import article_paths, file_hash
from ..errors import TilmechError
from ..runtime import Runtime
from ..store import ArticleRow


@dataclass(frozen=True)
class TranslationPlan:
    """``articles``: the article files considered; ``changed``: those new or edited since ingest;
    ``languages``: the target languages asked for; ``pending``: per language, the articles with a
    segment left to translate (as the store holds them, before ingest of the changed ones)."""

    articles: tuple[str, ...]
    changed: tuple[str, ...]
    languages: tuple[str, ...]
    pending: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def nothing_to_do(self) -> bool:
        return not self.changed and not self.pending

    @property
    def busy_languages(self) -> tuple[str, ...]:
        """The languages a run would translate into: all asked for when a file changed (its new
        sentences need every language), else those with pending segments."""
        if self.changed:
            return self.languages
        return tuple(lang for lang in self.languages if lang in self.pending)


def plan_translation(rt: Runtime, slugs: Sequence[str] | None = None,
                     languages: Sequence[str] | None = None, *,
                     hashes: Mapping[str, str] | None = None) -> TranslationPlan:
    """The plan of ``tilmech translate`` for these articles (all by default) and languages (all by
    default): reads and hashes the files (unless ``hashes`` holds them, from
    :func:`~tilmech.services.documents.check_documents`), one query for their stored hashes, one
    per language for what is left to translate."""
    from .translate import pending_work

    settings = rt.settings
    codes = tuple(lang.code for lang in settings.resolve_languages(list(languages or ())))
    paths = article_paths(settings.content_dir, list(slugs) if slugs else None, settings.root)
    read = hashes or {}
    digests = {path.stem: read[path.stem] if path.stem in read else file_hash(path.read_bytes()) for path in paths}
    stored: dict[str, str | None] = {}
    names = list(digests)
    with rt.store.reading() as s:
        for start in range(0, len(names), 500):
            chunk = names[start : start + 500]
            stored.update((slug, digest) for slug, digest in s.execute(
                select(ArticleRow.slug, ArticleRow.file_hash).where(ArticleRow.slug.in_(chunk))))
    changed = tuple(slug for slug, digest in digests.items() if stored.get(slug) != digest)
    pending = pending_work(rt, names, list(codes)) if names and not changed else {}
    return TranslationPlan(tuple(names), changed, codes, pending)


def check_engines(rt: Runtime, languages: Sequence[str]) -> None:
    """Raise the error of the first language none of whose engines is ready (a model missing, say:
    :class:`~tilmech.errors.ModelMissing`, exit 3, with the install hint). Loads no model: an
    engine is created and asked which model it would use, as a run does first."""
    from ..mt import model_info

    for code in languages:
        lang = rt.settings.resolve_languages([code])[0]
        first_error: TilmechError | None = None
        for name in rt.settings.engine_chain(code):
            try:
                model_info(rt.engine_named(name), rt.settings.source, lang)
                break
            except TilmechError as exc:
                first_error = first_error or exc
        else:
            if first_error is not None:
                raise first_error
