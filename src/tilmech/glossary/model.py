"""The term base: ``glossary/*.yaml``.

Schema (one file may hold any number of terms; all files of the folder merge)::

    terms:
      - id: knu                               # unique across all files
        en: Kyrgyz National University        # the English form
        variants: [Kyrgyz National University named after Jusup Balasagyn]
        translations:                         # fixed rendering per language
          ru: Кыргызский национальный университет
          ky: Кыргыз улуттук университети
          zh: 吉尔吉斯国立大学
        forbidden:                            # renderings that must not appear
          ru: [Киргизский национальный университет]
        note: Full name; "KNU" is a term of its own.
      - id: unesco-ichei
        en: UNESCO-ICHEI
        dnt: [ru, ky]                         # kept as written in these languages (true: in all)
        translations:
          zh: 联合国教科文组织高等教育创新中心   # ...and translated in the others

English forms match case-sensitively unless ``case_sensitive: false``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from ..errors import ConfigError, InputError
from ..languages import LANGUAGES
from ..yamldoc import read_yaml, validate


def _target_code(code: str) -> str:
    if code not in LANGUAGES or code == "en":
        known = ", ".join(sorted(c for c in LANGUAGES if c != "en"))
        raise ValueError(f"unknown target language {code!r}: use one of {known}")
    return code


TargetCode = Annotated[str, AfterValidator(_target_code)]


class _RenderingSchema(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    term: str = Field(min_length=1)
    allowed: tuple[str, ...] = ()
    declinable: bool = True
    note: str = ""


def _rendering(value: object) -> object:
    """``ru: КНУ`` is short for ``ru: {term: КНУ}``."""
    if isinstance(value, str):
        return {"term": value}
    if not isinstance(value, dict):
        raise ValueError("expected a string, or a mapping with term: (and allowed:, declinable:, note:)")
    return value


class _TermSchema(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    en: str = Field(min_length=1)
    variants: tuple[str, ...] = ()
    dnt: bool | tuple[TargetCode, ...] = False
    translations: dict[TargetCode, Annotated[_RenderingSchema, BeforeValidator(_rendering)]] = Field(
        default_factory=dict)
    forbidden: dict[TargetCode, tuple[str, ...]] = Field(default_factory=dict)
    case_sensitive: bool = True
    pos: Literal["noun", "proper-noun", "acronym", "person", "organization"] = "proper-noun"
    status: Literal["approved", "proposed"] = "approved"
    note: str = ""

    @model_validator(mode="after")
    def _dnt_or_translations(self) -> _TermSchema:
        if self.dnt is True and self.translations:
            raise ValueError("a term is either dnt: true (kept as written in every language) or has translations, "
                             "not both: list the languages that keep it, dnt: [ru, ky]")
        if isinstance(self.dnt, tuple):
            both = sorted(set(self.dnt) & set(self.translations))
            if both:
                raise ValueError(f"{', '.join(both)}: both kept as written (dnt) and translated: choose one")
        if not self.dnt and not self.translations and self.status != "proposed":
            raise ValueError("give translations: for each language, or dnt: true to keep the term as written "
                             "(a term with status: proposed may have neither yet)")
        return self


class _FileSchema(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    terms: tuple[_TermSchema, ...] = ()


@dataclass(frozen=True)
class Rendering:
    """How a term reads in one language."""

    term: str  # the preferred rendering
    allowed: tuple[str, ...] = ()  # alternatives that are also correct
    declinable: bool = True  # False: the rendering never changes with grammatical case
    note: str = ""


@dataclass(frozen=True)
class Term:
    id: str
    en: str
    variants: tuple[str, ...]
    dnt: bool
    translations: dict[str, Rendering]
    forbidden: dict[str, tuple[str, ...]]
    case_sensitive: bool
    note: str
    source: str  # "glossary/ichei.yaml:14"
    pos: str = "proper-noun"
    status: str = "approved"
    kept: tuple[str, ...] = ()  # languages that keep the English term as written (dnt: [ru, ky])

    def keeps(self, lang: str) -> bool:
        """Whether ``lang`` keeps the term as written in English (do-not-translate there)."""
        return self.dnt or lang in self.kept

    @property
    def forms(self) -> tuple[str, ...]:
        """All English surface forms, longest first."""
        return tuple(sorted({self.en, *self.variants}, key=lambda f: (-len(f), f)))

    def rendering(self, lang: str) -> str | None:
        """The fixed rendering in ``lang``; ``None`` when the term is not fixed there."""
        if self.keeps(lang):
            return self.en
        entry = self.translations.get(lang)
        return entry.term if entry else None

    def allowed(self, lang: str) -> tuple[str, ...]:
        """Every correct rendering in ``lang``, the preferred one first."""
        if self.keeps(lang):
            return (self.en,)
        entry = self.translations.get(lang)
        return (entry.term, *entry.allowed) if entry else ()

    def declinable(self, lang: str) -> bool:
        if self.keeps(lang) or self.pos == "acronym":
            return lang == "ky"  # Kyrgyz adds case suffixes even to acronyms and foreign names
        entry = self.translations.get(lang)
        return entry.declinable if entry else False

    @property
    def enforced(self) -> bool:
        """Approved terms are enforced in MT and checked; proposed ones are hints only."""
        return self.status == "approved"


@dataclass(frozen=True)
class Glossary:
    terms: tuple[Term, ...]
    version: str  # sha256 of the files, for manifests

    def __len__(self) -> int:
        return len(self.terms)

    def get(self, term_id: str) -> Term | None:
        return next((t for t in self.terms if t.id == term_id), None)


def read_glossary(text: str, source: str) -> list[Term]:
    """Terms of one glossary file."""
    doc = read_yaml(text, source)
    if doc.data is None:
        return []
    if not isinstance(doc.data, dict):
        raise InputError(source, 1, "top level: expected 'terms:' followed by a list of terms")
    schema = validate(_FileSchema, doc)
    terms = []
    for i, t in enumerate(schema.terms):
        line = doc.line_of(("terms", i))
        translations = {code: Rendering(value.term.strip(), tuple(a.strip() for a in value.allowed),
                                        value.declinable, value.note)
                        for code, value in t.translations.items()}
        kept = tuple(dict.fromkeys(t.dnt)) if isinstance(t.dnt, tuple) else ()
        terms.append(Term(t.id, t.en.strip(), tuple(v.strip() for v in t.variants), t.dnt is True, translations,
                          dict(t.forbidden), t.case_sensitive, t.note, f"{source}:{line}", t.pos, t.status, kept))
    return terms


def load_glossary(folder: Path, root: Path | None = None) -> Glossary:
    """Merge every ``*.yaml`` of ``folder``; conflicting entries are an error naming both places."""
    if not folder.exists():
        return Glossary((), hashlib.sha256(b"").hexdigest())
    digest = hashlib.sha256()
    terms: list[Term] = []
    by_id: dict[str, Term] = {}
    by_form: dict[str, Term] = {}
    for path in sorted(folder.glob("*.y*ml")):
        source = str(path.relative_to(root)) if root and path.is_relative_to(root) else path.name
        text = path.read_text(encoding="utf-8")
        digest.update(path.name.encode() + b"\x00" + text.encode() + b"\x00")
        for term in read_glossary(text, source):
            if term.id in by_id:
                raise ConfigError(f"{term.source}: term id {term.id!r} is already defined at {by_id[term.id].source}")
            for form in term.forms:
                key = form.casefold()
                other = by_form.get(key)
                if other is not None and other.id != term.id:
                    raise ConfigError(
                        f"{term.source}: English form {form!r} of term {term.id!r} is also a form of "
                        f"term {other.id!r} at {other.source}: keep it in one term"
                    )
                by_form[key] = term
            by_id[term.id] = term
            terms.append(term)
    return Glossary(tuple(terms), digest.hexdigest())
