"""Tests for tests/argos_kit.py: synthetic Argos Translate packages for tests and benchmarks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from argos_kit import build_package, copy_translate_check

LONG_LINE = (
    "The regional education office said on Tuesday that the new programme, which was "
    "prepared together with teachers, parents and local councils over almost two years, "
    "will give every village school in the Naryn, Talas and Issyk-Kul provinces a reliable "
    "internet connection, a set of laptops for the computer class, and training for at "
    "least two teachers, and that the first results will be published in an open report "
    "at the end of the next school year."
)

LINES: list[str] = [
    # English with placeholders
    "Welcome to the {1}Smart Classroom{/1} of the Faculty of Physics.",
    "{1}Smart Classroom{/1} sessions start at 9:30 in room 214.",
    "Open {1}Settings{/1} > {2}Language{/2} and choose Kyrgyz.",
    "The {1}Smart Classroom{/1} project was launched in 2023 with {2}UNICEF{/2} support.",
    "{1}{/1}Empty placeholder pair at the start.",
    "Nested {1}outer {2}inner{/2} text{/1} stays intact.",
    # URLs, e-mail, numbers
    "Read more at https://www.knu.kg/en/news/2023/smart-classroom?id=17&lang=en.",
    "Download the form from http://example.edu/forms/application_2024.pdf today.",
    "Send questions to admissions@knu.kg before 15 June 2023.",
    "Between 80-90% of students used the online library in 2023.",
    "Enrolment grew from 12,450 in 2019 to 15,020 in 2023 (+20.6%).",
    "The grant is worth $250,000 over 3 years, i.e. about 21.9 million som.",
    "Version 3.10.2 was released on 2023-11-05T14:30:00Z.",
    "Call +996 (312) 62-33-44, ext. 105, or fax +996 312 62 33 45.",
    "Scores: 7/10, 8.5/10 and 99.9th percentile; temperature -12 °C.",
    "Item #A-17/B costs €19.99 (VAT 12% incl.).",
    # Acronyms, quotes, punctuation
    "Kyrgyz National University (KNU) hosted the final round.",
    "The Kyrgyz National University named after Jusup Balasagyn (KNU) celebrates its 90th anniversary.",
    "She said: “The results are better than we expected.”",
    "He called it 'a turning point' — and nobody disagreed...",
    "Q: Where is the exam? A: Building 2, room 305!",
    "Semicolons; colons: dashes – and brackets [like these] {and these}.",
    "Tabs\tand  double  spaces  are kept.",
    "  Leading and trailing spaces  ",
    "Emoji and symbols: ✓ ★ → 😀 ©2023 ™ №5.",
    "Mixed scripts: Ελληνικά, עברית, हिन्दी, 日本語.",
    # Russian
    "Кыргызский национальный университет (КНУ) открыл {1}умный класс{/1}.",
    "В 2023 году 80–90% выпускников нашли работу по специальности.",
    "«Это важный шаг для всей системы образования», — отметил министр.",
    "Подробнее: https://knu.kg/ru/news/2023/11/smart-class.",
    "Стоимость обучения — 65 000 сомов в год; скидка 15% для отличников.",
    "Ёжик, щётка, съезд, объём и подъезд: буквы ё, щ, ъ на месте.",
    "Заседание учёного совета перенесено на 14:00 пятницы.",
    "Нажмите {1}Сохранить{/1}, затем {2}Отправить{/2}.",
    # Kyrgyz
    "Кыргыз улуттук университети (КУУ) жаңы {1}акылдуу класс{/1} ачты.",
    "2023-жылы бүтүрүүчүлөрдүн 80–90% адистиги боюнча жумуш тапты.",
    "«Бул билим берүү системасы үчүн маанилүү кадам», — деди министр.",
    "Өзүңүздүн аты-жөнүңүздү жана телефон номериңизди жазыңыз.",
    "Окуу акысы жылына 65 000 сом, мыкты окуучуларга 15% арзандатуу.",
    "Көл жээгиндеги лагерь 1-июлдан 25-августка чейин иштейт.",
    "Үй тапшырмасын {1}Жүктөө{/1} баскычы аркылуу жөнөтүңүз.",
    "Ң, Ө, Ү тамгалары: Өмүр, Үмүт, Жаңыл.",
    # Chinese
    "吉尔吉斯国立大学（KNU）开设了新的{1}智慧教室{/1}。",
    "2023年，80%至90%的毕业生找到了对口工作。",
    "部长说：“这是整个教育系统的重要一步。”",
    "详情请访问 https://knu.kg/zh/news/2023，或致电 62-33-44。",
    "学费为每年65,000索姆；优秀学生可享受15%的折扣。",
    "会议改在星期五下午两点举行，请准时参加！",
    "请点击{1}保存{/1}，然后点击{2}发送{/2}。",
    "《人民日报》报道：比什凯克—奥什公路今日恢复通车。",
    # Mixed and edge cases
    "Mixed line: Бишкек, 比什凯克 and Bishkek are the same city.",
    "ALL CAPS HEADLINE: KNU WINS NATIONAL DEBATE CUP 2023",
    "x",
    "",
    "1234567890",
    LONG_LINE,
]


@pytest.fixture(scope="module")
def copy_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny float32 copy package, en -> ru."""
    return build_package(tmp_path_factory.mktemp("kit") / "copy-en_ru.argosmodel", "en", "ru")


