"""The term base (tilmech.glossary): loading, matching, protecting and restoring terms."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tilmech.errors import ConfigError
from tilmech.glossary import Glossary, TermMatcher, load_glossary

ROOT = Path(__file__).resolve().parents[1]
BAD = Path(__file__).resolve().parent / "data" / "bad-glossary"


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return load_glossary(ROOT / "glossary", ROOT)


@pytest.fixture(scope="module")
def matcher(glossary: Glossary) -> TermMatcher:
    return TermMatcher(glossary)


def found(matcher: TermMatcher, text: str) -> list[tuple[str, str]]:
    return [(m.term.id, m.text) for m in matcher.find(text)]


# -- the project's term base ------------------------------------------------------------


def test_project_glossary_loads(glossary: Glossary) -> None:
    ids = {term.id for term in glossary.terms}
    assert {"unesco-ichei", "knu", "knu-full-name", "sustech", "createview", "erlan-bazarbaev", "han-wei",
            "xu-mingshun"} <= ids
    assert len(ids) == len(glossary)
    knu = glossary.get("knu-full-name")
    assert knu is not None
    assert knu.translations["ru"].term == "Кыргызский национальный университет"
    assert "Киргизский национальный университет" in knu.forbidden["ru"]
    assert knu.source.startswith("glossary/ichei.yaml:")
    dnt = glossary.get("unesco-ichei")
    assert dnt is not None and dnt.dnt
    assert len(glossary.version) == 64


def test_glossary_version_follows_the_files(tmp_path: Path) -> None:
    folder = tmp_path / "glossary"
    shutil.copytree(ROOT / "glossary", folder)
    before = load_glossary(folder).version
    assert load_glossary(folder).version == before
    path = folder / "ichei.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert load_glossary(folder).version != before


def test_missing_glossary_folder_is_an_empty_glossary(tmp_path: Path) -> None:
    empty = load_glossary(tmp_path / "absent")
    assert len(empty) == 0
    assert TermMatcher(empty).find("Kyrgyz National University") == []


# -- matching ----------------------------------------------------------------------------


def test_longest_match_wins(matcher: TermMatcher) -> None:
    assert found(matcher, "Southern University of Science and Technology hosts UNESCO-ICHEI.") == [
        ("sustech", "Southern University of Science and Technology"), ("unesco-ichei", "UNESCO-ICHEI")]


def test_full_name_and_acronym_are_two_matches(matcher: TermMatcher) -> None:
    text = "Kyrgyz National University (KNU) hosts it."
    matches = matcher.find(text)
    assert [(m.term.id, m.text) for m in matches] == [
        ("knu-full-name", "Kyrgyz National University"), ("knu", "KNU")]
    assert [text[m.start:m.end] for m in matches] == ["Kyrgyz National University", "KNU"]


def test_possessive_stays_outside_the_term(matcher: TermMatcher) -> None:
    text = "KNU's rich resources"
    (match,) = matcher.find(text)
    assert (match.term.id, match.text) == ("knu", "KNU")
    assert text[match.end:] == "'s rich resources"


def test_acronym_inside_a_longer_name_is_not_matched(matcher: TermMatcher) -> None:
    assert found(matcher, "UNESCO-ICHEI and UNESCO") == [("unesco-ichei", "UNESCO-ICHEI"), ("unesco", "UNESCO")]
    assert found(matcher, "The delegation of UNESCO-ICHEI.") == [("unesco-ichei", "UNESCO-ICHEI")]


def test_variants_line_breaks_and_case(matcher: TermMatcher) -> None:
    assert found(matcher, "SUSTech and Han Wei and HAN Wei") == [
        ("sustech", "SUSTech"), ("han-wei", "Han Wei"), ("han-wei", "HAN Wei")]
    assert found(matcher, "Kyrgyz National\nUniversity") == [("knu-full-name", "Kyrgyz National\nUniversity")]
    # English forms are case-sensitive by default
    assert found(matcher, "knu and sustech") == []


def test_terms_are_found_next_to_placeholders(matcher: TermMatcher) -> None:
    assert found(matcher, "Prof. {1}Erlan Bazarbaev{/1} and Mr. XU Mingshun") == [
        ("erlan-bazarbaev", "Erlan Bazarbaev"), ("xu-mingshun", "XU Mingshun")]


# -- protect and restore -----------------------------------------------------------------

FIXED_TERMS = ("knu", "knu-full-name", "sustech", "erlan-bazarbaev", "han-wei", "xu-mingshun", "unesco")


@pytest.mark.parametrize("lang", ["ru", "ky", "zh"])
@pytest.mark.parametrize("term_id", FIXED_TERMS)
def test_protected_term_is_restored_to_its_fixed_rendering(
        glossary: Glossary, matcher: TermMatcher, term_id: str, lang: str) -> None:
    term = glossary.get(term_id)
    assert term is not None
    # the subject of the sentence: the base form (nominative) goes in
    protected = matcher.protect(f"{term.en} opened a classroom.", lang)
    assert protected.text == "{1} opened a classroom."
    assert term.en not in protected.text
    restored = matcher.restore("{1} открыл класс.", protected, lang)
    assert restored.text == f"{term.translations[lang].term} открыл класс."
    assert restored.lost == () and restored.uncertain == ()


@pytest.mark.parametrize("lang", ["ru", "ky", "zh"])
def test_do_not_translate_terms_are_kept_as_written(matcher: TermMatcher, lang: str) -> None:
    protected = matcher.protect("UNESCO-ICHEI and CreateView Education Technology signed.", lang)
    assert protected.text == "{1} and {2} signed."
    restored = matcher.restore("{1} и {2} подписали.", protected, lang)
    assert restored.text == "UNESCO-ICHEI и CreateView Education Technology подписали."


def test_term_placeholders_are_numbered_after_the_segments_own(matcher: TermMatcher) -> None:
    protected = matcher.protect("Prof. {1}Erlan Bazarbaev{/1} of KNU met {2}.", "ru")
    assert protected.text == "Prof. {1}{3}{/1} of {4} met {2}."
    restored = matcher.restore("Проф. {1}{3}{/1} из {4} встретил {2}.", protected, "ru")
    assert restored.text == "Проф. {1}Эрлан Базарбаев{/1} из КНУ встретил {2}."


def test_lost_placeholder_is_restored_from_the_english_form(matcher: TermMatcher) -> None:
    protected = matcher.protect("Kyrgyz National University (KNU) hosts it.", "ru")
    assert protected.text == "{1} ({2}) hosts it."
    restored = matcher.restore("Kyrgyz National University ({2}) принимает.", protected, "ru")
    assert restored.text == "Кыргызский национальный университет (КНУ) принимает."
    assert restored.lost == ()


def test_lost_placeholder_is_restored_from_a_forbidden_rendering(matcher: TermMatcher) -> None:
    protected = matcher.protect("Kyrgyz National University (KNU) hosts it.", "ru")
    restored = matcher.restore("Киргизский национальный университет ({2}) принимает.", protected, "ru")
    assert restored.text == "Кыргызский национальный университет (КНУ) принимает."
    assert restored.lost == ()


def test_lost_placeholder_that_cannot_be_restored_is_reported(matcher: TermMatcher) -> None:
    protected = matcher.protect("Kyrgyz National University (KNU) hosts it.", "ru")
    restored = matcher.restore("Университет ({2}) принимает.", protected, "ru")
    assert restored.text == "Университет (КНУ) принимает."
    assert [m.term.id for m in restored.lost] == ["knu-full-name"]


def test_restoring_a_lost_acronym_leaves_longer_terms_alone(matcher: TermMatcher) -> None:
    protected = matcher.protect("UNESCO-ICHEI and UNESCO signed it.", "ru")
    assert protected.text == "{1} and {2} signed it."
    restored = matcher.restore("{1} и UNESCO подписали это.", protected, "ru")
    assert restored.text == "UNESCO-ICHEI и ЮНЕСКО подписали это."


# -- bad inputs: one file each under tests/data/bad-glossary/ ---------------------------------
# name (a file, or a folder of files loaded together) -> (start of the message, fragments)
CASES: dict[str, tuple[str, tuple[str, ...]]] = {
    "translation-is-list.yaml": ("glossary/translation-is-list.yaml:5: terms[0].translations.ru: ",
                                 ("expected a string",)),
    "no-translations.yaml": ("glossary/no-translations.yaml:2: terms[0]: ",
                             ("give translations:", "or dnt: true")),
    "unknown-language.yaml": ("glossary/unknown-language.yaml:", ("terms[0].translations", "'fr'",
                                                                  "use one of ky, ru, zh")),
    "duplicate-id": ("glossary/second.yaml:7: ", ("term id 'knu'", "already defined at glossary/first.yaml:3")),
    "same-english-form.yaml": ("glossary/same-english-form.yaml:6: ",
                               ("'KNU'", "'knu-acronym'", "'knu' at glossary/same-english-form.yaml:2",
                                "keep it in one term")),
    "invalid-yaml.yaml": ("glossary/invalid-yaml.yaml:6: invalid YAML", ()),
    "kept-and-translated.yaml": ("glossary/kept-and-translated.yaml:2: terms[0]: ",
                                 ("ru: both kept as written (dnt) and translated: choose one",)),
}


def glossary_folder(tmp_path: Path, name: str) -> Path:
    """A project folder whose glossary/ holds just the named bad file (or the files of a bad folder)."""
    folder = tmp_path / "glossary"
    folder.mkdir()
    source = BAD / name
    for path in sorted(source.iterdir()) if source.is_dir() else [source]:
        shutil.copy(path, folder / path.name)
    return folder


def test_every_bad_glossary_file_has_a_case() -> None:
    assert sorted(p.name for p in BAD.iterdir()) == sorted(CASES)


@pytest.mark.parametrize(("name", "start", "fragments"), [pytest.param(n, *CASES[n], id=n) for n in CASES])
def test_bad_glossary_is_reported_with_file_line_and_key(
        tmp_path: Path, name: str, start: str, fragments: tuple[str, ...]) -> None:
    folder = glossary_folder(tmp_path, name)
    with pytest.raises(ConfigError) as info:
        load_glossary(folder, tmp_path)
    message = str(info.value)
    assert info.value.exit_code == 2
    assert message.startswith(start)
    for fragment in fragments:
        assert fragment in message


def test_unknown_language_points_at_its_own_line(tmp_path: Path) -> None:
    folder = glossary_folder(tmp_path, "unknown-language.yaml")
    with pytest.raises(ConfigError) as info:
        load_glossary(folder, tmp_path)
    assert str(info.value).startswith("glossary/unknown-language.yaml:6: terms[0].translations.fr: ")


def test_a_term_matches_in_a_hyphenated_compound(matcher: TermMatcher) -> None:
    assert [m.term.id for m in matcher.find("A KNU-based team met UNESCO-ICHEI staff.")] == ["knu", "unesco-ichei"]


def test_a_lost_second_occurrence_is_reported(matcher: TermMatcher) -> None:
    protected = matcher.protect("KNU hosted it and KNU paid for it.", "ru")
    restored = matcher.restore("{1} провёл это и оплатил.", protected, "ru")
    assert restored.text == "КНУ провёл это и оплатил."
    assert [m.text for m in restored.lost] == ["KNU"]


def test_spelling_variants_of_a_term_match(tmp_path: Path) -> None:
    (tmp_path / "g.yaml").write_text(
        "terms:\n  - id: smart-classroom\n    en: Smart Classroom\n    pos: noun\n    case_sensitive: false\n"
        "    translations: {ru: Умный класс, ky: Акылдуу класс, zh: 智慧教室}\n", encoding="utf-8")
    matcher = TermMatcher(load_glossary(tmp_path))
    text = "Two Smart Classrooms, one smart-classroom and a {1}Smart\u00a0Classroom{/1}."
    assert [m.text for m in matcher.find(text)] == ["Smart Classrooms", "smart-classroom", "Smart\u00a0Classroom"]


# -- term extraction: `tilmech glossary suggest` -----------------------------------------------------------


def test_glossary_suggest_proposes_new_terms_and_writes_them_as_proposed(tmp_path, tilmech) -> None:  # type: ignore[no-untyped-def]
    import json
    import shutil

    from conftest import DATA, make_project

    project = make_project(tmp_path / "project", engine="pseudo", extra_articles=False)
    for old in (project / "content" / "en").glob("*.md"):
        old.unlink()
    shutil.copy(DATA / "articles-suggest.md", project / "content" / "en" / "partners.md")
    shown = tilmech("--project", project, "glossary", "suggest", "--json")
    assert shown.code == 0
    found = {c["text"]: c for c in json.loads(shown.out)}
    # an acronym with its expansion (counted together), a person, organisations and names seen twice
    assert found["Kyrgyz State Technical University"]["acronym"] == "KSTU"
    assert (found["Kyrgyz State Technical University"]["kind"], found["Kyrgyz State Technical University"]["count"]) \
        == ("expansion", 5)  # the summary, the body with "(KSTU)" once, and KSTU three times
    assert (found["Aigul Toktosunova"]["kind"], found["Aigul Toktosunova"]["count"]) == ("person", 2)
    assert found["Osh State University"]["count"] == 3
    assert found["Central Asia Education Forum"]["count"] == 2
    assert "Prof. Aigul Toktosunova, Rector of KSTU, thanked UNESCO-ICHEI for its support." in \
        found["Aigul Toktosunova"]["examples"]
    # not proposed: what the term base holds, phrases seen once, parts of a longer candidate
    assert not {"Kyrgyz National University", "UNESCO-ICHEI", "KSTU", "Rector", "Central Asia"} & set(found)
    assert found["Osh"]["count"] == 4  # the city: alone once, and in "Osh State University"
    # --min-count 1 shows the ones seen once too
    once = tilmech("--project", project, "glossary", "suggest", "--min-count", "1", "--json")
    assert "Rector of KSTU" in {c["text"] for c in json.loads(once.out)}

    written = tilmech("--project", project, "glossary", "suggest", "--write")
    assert written.code == 0 and f"wrote {len(found)} proposed terms to" in written.err
    assert "Kyrgyz State Technical University (KSTU)" in written.out
    proposed = (project / "glossary" / "proposed.yaml").read_text(encoding="utf-8")
    assert "status: proposed" in proposed and "variants:\n  - KSTU" in proposed
    from tilmech.glossary import TermMatcher, load_glossary

    glossary = load_glossary(project / "glossary")
    term = next(t for t in glossary.terms if t.en == "Kyrgyz State Technical University")
    assert (term.status, term.enforced, term.pos) == ("proposed", False, "organization")
    # a proposed term is a hint: not enforced, not checked
    assert TermMatcher(glossary).verify("KSTU opened a classroom.", "КГТУ открыл класс.", "ru") == []
    again = tilmech("--project", project, "glossary", "suggest", "--json")
    assert json.loads(again.out) == []  # all in the term base now


def test_suggest_keeps_a_title_whose_for_takes_a_list_whole() -> None:
    from tilmech.glossary import TermMatcher, load_glossary
    from tilmech.glossary.suggest import suggest_terms

    matcher = TermMatcher(load_glossary(ROOT / "glossary"))
    sentences = ["Prof. Irina Dmitrienko, Vice Rector for Innovation, Digitization, and Strategy Development of KNU, "
                 "spoke first.", "The Vice Rector for Innovation, Digitization, and Strategy Development of KNU "
                 "closed the meeting."]
    found = [(c.text, c.count) for c in suggest_terms(sentences, matcher)]
    assert found == [("Vice Rector for Innovation, Digitization, and Strategy Development", 2)]
