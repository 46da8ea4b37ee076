"""Term base exchange: TBX (TBX 2 ``<martif>`` / TBX-Basic), CSV, and our YAML.

TBX mapping:

* ``termEntry`` (its ``id``) is a concept; a ``langSet`` per language holds ``tig``/``term``;
* ``administrativeStatus``: ``preferredTerm-admn-sts`` → the rendering, ``admittedTerm-admn-sts``
  → an allowed alternative (an English variant in the English ``langSet``),
  ``deprecatedTerm-admn-sts`` and ``supersededTerm-admn-sts`` → forbidden;
* a language whose only target term equals the English term keeps it as written (do-not-translate
  in that language); a concept kept in every language it lists is do-not-translate everywhere;
* ``partOfSpeech`` and a ``note`` are kept; what TBX-Basic has no field for (our part-of-speech
  detail, status, case sensitivity, declinability) travels in ``x-tilmech-*`` data
  categories that other tools ignore, so a round trip loses nothing.

CSV: a header row, one row per term, ``|`` between the items of a list:
``id, en, variants, dnt, pos, status, case_sensitive, note`` (``dnt``: ``yes``, ``no`` or the
languages that keep the term as written, ``ru|ky``) then per language
``<lang>, <lang>_allowed, <lang>_forbidden, <lang>_declinable, <lang>_note``.
A cell that a spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return) is written with a ``'`` before it, as OWASP recommends against CSV
injection; reading takes that ``'`` off again, so a term comes back as it was.

Parsers take text and raise :class:`~tilmech.errors.InputError` with the file and line.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

import yaml

from ..errors import InputError
from ..xmldoc import local_name, read_xml
from .model import Rendering, Term

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
PREFERRED, ADMITTED, DEPRECATED, SUPERSEDED = (
    "preferredTerm-admn-sts", "admittedTerm-admn-sts", "deprecatedTerm-admn-sts", "supersededTerm-admn-sts")
_POS_TBX = {"noun": "noun", "proper-noun": "properNoun", "acronym": "properNoun", "person": "properNoun",
            "organization": "properNoun"}


# -- YAML (the project's own format) -----------------------------------------------------


def write_yaml(terms: Sequence[Term]) -> str:
    """Terms in the ``glossary/*.yaml`` schema, compact (defaults left out)."""
    entries = []
    for t in terms:
        entry: dict[str, object] = {"id": t.id, "en": t.en}
        if t.variants:
            entry["variants"] = list(t.variants)
        if t.pos != "proper-noun":
            entry["pos"] = t.pos
        if t.status != "approved":
            entry["status"] = t.status
        if t.dnt:
            entry["dnt"] = True
        elif t.kept:
            entry["dnt"] = list(t.kept)
        if t.translations:
            translations: dict[str, object] = {}
            for code, r in sorted(t.translations.items(), key=lambda kv: _lang_order(kv[0])):
                if r.allowed or not r.declinable or r.note:
                    item: dict[str, object] = {"term": r.term}
                    if r.allowed:
                        item["allowed"] = list(r.allowed)
                    if not r.declinable:
                        item["declinable"] = False
                    if r.note:
                        item["note"] = r.note
                    translations[code] = item
                else:
                    translations[code] = r.term
            entry["translations"] = translations
        if t.forbidden:
            entry["forbidden"] = {code: list(v) for code, v in sorted(t.forbidden.items(),
                                                                      key=lambda kv: _lang_order(kv[0]))}
        if not t.case_sensitive:
            entry["case_sensitive"] = False
        if t.note:
            entry["note"] = t.note
        entries.append(entry)
    return yaml.safe_dump({"terms": entries}, allow_unicode=True, sort_keys=False, width=120)


def _lang_order(code: str) -> tuple[int, str]:
    order = ("ru", "ky", "zh")
    return (order.index(code) if code in order else len(order), code)


# -- TBX ------------------------------------------------------------------------------------


def write_tbx(terms: Sequence[Term], languages: Sequence[str]) -> str:
    martif = ET.Element("martif", {"type": "TBX-Basic", XML_LANG: "en"})
    header = ET.SubElement(martif, "martifHeader")
    file_desc = ET.SubElement(header, "fileDesc")
    ET.SubElement(ET.SubElement(file_desc, "sourceDesc"), "p").text = "Tilmech term base"
    ET.SubElement(ET.SubElement(header, "encodingDesc"), "p", {"type": "XCSURI"}).text = "TBXBasicXCSV02.xcs"
    body = ET.SubElement(ET.SubElement(martif, "text"), "body")
    for t in terms:
        entry = ET.SubElement(body, "termEntry", {"id": t.id})
        for kind, value in (("x-tilmech-pos", t.pos), ("x-tilmech-status", t.status),
                            ("x-tilmech-case-sensitive", "yes" if t.case_sensitive else "no"),
                            ("x-tilmech-dnt", "yes" if t.dnt else " ".join(t.kept) or "no")):
            ET.SubElement(entry, "descrip", {"type": kind}).text = value
        if t.note:
            ET.SubElement(entry, "note").text = t.note
        english = ET.SubElement(entry, "langSet", {XML_LANG: "en"})
        _tig(english, t.en, PREFERRED, t.pos)
        for variant in t.variants:
            _tig(english, variant, ADMITTED, t.pos)
        for code in languages:
            lang_set = ET.Element("langSet", {XML_LANG: code})
            if t.keeps(code):
                _tig(lang_set, t.en, PREFERRED, t.pos)
            elif code in t.translations:
                r = t.translations[code]
                _tig(lang_set, r.term, PREFERRED, t.pos, note=r.note, declinable=r.declinable)
                for alternative in r.allowed:
                    _tig(lang_set, alternative, ADMITTED, t.pos)
            for wrong in t.forbidden.get(code, ()):
                _tig(lang_set, wrong, DEPRECATED, t.pos)
            if len(lang_set):
                entry.append(lang_set)
    ET.indent(martif)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(martif, encoding="unicode") + "\n"


def _tig(parent: ET.Element, text: str, status: str, pos: str, *, note: str = "", declinable: bool = True) -> None:
    tig = ET.SubElement(parent, "tig")
    ET.SubElement(tig, "term").text = text
    ET.SubElement(tig, "termNote", {"type": "partOfSpeech"}).text = _POS_TBX.get(pos, "noun")
    ET.SubElement(tig, "termNote", {"type": "administrativeStatus"}).text = status
    if not declinable:
        ET.SubElement(tig, "termNote", {"type": "x-tilmech-declinable"}).text = "no"
    if note:
        ET.SubElement(tig, "note").text = note


def read_tbx(text: str, source: str) -> list[Term]:
    """Terms of a TBX file (TBX 2 / TBX-Basic). External entities and entity bombs are refused."""
    root = read_xml(text, source)
    if local_name(root.tag) not in ("martif", "tbx"):
        raise InputError(source, None, f"not a TBX file: the root element is <{local_name(root.tag)}>, expected <martif>")
    terms = []
    for number, entry in enumerate(root.iter(), 1):
        if local_name(entry.tag) != "termEntry" and local_name(entry.tag) != "conceptEntry":
            continue
        terms.append(_read_entry(entry, source, number))
    return terms


def _read_entry(entry: ET.Element, source: str, number: int) -> Term:
    term_id = entry.get("id") or f"term-{number}"
    descrip = {d.get("type"): (d.text or "").strip() for d in entry if local_name(d.tag) == "descrip"}
    note = next(((n.text or "").strip() for n in entry if local_name(n.tag) == "note"), "")
    by_lang: dict[str, list[tuple[str, str, str, bool]]] = {}
    english_pos = ""
    for lang_set in entry:
        if local_name(lang_set.tag) != "langSet":
            continue
        code = (lang_set.get(XML_LANG) or lang_set.get("lang") or "").split("-")[0].lower()
        for tig in lang_set:
            if local_name(tig.tag) not in ("tig", "ntig", "termSec"):
                continue
            term_el = next((e for e in tig.iter() if local_name(e.tag) == "term"), None)
            term_text = (term_el.text or "").strip() if term_el is not None else ""
            if not term_text:
                continue
            notes = {n.get("type"): (n.text or "").strip() for n in tig.iter() if local_name(n.tag) == "termNote"}
            tig_note = next(((n.text or "").strip() for n in tig if local_name(n.tag) == "note"), "")
            if code == "en" and not english_pos:
                english_pos = notes.get("partOfSpeech", "")
            by_lang.setdefault(code, []).append((term_text, notes.get("administrativeStatus", PREFERRED),
                                                 tig_note, notes.get("x-tilmech-declinable") != "no"))
    english = by_lang.pop("en", [])
    if not english:
        raise InputError(source, None, f"termEntry {term_id!r} has no English term")
    en = next((t for t, status, _, _ in english if status.startswith("preferred")), english[0][0])
    variants = tuple(t for t, _, _, _ in english if t != en)
    translations: dict[str, Rendering] = {}
    forbidden: dict[str, tuple[str, ...]] = {}
    kept: list[str] = []
    same: dict[str, Rendering] = {}
    for code, items in by_lang.items():
        good = [i for i in items if not i[1].startswith(("deprecated", "superseded"))]
        bad = tuple(t for t, status, _, _ in items if status.startswith(("deprecated", "superseded")))
        if bad:
            forbidden[code] = bad
        if not good:
            continue
        preferred = next((i for i in good if i[1].startswith("preferred")), good[0])
        rendering = Rendering(preferred[0], tuple(t for t, _, _, _ in good if t != preferred[0]),
                              preferred[3], preferred[2])
        if preferred[0] == en and len(good) == 1:
            kept.append(code)  # this language keeps the English term as written
            same[code] = rendering  # ... unless our own data category says it is a translation
            continue
        translations[code] = rendering
    declared = descrip.get("x-tilmech-dnt")  # ours: "yes", "no" or the languages; else read from the terms
    if declared is not None:
        dnt = declared == "yes"
        kept = [] if dnt or declared == "no" else declared.split()
        translations.update({code: r for code, r in same.items() if not dnt and code not in kept})
    else:
        dnt = bool(kept) and not translations
    pos = descrip.get("x-tilmech-pos") or ("noun" if english_pos == "noun" else "proper-noun")
    return Term(term_id, en, variants, dnt, translations, forbidden,
                descrip.get("x-tilmech-case-sensitive", "yes") != "no", note, f"{source}#{term_id}", pos,
                descrip.get("x-tilmech-status", "approved"), () if dnt else tuple(kept))


# -- CSV -----------------------------------------------------------------------------------

_BASE_COLUMNS = ("id", "en", "variants", "dnt", "pos", "status", "case_sensitive", "note")
# what makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection"); after any
# quotes, so that a cell that starts with one of our own ``'`` comes back unchanged too
_FORMULA_RE = re.compile(r"'*[=+\-@\t\r]")


def neutral_cell(value: str) -> str:
    """``value`` as a CSV cell no spreadsheet runs as a formula: ``'`` before ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return at its start."""
    return "'" + value if _FORMULA_RE.match(value) else value


def read_cell(value: str) -> str:
    """The text of a cell :func:`neutral_cell` wrote: the ``'`` it put before a formula character taken off."""
    return value[1:] if value.startswith("'") and _FORMULA_RE.match(value, 1) else value


def write_csv(terms: Sequence[Term], languages: Sequence[str]) -> str:
    out = io.StringIO()
    columns = [*_BASE_COLUMNS]
    for code in languages:
        columns += [code, f"{code}_allowed", f"{code}_forbidden", f"{code}_declinable", f"{code}_note"]
    rows = []
    for t in terms:
        row = {"id": t.id, "en": t.en, "variants": "|".join(t.variants),
               "dnt": "yes" if t.dnt else "|".join(t.kept) or "no",
               "pos": t.pos, "status": t.status, "case_sensitive": "yes" if t.case_sensitive else "no",
               "note": t.note}
        for code in languages:
            r = t.translations.get(code)
            row[code] = r.term if r else ""
            row[f"{code}_allowed"] = "|".join(r.allowed) if r else ""
            row[f"{code}_forbidden"] = "|".join(t.forbidden.get(code, ()))
            row[f"{code}_declinable"] = "" if r is None else ("yes" if r.declinable else "no")
            row[f"{code}_note"] = r.note if r else ""
        rows.append({column: neutral_cell(value) for column, value in row.items()})
    # csv quotes a cell with a line end of its ``lineterminator`` only: one with a carriage return
    # would end its row early, so then every cell is quoted
    carriage_return = any("\r" in value for row in rows for value in row.values())
    writer = csv.DictWriter(out, columns, lineterminator="\n",
                            quoting=csv.QUOTE_ALL if carriage_return else csv.QUOTE_MINIMAL)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def read_csv(text: str, source: str) -> list[Term]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        return _read_csv(reader, source)
    except csv.Error as exc:
        raise InputError(source, reader.line_num or None, f"invalid CSV: {exc}: check the quotes of that line "
                                                          "(a quote inside a field is written twice)") from None


def _read_csv(reader: csv.DictReader[str], source: str) -> list[Term]:
    missing = [c for c in ("id", "en") if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(source, 1, f"the header row needs the columns {', '.join(missing)}")
    languages = sorted({c for c in reader.fieldnames or [] if c not in _BASE_COLUMNS and "_" not in c})
    terms = []
    for raw in reader:
        line = reader.line_num
        row = {column: read_cell(value) if isinstance(value, str) else value for column, value in raw.items()}

        def split(value: str | None) -> tuple[str, ...]:
            return tuple(v.strip() for v in (value or "").split("|") if v.strip())

        if not (row.get("id") or "").strip() or not (row.get("en") or "").strip():
            raise InputError(source, line, "every row needs an id and an en term")
        translations = {code: Rendering(row[code].strip(), split(row.get(f"{code}_allowed")),
                                        (row.get(f"{code}_declinable") or "yes").strip() != "no",
                                        (row.get(f"{code}_note") or "").strip())
                        for code in languages if (row.get(code) or "").strip()}
        forbidden = {code: split(row.get(f"{code}_forbidden")) for code in languages
                     if split(row.get(f"{code}_forbidden"))}
        dnt = (row.get("dnt") or "no").strip()
        kept = () if dnt in ("yes", "no") else split(dnt)
        terms.append(Term(row["id"].strip(), row["en"].strip(), split(row.get("variants")),
                          dnt == "yes", translations, forbidden,
                          (row.get("case_sensitive") or "yes").strip() != "no", (row.get("note") or "").strip(),
                          f"{source}:{line}", (row.get("pos") or "proper-noun").strip(),
                          (row.get("status") or "approved").strip(), kept))
    return terms
