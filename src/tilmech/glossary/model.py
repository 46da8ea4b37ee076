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
        dnt: true                             # do not translate: kept as written

English forms match case-sensitively unless ``case_sensitive: false``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from ..errors import ConfigError, InputError
from ..languages import LANGUAGES
from ..yamldoc import read_yaml, validate


def _target_code(code: str) -> str:
    if code not in LANGUAGES or code == "en":
        known = ", ".join(sorted(c for c in LANGUAGES if c != "en"))
        raise ValueError(f"unknown target language {code!r}: use one of {known}")
    return code


TargetCode = Annotated[str, AfterValidator(_target_code)]


class _TermSchema(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    en: str = Field(min_length=1)
    variants: tuple[str, ...] = ()
    dnt: bool = False
    translations: dict[TargetCode, str] = Field(default_factory=dict)
    forbidden: dict[TargetCode, tuple[str, ...]] = Field(default_factory=dict)
    case_sensitive: bool = True
    note: str = ""

    @model_validator(mode="after")
    def _dnt_or_translations(self) -> _TermSchema:
        if self.dnt and self.translations:
            raise ValueError("a term is either dnt: true (kept as written) or has translations, not both")
        if not self.dnt and not self.translations:
            raise ValueError("give translations: for each language, or dnt: true to keep the term as written")
        return self


class _FileSchema(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    terms: tuple[_TermSchema, ...] = ()


@dataclass(frozen=True)
class Term:
    id: str
    en: str
    variants: tuple[str, ...]
    dnt: bool
    translations: dict[str, str]
    forbidden: dict[str, tuple[str, ...]]
    case_sensitive: bool
    note: str
    source: str  # "glossary/ichei.yaml:14"

    @property
    def forms(self) -> tuple[str, ...]:
        """All English surface forms, longest first."""
        return tuple(sorted({self.en, *self.variants}, key=lambda f: (-len(f), f)))

    def rendering(self, lang: str) -> str | None:
        """The fixed rendering in ``lang``; ``None`` when the term is not fixed there."""
        if self.dnt:
            return self.en
        return self.translations.get(lang)


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
        terms.append(Term(t.id, t.en.strip(), tuple(v.strip() for v in t.variants), t.dnt, dict(t.translations),
                          dict(t.forbidden), t.case_sensitive, t.note, f"{source}:{line}"))
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
