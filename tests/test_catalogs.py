"""Interface strings: new ones are machine-translated as fuzzy, left out of publishing until reviewed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from babel.messages.pofile import read_po

from tilmech.languages import get_language
from tilmech.publish import build_catalog, load_translations


def _catalog(project: Path, folder: str):  # type: ignore[no-untyped-def]
    with (project / "locales" / folder / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh)


def test_new_strings_are_machine_translated_as_fuzzy(pseudo_project: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    po = pseudo_project / "locales" / "zh_Hans" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    po.write_text(text.replace('msgstr "全部新闻"', 'msgstr ""').replace('msgstr[0] "%(num)s 篇文章"', 'msgstr[0] ""'),
                  encoding="utf-8")
    result = tilmech("--project", pseudo_project, "catalogs", "update", "--lang", "zh")
    assert result.code == 0, result
    assert result.out.strip() == "zh: 7 strings, 7 translated (2 fuzzy, to review), 2 machine-translated now"
    catalog = _catalog(pseudo_project, "zh_Hans")
    news = catalog.get("All news")
    assert news.fuzzy and news.string.startswith("[") and "Ȧŀŀ" in news.string  # pseudo-localized, not a translation
    plural = catalog.get(("%(num)s article", "%(num)s articles"))
    assert plural.fuzzy and "%(num)s" in plural.string[0]
    assert not catalog.get("Languages").fuzzy and catalog.get("Languages").string == "语言"
    # the catalog stays valid for gettext, and fuzzy entries are not published: English shows until reviewed
    msgfmt = shutil.which("msgfmt")
    assert msgfmt
    assert subprocess.run([msgfmt, "--check-format", "--check-header", "-c", "-o", "/dev/null", str(po)]).returncode == 0
    translations = load_translations(build_catalog(pseudo_project / "locales", get_language("zh")))
    assert translations.gettext("All news") == "All news"
    assert translations.gettext("Languages") == "语言"
    # a second update changes nothing
    again = tilmech("--project", pseudo_project, "catalogs", "update", "--lang", "zh")
    assert again.out.strip().endswith("0 machine-translated now")
