"""Project settings: ``tilmech.yaml``, one declared schema with a help line per key.

Paths in the file are relative to the folder that holds it. Every problem is
reported as ``tilmech.yaml:LINE: key: problem``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from .errors import ConfigError
from .languages import LANGUAGES, Language, get_language
from .yamldoc import read_yaml, validate

CONFIG_NAME = "tilmech.yaml"
ENGINES = ("argos", "pseudo")


def _known_language(value: str) -> str:
    if value not in LANGUAGES:
        raise ValueError(f"unknown language {value!r}: use one of {', '.join(sorted(LANGUAGES))}")
    return value


LanguageCode = Annotated[str, AfterValidator(_known_language)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PathSettings(_Model):
    content: str = Field("content", description="Folder with one sub-folder per language; English articles in content/en/.")
    glossary: str = Field("glossary", description="Folder of term bases (*.yaml).")
    locales: str = Field("locales", description="Gettext catalogs of the site's interface strings.")
    publish: str = Field("public", description="Where `tilmech publish` writes releases when --to is not given: "
                                               "a folder, or an fsspec URL such as s3://bucket/site.")


class MTSettings(_Model):
    beam_size: int = Field(4, ge=1, le=16, description="Beam size of the decoder (1 is fastest).")
    max_batch_size: int = Field(32, ge=1, le=1024, description="Sentences per CTranslate2 batch.")
    max_decoding_length: int = Field(512, ge=16, description="Upper bound of target tokens per sentence.")
    compute_type: str = Field("default", description="CTranslate2 compute type: default, int8, float32, ...")
    threads: int = Field(0, ge=0, le=256, description="CPU threads for the engine; 0: every core this process may use.")


class SiteSettings(_Model):
    base_url: str = Field("", description="Public URL prefix of the published site; empty for relative links.")


class ImportSettings(_Model):
    boilerplate: tuple[str, ...] = Field(
        ("^The site is currently under configuration", r"^Will be available soon"),
        description="Patterns (regular expressions) of the site's boilerplate lines, dropped by import-html.")


class LimitSettings(_Model):
    upload_bytes: int = Field(5_000_000, ge=1, description="Largest file the workbench accepts as an upload (XLIFF).")
    import_bytes: int = Field(20_000_000, ge=1, description="Largest file read by an import: XLIFF, TBX, CSV, "
                                                            "HTML pages.")
class QASettings(_Model):
    disabled: dict[LanguageCode, tuple[str, ...]] = Field(
        default_factory=dict,
        description="QA checks switched off per target language, by code (see `tilmech qa checks`), "
                    "e.g. {ky: [looks-russian]}.")


class Settings(_Model):
    """The validated contents of tilmech.yaml plus the folder it lives in."""

    source_language: str = Field("en", description="Language of the articles in content/<source>/.")
    target_languages: tuple[LanguageCode, ...] = Field(("ru", "ky", "zh"), description="Languages to translate into.")
    engines: dict[LanguageCode, Literal["argos", "pseudo"]] = Field(
        default_factory=dict,
        description="Engine per target language: argos (default) or pseudo (pseudo-localization preview).",
    )
    store: str = Field("sqlite:///tilmech.db", description="SQLAlchemy URL of the store; a relative SQLite path is relative to the project.")
    store_timeout: float = Field(30, gt=0, le=3600, description="Seconds a write waits for a busy store (SQLite's "
                                 "busy timeout, PostgreSQL's lock_timeout) before it fails; flows retry it.")
    paths: PathSettings = Field(default_factory=PathSettings)  # type: ignore[arg-type]
    mt: MTSettings = Field(default_factory=MTSettings)  # type: ignore[arg-type]
    site: SiteSettings = Field(default_factory=SiteSettings)  # type: ignore[arg-type]
    html_import: ImportSettings = Field(default_factory=ImportSettings)  # type: ignore[arg-type]
    limits: LimitSettings = Field(default_factory=LimitSettings)  # type: ignore[arg-type]
    qa: QASettings = Field(default_factory=QASettings)
    workbench_url: str = Field("http://127.0.0.1:8000", description="Where the review workbench is served, for links in "
                                                                   "flow run summaries.")
    root: Path = Field(Path("."), exclude=True, description="Folder of tilmech.yaml (not a key of the file).")

    @field_validator("source_language")
    @classmethod
    def _known_source(cls, value: str) -> str:
        return _known_language(value)

    @field_validator("target_languages")
    @classmethod
    def _no_duplicates(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("a language is listed twice")
        return value

    # -- derived values -------------------------------------------------
    @property
    def source(self) -> Language:
        return get_language(self.source_language)

    @property
    def targets(self) -> tuple[Language, ...]:
        return tuple(get_language(code) for code in self.target_languages)

    def disabled_checks(self, code: str) -> frozenset[str]:
        """The QA checks switched off for target language ``code`` (qa.disabled)."""
        return frozenset(self.qa.disabled.get(code, ()))

    def engine_for(self, code: str) -> str:
        return self.engines.get(code, "argos")

    def path(self, name: str) -> Path:
        return (self.root / getattr(self.paths, name)).resolve()

    @property
    def content_dir(self) -> Path:
        return self.path("content") / self.source_language

    @property
    def store_url(self) -> str:
        prefix = "sqlite:///"
        if self.store.startswith(prefix) and not self.store.startswith(prefix + "/") and ":memory:" not in self.store:
            return prefix + str((self.root / self.store[len(prefix):]).resolve())
        return self.store

    def resolve_languages(self, codes: tuple[str, ...] | list[str] | None) -> tuple[Language, ...]:
        """The target languages named by ``codes`` (all when empty), validated."""
        if not codes:
            return self.targets
        result = []
        for code in codes:
            lang = get_language(code)
            if code not in self.target_languages:
                raise ConfigError(
                    f"{code!r} is not a target language of this project "
                    f"({', '.join(self.target_languages)}): add it to target_languages in {CONFIG_NAME}"
                )
            result.append(lang)
        return tuple(result)


def find_project(start: Path) -> Path:
    """The nearest folder at or above ``start`` holding tilmech.yaml."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise ConfigError(
        f"no {CONFIG_NAME} found in {start} or any parent folder: run tilmech inside a project "
        f"or pass --project DIR"
    )


