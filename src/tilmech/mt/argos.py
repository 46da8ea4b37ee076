"""Argos Translate packages, run with CTranslate2 directly.

argostranslate manages packages (index, download, install, list, metadata,
tokenizer). Translation calls ``ctranslate2.Translator.translate_batch`` on the
package's model with all segments of a run sorted by length: one batched call
instead of one ``translate()`` per sentence, and no sentence-splitter model,
which argostranslate would try to download on first use. This path never touches
the network.

argostranslate reads its folders (``ARGOS_PACKAGES_DIR``, ``XDG_DATA_HOME``...)
when first imported, and imports stanza and torch; it is imported lazily, here only.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import threading
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import EnvironmentNotReady, InputError, ModelMissing, UsageError
from ..languages import LANGUAGES, Language, get_language
from .base import Advance, ModelInfo, MTContext, MTResult

_LOCK = threading.Lock()
# loaded models, shared by every engine of the process: two flows in one worker load a model once
_MODELS: dict[tuple[str, str, int], _LoadedModel] = {}


@contextmanager
def machine_lock(name: str) -> Iterator[None]:
    """One process at a time on this machine uses model ``name`` (an flock in the temp folder):
    two flow runs on one worker machine never hold the same model in memory twice."""
    import fcntl
    import tempfile

    path = Path(tempfile.gettempdir()) / f"tilmech-model-{name}.lock"
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


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


def cpu_count() -> int:
    """Cores this process may run on: its share when the translate flow runs languages in
    several processes (``TILMECH_CORES``), else the affinity mask (not the machine's total)."""
    share = os.environ.get("TILMECH_CORES", "")
    if share.isdigit() and int(share) > 0:
        return int(share)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def thread_plan(cores: int, threads: int = 0) -> tuple[int, int]:
    """(inter_threads, intra_threads) for ``threads`` cores (0: all of them).

    Measured on 2 cores: batches in parallel, one thread each (inter 2, intra 1) beat
    one batch on two threads (inter 1, intra 2) by 40 %. Each inter thread holds a copy
    of the model, so at most 4 run in parallel; further cores go to intra threads.
    """
    total = max(1, threads or cores)
    inter = min(total, 4)
    return inter, max(1, total // inter)


def decoding_bound(source_tokens: int, cap: int) -> int:
    """Most target tokens for a batch whose longest source has ``source_tokens`` tokens.

    A translation is rarely more than twice as long as its source in tokens; a model that
    fails to stop (a broken or mismatched model) then costs bounded time, not ``cap`` steps.
    """
    return max(16, min(cap, 2 * source_tokens + 16))


def translate_sorted(translator: Any, tokens: Sequence[list[str]], prefix: list[str],
                     decode: Callable[[list[str]], str], *, beam_size: int, max_batch_size: int,
                     max_decoding_length: int, chunk: int, advance: Advance | None,
                     workers: int = 1) -> tuple[list[MTResult], int]:
    """Translate token lists with CTranslate2, sorted by length (batches of like length: little
    padding), ``chunk`` of them per ``translate_batch`` call, progress reported between calls.

    A call of few sentences is split into at least ``workers`` batches (the translator's inter
    threads), so that every thread has a share: 12 sentences as one batch run on one thread
    while the others wait (measured on 2 cores: 10 sentences/s, against 15-17 split in two).

    Returns the results in the order of ``tokens`` and the number of calls. Decoding is bounded
    relative to the longest source of each call; a target ``prefix`` (language token) is removed.
    """
    order = sorted(range(len(tokens)), key=lambda i: len(tokens[i]))
    results: list[MTResult | None] = [None] * len(tokens)
    calls = 0
    for start in range(0, len(order), chunk):
        ids = order[start : start + chunk]
        batch = [tokens[i] for i in ids]
        outputs = translator.translate_batch(
            batch,
            target_prefix=[prefix] * len(batch) if prefix else None,
            beam_size=beam_size,
            max_batch_size=min(max_batch_size, -(-len(batch) // max(1, workers))),
            max_decoding_length=decoding_bound(len(batch[-1]), max_decoding_length) + len(prefix),
            return_scores=True,
        )
        calls += 1
        for i, out in zip(ids, outputs, strict=True):
            hyp = list(out.hypotheses[0])
            if prefix and hyp[: len(prefix)] == prefix:
                hyp = hyp[len(prefix) :]
            results[i] = MTResult(decode(hyp).strip(), float(out.scores[0]) if out.scores else None)
        if advance:
            advance(len(ids))
    return [r for r in results if r is not None], calls


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
