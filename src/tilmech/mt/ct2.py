"""Any CTranslate2 sequence-to-sequence model: NLLB-200, M2M-100, OPUS-MT (Marian) and their kin.

The user converts a model once with CTranslate2's own converter
(``ct2-transformers-converter``) and points ``engine_defs`` in ``tilmech.yaml`` at
the folder; nothing is downloaded at run time. Model families differ only in how
the source and target are framed with language tokens:

- NLLB-200: ``eng_Latn`` + pieces + ``</s>`` in, ``kir_Cyrl`` forced as the first target token;
- M2M-100: ``__en__`` + pieces + ``</s>`` in, ``__ru__`` forced first;
- OPUS-MT: pieces + ``</s>`` in (multilingual targets add a ``>>kir<<`` token in front), nothing
  forced, and separate SentencePiece models for the source and the target side.

Texts are batched and sorted by length like the Argos engine; the model score is kept.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError, EnvironmentNotReady, ModelMissing
from ..languages import Language
from .base import Advance, ModelInfo, MTContext, MTResult
from .ctranslate import cpu_count, machine_lock, thread_plan, translate_sorted


@dataclass(frozen=True)
class Preset:
    source_spm: str
    target_spm: str
    source_prefix: tuple[str, ...]
    source_suffix: tuple[str, ...]
    target_prefix: tuple[str, ...]
    language_tokens: dict[str, str] = field(default_factory=dict)


# Token layouts of model families, as CTranslate2's converter leaves them (the tokenizer's special
# tokens are not added by the model: we add them). Language tokens are the families' own codes.
PRESETS: dict[str, Preset] = {
    "nllb": Preset("sentencepiece.bpe.model", "", ("{source}",), ("</s>",), ("{target}",),
                   {"en": "eng_Latn", "ru": "rus_Cyrl", "ky": "kir_Cyrl", "zh": "zho_Hans"}),
    "m2m100": Preset("sentencepiece.bpe.model", "", ("{source}",), ("</s>",), ("{target}",),
                     {"en": "__en__", "ru": "__ru__", "ky": "__ky__", "zh": "__zh__"}),
    "opus-mt": Preset("source.spm", "target.spm", (), ("</s>",), ()),
    "custom": Preset("sentencepiece.model", "", (), (), ()),
}

_LOCK = threading.Lock()
_MODELS: dict[tuple[str, str], _LoadedModel] = {}


@dataclass(frozen=True)
class Ct2Config:
    """One ``engine_defs`` entry of type ct2, with paths resolved and the preset applied."""

    name: str
    model_dir: Path
    source_spm: Path
    target_spm: Path
    source_prefix: tuple[str, ...]
    source_suffix: tuple[str, ...]
    target_prefix: tuple[str, ...]
    language_tokens: dict[str, str]
    version: str = ""

    @classmethod
    def from_definition(cls, name: str, definition: Any, root: Path) -> Ct2Config:
        preset = PRESETS[definition.preset]
        model_dir = (root / definition.model).resolve()
        source_spm = model_dir / (definition.source_spm or preset.source_spm)
        target_spm = model_dir / (definition.target_spm or preset.target_spm) \
            if (definition.target_spm or preset.target_spm) else source_spm

        def pick(value: tuple[str, ...] | None, default: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(value) if value is not None else default

        return cls(name, model_dir, source_spm, target_spm,
                   pick(definition.source_prefix, preset.source_prefix),
                   pick(definition.source_suffix, preset.source_suffix),
                   pick(definition.target_prefix, preset.target_prefix),
                   {**preset.language_tokens, **definition.language_tokens}, definition.version)

    def tokens(self, template: tuple[str, ...], source: Language, target: Language) -> list[str]:
        out = []
        for item in template:
            for placeholder, lang in (("{source}", source), ("{target}", target)):
                if placeholder in item:
                    token = self.language_tokens.get(lang.code)
                    if token is None:
                        raise ConfigError(
                            f"engine_defs.{self.name}.language_tokens: no token for {lang.code!r}: add "
                            f"`{lang.code}: <the model's code for {lang.name}>` in tilmech.yaml")
                    item = item.replace(placeholder, token)
            out.append(item)
        return out


def _read_vocabulary(model_dir: Path, side: str) -> set[str] | None:
    for name in (f"{side}_vocabulary", "shared_vocabulary"):
        for suffix, read in ((".json", lambda p: json.loads(p.read_text(encoding="utf-8"))),
                             (".txt", lambda p: p.read_text(encoding="utf-8").splitlines())):
            path = model_dir / f"{name}{suffix}"
            if path.is_file():
                return set(read(path))
    return None


def fingerprint(config: Ct2Config) -> str:
    """A short digest of the model files: changes when the model is replaced (cheap even for GBs)."""
    digest = hashlib.sha256()
    files = sorted(p for p in config.model_dir.iterdir() if p.is_file() and p.name != "model.bin")
    for path in (*files, config.source_spm, config.target_spm):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    weights = config.model_dir / "model.bin"
    if weights.is_file():
        size = weights.stat().st_size
        digest.update(str(size).encode())
        with weights.open("rb") as fh:
            digest.update(fh.read(1 << 20))
            fh.seek(max(0, size - (1 << 20)))
            digest.update(fh.read(1 << 20))
    return digest.hexdigest()[:12]


class _LoadedModel:
    def __init__(self, config: Ct2Config, compute_type: str, threads: int = 0) -> None:
        import ctranslate2
        import sentencepiece as spm

        self.source_sp = spm.SentencePieceProcessor(model_file=str(config.source_spm))
        self.target_sp = self.source_sp if config.target_spm == config.source_spm else \
            spm.SentencePieceProcessor(model_file=str(config.target_spm))
        self.source_vocabulary = _read_vocabulary(config.model_dir, "source")
        self.target_vocabulary = _read_vocabulary(config.model_dir, "target")
        self.inter_threads, intra = thread_plan(cpu_count(), threads)
        try:
            self.translator = ctranslate2.Translator(str(config.model_dir), device="cpu", compute_type=compute_type,
                                                     inter_threads=self.inter_threads, intra_threads=intra)
        except Exception as exc:
            raise EnvironmentNotReady(f"{config.name}: cannot load the CTranslate2 model in {config.model_dir}: "
                                      f"{exc}") from None


class Ct2Engine:
    """Batched CTranslate2 over one converted model. The model loads once, on first use."""

    def __init__(self, config: Ct2Config, *, beam_size: int = 4, max_batch_size: int = 32,
                 max_decoding_length: int = 512, compute_type: str = "default", threads: int = 0) -> None:
        self.name = config.name
        self.threads = threads
        self.config = config
        self.beam_size = beam_size
        self.max_batch_size = max_batch_size
        self.max_decoding_length = max_decoding_length
        self.compute_type = compute_type
        self.calls = 0
        self._version: str | None = None

    def _check_files(self) -> None:
        c = self.config
        if not (c.model_dir / "model.bin").is_file():
            raise ModelMissing(
                f"{c.name}: no CTranslate2 model in {c.model_dir}: convert it once with ct2-transformers-converter "
                f"(see docs/engines.md) and set engine_defs.{c.name}.model in tilmech.yaml")
        for side, path in (("source_spm", c.source_spm), ("target_spm", c.target_spm)):
            if not path.is_file():
                raise ModelMissing(
                    f"{c.name}: SentencePiece model {path} not found: copy it next to the model "
                    f"(--copy_files of the converter) or set engine_defs.{c.name}.{side} in tilmech.yaml")

    def model_info(self, source: Language, target: Language) -> ModelInfo:
        self._check_files()
        if self._version is None:
            self._version = self.config.version or fingerprint(self.config)
        return ModelInfo(self.config.model_dir.name, self._version)

    def _model(self) -> _LoadedModel:
        self._check_files()
        key = (str(self.config.model_dir), self.compute_type)
        with _LOCK:
            if key not in _MODELS:
                _MODELS[key] = _LoadedModel(self.config, self.compute_type, self.threads)
            return _MODELS[key]

    def translate(self, texts: Sequence[str], source: Language, target: Language,
                  advance: Advance | None = None, contexts: Sequence[MTContext] | None = None) -> list[MTResult]:
        if not texts:
            return []
        model = self._model()
        head = self.config.tokens(self.config.source_prefix, source, target)
        tail = self.config.tokens(self.config.source_suffix, source, target)
        prefix = self.config.tokens(self.config.target_prefix, source, target)
        for side, tokens, vocabulary in (("source", head + tail, model.source_vocabulary),
                                         ("target", prefix, model.target_vocabulary)):
            missing = [t for t in tokens if vocabulary is not None and t not in vocabulary]
            if missing:
                raise ConfigError(
                    f"engine_defs.{self.name}: the model's {side} vocabulary has no {', '.join(missing)}: "
                    f"this model does not cover {source.code}→{target.code}, or language_tokens is wrong")
        with machine_lock(f"ct2-{hashlib.sha256(str(self.config.model_dir).encode()).hexdigest()[:16]}"):
            return self._translate(model, texts, head, tail, prefix, advance)

    def _translate(self, model: _LoadedModel, texts: Sequence[str], head: list[str], tail: list[str],
                   prefix: list[str], advance: Advance | None) -> list[MTResult]:
        tokens = [[*head, *model.source_sp.encode(t, out_type=str), *tail] for t in texts]
        results, _ = translate_sorted(model.translator, tokens, prefix,
                                      lambda hyp: str(model.target_sp.decode_pieces(hyp)),
                                      beam_size=self.beam_size, max_batch_size=self.max_batch_size,
                                      max_decoding_length=self.max_decoding_length,
                                      chunk=self.max_batch_size * model.inter_threads * 4, advance=advance,
                                      workers=model.inter_threads)
        self.calls += len(texts)
        return results

    def close(self) -> None:
        """The model stays loaded for the next engine of this process."""
