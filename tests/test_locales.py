"""Interface strings: the template is up to date, every catalog passes msgfmt and really loads."""

from __future__ import annotations

import gettext
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from conftest import ROOT
from tilmech.languages import get_language
from tilmech.publish import build_catalog, load_translations

LOCALES = ROOT / "locales"
TARGETS = ("ru", "ky", "zh")


def _ids(path: Path) -> set[object]:
    with path.open("rb") as fh:
        return {m.id if isinstance(m.id, str) else tuple(m.id) for m in read_po(fh) if m.id}


def test_messages_pot_is_up_to_date(tmp_path: Path) -> None:
    fresh = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(LOCALES / "babel.cfg"),
                    "-o", str(fresh), "--no-location", "--sort-output", "."], cwd=ROOT, check=True,
                   capture_output=True)
    assert _ids(fresh) == _ids(LOCALES / "messages.pot"), "run pybabel extract (see docs/publishing.md)"


@pytest.mark.parametrize("code", TARGETS)
def test_catalog_is_complete_and_passes_msgfmt(code: str, tmp_path: Path) -> None:
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "msgfmt is missing: install Debian's gettext (scripts/test does)"
    po = LOCALES / get_language(code).gettext / "LC_MESSAGES" / "messages.po"
    result = subprocess.run([msgfmt, "--check-format", "--check-header", "-c", "-o", str(tmp_path / "m.mo"), str(po)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert _ids(po) == _ids(LOCALES / "messages.pot")
    with po.open("rb") as fh:
        catalog = read_po(fh)
    for message in catalog:
        if message.id:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            assert all(strings) and not message.fuzzy, f"{po}: {message.id!r} is untranslated or fuzzy"


@pytest.mark.parametrize("code", TARGETS)
def test_catalog_loads_through_the_language_registry(code: str, tmp_path: Path) -> None:
    lang = get_language(code)
    translations = load_translations(build_catalog(LOCALES, lang))
    assert translations.gettext("All news") != "All news"
    # the same catalog, compiled, is found by gettext itself under the registry's folder name
    folder = tmp_path / lang.gettext / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "messages.mo").write_bytes(build_catalog(LOCALES, lang))
    found = gettext.translation("messages", localedir=tmp_path, languages=[lang.gettext])
    assert found.gettext("All news") == translations.gettext("All news")


def test_plural_forms_follow_the_language() -> None:
    ru = load_translations(build_catalog(LOCALES, get_language("ru")))
    forms = [ru.ngettext("%(num)s article", "%(num)s articles", n) % {"num": n} for n in (1, 3, 5, 21)]
    assert forms == ["1 статья", "3 статьи", "5 статей", "21 статья"]
    zh = load_translations(build_catalog(LOCALES, get_language("zh")))
    assert zh.ngettext("%(num)s article", "%(num)s articles", 7) % {"num": 7} == "7 篇文章"


def test_a_missing_catalog_is_an_error(tmp_path: Path) -> None:
    from tilmech.errors import ConfigError

    with pytest.raises(ConfigError, match="gettext catalog for ky is missing"):
        build_catalog(tmp_path, get_language("ky"))
