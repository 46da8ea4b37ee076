"""The whole pipeline through the real CLI, Prefect flows and argostranslate.

The engine is real (argostranslate's installer, CTranslate2 decoding) over a copy
model built by the tests: its output equals its input, so every expectation
below is exact. It is not a translation, and nothing here presents it as one.
"""

from __future__ import annotations

import gettext
import hashlib
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.dates import format_date

from conftest import functional_checks
from tilmech.articles import read_article
from tilmech.languages import get_language
from tilmech.runtime import load_runtime
from tilmech.services import review_list

SEED = "smart-classroom-kyrgyzstan"
SHOWCASE = "partners-showcase"

pytestmark = pytest.mark.usefixtures("installed_models", "prefect_server")


class _Structure(HTMLParser):
    """Tags, link targets and image sources of a page's <main>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.hrefs: list[str] = []
        self.images: list[str] = []
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang")
        self.tags.append(tag)
        if tag == "a" and attributes.get("href") and not attributes.get("hreflang"):
            self.hrefs.append(str(attributes["href"]))
        if tag == "img":
            self.images.append(str(attributes.get("src")))


def structure(html: str) -> _Structure:
    parser = _Structure()
    parser.feed(html)
    return parser


def article_body_html(page: str) -> str:
    """The page's one ``<article>`` (the theme may give it attributes: ``<article class="story">``)."""
    opening = re.search(r"<article\b[^>]*>", page)
    assert opening and page.count("<article") == 1, page
    return page[opening.start() : page.index("</article>")]


