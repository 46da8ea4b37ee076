"""The site's interface strings: extract, merge, machine-translate as fuzzy, report.

``locales/messages.pot`` is extracted with Babel from the publishing templates; each
``locales/<folder>/LC_MESSAGES/messages.po`` is updated from it. Untranslated entries
get a machine translation marked *fuzzy*: publishing leaves fuzzy entries out (the
English shows) until a translator reviews the entry and removes the flag, in any PO
editor or CAT tool.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from .languages import Language

TEMPLATES = Path(__file__).resolve().parent / "publish" / "templates"
_PYTHON_FORMAT = re.compile(r"%\([a-z_]+\)[sd]")


@dataclass(frozen=True)
class CatalogReport:
    lang: str
    messages: int
    translated: int
    fuzzy: int
    machine_translated: int  # filled in by this update (fuzzy)


def extract_template() -> Catalog:
    catalog = Catalog(project="Tilmech", copyright_holder="UNESCO-ICHEI", msgid_bugs_address=" ")
    method_map = [("**.html", "jinja2")]
    options_map = {"**.html": {"extensions": "jinja2.ext.i18n"}}
    for _filename, _lineno, message, comments, context in extract_from_dir(
            str(TEMPLATES), method_map, options_map):
        catalog.add(message, None, [], auto_comments=comments, context=context)
    return catalog


def _write(path: Path, catalog: Catalog) -> None:
    out = BytesIO()
    write_po(out, catalog, width=100, omit_header=False, sort_output=True, no_location=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.tmp")
    staging.write_bytes(out.getvalue())
    staging.replace(path)


def _protect(text: str) -> tuple[str, list[str]]:
    found = _PYTHON_FORMAT.findall(text)
    for i, spec in enumerate(found, 1):
        text = text.replace(spec, f"{{{i}}}", 1)
    return text, found


def _restore(text: str, found: list[str]) -> str:
    for i, spec in enumerate(found, 1):
        text = text.replace(f"{{{i}}}", spec, 1)
    return text


def update_catalogs(locales_dir: Path, languages: Sequence[Language],
                    translate: Callable[[Language, list[str]], list[str]] | None) -> list[CatalogReport]:
    """Extract the template, merge it into each catalog, machine-translate what is empty (as fuzzy)."""
    template = extract_template()
    _write(locales_dir / "messages.pot", template)
    reports = []
    for lang in languages:
        path = locales_dir / lang.gettext / "LC_MESSAGES" / "messages.po"
        if path.exists():
            with path.open("rb") as fh:
                catalog = read_po(fh, locale=lang.gettext)
        else:
            catalog = Catalog(locale=lang.gettext, project="Tilmech", copyright_holder="UNESCO-ICHEI")
        catalog.update(template, no_fuzzy_matching=True)
        empty = [m for m in catalog if m.id and not any(m.string if isinstance(m.string, tuple) else (m.string,))]
        filled = 0
        if empty and translate is not None:
            protected = [[_protect(i) for i in (m.id if isinstance(m.id, tuple | list) else [m.id])] for m in empty]
            results = iter(translate(lang, [text for group in protected for text, _ in group]))
            for m, group in zip(empty, protected, strict=True):
                outputs = [_restore(next(results), found) for _, found in group]
                if isinstance(m.id, tuple | list):
                    forms = catalog.num_plurals
                    m.string = tuple(outputs[min(i, len(outputs) - 1)] for i in range(forms))
                else:
                    m.string = outputs[0]
                m.flags.add("fuzzy")
                filled += 1
        _write(path, catalog)
        messages = [m for m in catalog if m.id]
        translated = [m for m in messages if all(m.string if isinstance(m.string, tuple) else (m.string,))]
        reports.append(CatalogReport(lang.code, len(messages), len(translated),
                                     sum(m.fuzzy for m in messages), filled))
    return reports
