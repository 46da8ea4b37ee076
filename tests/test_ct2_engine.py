"""The ct2 engine on NLLB-, M2M-100- and OPUS-MT-shaped CTranslate2 models built by the tests.

The models are copy models (tests/argos_kit.py): their output repeats their input
only when the source is framed exactly as the model family expects (source language
token, pieces, ``</s>``) and the target language token is forced, so an exact copy
proves the framing. They do not translate, and nothing here presents them as
translations.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import functional_checks
from tilmech import services
from tilmech.errors import ConfigError, ModelMissing
from tilmech.languages import get_language
from tilmech.mt import create_engine
from tilmech.runtime import load_runtime
from tilmech.settings import read_settings

LINES = [
    "The Ministry of Education announced a new programme for rural schools on Monday.",
    "Click {1}here{/1} to read the full statement, or {2}contact us{/2} by e-mail.",
    "Registration is open at https://example.org/register until 1 August.",
    "Prices rose by 3.5 per cent.",
]
EN, KY, RU = get_language("en"), get_language("ky"), get_language("ru")


@pytest.fixture(scope="session")
def ct2_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from argos_kit import build_ct2_model

    folder = tmp_path_factory.mktemp("ct2-models")
    return {layout: build_ct2_model(folder / layout, layout) for layout in ("nllb", "m2m100", "opus-mt")}


def _engine(root: Path, yaml_def: str, name: str = "ct2-test"):  # type: ignore[no-untyped-def]
    settings = read_settings(f"engine_defs:\n  {name}:\n" + yaml_def, "tilmech.yaml", root)
    return create_engine(name, beam_size=2, definition=settings.engine_defs[name], root=root)


def test_nllb_shaped_model_copies_when_the_source_and_target_tokens_are_framed(ct2_models: dict[str, Path]) -> None:
    engine = _engine(ct2_models["nllb"].parent, "    type: ct2\n    preset: nllb\n    model: nllb\n")
    results = engine.translate(LINES, EN, KY)
    assert [r.text for r in results] == LINES
    assert all(r.score is not None and r.score <= 0 for r in results)  # the model score is kept
    assert engine.calls == len(LINES)
    info = engine.model_info(EN, KY)
    assert info.model == "nllb" and re.fullmatch(r"[0-9a-f]{12}", info.version)
    # without the source language token the model reads the first piece as it: the framing matters
    bare = _engine(ct2_models["nllb"].parent, "    type: ct2\n    preset: nllb\n    model: nllb\n"
                                              "    source_prefix: []\n", "ct2-bare")
    assert [r.text for r in bare.translate(LINES, EN, KY)] != LINES


def test_opus_mt_layout_uses_separate_sentencepiece_models_and_no_prefix(ct2_models: dict[str, Path]) -> None:
    engine = _engine(ct2_models["opus-mt"].parent, "    type: ct2\n    preset: opus-mt\n    model: opus-mt\n")
    assert [r.text for r in engine.translate(LINES, EN, RU)] == LINES


def test_m2m100_tokens_and_a_language_the_model_does_not_cover(ct2_models: dict[str, Path]) -> None:
    engine = _engine(ct2_models["m2m100"].parent, "    type: ct2\n    preset: m2m100\n    model: m2m100\n")
    assert [r.text for r in engine.translate(LINES, EN, RU)] == LINES
    with pytest.raises(ConfigError, match=r"target vocabulary has no __ky__: this model does not cover en→ky"):
        engine.translate(LINES, EN, KY)


def test_version_is_the_configured_one_or_changes_with_the_model_files(ct2_models: dict[str, Path],
                                                                      tmp_path: Path) -> None:
    shutil.copytree(ct2_models["nllb"], tmp_path / "nllb")
    definition = "    type: ct2\n    preset: nllb\n    model: nllb\n"
    before = _engine(tmp_path, definition).model_info(EN, KY).version
    with (tmp_path / "nllb" / "model.bin").open("r+b") as fh:  # a retrained model of the same size
        fh.seek(-8, os.SEEK_END)
        fh.write(b"\x00" * 8)
    assert _engine(tmp_path, definition).model_info(EN, KY).version != before
    assert _engine(tmp_path, definition + '    version: "2024-06"\n').model_info(EN, KY).version == "2024-06"


def test_a_missing_model_directory_says_how_to_make_one(tmp_path: Path) -> None:
    engine = _engine(tmp_path, "    type: ct2\n    preset: nllb\n    model: models/nllb-200\n", "ct2-nllb")
    with pytest.raises(ModelMissing) as info:
        engine.translate(["Hello."], EN, KY)
    message = str(info.value)
    assert info.value.exit_code == 3
    assert str(tmp_path / "models" / "nllb-200") in message
    assert "ct2-transformers-converter" in message and "engine_defs.ct2-nllb.model" in message


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_server")
def test_nllb_model_through_the_whole_pipeline(project: Path, ct2_models: dict[str, Path], tmp_path: Path,
                                               tilmech) -> None:  # type: ignore[no-untyped-def]
    settings = yaml.safe_load((project / "tilmech.yaml").read_text(encoding="utf-8"))
    settings["engine_defs"] = {"ct2-nllb": {"type": "ct2", "preset": "nllb", "model": str(ct2_models["nllb"])}}
    settings["engines"] = {"ru": "ct2-nllb", "ky": ["ct2-nllb", "pseudo"], "zh": "ct2-nllb"}
    (project / "tilmech.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    # ingest and translate (the translate flow)
    result = tilmech("--project", project, "translate")
    assert result.code == 0, result
    rt = load_runtime(project)
    items = services.review_list(rt)
    assert items and {it.engine for it in items} == {"ct2-nllb"}
    assert {it.model for it in items} == {"nllb"} and len({it.model_version for it in items}) == 1
    assert all(it.score is not None for it in items)
    ky = {it.source: it for it in items if it.lang == "ky"}
    # the copy model repeats the English; the glossary puts in the Kyrgyz terms in the case needed
    knu = next(it for source, it in ky.items() if source.startswith("On June 5th, 2023"))
    assert "Кыргыз улуттук университетинде (КУУ)" in knu.text
    link = next(it for source, it in ky.items() if "{1}Kyrgyz National University{/1}" in source)
    assert "{1}" in link.text and "{/1}" in link.text
    assert not [f for it in items for f in it.findings if f.severity == "critical"]
    # provenance is shown to the reviewer
    shown = tilmech("--project", project, "review", "show", knu.segment_id, "--lang", "ky")
    assert shown.code == 0 and f"engine ct2-nllb (mt)  model nllb {knu.model_version}" in shown.out

    # a new version of the model: unapproved drafts are made again, approved ones are kept
    first = {it.article for it in items}.pop()
    assert tilmech("--project", project, "review", "approve", "--article", first, "--lang", "ky",
                   "--acknowledge", functional_checks()).code == 0
    settings["engine_defs"]["ct2-nllb"]["version"] = "nllb-2"
    (project / "tilmech.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    redraft = tilmech("--project", project, "translate", "--lang", "ky", "--redraft-unapproved")
    assert redraft.code == 0, redraft
    others = [it for it in items if it.lang == "ky" and it.article != first]
    assert f"ky: {len(others)} unapproved drafts made again with the current model" in redraft.out
    after = services.review_list(rt, "ky")
    assert {it.model_version for it in after if it.article == first} == {knu.model_version}
    assert {it.model_version for it in after if it.article != first} == {"nllb-2"}

    # review, release, publish
    for code in ("ru", "ky", "zh"):
        for slug in {it.article for it in items}:
            assert tilmech("--project", project, "review", "approve", "--article", slug, "--lang", code,
                           "--acknowledge", functional_checks()).code == 0
    created = tilmech("--project", project, "release", "create")
    release_id = created.out.split()[1]
    assert tilmech("--project", project, "release", "approve", release_id).code == 0
    published = tilmech("--project", project, "publish", release_id, "--to", tmp_path / "site")
    assert published.code == 0, published
    page = (tmp_path / "site" / "current" / "ky" / "smart-classroom-kyrgyzstan.html").read_text(encoding="utf-8")
    assert "Кыргыз улуттук университетинде" in page
