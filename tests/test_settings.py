"""Project settings: tilmech.yaml (tilmech.settings), the project's own and bad files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tilmech.errors import ConfigError, UsageError
from tilmech.settings import load_settings, read_settings

ROOT = Path(__file__).resolve().parents[1]
BAD = Path(__file__).resolve().parent / "data" / "bad-settings"


def test_project_settings_are_valid() -> None:
    settings = read_settings((ROOT / "tilmech.yaml").read_text(encoding="utf-8"), "tilmech.yaml", ROOT)
    assert settings.source_language == "en"
    assert settings.target_languages == ("ru", "ky", "zh")
    assert [lang.code for lang in settings.targets] == ["ru", "ky", "zh"]
    assert {code: settings.engine_for(code) for code in settings.target_languages} == {
        "ru": "argos", "ky": "argos", "zh": "argos"}
    assert settings.content_dir == ROOT / "content" / "en"
    assert settings.path("glossary") == ROOT / "glossary"


def test_load_settings_reads_the_project_folder() -> None:
    settings = load_settings(ROOT)
    assert settings.root == ROOT
    assert settings.target_languages == ("ru", "ky", "zh")


def test_empty_file_gives_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "tilmech.yaml").write_text("# nothing set\n", encoding="utf-8")
    settings = load_settings(tmp_path)
    assert settings.target_languages == ("ru", "ky", "zh")
    assert settings.engine_for("zh") == "argos"
    assert settings.mt.beam_size == 4
    assert settings.store_url == f"sqlite:///{tmp_path.resolve() / 'tilmech.db'}"


def test_missing_settings_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="create it or pass the folder") as info:
        load_settings(tmp_path)
    assert info.value.exit_code == 2


# -- bad inputs: one file each under tests/data/bad-settings/ -------------------------------
# file name -> (line, key path, fragment of the problem)
CASES: dict[str, tuple[int, str, str]] = {
    "unknown-target-language.yaml": (3, "target_languages", "unknown language 'fr'"),
    "unknown-key.yaml": (3, "target_langauges", "unknown key"),
    "unknown-engine.yaml": (5, "engines.zh", "'argos' or 'pseudo'"),
    "engine-for-non-target.yaml": (4, "engines", "'zh' is not one of target_languages"),
    "beam-size-not-int.yaml": (3, "mt.beam_size", "valid integer"),
    "source-is-target.yaml": (4, "target_languages", "source language cannot also be a target"),
    "invalid-yaml.yaml": (2, "invalid YAML", "mapping values are not allowed"),
    "unknown-engine-in-list.yaml": (3, "engines.ky[1]", "unknown engine 'ct2-nllb'"),
    "engine-def-without-model.yaml": (3, "engine_defs.ct2-nllb.model", "required key is missing"),
    "engine-def-unknown-type.yaml": (3, "engine_defs.deepl", "'ct2', 'openai'"),
    "engine-def-budget-not-int.yaml": (6, "engine_defs.llm.max_requests", "valid integer"),
    "engine-def-shadows-builtin.yaml": (3, "engine_defs.argos", "built-in engine"),
}
BUGS: dict[str, str] = {}  # known bugs: file name -> reason (xfail)
# files with several problems -> the line of each, in the order of the file
SEVERAL: dict[str, list[str]] = {
    "three-problems.yaml": [
        "tilmech.yaml:2: target_languages[1]: the source language cannot also be a target language ('en')",
        "tilmech.yaml:4: engines.ru[1]: unknown engine 'deepl': use 'argos' or 'pseudo' or define it under "
        "engine_defs",
        "tilmech.yaml:6: mt.beam_size: Input should be a valid integer",
    ],
}


def _params() -> list[object]:
    return [pytest.param(name, *CASES[name], id=name,
                         marks=[pytest.mark.xfail(strict=True, reason=BUGS[name])] if name in BUGS else [])
            for name in sorted(CASES)]


def test_every_bad_settings_file_has_a_case() -> None:
    assert sorted(p.name for p in BAD.iterdir()) == sorted([*CASES, *SEVERAL])


@pytest.mark.parametrize(("name", "line", "key", "fragment"), _params())
def test_bad_settings_are_reported_with_file_line_and_key(
        tmp_path: Path, name: str, line: int, key: str, fragment: str) -> None:
    shutil.copy(BAD / name, tmp_path / "tilmech.yaml")
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path)
    message = str(info.value)
    assert info.value.exit_code == 2
    assert message.startswith(f"tilmech.yaml:{line}: {key}")
    assert fragment in message


def test_read_settings_names_the_given_source() -> None:
    text = (BAD / "unknown-target-language.yaml").read_text(encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^site/tilmech\.yaml:3: target_languages\[1\]: "):
        read_settings(text, "site/tilmech.yaml")


def test_all_problems_of_a_file_are_reported_together(tmp_path: Path) -> None:
    (tmp_path / "tilmech.yaml").write_text(
        "target_languages: [ru]\nmt:\n  beam_size: four\nsite:\n  base_ulr: /x\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path)
    lines = str(info.value).splitlines()
    assert any(line.startswith("tilmech.yaml:3: mt.beam_size:") for line in lines)
    assert any(line.startswith("tilmech.yaml:5: site.base_ulr: unknown key") for line in lines)


@pytest.mark.parametrize("name", sorted(SEVERAL))
def test_every_problem_of_a_file_is_reported_at_once_by_the_cli(tmp_path: Path, name: str, tilmech) -> None:  # type: ignore[no-untyped-def]
    """Schema problems and problems across keys together: the count, then each with its line."""
    shutil.copy(BAD / name, tmp_path / "tilmech.yaml")
    result = tilmech("--project", tmp_path, "status")
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert lines[0].endswith(f"tilmech.yaml: {len(SEVERAL[name])} problems")
    assert len(lines) == 1 + len(SEVERAL[name])
    for line, expected in zip(lines[1:], SEVERAL[name], strict=True):
        assert line.startswith(expected)
    assert "Traceback" not in result.err


def test_problems_across_keys_are_all_reported(tmp_path: Path) -> None:
    """Each check across keys runs on every value; one that the schema refuses is not checked again."""
    (tmp_path / "tilmech.yaml").write_text(
        "target_languages: [ru, ky]\n"
        "engines:\n  ru: [argos, deepl]\n  ky: [argos, argos]\n  zh: argos\n  fr: argos\n"
        "engine_defs:\n  argos: {type: ct2, model: m}\n  llm: {type: openai, url: u}\n"
        "qa:\n  disabled:\n    ky: [no-such-check]\n    zh: [looks-russian]\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path)
    assert info.value.exit_code == 2
    assert str(info.value).splitlines() == [
        "tilmech.yaml: 8 problems",
        "tilmech.yaml:3: engines.ru[1]: unknown engine 'deepl': use 'argos' or 'pseudo' or define it under "
        "engine_defs (argos, llm)",
        "tilmech.yaml:4: engines.ky: an engine is listed twice",
        "tilmech.yaml:5: engines.zh: 'zh' is not one of target_languages (ru, ky): add it there or remove this line",
        "tilmech.yaml:6: engines.fr: unknown language 'fr': use one of en, ky, ru, zh",
        "tilmech.yaml:8: engine_defs.argos: 'argos' is a built-in engine: choose another name",
        "tilmech.yaml:9: engine_defs.llm.model: required key is missing",
        "tilmech.yaml:12: qa.disabled.ky[0]: unknown check 'no-such-check': see `tilmech qa checks`",
        "tilmech.yaml:13: qa.disabled.zh: 'zh' is not one of target_languages (ru, ky)",
    ]


# -- resolving languages named on the command line -----------------------------------------


def test_resolve_languages_defaults_to_all_targets_and_keeps_order() -> None:
    settings = load_settings(ROOT)
    assert [lang.code for lang in settings.resolve_languages(None)] == ["ru", "ky", "zh"]
    assert [lang.code for lang in settings.resolve_languages(["zh", "ru"])] == ["zh", "ru"]


def test_resolve_unknown_language_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown language 'fr'") as info:
        load_settings(ROOT).resolve_languages(["fr"])
    assert info.value.exit_code == 2


def test_resolve_language_that_is_not_a_target_says_where_to_add_it(tmp_path: Path) -> None:
    (tmp_path / "tilmech.yaml").write_text("target_languages: [ru, zh]\n", encoding="utf-8")
    settings = load_settings(tmp_path)
    with pytest.raises(ConfigError, match=r"add it to target_languages in tilmech\.yaml") as info:
        settings.resolve_languages(["ky"])
    assert info.value.exit_code == 2
    with pytest.raises(ConfigError) as info:
        settings.resolve_languages(["en"])
    assert info.value.exit_code == 2


def test_engines_take_a_name_or_an_ordered_list_and_definitions_take_presets(tmp_path: Path) -> None:
    (tmp_path / "tilmech.yaml").write_text(
        "engines:\n  ru: argos\n  ky: [ct2-nllb, llm, argos]\n"
        "engine_defs:\n  ct2-nllb: {type: ct2, preset: nllb, model: models/nllb}\n"
        "  llm: {type: openai, url: 'http://127.0.0.1:8080/v1', model: qwen, api_key_env: LLM_KEY}\n",
        encoding="utf-8")
    settings = load_settings(tmp_path)
    assert settings.engine_chain("ru") == ("argos",) and settings.engine_chain("zh") == ("argos",)
    assert settings.engine_chain("ky") == ("ct2-nllb", "llm", "argos") and settings.engine_for("ky") == "ct2-nllb"
    nllb, llm = settings.engine_defs["ct2-nllb"], settings.engine_defs["llm"]
    assert nllb.type == "ct2" and nllb.preset == "nllb" and nllb.model == "models/nllb"
    assert llm.type == "openai" and llm.api_key_env == "LLM_KEY" and llm.batch_size == 8 and llm.max_requests == 0
