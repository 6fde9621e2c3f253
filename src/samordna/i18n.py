"""Interface language core: the current language (a context variable) and gettext over Babel catalogues.

Message ids are the bokmål text, so bokmål needs no catalogue and a missing translation falls back to
bokmål. The web layer sets the language per request; services and domain translate their messages
with it. Imports nothing from web.
"""

from __future__ import annotations

import gettext as gettext_module
import threading
from contextvars import ContextVar
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES = {"nb": "Bokmål", "nn": "Nynorsk", "en": "English"}
LOCALES = {"nb": "nb_NO", "nn": "nn_NO", "en": "en_GB"}
TRANSLATIONS_DIR = Path(__file__).resolve().parent / "web" / "translations"

current_lang: ContextVar[str] = ContextVar("samordna_lang", default="nb")


def _load(lang: str) -> gettext_module.NullTranslations:
    po = TRANSLATIONS_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return gettext_module.NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=LOCALES[lang])
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext_module.GNUTranslations(buffer)


_CATALOGS: dict[str, gettext_module.NullTranslations] = {}
_LOADING = threading.Lock()


def catalogs() -> dict[str, gettext_module.NullTranslations]:
    """Every language's catalogue, loaded once (request threads may ask at the same time)."""
    if len(_CATALOGS) < len(LANGUAGES):
        with _LOADING:
            if len(_CATALOGS) < len(LANGUAGES):
                _CATALOGS.update({lang: _load(lang) for lang in LANGUAGES})
    return _CATALOGS


def gettext(message: str) -> str:
    return catalogs()[current_lang.get()].gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return catalogs()[current_lang.get()].ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a message for extraction without translating it (tables translated at use)."""
    return message


def pick_language(*candidates: str | None) -> str:
    for lang in candidates:
        if lang in LANGUAGES:
            return lang  # type: ignore[return-value]
    return "nb"
