"""Project settings: ``tilmech.yaml``, one declared schema with a help line per key.

Paths in the file are relative to the folder that holds it. Every problem of the file,
the schema's and those across keys, is reported at once: ``tilmech.yaml: 3 problems``,
then one line each as ``tilmech.yaml:LINE: key: problem`` (a single problem: its line alone).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from .errors import ConfigError
from .languages import LANGUAGES, Language, get_language
from .yamldoc import Problem, YamlDoc, check_schema, raise_problems, read_yaml

CONFIG_NAME = "tilmech.yaml"
ENGINES = ("argos", "pseudo")  # built in; more are defined under engine_defs (types ct2 and openai)


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
    theme: str = Field("theme", description="The project's own look of the published site: templates/ and "
                                            "static/ files there replace the built-in ones of the same name.")


class MTSettings(_Model):
    beam_size: int = Field(4, ge=1, le=16, description="Beam size of the decoder (1 is fastest).")
    max_batch_size: int = Field(32, ge=1, le=1024, description="Sentences per CTranslate2 batch.")
    max_decoding_length: int = Field(512, ge=16, description="Upper bound of target tokens per sentence.")
    compute_type: str = Field("default", description="CTranslate2 compute type: default, int8, float32, ...")
    threads: int = Field(0, ge=0, le=256, description="CPU threads for the engine; 0: every core this process may use.")


class Ct2EngineDef(_Model):
    """A CTranslate2 sequence-to-sequence model (NLLB-200, M2M-100, OPUS-MT...) converted once by the user."""

    type: Literal["ct2"]
    model: str = Field(description="The CTranslate2 model directory (made by ct2-transformers-converter), "
                                   "relative to tilmech.yaml.")
    preset: Literal["nllb", "m2m100", "opus-mt", "custom"] = Field(
        "custom", description="Token layout and SentencePiece file names of a model family: nllb, m2m100, opus-mt; "
                              "custom uses only the keys below.")
    source_spm: str = Field("", description="SentencePiece model of the source side; default from the preset, "
                                            "relative to the model directory.")
    target_spm: str = Field("", description="SentencePiece model of the target side when it differs (OPUS-MT).")
    source_prefix: tuple[str, ...] | None = Field(
        None, description="Tokens before the source text; {source} stands for the source language token.")
    source_suffix: tuple[str, ...] | None = Field(None, description="Tokens after the source text, e.g. </s>.")
    target_prefix: tuple[str, ...] | None = Field(
        None, description="Tokens forced at the start of the output; {target} stands for the target language token.")
    language_tokens: dict[str, str] = Field(
        default_factory=dict, description="Language code → the model's language token (eng_Latn, __ky__, >>kir<<); "
                                          "the preset knows en, ru, ky and zh.")
    version: str = Field("", description="Model version recorded with every draft; default: a fingerprint of "
                                         "the model files.")


class OpenAIEngineDef(_Model):
    """Any OpenAI-compatible chat-completions endpoint (vLLM, llama.cpp, Ollama, a hosted service)."""

    type: Literal["openai"]
    url: str = Field(description="Base URL of the API, e.g. http://127.0.0.1:8080/v1 (/chat/completions is added).")
    model: str = Field(description="Model name sent with each request.")
    api_key_env: str = Field("", description="Name of the environment variable that holds the API key; "
                                             "empty: no key is sent.")
    version: str = Field("1", description="Recorded with every draft; change it when the model behind the name "
                                          "changes, so `tilmech translate --redraft-unapproved` re-drafts.")
    batch_size: int = Field(8, ge=1, le=64, description="Segments per request.")
    concurrency: int = Field(4, ge=1, le=64, description="Requests in flight at once.")
    timeout: float = Field(60.0, gt=0, description="Seconds to wait for one response.")
    max_retries: int = Field(4, ge=0, le=20, description="Retries of a request on 429, 5xx and timeouts, "
                                                         "with exponential backoff (Retry-After respected).")
    max_requests: int = Field(0, ge=0, description="Budget per run: most requests sent; 0: no limit.")
    max_tokens: int = Field(0, ge=0, description="Budget per run: most tokens (prompt + completion) used; "
                                                 "0: no limit.")
    temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature.")


EngineDef = Annotated[Ct2EngineDef | OpenAIEngineDef, Field(discriminator="type")]


def _engine_list(value: object) -> object:
    return (value,) if isinstance(value, str) else value


EngineChain = Annotated[tuple[str, ...], BeforeValidator(_engine_list)]


class SiteSettings(_Model):
    base_url: str = Field("", description="Public URL of the published site (where `current` is served): "
                                          "absolute canonical, hreflang, feed and sitemap URLs; empty: relative, "
                                          "no sitemap.xml, and a warning at publish time.")
    title: str = Field("UNESCO-ICHEI News", description="The site's name in the masthead, titles and feeds; "
                                                        "translated where the locale's catalog has it.")
    footer: str = Field("", description="Text of the footer of every page (an imprint, a copyright line); "
                                        "translated where the locale's catalog has it; empty: none.")


class ImportSettings(_Model):
    boilerplate: tuple[str, ...] = Field(
        ("^The site is currently under configuration", r"^Will be available soon"),
        description="Patterns (regular expressions) of the site's boilerplate lines, dropped by import-html.")


class LimitSettings(_Model):
    upload_bytes: int = Field(5_000_000, ge=1, description="Largest file the workbench accepts as an upload (XLIFF).")
    import_bytes: int = Field(20_000_000, ge=1, description="Largest file read by an import: XLIFF, TBX, CSV, "
                                                            "HTML pages.")
    request_bytes: int = Field(1_000_000, ge=1_000, description="Largest request body the workbench reads other "
                                                               "than an upload (JSON, forms); larger ones get 413.")


class WebSettings(_Model):
    session_idle_minutes: float = Field(60, gt=0, description="A workbench session ends after this many minutes "
                                                              "without a request.")
    session_hours: float = Field(12, gt=0, description="A workbench session ends this many hours after signing in, "
                                                       "however active.")

class QASettings(_Model):
    disabled: dict[LanguageCode, tuple[str, ...]] = Field(
        default_factory=dict,
        description="QA checks switched off per target language, by code (see `tilmech qa checks`), "
                    "e.g. {ky: [looks-russian]}.")


class Settings(_Model):
    """The validated contents of tilmech.yaml plus the folder it lives in."""

    source_language: str = Field("en", description="Language of the articles in content/<source>/.")
    target_languages: tuple[LanguageCode, ...] = Field(("ru", "ky", "zh"), description="Languages to translate into.")
    engines: dict[LanguageCode, EngineChain] = Field(
        default_factory=dict,
        description="Engine per target language, or an ordered list tried in turn (a segment the first fails on "
                    "goes to the next): argos (default), pseudo (pseudo-localization preview) or a name "
                    "from engine_defs.",
    )
    engine_defs: dict[str, EngineDef] = Field(
        default_factory=dict,
        description="Named engines: type ct2 (a local CTranslate2 model) or openai (an OpenAI-compatible "
                    "endpoint); use their names in engines.",
    )
    store: str = Field("sqlite:///tilmech.db", description="SQLAlchemy URL of the store; a relative SQLite path is relative to the project.")
    store_timeout: float = Field(30, gt=0, le=3600, description="Seconds a write waits for a busy store (SQLite's "
                                 "busy timeout, PostgreSQL's lock_timeout) before it fails; flows retry it.")
    paths: PathSettings = Field(default_factory=PathSettings)  # type: ignore[arg-type]
    mt: MTSettings = Field(default_factory=MTSettings)  # type: ignore[arg-type]
    site: SiteSettings = Field(default_factory=SiteSettings)  # type: ignore[arg-type]
    html_import: ImportSettings = Field(default_factory=ImportSettings)  # type: ignore[arg-type]
    limits: LimitSettings = Field(default_factory=LimitSettings)  # type: ignore[arg-type]
    web: WebSettings = Field(default_factory=WebSettings)  # type: ignore[arg-type]
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
        """The first engine of ``code``'s chain."""
        return self.engine_chain(code)[0]

    def engine_chain(self, code: str) -> tuple[str, ...]:
        """The engines tried in turn for ``code``."""
        return self.engines.get(code) or ("argos",)

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
    """The settings in ``text`` (named ``source`` in errors).

    Every problem is collected, the schema's and those across keys, and reported at once
    (:class:`~tilmech.errors.Problems`: ``tilmech.yaml: 3 problems``, then one line each).
    """
    doc = read_yaml(text, source)
    if doc.data is not None and not isinstance(doc.data, dict):
        raise ConfigError(f"{source}:1: top level: expected a mapping of settings")
    data = dict(doc.data or {})
    problems: list[Problem] = []
    if "root" in data:
        problems.append(Problem(doc.line_of(("root",)), "root", "unknown key"))
        del data["root"]
    doc.data = data
    settings, schema = check_schema(Settings, doc)
    problems += schema
    broken: set[str] = set()  # keys whose value is wrong as a whole: left out of the checks across keys
    if settings is None:
        # validate again without the wrong values, so that the checks across keys run on the rest
        valid, left = copy.deepcopy(data), schema
        for _ in range(4):  # leaving a value out may leave a required key missing: left out in turn
            for problem in left:
                broken |= _leave_out(valid, problem.loc)
            settings, left = check_schema(Settings, YamlDoc(valid, source, doc.lines))
            if settings is not None:
                break
        else:  # not expected: the schema's problems are all there is to say
            raise_problems(source, _sorted(problems, source))
    assert settings is not None
    problems += _cross_key_problems(settings, doc, broken)
    raise_problems(source, _sorted(problems, source))
    return settings.model_copy(update={"root": (root or Path(".")).resolve()})


