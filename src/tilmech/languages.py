"""The one language registry.

Our short code maps to the Babel locale, the gettext catalog folder, the Argos
Translate code and the BCP-47 tag used in HTML ``lang`` attributes. Nothing else
in Tilmech spells these out (Argos codes are only read from here by ``mt.argos``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import UsageError

if TYPE_CHECKING:
    from babel import Locale


@dataclass(frozen=True)
class Language:
    code: str  # our code, used in tilmech.yaml, the store and the CLI
    name: str  # English name
    native_name: str
    babel: str  # Babel locale identifier
    gettext: str  # folder under locales/
    argos: str  # Argos Translate language code
    bcp47: str  # HTML lang / hreflang
    sentence_joiner: str = " "  # between sentences of one paragraph

    @property
    def locale(self) -> Locale:
        from babel import Locale  # on first use: a command that names no locale does without Babel

        return Locale.parse(self.babel)


LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in (
        Language("en", "English", "English", "en", "en", "en", "en"),
        Language("ru", "Russian", "Русский", "ru", "ru", "ru", "ru"),
        Language("ky", "Kyrgyz", "Кыргызча", "ky", "ky", "ky", "ky"),
        Language("zh", "Chinese (Simplified)", "简体中文", "zh_Hans_CN", "zh_Hans", "zh", "zh-Hans", ""),
    )
}


def get_language(code: str) -> Language:
    """Return the registered language for ``code`` or raise a clear error."""
    try:
        return LANGUAGES[code]
    except KeyError:
        known = ", ".join(sorted(LANGUAGES))
        raise UsageError(f"unknown language {code!r}: use one of {known}") from None
