"""Argos Translate packages, run with CTranslate2 directly.

argostranslate manages packages (index, download, install, list, metadata,
tokenizer). Translation calls ``ctranslate2.Translator.translate_batch`` on the
package's model with all segments of a run sorted by length: one batched call
instead of one ``translate()`` per sentence, and no sentence-splitter model,
which argostranslate would try to download on first use. This path never touches
the network. Threads, batching and the machine-wide model lock are :mod:`.ctranslate`'s,
shared with the other CTranslate2 engine (:mod:`.ct2`).

argostranslate reads its folders (``ARGOS_PACKAGES_DIR``, ``XDG_DATA_HOME``...)
when first imported, and imports stanza and torch; it is imported lazily, here only.
"""

from __future__ import annotations

import contextlib
import io
import json
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import EnvironmentNotReady, InputError, ModelMissing, UsageError
from ..languages import LANGUAGES, Language, get_language
from .base import Advance, ModelInfo, MTContext, MTResult
from .ctranslate import cpu_count, machine_lock, thread_plan, translate_sorted

_LOCK = threading.Lock()
# loaded models, shared by every engine of the process: two flows in one worker load a model once
_MODELS: dict[tuple[str, str, int], _LoadedModel] = {}


def _install_hint(source: Language, target: Language) -> str:
    return (
        f"install it with `tilmech models install {source.code}-{target.code}` (online, from the Argos index), "
        f"or offline with `tilmech models install FILE.argosmodel` (a package file copied to this machine)"
    )


def _package_module() -> Any:
    try:
        import argostranslate.package as package
    except ImportError as exc:  # pragma: no cover - argostranslate is a dependency
        raise EnvironmentNotReady(f"argostranslate is not installed: {exc}") from None
    return package


@dataclass(frozen=True)
class InstalledModel:
    from_code: str
    to_code: str
    name: str
    version: str
    path: Path

    @property
    def pair(self) -> str:
        return f"{self.from_code}-{self.to_code}"


def _our_code(argos_code: str) -> str:
    for lang in LANGUAGES.values():
        if lang.argos == argos_code:
            return lang.code
    return argos_code


def installed_models() -> list[InstalledModel]:
    """Installed Argos translation packages."""
    package = _package_module()
    try:
        packages = package.get_installed_packages()
    except FileNotFoundError as exc:
        raise EnvironmentNotReady(
            f"broken Argos package folder: {exc}. Remove that folder or reinstall the package"
        ) from None
    return sorted(
        (
            InstalledModel(_our_code(p.from_code), _our_code(p.to_code), str(getattr(p, "package_name", "") or ""),
                           str(getattr(p, "package_version", "") or ""), Path(p.package_path))
            for p in packages
            if getattr(p, "type", "translate") == "translate"
        ),
        key=lambda m: (m.from_code, m.to_code, m.path.name),
    )


def check_package_file(path: Path) -> dict[str, Any]:
    """Validate an ``.argosmodel`` before argostranslate extracts it; return its metadata."""
    source = str(path)
    if not path.is_file():
        raise UsageError(f"{source}: no such file: give the path of a downloaded .argosmodel package")
    if not zipfile.is_zipfile(path):
        raise InputError(source, None, "not an Argos package (expected a zip archive ending in .argosmodel)")
    with zipfile.ZipFile(path) as zf:
        names = [n for n in zf.namelist() if n.strip("/")]
        tops = {n.split("/", 1)[0] for n in names}
        if len(tops) != 1 or not any("/" in n for n in names):
            raise InputError(source, None, "an Argos package holds exactly one top folder with metadata.json and model/")
        top = tops.pop()
        try:
            metadata = json.loads(zf.read(f"{top}/metadata.json"))
        except KeyError:
            raise InputError(source, None, f"{top}/metadata.json is missing: not an Argos package") from None
        except ValueError as exc:
            raise InputError(source, None, f"{top}/metadata.json is not valid JSON: {exc}") from None
        if not isinstance(metadata, dict) or not metadata.get("from_code") or not metadata.get("to_code"):
            raise InputError(source, None, f"{top}/metadata.json needs from_code and to_code")
        if not any(n.startswith(f"{top}/model/") for n in names):
            raise InputError(source, None, f"{top}/model/ is missing: not a translation package")
    return metadata


def install_file(path: Path) -> InstalledModel:
    """Install a local ``.argosmodel`` with argostranslate's installer (works offline)."""
    metadata = check_package_file(path)
    package = _package_module()
    with _LOCK:
        package.install_from_path(path)
    pair = (_our_code(metadata["from_code"]), _our_code(metadata["to_code"]))
    for model in installed_models():
        if (model.from_code, model.to_code) == pair:
            return model
    raise EnvironmentNotReady(f"{path}: installed, but argostranslate does not list it")  # pragma: no cover


