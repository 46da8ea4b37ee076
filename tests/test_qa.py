"""QA checks on translated segments (tilmech.qa): findings are data, with a severity."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tilmech.articles import Article
from tilmech.glossary import TermMatcher, load_glossary
from tilmech.languages import get_language
from tilmech.markdown.extract import segment_article
from tilmech.markdown.placeholders import Segment
from tilmech.qa import Finding, Severity, check_translation, has_critical

ROOT = Path(__file__).resolve().parents[1]
RU, ZH = get_language("ru"), get_language("zh")

SOURCE = "[Kyrgyz National University](https://knu.kg), founded in 1932, has 1,250 teachers."
GOOD_RU = "{1}Кыргызский национальный университет{/1}, основанный в 1932 году, имеет 1\u00a0250 преподавателей."


@pytest.fixture(scope="module")
def matcher() -> TermMatcher:
    return TermMatcher(load_glossary(ROOT / "glossary"))


@pytest.fixture(scope="module")
def segment() -> Segment:
    doc = segment_article(Article(slug="knu", title="KNU", date=dt.date(2023, 6, 6), body=SOURCE))
    (seg,) = [s for s in doc.segments if s.field == "body"]
    assert seg.text == "{1}Kyrgyz National University{/1}, founded in 1932, has 1,250 teachers."
    return seg


def codes(findings: list[Finding]) -> list[tuple[str, Severity]]:
    return [(f.code, f.severity) for f in findings]


def test_correct_russian_translation_has_no_findings(segment: Segment, matcher: TermMatcher) -> None:
    assert check_translation(segment, GOOD_RU, RU, matcher) == []


@pytest.mark.parametrize("thousands", ["1\u00a0250", "1\u202f250", "1250"])
def test_russian_thousands_separators_match_the_english_number(
        segment: Segment, matcher: TermMatcher, thousands: str) -> None:
    assert check_translation(segment, GOOD_RU.replace("1\u00a0250", thousands), RU, matcher) == []


def test_a_plain_space_in_a_russian_number_is_only_cosmetic(segment: Segment, matcher: TermMatcher) -> None:
    findings = check_translation(segment, GOOD_RU.replace("1\u00a0250", "1 250"), RU, matcher)
    assert codes(findings) == [("nbsp", Severity.COSMETIC)]
    assert "U+00A0" in findings[0].message


def test_an_english_formatted_number_in_russian_reads_as_a_decimal(segment: Segment, matcher: TermMatcher) -> None:
    findings = check_translation(segment, GOOD_RU.replace("1\u00a0250", "1,250"), RU, matcher)
    assert codes(findings) == [("number", Severity.FUNCTIONAL)]
    assert findings[0].message == "number 1,250 of the source is missing or changed (in ru: 1250)"


@pytest.mark.parametrize("target", ["", "   \n"])
def test_empty_translation_is_critical(segment: Segment, matcher: TermMatcher, target: str) -> None:
    findings = check_translation(segment, target, RU, matcher)
    assert codes(findings) == [("empty", Severity.CRITICAL)]
    assert has_critical(findings)


def test_missing_placeholder_is_critical(segment: Segment, matcher: TermMatcher) -> None:
    target = GOOD_RU.replace("{/1}", "")
    findings = check_translation(segment, target, RU, matcher)
    assert codes(findings) == [("placeholder", Severity.CRITICAL)]
    assert "{/1}" in findings[0].message
    assert has_critical(findings)


def test_missing_number_is_functional(segment: Segment, matcher: TermMatcher) -> None:
    findings = check_translation(segment, GOOD_RU.replace("в 1932 году", "давно"), RU, matcher)
    assert codes(findings) == [("number", Severity.FUNCTIONAL)]
    assert "1932" in findings[0].message
    assert not has_critical(findings)


def test_changed_number_is_functional(segment: Segment, matcher: TermMatcher) -> None:
    findings = check_translation(segment, GOOD_RU.replace("1\u00a0250", "1\u00a0520"), RU, matcher)
    assert codes(findings) == [("number", Severity.FUNCTIONAL)]
    assert "1,250" in findings[0].message


def test_missing_glossary_term_is_functional(segment: Segment, matcher: TermMatcher) -> None:
    target = GOOD_RU.replace("Кыргызский национальный университет", "Университет")
    findings = check_translation(segment, target, RU, matcher)
    assert codes(findings) == [("term-missing", Severity.FUNCTIONAL)]
    assert "Кыргызский национальный университет" in findings[0].message
    assert not has_critical(findings)


def test_forbidden_rendering_is_critical(segment: Segment, matcher: TermMatcher) -> None:
    target = GOOD_RU.replace("Кыргызский национальный университет", "Киргизский национальный университет")
    findings = check_translation(segment, target, RU, matcher)
    assert ("term-forbidden", Severity.CRITICAL) in codes(findings)
    forbidden = next(f for f in findings if f.code == "term-forbidden")
    assert "Киргизский национальный университет" in forbidden.message
    assert "Кыргызский национальный университет" in forbidden.message  # what to use instead
    assert has_critical(findings)


def test_all_findings_are_collected(segment: Segment, matcher: TermMatcher) -> None:
    target = "Киргизский национальный университет, основанный давно, имеет 1\u00a0250 преподавателей."
    found = {code for code, _ in codes(check_translation(segment, target, RU, matcher))}
    # the forbidden rendering stands where the term should be: one finding, not also "missing"
    assert found == {"placeholder", "number", "term-forbidden"}


def test_chinese_uses_the_chinese_rendering(segment: Segment, matcher: TermMatcher) -> None:
    good = "成立于1932年的{1}吉尔吉斯国立大学{/1}有1,250名教师。"
    assert check_translation(segment, good, ZH, matcher) == []
    bad = good.replace("吉尔吉斯国立大学", "吉尔吉斯民族大学")
    # the near variant stands where the term should be: one critical finding, not also "missing"
    assert {f.code for f in check_translation(segment, bad, ZH, matcher)} == {"term-forbidden"}


def test_findings_round_trip_through_dicts(segment: Segment, matcher: TermMatcher) -> None:
    findings = check_translation(segment, GOOD_RU.replace("в 1932 году", "давно"), RU, matcher)
    data = [f.to_dict() for f in findings]
    assert data[0]["severity"] == "functional"
    assert [Finding.from_dict(d) for d in data] == findings


def test_a_date_that_does_not_exist_is_reported_not_crashed_on() -> None:
    from tilmech.qa import check_pair

    for source in ("The forum opened on 31 June 2024.", "The forum opened on February 30, 2024."):
        findings = check_pair(source, "Форум открылся летом.", RU)
        assert [f.message for f in findings if f.code == "date"] == [
            f"date {source.split('on ')[1].rstrip('.')!r} of the source is missing or changed"]
