"""Articles: front matter plus Markdown (tilmech.articles), good and bad files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tilmech.articles import load_article, load_articles
from tilmech.errors import ConfigError, InputError

ROOT = Path(__file__).resolve().parents[1]
BAD = Path(__file__).resolve().parent / "data" / "bad-articles"

GOOD = """---
title: Smart Classroom opened in Bishkek
date: 2023-06-06
---

The first Smart Classroom in Central Asia opened.
"""


def test_content_article_parses() -> None:
    path = ROOT / "content" / "en" / "smart-classroom-kyrgyzstan.md"
    article = load_article(path, ROOT)
    assert article.slug == "smart-classroom-kyrgyzstan"
    assert article.title == "Establishment Ceremony Held for Smart Classroom in Kyrgyzstan"
    assert type(article.date) is dt.date
    assert article.date == dt.date(2023, 6, 6)
    assert article.tags == ("smart-classroom", "kyrgyzstan", "knu", "digital-education")
    assert article.summary.startswith("UNESCO-ICHEI and Kyrgyz National University opened")
    assert article.author == "UNESCO-ICHEI"
    assert article.source == "content/en/smart-classroom-kyrgyzstan.md"
    assert article.body.lstrip().startswith("On June 5th, 2023")
    assert article.body_line == 8


def test_optional_keys_have_defaults(tmp_path: Path) -> None:
    path = tmp_path / "smart-classroom-bishkek.md"
    path.write_text(GOOD, encoding="utf-8")
    article = load_article(path)
    assert article.title == "Smart Classroom opened in Bishkek"
    assert article.date == dt.date(2023, 6, 6)
    assert (article.summary, article.tags, article.author) == ("", (), None)
    assert article.body == "\nThe first Smart Classroom in Central Asia opened.\n"


def test_windows_line_endings_and_byte_order_mark_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "windows-file.md"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode())
    article = load_article(path)
    assert article.title == "Smart Classroom opened in Bishkek"
    assert "\r" not in article.body
    old_mac = tmp_path / "old-mac-file.md"
    old_mac.write_bytes(GOOD.replace("\n", "\r").encode())
    assert load_article(old_mac).body == load_article(path).body == "\nThe first Smart Classroom in Central Asia opened.\n"


def test_a_link_may_name_an_article_of_the_folder_but_not_a_file_outside_it(tmp_path: Path) -> None:
    folder = tmp_path / "content" / "en"
    folder.mkdir(parents=True)
    (folder / "smart-classroom.md").write_text(GOOD, encoding="utf-8")
    (folder / "smart-classroom-2023.md").symlink_to("smart-classroom.md")  # an old name kept
    assert [a.slug for a in load_articles(folder)] == ["smart-classroom-2023", "smart-classroom"]
    (tmp_path / "draft.md").write_text(GOOD, encoding="utf-8")
    (folder / "draft.md").symlink_to(tmp_path / "draft.md")
    with pytest.raises(InputError, match="outside en/: put the article itself in the folder") as info:
        load_articles(folder, root=tmp_path)
    assert str(info.value).startswith("content/en/draft.md")


def test_content_hash_changes_with_the_text(tmp_path: Path) -> None:
    one, two = tmp_path / "one.md", tmp_path / "two.md"
    one.write_text(GOOD, encoding="utf-8")
    two.write_text(GOOD.replace("opened.", "was opened."), encoding="utf-8")
    first = load_article(one)
    assert first.content_hash == load_article(one).content_hash
    assert first.content_hash != load_article(two).content_hash


def test_load_articles_sorts_by_slug_and_selects(tmp_path: Path) -> None:
    for slug in ("b-news", "a-news"):
        (tmp_path / f"{slug}.md").write_text(GOOD, encoding="utf-8")
    assert [a.slug for a in load_articles(tmp_path)] == ["a-news", "b-news"]
    assert [a.slug for a in load_articles(tmp_path, slugs=["b-news"])] == ["b-news"]
    with pytest.raises(ConfigError, match="no article named c-news") as info:
        load_articles(tmp_path, slugs=["c-news"])
    assert info.value.exit_code == 2


def test_not_utf8_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "latin1.md"
    path.write_bytes(GOOD.replace("Bishkek", "Bi\xe9hkek").encode("latin-1"))
    with pytest.raises(InputError, match="save the file as UTF-8"):
        load_article(path)


# -- bad inputs: one file each under tests/data/bad-articles/ ----------------------------
# file name -> (expected line or None when no line applies, fragments of the message;
# the last fragment says what to do)
CASES: dict[str, tuple[int | None, tuple[str, ...]]] = {
    "no-front-matter.md": (1, ("missing front matter", "start the file with a line '---'")),
    "unclosed-front-matter.md": (1, ("front matter is not closed", "add a line '---'")),
    "invalid-yaml.md": (4, ("invalid YAML", "mapping values are not allowed")),
    "unterminated-quote.md": (4, ("invalid YAML", "quoted")),
    "missing-title.md": (2, ("title: required key is missing",)),
    "date-not-a-date.md": (3, ("date:", "expected a date as YYYY-MM-DD")),
    "impossible-date.md": (3, ("date:", "YYYY-MM-DD")),
    "Upper-Case.md": (None, ("bad file name 'Upper-Case'", "use lower-case letters, digits and hyphens")),
    "has spaces.md": (None, ("bad file name 'has spaces'", "use lower-case letters, digits and hyphens")),
}
BUGS: dict[str, str] = {}  # known bugs: file name -> reason (xfail)
# files with several problems -> each problem after the file name, in the order of the file
SEVERAL: dict[str, list[str]] = {
    "unknown-key.md": [":2: tittle: unknown key (check its spelling", ":2: title: required key is missing"],
    "several-problems.md": [":2: tittle: unknown key (check its spelling", ":2: title: required key is missing",
                            ":3: date: expected a date as YYYY-MM-DD"],
}


def _params() -> list[object]:
    return [pytest.param(name, *CASES[name], id=name,
                         marks=[pytest.mark.xfail(strict=True, reason=BUGS[name])] if name in BUGS else [])
            for name in sorted(CASES)]


def test_every_bad_article_file_has_a_case() -> None:
    assert sorted(p.name for p in BAD.iterdir()) == sorted([*CASES, *SEVERAL])


@pytest.mark.parametrize(("name", "line", "fragments"), _params())
def test_bad_article_is_reported_with_file_line_and_what_to_do(
        name: str, line: int | None, fragments: tuple[str, ...]) -> None:
    path = BAD / name
    with pytest.raises(ConfigError) as info:  # InputError is a ConfigError
        load_article(path)
    message = str(info.value)
    assert info.value.exit_code == 2
    assert message.startswith(str(path))
    if line is not None:
        assert message.startswith(f"{path}:{line}: ")
    else:
        assert message.startswith(f"{path}: ")
    for fragment in fragments:
        assert fragment in message


def test_bad_article_names_its_source_relative_to_the_project() -> None:
    root = BAD.parent
    with pytest.raises(InputError) as info:
        load_article(BAD / "no-front-matter.md", root)
    assert str(info.value).startswith("bad-articles/no-front-matter.md:1: ")
    assert (info.value.source, info.value.line) == ("bad-articles/no-front-matter.md", 1)


@pytest.mark.parametrize("name", sorted(SEVERAL))
def test_every_problem_of_an_article_is_reported_at_once(name: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_article(BAD / name)
    lines = str(info.value).splitlines()
    assert info.value.exit_code == 2
    assert lines[0] == f"{BAD / name}: {len(SEVERAL[name])} problems"
    assert sorted(lines[1:]) == sorted(lines[1:], key=lambda line: int(line.split(":")[1]))  # the file's order
    assert len(lines) == 1 + len(SEVERAL[name])
    for expected in SEVERAL[name]:
        assert sum(line.startswith(f"{BAD / name}{expected}") for line in lines) == 1, expected


# -- every bad article of a project, before any work -------------------------------------


def test_translate_lists_every_bad_article_at_once(pseudo_project: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    """Two bad articles among good ones: `tilmech translate` reads them all, lists every problem of
    both with file and line, exits 2 and translates nothing."""
    content = pseudo_project / "content" / "en"
    good = sorted(p.name for p in content.glob("*.md"))
    assert len(good) >= 2
    for name in ("missing-title.md", "several-problems.md"):
        (content / name).write_bytes((BAD / name).read_bytes())
    result = tilmech("--project", pseudo_project, "translate", "--lang", "ky")
    assert result.code == 2, result
    lines = result.err.strip().splitlines()
    assert lines[0].endswith("content/en: 4 problems in 2 articles")
    assert lines[1:] == [
        "content/en/missing-title.md:2: title: required key is missing",
        "content/en/several-problems.md:2: title: required key is missing",
        "content/en/several-problems.md:2: tittle: unknown key (check its spelling against the documentation)",
        "content/en/several-problems.md:3: date: expected a date as YYYY-MM-DD",
    ]
    assert not (pseudo_project / "tilmech.db").exists()  # nothing started
    # one bad article alone: its own line, as before
    (content / "several-problems.md").unlink()
    alone = tilmech("--project", pseudo_project, "translate", "--lang", "ky")
    assert alone.code == 2
    assert alone.err.strip().splitlines() == ["error: content/en/missing-title.md:2: title: required key is missing"]
