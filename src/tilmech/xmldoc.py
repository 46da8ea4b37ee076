"""XML documents from outside (TBX, XLIFF), parsed safely, with errors that name file and line.

External entities and entity expansion ("billion laughs") are refused (defusedxml).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .errors import InputError


def read_xml(text: str, source: str) -> ET.Element:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        return fromstring(text.encode("utf-8"))
    except DefusedXmlException as exc:
        raise InputError(source, None, f"refused: {exc}") from None
    except ET.ParseError as exc:
        raise InputError(source, exc.position[0], f"invalid XML: {exc}") from None


def local_name(tag: str) -> str:
    """``{urn:...}unit`` → ``unit``."""
    return tag.rsplit("}", 1)[-1]


def child(element: ET.Element, name: str) -> ET.Element | None:
    """The first direct child named ``name`` (namespace ignored)."""
    return next((c for c in element if local_name(c.tag) == name), None)