def _leave_out(data: dict[Any, Any], loc: tuple[str | int, ...]) -> set[str]:
    """Remove the value at ``loc`` from ``data``: the innermost entry of a mapping on the way (one
    engine, one key of mt); returns the top-level key when it goes as a whole."""
    container, key = data, loc[0] if loc else None
    for part in loc[1:]:
        inner = container.get(key)
        if not isinstance(inner, dict) or part not in inner:
            break
        container, key = inner, part
    if container is data:
        data.pop(key, None)
        return {str(key)}
    container.pop(key, None)
    return set()


def _sorted(problems: list[Problem], source: str) -> list[str]:
    """The problems as lines, in the order of the file."""
    return [p.render(source) for p in sorted(problems, key=lambda p: p.line or 0)]


def _cross_key_problems(settings: Settings, doc: YamlDoc, broken: set[str]) -> list[Problem]:
    """Checks across keys, each reported where the offending value is; a check that reads a key
    whose value is wrong as a whole (in ``broken``) does not run."""
    out: list[Problem] = []
    data = doc.data
    if not broken & {"target_languages", "source_language"}:
        for i, code in enumerate(settings.target_languages):
            if code == settings.source_language:
                out.append(Problem(doc.line_of(("target_languages", i)), f"target_languages[{i}]",
                                   f"the source language cannot also be a target language ({code!r})"))
    # engine names defined under engine_defs, also those whose definition is wrong (reported as such)
    raw_defs = data.get("engine_defs")
    defined = [str(name) for name in raw_defs] if isinstance(raw_defs, dict) else list(settings.engine_defs)
    for name in defined:
        if name in ENGINES:
            out.append(Problem(doc.line_of(("engine_defs", name)), f"engine_defs.{name}",
                               f"{name!r} is a built-in engine: choose another name"))
    known = (*ENGINES, *defined)
    for code, chain in settings.engines.items():
        if not chain:
            out.append(Problem(doc.line_of(("engines", code)), f"engines.{code}", "name at least one engine"))
        for i, name in enumerate(chain):
            if name not in known and "engine_defs" not in broken:
                where = f"engines.{code}" if isinstance(data["engines"][code], str) else f"engines.{code}[{i}]"
                out.append(Problem(doc.line_of(("engines", code, i)), where,
                                   f"unknown engine {name!r}: use 'argos' or 'pseudo' or define it under engine_defs"
                                   + (f" ({', '.join(defined)})" if defined else "")))
        if len(set(chain)) != len(chain):
            out.append(Problem(doc.line_of(("engines", code)), f"engines.{code}", "an engine is listed twice"))
    if "target_languages" not in broken:
        for code in settings.engines:
            if code not in settings.target_languages:
                out.append(Problem(doc.line_of(("engines", code)), f"engines.{code}",
                                   f"{code!r} is not one of target_languages ({', '.join(settings.target_languages)}): "
                                   f"add it there or remove this line"))
    for code, checks in settings.qa.disabled.items():
        # the registry, its families imported: only when checks are switched off
        from .qa import CHECKS

        if code not in settings.target_languages and "target_languages" not in broken:
            out.append(Problem(doc.line_of(("qa", "disabled", code)), f"qa.disabled.{code}",
                               f"{code!r} is not one of target_languages ({', '.join(settings.target_languages)})"))
        for i, check in enumerate(checks):
            if check not in CHECKS:
                out.append(Problem(doc.line_of(("qa", "disabled", code, i)), f"qa.disabled.{code}[{i}]",
                                   f"unknown check {check!r}: see `tilmech qa checks`"))
    return out


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
