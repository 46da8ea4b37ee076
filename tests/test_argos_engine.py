"""The Argos engine on real argostranslate packages (copy models the tests build)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SESSION_DIR
from tilmech.languages import get_language
from tilmech.mt.argos import ArgosEngine, installed_models

EN, RU = get_language("en"), get_language("ru")
pytestmark = pytest.mark.usefixtures("installed_models")


def test_models_list_shows_the_installed_packages(tilmech) -> None:  # type: ignore[no-untyped-def]
    result = tilmech("models", "list")
    assert result.code == 0
    pairs = [line.split("\t")[0] for line in result.out.splitlines()]
    assert {"en-ru", "en-ky", "en-zh"} <= set(pairs)


def test_batch_translation_keeps_text_placeholders_and_underscores() -> None:
    engine = ArgosEngine(beam_size=2, max_batch_size=4)
    texts = [
        "Visit {1}Kyrgyz National University{/1} at {2}.",
        "The file snake_case_name.md stays as it is.",
        "80-90% of scientists graduated in 1932.",
        "短句。",
        *[f"Sentence number {i} of a longer batch." for i in range(20)],
    ]
    results = engine.translate(texts, EN, RU)
    assert [r.text for r in results] == texts  # a copy model: output = input, in input order
    assert all(r.score is not None and r.score <= 0 for r in results)
    assert engine.calls == len(texts)


def test_target_prefix_of_a_package_is_forced_and_removed(tilmech) -> None:  # type: ignore[no-untyped-def]
    from argos_kit import build_package

    package = build_package(SESSION_DIR / "copy-ru_en-prefix.argosmodel", "ru", "en", target_prefix="__en__")
    assert tilmech("models", "install", package).code == 0
    assert any(m.pair == "ru-en" for m in installed_models())
    engine = ArgosEngine(beam_size=1)
    out = engine.translate(["Кыргыз улуттук университети 1932-жылы негизделген."], RU, EN)
    assert [r.text for r in out] == ["Кыргыз улуттук университети 1932-жылы негизделген."]


def test_installing_twice_replaces_the_package(model_files: dict[str, Path], tilmech) -> None:  # type: ignore[no-untyped-def]
    assert tilmech("models", "install", model_files["en-ru"]).code == 0
    assert [m.pair for m in installed_models()].count("en-ru") == 1
