"""TMX 1.4b: the translation memory exchanged with CAT tools (OmegaT, memoQ, Trados, Weblate).

Export: one ``<tu>`` per distinct pair of English sentence and translation of a language
(approved ones, or all but stale ones), with the article, segment and review state as
``<prop>``s. Placeholders travel as TMX inline codes whose native code is the placeholder
itself: ``{1}…{/1}`` as ``<bpt i="1">{1}</bpt>…<ept i="1">{/1}</ept>``, an atomic ``{2}`` as
``<ph x="2">{2}</ph>``; other tools' codes are numbered in order on import.

Import: every unit with an English and a project-language variant becomes a memory unit of a
named origin (engine ``tmx``, model the origin, model version the sha256 of the target), never
an approved translation: the suggestions show it beside the translations. A unit imported
again is known by that key and not added twice. The XML is parsed safely (:mod:`tilmech.xmldoc`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from sqlalchemy import select

from ..auth import require_editor
from ..errors import InputError, UsageError
from ..languages import Language
from ..review import State
from ..runtime import Runtime
from ..store import MemoryRow, SegmentRow, TranslationRow
from ..store.queries import IS_ACTIVE, in_chunks
from ..xmldoc import indent, local_name, read_xml
from .memory import memory_key

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ENGINE = "tmx"  # the engine column of imported units
_CODE = re.compile(r"\{(/?)(\d+)\}")


@dataclass(frozen=True)
class TmxUnit:
    source: str
    target: str
    lang: str  # the target's language code in this project
    props: tuple[tuple[str, str], ...] = ()
    tuid: str = ""


# -- the format ------------------------------------------------------------------------------


def _seg(parent: ET.Element, text: str) -> None:
    """``<seg>`` of ``text``, its placeholders as inline codes."""
    seg = ET.SubElement(parent, "seg")
    paired = {m.group(2) for m in _CODE.finditer(text) if m.group(1)}
    last: ET.Element | None = None
    at = 0
    for m in _CODE.finditer(text):
        chunk = text[at : m.start()]
        if last is None:
            seg.text = (seg.text or "") + chunk
        else:
            last.tail = (last.tail or "") + chunk
        closing, number = m.group(1), m.group(2)
        if closing:
            last = ET.SubElement(seg, "ept", {"i": number})
        elif number in paired:
            last = ET.SubElement(seg, "bpt", {"i": number, "x": number})
        else:
            last = ET.SubElement(seg, "ph", {"x": number})
        last.text = m.group(0)
        at = m.end()
    if last is None:
        seg.text = (seg.text or "") + text[at:]
    else:
        last.tail = (last.tail or "") + text[at:]


def write_tmx(units: Sequence[TmxUnit], *, source_lang: Language, target_lang: Language,
              tool_version: str = "") -> str:
    """A TMX 1.4b document of ``units`` (all of ``target_lang``)."""
    root = ET.Element("tmx", {"version": "1.4"})
    ET.SubElement(root, "header", {"creationtool": "Tilmech", "creationtoolversion": tool_version or "0",
                                   "segtype": "sentence", "o-tmf": "tilmech", "adminlang": "en",
                                   "srclang": source_lang.bcp47, "datatype": "plaintext",
                                   "creationdate": dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")})
    body = ET.SubElement(root, "body")
    for unit in units:
        tu = ET.SubElement(body, "tu", {"tuid": unit.tuid} if unit.tuid else {})
        for name, value in unit.props:
            ET.SubElement(tu, "prop", {"type": name}).text = value
        for lang, text in ((source_lang.bcp47, unit.source), (target_lang.bcp47, unit.target)):
            _seg(ET.SubElement(tu, "tuv", {XML_LANG: lang}), text)
    indent(root, frozenset({"seg", "prop"}))  # their text is the content
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _seg_text(seg: ET.Element) -> str:
    """The text of a ``<seg>``, its inline codes as placeholders."""
    numbers: dict[str, int] = {}  # another tool's bpt/ept i -> our number
    used = {int(m.group(2)) for m in _CODE.finditer("".join(e.text or "" for e in seg.iter()))}

    def fresh() -> int:
        n = max(used | {0}) + 1
        used.add(n)
        return n

    def walk(el: ET.Element) -> str:
        out = [el.text or ""]
        for c in el:
            name, native = local_name(c.tag), (c.text or "").strip()
            ours = _CODE.fullmatch(native)
            if name == "bpt":
                n = int(ours.group(2)) if ours and not ours.group(1) else fresh()
                numbers[c.get("i", "")] = n
                out.append(f"{{{n}}}")
            elif name == "ept":
                i = c.get("i", "")
                n = int(ours.group(2)) if ours and ours.group(1) else numbers[i] if i in numbers else fresh()
                out.append(f"{{/{n}}}")
            elif name in ("ph", "it", "ut"):
                out.append(f"{{{int(ours.group(2)) if ours and not ours.group(1) else fresh()}}}")
            elif name == "hi":
                out.append(walk(c))
            out.append(c.tail or "")
        return "".join(out)

    return walk(seg)


def _matches(tag: str, language: Language) -> bool:
    tag = tag.strip().lower().replace("_", "-")
    return tag in (language.code.lower(), language.bcp47.lower()) or tag.split("-")[0] == language.code.lower()


def read_tmx(text: str, source: str, *, source_lang: Language, targets: Sequence[Language]) -> list[TmxUnit]:
    """The units of a TMX document that pair ``source_lang`` with one of ``targets``."""
    root = read_xml(text, source)
    if local_name(root.tag) != "tmx":
        raise InputError(source, None, f"not a TMX document (its root is <{local_name(root.tag)}>, not <tmx>)")
    header = next((c for c in root if local_name(c.tag) == "header"), None)
    body = next((c for c in root if local_name(c.tag) == "body"), None)
    if body is None:
        raise InputError(source, None, "no <body>: not a TMX document of translation units")
    srclang = (header.get("srclang", "") if header is not None else "") or source_lang.code
    if srclang.lower() != "*all*" and not _matches(srclang, source_lang):
        raise InputError(source, None, f"its source language is {srclang!r}, this project's is "
                                       f"{source_lang.code!r}: export the memory with English as the source")
    out: list[TmxUnit] = []
    for tu in body:
        if local_name(tu.tag) != "tu":
            continue
        props = tuple((p.get("type", ""), p.text or "") for p in tu if local_name(p.tag) == "prop")
        variants: list[tuple[str, str]] = []
        for tuv in tu:
            if local_name(tuv.tag) != "tuv":
                continue
            seg = next((c for c in tuv if local_name(c.tag) == "seg"), None)
            if seg is not None:
                variants.append((tuv.get(XML_LANG) or tuv.get("lang") or "", _seg_text(seg)))
        english = next((t for lang, t in variants if _matches(lang, source_lang)), None)
        if english is None or not english.strip():
            continue
        for language in targets:
            target = next((t for lang, t in variants if _matches(lang, language)), None)
            if target is not None and target.strip():
                out.append(TmxUnit(english, target, language.code, props))
    return out


# -- the use cases ---------------------------------------------------------------------------


def _tool_version() -> str:
    try:
        return version("tilmech")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree without metadata
        return ""


def tm_export(rt: Runtime, lang: str, *, approved_only: bool = False) -> tuple[str, int]:
    """The ``lang`` translations as TMX 1.4b (approved ones, or all but stale ones); returns the
    document and its number of units."""
    language = rt.settings.resolve_languages([lang])[0]
    query = (select(SegmentRow.id, SegmentRow.article, SegmentRow.source, TranslationRow.text, TranslationRow.state)
             .join(TranslationRow, TranslationRow.segment_id == SegmentRow.id)
             .where(IS_ACTIVE, TranslationRow.lang == language.code)
             .order_by(SegmentRow.article, SegmentRow.position))
    query = query.where(TranslationRow.state == State.APPROVED.value) if approved_only \
        else query.where(TranslationRow.state != State.STALE.value)
    units: list[TmxUnit] = []
    seen: set[tuple[str, str]] = set()
    with rt.store.reading() as s:
        for sid, article, source, text, state in s.execute(query):
            if (source, text) in seen or not text.strip():
                continue
            seen.add((source, text))
            units.append(TmxUnit(source, text, language.code, (("x-tilmech-article", article),
                                                               ("x-tilmech-segment", sid),
                                                               ("x-tilmech-state", state)), sid))
    return write_tmx(units, source_lang=rt.settings.source, target_lang=language,
                     tool_version=_tool_version()), len(units)


@dataclass(frozen=True)
class TmxImport:
    origin: str
    units: int  # pairs read (English and a project language)
    added: int  # new memory units
    known: int  # imported before (same origin, English and text)
    languages: tuple[str, ...]


def _target_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def tm_import(rt: Runtime, text: str, source: str, origin: str) -> TmxImport:
    """Add the units of a TMX document to the memory as ``origin``, in one transaction (editors)."""
    require_editor(rt.actor, "import translation memory")
    origin = origin.strip()
    if not origin or len(origin) > 100:
        raise UsageError("--origin: give a name of 1 to 100 characters (it labels the imported units)")
    targets = [rt.settings.resolve_languages([code])[0] for code in rt.settings.target_languages]
    units = read_tmx(text, source, source_lang=rt.settings.source, targets=targets)
    wanted: dict[tuple[str, str, str], TmxUnit] = {}
    for unit in units:
        wanted.setdefault((memory_key(unit.source), unit.lang, _target_hash(unit.target)), unit)
    added = 0
    with rt.store.session() as s:
        rt.store.lock(s, "memory-import")
        known: set[tuple[str, str, str]] = set()
        for chunk in in_chunks(list({key[0] for key in wanted})):
            known.update((h, lang, v) for h, lang, v in s.execute(
                select(MemoryRow.source_hash, MemoryRow.lang, MemoryRow.model_version)
                .where(MemoryRow.source_hash.in_(chunk), MemoryRow.engine == ENGINE, MemoryRow.model == origin)))
        for key, unit in wanted.items():
            if key in known:
                continue
            s.add(MemoryRow(source_hash=key[0], lang=unit.lang, engine=ENGINE, model=origin, model_version=key[2],
                            source=unit.source, target=unit.target, score=None, origin=origin))
            added += 1
    return TmxImport(origin, len(units), added, len(wanted) - added,
                     tuple(sorted({unit.lang for unit in units})))
