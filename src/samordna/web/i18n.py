"""Interface language for the web layer: the core (samordna.i18n) re-exported, plus Norwegian dates."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

from samordna.i18n import (
    LANGUAGES,
    LOCALES,
    N_,
    TRANSLATIONS_DIR,
    catalogs,
    current_lang,
    gettext,
    ngettext,
    pick_language,
)

__all__ = [
    "LANGUAGES",
    "LOCALES",
    "N_",
    "TRANSLATIONS_DIR",
    "TZ",
    "catalogs",
    "current_lang",
    "fmt_date",
    "fmt_datetime",
    "gettext",
    "ngettext",
    "pick_language",
]

TZ = ZoneInfo("Europe/Oslo")


def fmt_date(value: date | None, fmt: str = "d. MMM y") -> str:
    """«22. nov. 2026» — Norwegian date in the current language («22 Nov 2026» in English)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(TZ).date()
    return _format_date(value, fmt, current_lang.get())


@lru_cache(maxsize=8192)
def _format_date(value: date, fmt: str, lang: str) -> str:
    """Babel takes some 15 µs a date; a board shows the same few dates again and again."""
    if lang == "en":
        fmt = fmt.replace("d. ", "d ")  # «22 Nov 2026»
    return format_date(value, fmt, locale=LOCALES[lang])


def fmt_number(n: int | float) -> str:
    """A number as the page's language writes it: «1 000» (a no-break space) in nb and nn, «1,000» in en."""
    from babel.numbers import format_decimal

    return format_decimal(n, locale=LOCALES[current_lang.get()])


def fmt_size(size: int) -> str:
    """A file's size as people read it: «820 byte», «34 kB», «1,4 MB» (the decimal comma in nb and nn)."""
    if size < 1024:
        return f"{size} byte"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} kB"
    return f"{fmt_number(round(size / (1024 * 1024), 1))} MB"


def fmt_datetime(value: datetime | None, fmt: str = "d. MMM y 'kl.' HH:mm") -> str:
    if value is None:
        return ""
    if current_lang.get() == "en":
        fmt = fmt.replace("d. ", "d ").replace("'kl.'", "'at'")
    return format_datetime(value, fmt, tzinfo=TZ, locale=LOCALES[current_lang.get()])