def test_article_to_published_bundle(project: Path, tmp_path: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    # 1. translate: every segment of both articles, in three languages, into the review queue
    result = tilmech("--project", project, "translate")
    assert result.code == 0, result
    rt = load_runtime(project)
    items = review_list(rt)
    segments = {it.segment_id for it in items}
    assert len(items) == 3 * len(segments) and len(segments) > 25
    assert {it.engine for it in items} == {"argos"}
    assert all(it.state == "draft" and it.score is not None for it in items)
    # every glossary term is rendered (in some case form) or flagged, never silently wrong
    assert not [f for it in items for f in it.findings
                if f.code in ("term-missing", "term-untranslated", "term-forbidden", "term-lost")]

    by_lang = {code: {it.source: it for it in items if it.lang == code} for code in ("ru", "ky", "zh")}
    knu_sentence = next(s for s in by_lang["ru"] if s.startswith("On June 5th, 2023"))
    # glossary terms rendered as fixed in every language, in the case the sentence needs
    # ("held at ..."), DNT terms kept
    expected_knu = {"ru": "Кыргызском национальном университете (КНУ)",
                    "ky": "Кыргыз улуттук университетинде (КУУ)",
                    "zh": "吉尔吉斯国立大学 (吉尔吉斯国立大学)"}
    for code, rendering in expected_knu.items():
        text = by_lang[code][knu_sentence].text
        assert rendering in text
        assert "(UNESCO-ICHEI)" in text
        assert not re.search(r"\bKNU\b|Kyrgyz National University", text)
        partners = next(it.text for s, it in by_lang[code].items() if s.startswith("This Smart Classroom"))
        assert "UNESCO-ICHEI" in partners and "CreateView Education Technology" in partners
        assert "Southern University" not in partners and {"ru": "Южный университет науки и технологий",
                                                          "ky": "Түштүк илим жана технология университети",
                                                          "zh": "南方科技大学"}[code] in partners
    assert "Эрлан Базарбаев" in next(it.text for s, it in by_lang["ru"].items() if s.startswith("Prof. Erlan"))
    # inline markup survives as placeholders around the rendered term
    link = next(it for s, it in by_lang["ru"].items() if "{1}Kyrgyz National University{/1}" in s)
    assert "{1}Кыргызском национальном университете{/1}" in link.text
    assert link.placeholders["{1}"] == "link https://knu.kg/en"

    # 2. a second run over unchanged content translates nothing and loads no model:
    #    it even succeeds with every model uninstalled
    packages = Path(__import__("os").environ["ARGOS_PACKAGES_DIR"])
    hidden = packages.with_name("hidden-packages")
    packages.rename(hidden)
    packages.mkdir()
    try:
        again = tilmech("--project", project, "translate")
    finally:
        packages.rmdir()
        hidden.rename(packages)
    assert again.code == 0, again
    assert again.out.strip() == "nothing to translate: 2 articles unchanged"  # said before Prefect starts

    # 3. review: approve everything, per article and language
    for code in ("ru", "ky", "zh"):
        for slug in (SEED, SHOWCASE):
            approved = tilmech("--project", project, "review", "approve", "--article", slug, "--lang", code,
                               "--acknowledge", functional_checks())  # the copy model's English: untranslated
            assert approved.code == 0, approved

    # 4. release: created, refused while unapproved, then approved and published
    created = tilmech("--project", project, "release", "create")
    assert created.code == 0 and re.fullmatch(r"release \d+\n", created.out), created
    release_id = created.out.split()[1]
    out = tmp_path / "site"
    refused = tilmech("--project", project, "publish", release_id, "--to", out)
    assert refused.code == 1 and "not approved" in refused.err and "Traceback" not in refused.err
    assert not out.exists()
    assert tilmech("--project", project, "release", "approve", release_id).code == 0
    published = tilmech("--project", project, "publish", release_id, "--to", out)
    assert published.code == 0, published

    current = out / "current"
    assert current.is_symlink() and current.resolve() == (out / "releases" / release_id).resolve()
    english = (current / "en" / f"{SHOWCASE}.html").read_text(encoding="utf-8")
    en_structure = structure(article_body_html(english))
    # the article's image (images/plaque.jpg) is copied once into the release, named by its content
    plaque_bytes = (project / "content" / "en" / "images" / "plaque.jpg").read_bytes()
    plaque = f"assets/{hashlib.sha256(plaque_bytes).hexdigest()[:16]}.jpg"
    assert (current / plaque).read_bytes() == plaque_bytes
    for code in ("ru", "ky", "zh"):
        lang = get_language(code)
        folder = current / code
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["release"] == int(release_id) and manifest["locale"] == code
        # every file listed with its checksum, nothing unlisted
        listed = {f["path"]: f for f in manifest["files"]}
        on_disk = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()} - {"manifest.json"}
        assert set(listed) == on_disk
        for path, entry in listed.items():
            data = (folder / path).read_bytes()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["size"]
        # localized dates, from Babel
        seed_entry = next(a for a in manifest["articles"] if a["slug"] == SEED)
        assert seed_entry["date_localized"] == format_date(__import__("datetime").date(2023, 6, 6), "long",
                                                           locale=lang.locale)
        page = (folder / f"{SEED}.html").read_text(encoding="utf-8")
        assert structure(page).lang == lang.bcp47
        assert seed_entry["date_localized"] in page
        assert f'hreflang="en" href="../en/{SEED}.html"' in page
        # same structure, links and images as the English page
        translated = structure(article_body_html((folder / f"{SHOWCASE}.html").read_text(encoding="utf-8")))
        assert translated.tags == en_structure.tags
        assert translated.hrefs == en_structure.hrefs
        assert translated.images == en_structure.images == [f"../{plaque}"]  # the one copy in the release
        # the rebuilt Markdown keeps the front matter and is a valid article
        md = read_article((folder / f"{SEED}.md").read_text(encoding="utf-8"), SEED)
        assert md.date.isoformat() == "2023-06-06" and md.tags[0] == "smart-classroom"
        assert "## " in md.body
        # the compiled interface catalog loads and translates
        with (folder / "LC_MESSAGES" / "messages.mo").open("rb") as fh:
            catalog = gettext.GNUTranslations(fh)
        assert catalog.gettext("All news") != "All news"
        assert catalog.gettext("All news") in (folder / f"{SEED}.html").read_text(encoding="utf-8")
    # Babel puts a narrow no-break space before "г."
    assert "6 июня 2023\u202fг." in (current / "ru" / f"{SEED}.html").read_text(encoding="utf-8")
    assert "2023-ж., 6-июнь" in (current / "ky" / f"{SEED}.html").read_text(encoding="utf-8")
    assert "2023年6月6日" in (current / "zh" / f"{SEED}.html").read_text(encoding="utf-8")
    assert "Кыргыз улуттук университетинде" in (current / "ky" / f"{SEED}.html").read_text(encoding="utf-8")

    # 5. publishing the same release again gives byte-identical bundles (only build-info.json differs)
    def bundle_files() -> dict[Path, bytes]:
        return {p.relative_to(current): p.read_bytes() for p in current.rglob("*")
                if p.is_file() and p.name != "build-info.json"}

    first = bundle_files()
    (current / "build-info.json").unlink()
    again_out = tilmech("--project", project, "publish", release_id, "--to", out)
    assert again_out.code == 0
    assert bundle_files() == first
    assert (current / "build-info.json").exists()


def test_unknown_release_is_refused(project: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    result = tilmech("--project", project, "publish", "42")
    assert result.code == 2
    assert result.err.strip() == "error: no release 42: see `tilmech release list`"


@pytest.mark.slow
def test_memory_reuses_a_sentence_from_another_article(project: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    assert tilmech("--project", project, "translate", "--lang", "ru", "--article", SEED).code == 0
    text = (project / "content" / "en" / f"{SEED}.md").read_text(encoding="utf-8")
    shutil.copy(project / "content" / "en" / f"{SEED}.md", project / "content" / "en" / "seed-copy.md")
    (project / "content" / "en" / "seed-copy.md").write_text(
        text.replace("title: Establishment Ceremony", "title: Copy of the Establishment Ceremony"), encoding="utf-8")
    result = tilmech("--project", project, "translate", "--lang", "ru", "--article", "seed-copy")
    assert result.code == 0, result
    row = next(line.split("│") for line in result.out.splitlines() if line.startswith("│ ru"))
    segments, new, memory = (int(row[i].strip()) for i in (4, 5, 6))
    assert (new, memory) == (1, segments - 1)  # only the changed title went to the engine
