"""Jinja set-up: gettext, Norwegian dates, versioned static URLs, labels from the workflow."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache
from pathlib import Path

from markupsafe import Markup

from samordna.domain.vocabulary import ARENA_LABELS, ROLE_LABELS
from samordna.web import i18n

STATIC_DIR = Path(__file__).resolve().parent / "static"


@cache
def static_url(path: str) -> str:
    """/static/css/x.css?v=<content hash>: served with a year's cache, busted when the file changes."""
    digest = hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:10]
    return f"/static/{path}?v={digest}"


def label(mapping: dict[str, dict[str, str]], key: str | None) -> str:
    if not key:
        return ""
    entry = mapping.get(key)
    return entry.get(i18n.current_lang.get(), entry["nb"]) if entry else key


def template_gettext() -> Callable[..., str]:
    """`_()` for templates: what jinja2.ext.i18n's new-style gettext gives in an autoescaping environment
    (Litestar's always is) — the message in the current language, marked safe, then %-formatted with the
    keyword arguments escaped — with each message's translation kept per language. Jinja's own costs
    about 5 µs a call, and a board of 120 cards makes some 500 calls."""
    plain: dict[tuple[str, str], Markup] = {}  # without variables: the finished text
    formats: dict[tuple[str, str], Markup] = {}  # with variables: the translated format string

    def _(message: str, **variables: object) -> str:
        key = (i18n.current_lang.get(), message)
        if not variables:
            text = plain.get(key)
            if text is None:
                # Like Jinja's: always a format string ("%%" becomes "%"), also without variables.
                text = plain[key] = Markup(i18n.gettext(message)) % {}
            return text
        fmt = formats.get(key)
        if fmt is None:
            fmt = formats[key] = Markup(i18n.gettext(message))
        return fmt % variables

    return _


def configure_jinja(engine, *, reload: bool = False) -> None:  # type: ignore[no-untyped-def]
    """gettext, filters and globals; templates are compiled once and never looked at again on disk
    unless `reload` (debug mode): Jinja would otherwise stat every template and import on each render."""
    env = engine.engine
    env.auto_reload = reload
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)
    env.globals["_"] = template_gettext()  # {% trans %} keeps Jinja's own gettext
    env.globals.update(
        static=static_url,
        languages=i18n.LANGUAGES,
        arena_label=lambda key: label(ARENA_LABELS, key),
        role_label=lambda key: label(ROLE_LABELS, key),
        current_lang=i18n.current_lang.get,
    )
    env.filters.update(date=i18n.fmt_date, datetime=i18n.fmt_datetime, filesize=i18n.fmt_size)
    env.trim_blocks = True
    env.lstrip_blocks = True