def read_settings(text: str, source: str = CONFIG_NAME, root: Path | None = None) -> Settings:
    doc = read_yaml(text, source)
    if doc.data is not None and not isinstance(doc.data, dict):
        raise ConfigError(f"{source}:1: top level: expected a mapping of settings")
    data = dict(doc.data or {})
    if "root" in data:
        raise ConfigError(f"{source}:{doc.line_of(('root',))}: root: unknown key")
    doc.data = data
    settings = validate(Settings, doc)
    # checks across keys, reported where the offending value is
    for i, code in enumerate(settings.target_languages):
        if code == settings.source_language:
            raise ConfigError(f"{source}:{doc.line_of(('target_languages', i))}: target_languages[{i}]: "
                              f"the source language cannot also be a target language ({code!r})")
    for code in settings.engines:
        if code not in settings.target_languages:
            raise ConfigError(f"{source}:{doc.line_of(('engines', code))}: engines.{code}: {code!r} is not one of "
                              f"target_languages ({', '.join(settings.target_languages)}): add it there or remove this line")
    from .qa import (
        CHECKS,  # the registry: its modules import more than settings needs at import time
    )

    for code, checks in settings.qa.disabled.items():
        if code not in settings.target_languages:
            raise ConfigError(f"{source}:{doc.line_of(('qa', 'disabled', code))}: qa.disabled.{code}: {code!r} is not "
                              f"one of target_languages ({', '.join(settings.target_languages)})")
        for i, check in enumerate(checks):
            if check not in CHECKS:
                raise ConfigError(f"{source}:{doc.line_of(('qa', 'disabled', code, i))}: qa.disabled.{code}[{i}]: "
                                  f"unknown check {check!r}: see `tilmech qa checks`")
    return settings.model_copy(update={"root": (root or Path(".")).resolve()})


def load_settings(project: Path | None = None) -> Settings:
    """Load ``tilmech.yaml`` from ``project`` (or the nearest folder above the cwd)."""
    if project is None:
        root = find_project(Path.cwd())
    else:
        root = Path(project).resolve()
        if not (root / CONFIG_NAME).is_file():
            raise ConfigError(f"{root / CONFIG_NAME}: not found: create it or pass the folder that holds it")
    path = root / CONFIG_NAME
    return read_settings(path.read_text(encoding="utf-8"), CONFIG_NAME, root)
