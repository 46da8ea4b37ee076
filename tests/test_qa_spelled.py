"""Numbers written as words (tilmech.qa.spelled): read as values in ru, ky, zh and English, 0 to 1 000 000."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from num2words import num2words

from tilmech.qa.spelled import chinese_value, english_number_words, number_words

SAMPLE = [*range(0, 1001), *random.Random(22).sample(range(1001, 1_000_000), 600), 1_000_000]


def test_russian_number_words_read_back_as_num2words_writes_them() -> None:
    wrong = [(n, num2words(n, lang="ru")) for n in SAMPLE
             if number_words(num2words(n, lang="ru"), "ru") != [Decimal(n)]]
    assert wrong == []


@pytest.mark.parametrize(("text", "value"), [
    ("из двенадцати лекций", 12), ("с двумя партнёрами", 2), ("около пятисот студентов", 500),
    ("двумястами книгами", 200), ("в тысяче километров", 1000), ("трёх тысяч двухсот", 3200),
    ("миллионом рублей", 1_000_000), ("сорока двух участников", 42),
    ("две с половиной тысячи", 2500), ("полтора миллиона", 1_500_000), ("полутора тысяч", 1500),
])
def test_russian_number_words_in_any_case(text: str, value: int) -> None:
    assert number_words(text, "ru") == [Decimal(value)]


def test_chinese_numerals_read_back_as_written() -> None:
    # num2words writes kanji numerals for Japanese; they are Chinese numerals too (百五 = 105)
    wrong = [(n, num2words(n, lang="ja")) for n in SAMPLE if n and chinese_value(num2words(n, lang="ja")) != n]
    assert wrong == []
    assert [chinese_value(t) for t in ("十二", "一百零五", "两千", "三十万", "二〇二三", "一万零一", "零")] == [
        12, 105, 2000, 300000, 2023, 10001, 0]


@pytest.mark.parametrize(("text", "value"), [
    ("он эки лекция", 12), ("эки жүз элүү мугалим", 250), ("үч миң студент", 3000), ("миң тогуз жүз отуз эки", 1932),
    ("жыйырма бешинчи жыл", 25), ("онго жакын", 10), ("бир миллион китеп", 1_000_000), ("кырк жети", 47),
    ("эки жарым миң", 2500),
])
def test_kyrgyz_number_words(text: str, value: int) -> None:
    assert number_words(text, "ky") == [Decimal(value)]


def test_kyrgyz_words_that_start_like_numbers_are_not_numbers() -> None:
    assert number_words("алтын медаль, бирок онлайн үчүн жетиштүү", "ky") == []


def test_english_number_words_in_the_source() -> None:
    found = english_number_words("Twelve lectures, three hundred and twenty students, twenty-five tutors, "
                                 "two thousand books; one of the partners; thousands of visitors.")
    assert found == [("Twelve", Decimal(12)), ("three hundred and twenty", Decimal(320)),
                     ("twenty-five", Decimal(25)), ("two thousand", Decimal(2000))]


_KY_UNITS = ["", "бир", "эки", "үч", "төрт", "беш", "алты", "жети", "сегиз", "тогуз"]
_KY_TENS = ["", "он", "жыйырма", "отуз", "кырк", "элүү", "алтымыш", "жетимиш", "сексен", "токсон"]


def kyrgyz_words(n: int) -> str:
    """``n`` in Kyrgyz words as a grammar writes them (no library spells Kyrgyz): 1932 is
    "миң тогуз жүз отуз эки", 250 000 "эки жүз элүү миң"."""
    if n == 0:
        return "нөл"
    if n >= 1_000_000:
        return " ".join(w for w in (kyrgyz_words(n // 1_000_000), "миллион", kyrgyz_words(n % 1_000_000)
                                    if n % 1_000_000 else "") if w)

    def below_thousand(k: int) -> list[str]:
        words = []
        if k >= 100:
            words += ([_KY_UNITS[k // 100]] if k // 100 > 1 else []) + ["жүз"]
        words += [w for w in (_KY_TENS[k // 10 % 10], _KY_UNITS[k % 10]) if w]
        return words

    thousands, rest = divmod(n, 1000)
    words = ((below_thousand(thousands) if thousands > 1 else []) + ["миң"] if thousands else []) + below_thousand(rest)
    return " ".join(words)


def test_kyrgyz_number_words_read_back_from_0_to_a_million() -> None:
    assert kyrgyz_words(1932) == "миң тогуз жүз отуз эки" and kyrgyz_words(250_000) == "эки жүз элүү миң"
    wrong = [(n, kyrgyz_words(n)) for n in SAMPLE if number_words(kyrgyz_words(n), "ky") != [Decimal(n)]]
    assert wrong == []
