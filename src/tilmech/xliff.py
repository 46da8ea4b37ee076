"""XLIFF for CAT tools: 2.1 (default) and 1.2 (for tools that read only that, OmegaT among them).

One ``unit`` (2.x) or ``trans-unit`` (1.2) per segment, its id ``s`` + the segment id
(an XML NMTOKEN). Our placeholders become XLIFF inline codes: paired markup
``{1}…{/1}`` as ``<pc id="1">…</pc>`` (2.x) or ``<g id="1">…</g>`` (1.2), atomic
markup ``{2}`` as ``<ph id="2"/>`` or ``<x id="2"/>``, so CAT tools protect them.
Notes carry the glossary terms of the segment (with their approved renderings), its
QA findings and the version the export was made from; the 1.2 ``<target>`` is
pre-filled with the current text, since OmegaT translates inside it.

Writers return text; the reader takes text and refuses external entities and
entity expansion.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import InputError
from .markdown.placeholders import PLACEHOLDER_RE
from .xmldoc import child as first_child
from .xmldoc import indent, local_name, read_xml

# mixed content: their text (with inline codes) is the translation, never reindented
_MIXED = frozenset({"source", "target", "note"})

XLIFF2 = "urn:oasis:names:tc:xliff:document:2.0"
XLIFF1 = "urn:oasis:names:tc:xliff:document:1.2"
VERSIONS = ("2.1", "2.0", "1.2")

# review state -> (XLIFF 2 state, XLIFF 1.2 target state)
_STATES = {"draft": ("translated", "translated"), "needs-work": ("initial", "needs-review-translation"),
           "approved": ("final", "final")}
_PAIRED_1_2 = {"strong": "bold", "em": "italic", "link": "link"}
_ATOMIC_1_2 = {"image": "image", "line break": "lb"}


@dataclass(frozen=True)
class ExportUnit:
    segment_id: str
    source: str  # with placeholders
    target: str  # the current text, with placeholders
    state: str  # draft | needs-work | approved
    version: int
    placeholders: dict[str, str]  # tag -> label
    notes: tuple[tuple[str, str], ...] = ()  # (category, text): glossary, qa


@dataclass(frozen=True)
class ImportUnit:
    segment_id: str
    source: str
    target: str | None
    approved: bool
    version: int | None
    line: int | None = None


@dataclass(frozen=True)
class XliffDocument:
    source_lang: str
    target_lang: str
    original: str
    units: tuple[ImportUnit, ...]


def unit_id(segment_id: str) -> str:
    return f"s{segment_id}"


# -- writing -------------------------------------------------------------------------------


def _kind(label: str) -> str:
    return label.split(" ", 1)[0] if label else "code"


def _inline(parent: ET.Element, text: str, placeholders: dict[str, str], version: str) -> None:
    """Fill ``parent`` with ``text``, placeholders turned into inline codes."""
    stack = [parent]
    last: ET.Element | None = None

    def add_text(chunk: str) -> None:
        nonlocal last
        if not chunk:
            return
        if last is None:
            stack[-1].text = (stack[-1].text or "") + chunk
        else:
            last.tail = (last.tail or "") + chunk

    pos = 0
    for m in PLACEHOLDER_RE.finditer(text):
        add_text(text[pos : m.start()])
        pos = m.end()
        tag, number = m.group(0), m.group(2)
        label = placeholders.get(tag, "")
        if m.group(1):  # closing
            if len(stack) > 1:
                last = stack.pop()
            continue
        closing = f"{{/{number}}}"
        if closing in placeholders and closing in text[m.end():]:
            if version == "1.2":
                kind = _kind(label)
                ctype = _PAIRED_1_2.get(kind, f"x-{kind}")
                el = ET.SubElement(stack[-1], "g", {"id": number, "ctype": ctype})
            else:
                el = ET.SubElement(stack[-1], "pc", {"id": number, "dispStart": label or "markup",
                                                     "dispEnd": placeholders.get(closing) or "markup"})
            stack.append(el)
            last = None
        else:
            if version == "1.2":
                kind = _kind(label)
                ctype = _ATOMIC_1_2.get(label if label in _ATOMIC_1_2 else kind, "x-" + re.sub(r"\W+", "-", kind))
                el = ET.SubElement(stack[-1], "x", {"id": number, "ctype": ctype})
            else:
                el = ET.SubElement(stack[-1], "ph", {"id": number, "disp": label or "markup"})
            last = el
    add_text(text[pos:])


def write_xliff(units: Sequence[ExportUnit], *, source_lang: str, target_lang: str, original: str,
                version: str = "2.1") -> str:
    if version not in VERSIONS:
        raise InputError("--version", None, f"unknown XLIFF version {version!r}: use 2.1 or 1.2")
    if version == "1.2":
        root = ET.Element("xliff", {"version": "1.2", "xmlns": XLIFF1})
        file_el = ET.SubElement(root, "file", {"original": original, "source-language": source_lang,
                                               "target-language": target_lang, "datatype": "x-markdown"})
        body = ET.SubElement(file_el, "body")
        for u in units:
            attrs = {"id": unit_id(u.segment_id)}
            if u.state == "approved":
                attrs["approved"] = "yes"
            tu = ET.SubElement(body, "trans-unit", attrs)
            _inline(ET.SubElement(tu, "source", {"xml:lang": source_lang}), u.source, u.placeholders, version)
            target = ET.SubElement(tu, "target", {"xml:lang": target_lang, "state": _STATES[u.state][1]})
            _inline(target, u.target, u.placeholders, version)
            for category, text in u.notes:
                ET.SubElement(tu, "note", {"from": category}).text = text
            ET.SubElement(tu, "note", {"from": "tilmech-version"}).text = str(u.version)
    else:
        root = ET.Element("xliff", {"xmlns": XLIFF2, "version": version, "srcLang": source_lang,
                                    "trgLang": target_lang})
        file_el = ET.SubElement(root, "file", {"id": "f1", "original": original})
        for u in units:
            unit = ET.SubElement(file_el, "unit", {"id": unit_id(u.segment_id)})
            notes = ET.SubElement(unit, "notes")
            for category, text in u.notes:
                ET.SubElement(notes, "note", {"category": category}).text = text
            ET.SubElement(notes, "note", {"category": "tilmech-version"}).text = str(u.version)
            state = _STATES[u.state][0]
            segment = ET.SubElement(unit, "segment", {"id": "1", "state": state,
                                                      "subState": f"tilmech:{u.state}"})
            _inline(ET.SubElement(segment, "source"), u.source, u.placeholders, version)
            _inline(ET.SubElement(segment, "target"), u.target, u.placeholders, version)
    indent(root, _MIXED)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# -- reading -------------------------------------------------------------------------------


def _placeholder_text(el: ET.Element, source: str, where: str) -> str:
    """Text of a source/target element with inline codes back as placeholders."""
    parts = [el.text or ""]
    for child in el:
        name = local_name(child.tag)
        number = child.get("id", "")
        if name in ("pc", "g"):
            parts.append(f"{{{number}}}{_placeholder_text(child, source, where)}{{/{number}}}")
        elif name in ("ph", "x"):
            parts.append(f"{{{number}}}")
        elif name in ("mrk", "sm", "em"):  # annotations: keep their text
            parts.append(_placeholder_text(child, source, where))
        else:
            raise InputError(source, None, f"{where}: inline element <{name}> is not supported")
        parts.append(child.tail or "")
    return "".join(parts)


def read_xliff(text: str, source: str) -> XliffDocument:
    root = read_xml(text, source)
    if local_name(root.tag) != "xliff":
        raise InputError(source, None, f"not an XLIFF file: the root element is <{local_name(root.tag)}>")
    version = root.get("version", "")
    files = [f for f in root if local_name(f.tag) == "file"]
    if len(files) != 1:
        raise InputError(source, None, "expected exactly one <file> (export one article and language at a time)")
    file_el = files[0]
    units: list[ImportUnit] = []
    if version.startswith("1."):
        src_lang, trg_lang = file_el.get("source-language", ""), file_el.get("target-language", "")
        for tu in file_el.iter():
            if local_name(tu.tag) != "trans-unit":
                continue
            uid = tu.get("id", "")
            src = first_child(tu, "source")
            trg = first_child(tu, "target")
            notes = {n.get("from"): (n.text or "").strip() for n in tu if local_name(n.tag) == "note"}
            approved = tu.get("approved") == "yes" or (trg is not None and trg.get("state") in ("final", "signed-off"))
            units.append(_unit(uid, src, trg, approved, notes.get("tilmech-version"), source))
    elif version.startswith("2."):
        src_lang, trg_lang = root.get("srcLang", ""), root.get("trgLang", "")
        for unit in file_el.iter():
            if local_name(unit.tag) != "unit":
                continue
            uid = unit.get("id", "")
            notes = {n.get("category"): (n.text or "").strip() for n in unit.iter() if local_name(n.tag) == "note"}
            segments = [s for s in unit if local_name(s.tag) == "segment"]
            if len(segments) != 1:
                raise InputError(source, None, f"unit {uid}: expected one <segment> (segments must not be split or merged)")
            seg = segments[0]
            src = first_child(seg, "source")
            trg = first_child(seg, "target")
            units.append(_unit(uid, src, trg, seg.get("state") == "final", notes.get("tilmech-version"), source))
    else:
        raise InputError(source, None, f"unsupported XLIFF version {version!r}: use 2.1, 2.0 or 1.2")
    return XliffDocument(src_lang, trg_lang.split("-")[0].lower(), file_el.get("original", ""), tuple(units))


def _unit(uid: str, src: ET.Element | None, trg: ET.Element | None, approved: bool, version: str | None,
          source: str) -> ImportUnit:
    if not uid.startswith("s") or src is None:
        raise InputError(source, None, f"unit {uid!r}: not a unit exported by Tilmech (id s<segment>, a <source>)")
    where = f"unit {uid}"
    target = _placeholder_text(trg, source, where) if trg is not None else None
    return ImportUnit(uid[1:], _placeholder_text(src, source, where), target if target and target.strip() else None,
                      approved, int(version) if version and version.isdigit() else None)