def test_lines_are_varied_enough() -> None:
    assert len(LINES) >= 50
    assert len(LONG_LINE.split()) >= 60


@pytest.mark.parametrize("beam_size", [1, 4])
def test_copy_package_reproduces_input(copy_zip: Path, beam_size: int) -> None:
    assert copy_translate_check(copy_zip, LINES, beam_size=beam_size) == LINES


@pytest.mark.parametrize("beam_size", [1, 4])
def test_int8_copy_package_reproduces_input(tmp_path: Path, beam_size: int) -> None:
    package = build_package(
        tmp_path / "copy-int8.argosmodel", "ru", "ky", quantization="int8", seed=3
    )
    assert copy_translate_check(package, LINES, beam_size=beam_size) == LINES


def test_copy_package_with_target_prefix(tmp_path: Path) -> None:
    package = build_package(tmp_path / "copy-prefix.argosmodel", "en", "zh", target_prefix="__zh__")
    with zipfile.ZipFile(package) as zf:
        metadata = json.loads(zf.read("copy-en_zh/metadata.json"))
    assert metadata["target_prefix"] == "__zh__"
    assert copy_translate_check(package, LINES, beam_size=4) == LINES


def test_copy_package_with_own_corpus(tmp_path: Path) -> None:
    corpus = ["hello world", "привет мир", "салам дүйнө", "你好，世界"]
    package = build_package(tmp_path / "copy-small.argosmodel", corpus=corpus)
    assert copy_translate_check(package, LINES[:20]) == LINES[:20]


def test_sentencepiece_meta_symbol_does_not_round_trip(copy_zip: Path) -> None:
    """U+2581 (▁) is SentencePiece's own whitespace marker, so it comes back as a space."""
    assert copy_translate_check(copy_zip, ["a▁b"]) == ["a b"]


def test_zip_layout(copy_zip: Path) -> None:
    with zipfile.ZipFile(copy_zip) as zf:
        names = zf.namelist()
        tops = {name.split("/", 1)[0] for name in names}
        assert tops == {"copy-en_ru"}
        files = {name.split("/", 1)[1] for name in names if not name.endswith("/")}
        assert {
            "metadata.json",
            "README.md",
            "sentencepiece.model",
            "model/model.bin",
            "model/config.json",
        } <= files
        metadata = json.loads(zf.read("copy-en_ru/metadata.json"))
        readme = zf.read("copy-en_ru/README.md").decode("utf-8")
        config = json.loads(zf.read("copy-en_ru/model/config.json"))
    assert {
        "package_version",
        "argos_version",
        "from_code",
        "to_code",
        "from_name",
        "to_name",
        "type",
        "name",
    } <= metadata.keys()
    assert "target_prefix" not in metadata
    assert (metadata["from_code"], metadata["to_code"], metadata["type"]) == (
        "en",
        "ru",
        "translate",
    )
    assert "SYNTHETIC TEST MODEL, NOT A TRANSLATION MODEL" in readme
    assert config["add_source_eos"] is True


def test_build_is_deterministic(tmp_path: Path) -> None:
    first = build_package(tmp_path / "a.argosmodel", seed=7)
    second = build_package(tmp_path / "b.argosmodel", seed=7)
    with zipfile.ZipFile(first) as za, zipfile.ZipFile(second) as zb:
        assert za.namelist() == zb.namelist()
        for name in za.namelist():
            assert za.read(name) == zb.read(name), name


def test_random_package_output_differs(tmp_path: Path) -> None:
    package = build_package(tmp_path / "random.argosmodel", "en", "ky", kind="random")
    with zipfile.ZipFile(package) as zf:
        assert {name.split("/", 1)[0] for name in zf.namelist()} == {"random-en_ky"}
    lines = [line for line in LINES if line.strip()][:12]
    outputs = copy_translate_check(package, lines)
    assert len(outputs) == len(lines)
    assert all(out != line for out, line in zip(outputs, lines, strict=True))


def test_argostranslate_installs_package(copy_zip: Path, tmp_path: Path) -> None:
    """argostranslate reads its paths at import time, so install in a fresh interpreter."""
    env = dict(os.environ)
    for var, sub in (
        ("XDG_DATA_HOME", "data"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_CACHE_HOME", "cache"),
        ("ARGOS_PACKAGES_DIR", "packages"),
    ):
        env[var] = str(tmp_path / sub)
    code = textwrap.dedent(
        f"""
        import argostranslate.package
        argostranslate.package.install_from_path({str(copy_zip)!r})
        print([(p.from_code, p.to_code) for p in argostranslate.package.get_installed_packages()])
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[('en', 'ru')]"
    installed = tmp_path / "packages" / "copy-en_ru"
    assert (installed / "metadata.json").is_file()
    assert (installed / "model" / "model.bin").is_file()
