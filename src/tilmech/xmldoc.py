"""XML documents: those from outside (TBX, XLIFF, TMX) parsed safely, with errors that name file and line;
those we write indented for reading without touching their text.

External entities and entity expansion ("billion laughs") are refused (defusedxml).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .errors import InputError


def read_xml(text: str, source: str) -> ET.Element:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        root = fromstring(text.encode("utf-8"))
    except DefusedXmlException as exc:
        raise InputError(source, None, f"refused: {exc}") from None
    except ET.ParseError as exc:
        raise InputError(source, exc.position[0], f"invalid XML: {exc}") from None
    except (LookupError, UnicodeError) as exc:  # the XML declaration names an encoding the text is not in
        raise InputError(source, 1, f"the XML declaration's encoding cannot be used ({exc}): "
                                    'save the file as UTF-8 with encoding="UTF-8"') from None
    _check_depth(root, source)
    return root


MAX_DEPTH = 64  # elements inside elements; TBX and XLIFF need about ten


def _check_depth(root: ET.Element, source: str) -> None:
    level = [root]
    for _ in range(MAX_DEPTH + 1):
        level = [c for e in level for c in e]
        if not level:
            return
    raise InputError(source, None, f"elements nested more than {MAX_DEPTH} deep: not a TBX or XLIFF document "
                                   "of ours; export it again")


def local_name(tag: str) -> str:
    """``{urn:...}unit`` → ``unit``."""
    return tag.rsplit("}", 1)[-1]


def child(element: ET.Element, name: str) -> ET.Element | None:
    """The first direct child named ``name`` (namespace ignored)."""
    return next((c for c in element if local_name(c.tag) == name), None)


def indent(el: ET.Element, mixed: frozenset[str], level: int = 0) -> None:
    """Indent the structure for people reading the file, never the inside of an element named in
    ``mixed`` (its text and inline codes are the content). ``ET.indent`` would rewrite the
    whitespace-only tails between inline codes, which are part of the text."""
    if el.tag in mixed or not len(el):
        return
    pad = "\n" + "  " * (level + 1)
    el.text = pad
    for c in el:
        indent(c, mixed, level + 1)
        c.tail = pad
    el[-1].tail = "\n" + "  " * level