def install_pair(source: Language, target: Language) -> InstalledModel:
    """Download and install the package for a pair from the Argos index (needs the network)."""
    package = _package_module()
    offline_hint = (
        f"download the {source.argos}→{target.argos} .argosmodel on a machine with internet access, copy it here "
        f"and run `tilmech models install FILE.argosmodel`"
    )
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            package.update_package_index()  # argostranslate prints its own network errors
        from argostranslate import settings as argos_settings

        if not Path(argos_settings.local_package_index).exists():
            raise OSError("the package index could not be downloaded")
        available = package.get_available_packages()
    except Exception as exc:
        raise EnvironmentNotReady(f"cannot reach the Argos package index ({exc}); {offline_hint}") from None
    match = next((p for p in available if p.from_code == source.argos and p.to_code == target.argos), None)
    if match is None:
        raise ModelMissing(f"the Argos index has no {source.code}-{target.code} package; {offline_hint}")
    try:
        downloaded = Path(match.download())
    except Exception as exc:
        raise EnvironmentNotReady(f"download of {source.code}-{target.code} failed ({exc}); {offline_hint}") from None
    return install_file(downloaded)


def parse_pair(text: str) -> tuple[Language, Language]:
    parts = text.split("-")
    if len(parts) != 2:
        raise UsageError(f"{text!r}: give a language pair such as en-ru, or the path of a .argosmodel file")
    return get_language(parts[0]), get_language(parts[1])


class _LoadedModel:
    def __init__(self, pkg: Any, compute_type: str, threads: int = 0) -> None:
        import ctranslate2

        self.path = Path(pkg.package_path)
        self.target_prefix: str = getattr(pkg, "target_prefix", "") or ""
        self.tokenizer = pkg.tokenizer
        self.inter_threads, intra = thread_plan(cpu_count(), threads)
        try:
            self.translator = ctranslate2.Translator(
                str(self.path / "model"), device="cpu", compute_type=compute_type,
                inter_threads=self.inter_threads, intra_threads=intra,
            )
        except Exception as exc:
            raise EnvironmentNotReady(f"cannot load the model in {self.path}: {exc}") from None
        processor = getattr(self.tokenizer, "lazy_processor", None)
        self._sp = processor() if processor else None

    def encode(self, text: str) -> list[str]:
        return list(self.tokenizer.encode(text))

    def decode(self, tokens: list[str]) -> str:
        if self._sp is not None:
            # argostranslate's own decode turns "_" into spaces; SentencePiece's does not.
            return str(self._sp.decode_pieces(tokens))
        return str(self.tokenizer.decode(tokens))


class ArgosEngine:
    """Batched CTranslate2 over installed Argos packages. Models load once, on first use."""

    name = "argos"

    def __init__(self, *, beam_size: int = 4, max_batch_size: int = 32, max_decoding_length: int = 512,
                 compute_type: str = "default", threads: int = 0) -> None:
        self.beam_size = beam_size
        self.max_batch_size = max_batch_size
        self.max_decoding_length = max_decoding_length
        self.compute_type = compute_type
        self.threads = threads
        self.calls = 0  # texts translated
        self.batches = 0  # translate_batch calls made

    def _model(self, source: Language, target: Language) -> _LoadedModel:
        key = (f"{source.argos}-{target.argos}", self.compute_type, self.threads)
        with _LOCK:
            if key not in _MODELS:
                package = _package_module()
                try:
                    candidates = [p for p in package.get_installed_packages()
                                  if p.from_code == source.argos and p.to_code == target.argos]
                except FileNotFoundError as exc:
                    raise EnvironmentNotReady(f"broken Argos package folder: {exc}") from None
                if not candidates:
                    raise ModelMissing(f"no Argos model for {source.code}→{target.code} is installed: "
                                       + _install_hint(source, target))
                _MODELS[key] = _LoadedModel(candidates[0], self.compute_type, self.threads)
            return _MODELS[key]

    def model_info(self, source: Language, target: Language) -> ModelInfo:
        """The installed package of the pair: its name and package version (no model is loaded)."""
        pair = (source.code, target.code)
        for model in installed_models():
            if (model.from_code, model.to_code) == pair:
                return ModelInfo(model.name or model.path.name, model.version or "0")
        raise ModelMissing(f"no Argos model for {source.code}→{target.code} is installed: "
                           + _install_hint(source, target))

    def translate(self, texts: Sequence[str], source: Language, target: Language,
                  advance: Advance | None = None, contexts: Sequence[MTContext] | None = None) -> list[MTResult]:
        if not texts:
            return []
        with machine_lock(f"{source.argos}-{target.argos}"):
            return self._translate(texts, source, target, advance)

    def _translate(self, texts: Sequence[str], source: Language, target: Language,
                   advance: Advance | None) -> list[MTResult]:
        model = self._model(source, target)
        prefix = model.encode(model.target_prefix) if model.target_prefix else []
        prefix = [model.target_prefix] if model.target_prefix and len(prefix) != 1 else prefix
        # several batches per call, one per inter thread and more, so the threads stay busy
        results, calls = translate_sorted(model.translator, [model.encode(t) for t in texts], prefix, model.decode,
                                          beam_size=self.beam_size, max_batch_size=self.max_batch_size,
                                          max_decoding_length=self.max_decoding_length,
                                          chunk=self.max_batch_size * model.inter_threads * 4,
                                          advance=advance, workers=model.inter_threads)
        self.calls += len(texts)
        self.batches += calls
        return results

    def close(self) -> None:
        """Models stay loaded for the next engine of this process."""
