"""The official OASIS XLIFF schemas (from Debian's php-symfony-translation), loaded offline with lxml."""

from __future__ import annotations

from functools import cache
from pathlib import Path

SCHEMAS = Path("/usr/share/php/Symfony/Component/Translation/Resources/schemas")


@cache
def schema(version: str):  # type: ignore[no-untyped-def]
    from lxml import etree

    assert SCHEMAS.is_dir(), "install Debian's php-symfony-translation for the XLIFF schemas (scripts/test does)"

    class Local(etree.Resolver):
        def resolve(self, url, pubid, context):  # type: ignore[no-untyped-def]
            if url.endswith("xml.xsd"):  # the W3C schema of xml:lang, a local copy
                return self.resolve_filename(str(SCHEMAS / "xml.xsd"), context)
            return None

    parser = etree.XMLParser()
    parser.resolvers.add(Local())
    name = "xliff-core-1.2-strict.xsd" if version == "1.2" else "xliff-core-2.0.xsd"
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name), parser))


def validate(text: str, version: str) -> list[str]:
    from lxml import etree

    checker = schema(version)
    ok = checker.validate(etree.fromstring(text.encode("utf-8")))
    return [] if ok else [str(e) for e in checker.error_log]
