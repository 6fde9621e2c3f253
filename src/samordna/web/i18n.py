"""Interface language: gettext catalogues (Babel .po files) for nb, nn and en; dates in Norwegian form.

Message ids are the bokmål text, so bokmål needs no catalogue and a missing translation falls back
to bokmål. The language of the current request lives in a context variable set by the web layer.
"""

from __future__ import annotations

import gettext as gettext_module
from contextvars import ContextVar
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES = {"nb": "Bokmål", "nn": "Nynorsk", "en": "English"}
LOCALES = {"nb": "nb_NO", "nn": "nn_NO", "en": "en_GB"}
TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
TZ = ZoneInfo("Europe/Oslo")

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


def catalogs() -> dict[str, gettext_module.NullTranslations]:
    if not _CATALOGS:
        for lang in LANGUAGES:
            _CATALOGS[lang] = _load(lang)
    return _CATALOGS


def gettext(message: str) -> str:
    return catalogs()[current_lang.get()].gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return catalogs()[current_lang.get()].ngettext(singular, plural, n)


def pick_language(*candidates: str | None) -> str:
    for lang in candidates:
        if lang in LANGUAGES:
            return lang  # type: ignore[return-value]
    return "nb"


def fmt_date(value: date | None, fmt: str = "d. MMM y") -> str:
    """«22. nov. 2026» — Norwegian date in the current language."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(TZ).date()
    return format_date(value, fmt, locale=LOCALES[current_lang.get()])


def fmt_datetime(value: datetime | None, fmt: str = "d. MMM y 'kl.' HH:mm") -> str:
    if value is None:
        return ""
    if current_lang.get() == "en":
        fmt = fmt.replace("'kl.'", "'at'")
    return format_datetime(value, fmt, tzinfo=TZ, locale=LOCALES[current_lang.get()])
