"""Jinja set-up: gettext, Norwegian dates, versioned static URLs, labels from the workflow."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

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


def configure_jinja(engine) -> None:  # type: ignore[no-untyped-def]
    env = engine.engine
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)
    env.globals.update(
        static=static_url,
        languages=i18n.LANGUAGES,
        arena_label=lambda key: label(ARENA_LABELS, key),
        role_label=lambda key: label(ROLE_LABELS, key),
        current_lang=i18n.current_lang.get,
    )
    env.filters.update(date=i18n.fmt_date, datetime=i18n.fmt_datetime)
    env.trim_blocks = True
    env.lstrip_blocks = True
