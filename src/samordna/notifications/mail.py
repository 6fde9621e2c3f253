"""A digest as a mail: the words of each item in the reader's language, then a multipart message (plain text
and HTML) whose every link is absolute and points at the installation's own address (SAMORDNA_BASE_URL).

Service side, no SQL and no network: `digest_of` turns a user's items into a Digest (sections of lines), and
`MailComposer.message` renders it with templates/mail/digest.html and writes the RFC 5322 message the outbox
keeps. The mail carries refs, titles, dates and meeting times only — never a note's or a decision's text (the
confidentiality guard has already stopped national identity numbers at the door, DESIGN.md §5).
"""

from __future__ import annotations

import email.policy
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from samordna.domain.vocabulary import BODY_LEVEL_LABELS
from samordna.i18n import current_lang, gettext, ngettext
from samordna.notifications.views import Digest, Item, Line, Section
from samordna.web.i18n import fmt_date, fmt_datetime
from samordna.web.rendering import template_gettext
from samordna.workflow import Workflow

MAIL_PER_SECTION = 10  # a mail lists the most urgent; the rest are in «Varsler»
PREFERENCES_PATH = "/notifications/preferences"
NOTIFICATIONS_PATH = "/notifications"


@contextmanager
def language(lang: str) -> Iterator[None]:
    token = current_lang.set(lang)
    try:
        yield
    finally:
        current_lang.reset(token)


def headings() -> dict[str, str]:
    return {
        "follow_up": gettext("Oppfølging"),
        "start": gettext("Venter på oppstart"),
        "evaluation": gettext("Evaluering"),
        "decision": gettext("Vedtak siden sist"),
        "meeting": gettext("Møter den neste uka"),
    }


def describe(item: Any, workflow: Workflow, lang: str) -> tuple[str, bool]:
    """What the item asks of the reader, in the current language, and whether it is urgent."""
    if item.kind == "follow_up":
        if item.code == "overdue":
            return gettext("Oppfølgingen forfalt %(date)s") % {"date": fmt_date(item.on_date)}, True
        return gettext("Oppfølging innen %(date)s") % {"date": fmt_date(item.on_date)}, False
    if item.kind == "start":
        return gettext("Ansvaret er gitt enheten: tiltaket venter på å bli startet"), False
    if item.kind == "evaluation":
        if item.code == "period_ends":
            return gettext("Frist %(date)s: tid for å be om evaluering") % {"date": fmt_date(item.on_date)}, False
        if item.code == "submit":
            return gettext("Evalueringen venter på å bli levert"), False
        return gettext("Evaluert: venter på styringsgruppens vedtak"), False
    if item.kind == "decision":
        transition = workflow.first_transition(item.code)
        name = transition.label.get(lang) if transition else item.code
        return gettext("Vedtak: %(decision)s (%(date)s)") % {"decision": name, "date": fmt_date(item.at)}, False
    level = BODY_LEVEL_LABELS.get(item.code, {}).get(lang, "")
    when = fmt_datetime(item.at)
    place = getattr(item, "place", "")  # an in-app notification keeps no place
    text = f"{when}, {place}" if place else when
    return (f"{text} · {level}" if level else text), False


def digest_of(
    *,
    user_id: int,
    name: str,
    email: str,
    lang: str,
    day: date,
    items: Sequence[Item],
    new_keys: set[str],
    workflow: Workflow,
    base_url: str,
    several_areas: bool,
) -> Digest:
    """The digest of `items` (decisions only when new), in `lang`; each section its most urgent first."""
    with language(lang):
        titles = headings()
        sections = []
        for kind in titles:
            of_kind = [i for i in items if i.kind == kind and (kind != "decision" or i.key in new_keys)]
            if not of_kind:
                continue
            lines = []
            for item in of_kind[:MAIL_PER_SECTION]:
                when, urgent = describe(item, workflow, lang)
                text = f"{item.ref} {item.title}".strip()
                if several_areas:
                    text = f"{text} ({item.area_name})"
                lines.append(Line(text, when, base_url + item.path, item.key in new_keys, urgent))
            more = len(of_kind) - len(lines)
            sections.append(
                Section(
                    kind=kind,
                    heading=titles[kind],
                    lines=tuple(lines),
                    more=more,
                    more_text=ngettext("og %(n)s til", "og %(n)s til", more) % {"n": more} if more else "",
                    more_url=base_url + NOTIFICATIONS_PATH if more else "",
                )
            )
        count = sum(len(s.lines) + s.more for s in sections)
        subject = ngettext("Samordna: %(n)s påminnelse – %(date)s", "Samordna: %(n)s påminnelser – %(date)s", count) % {
            "n": count,
            "date": fmt_date(day),
        }
        intro = gettext("Hei, %(name)s! Dette venter på deg i Samordna.") % {"name": name}
    return Digest(
        user_id=user_id,
        name=name,
        email=email,
        lang=lang,
        day=day,
        subject=subject,
        intro=intro,
        sections=tuple(sections),
        preferences_url=base_url + PREFERENCES_PATH,
        items=count,
    )


class MailComposer:
    """Renders digests as messages: the HTML from templates/mail/digest.html, the text beside it."""

    def __init__(self, *, templates_dir: Path, mail_from: str, base_url: str) -> None:
        self.mail_from = mail_from
        self.base_url = base_url
        self.domain = parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"
        env = Environment(
            loader=FileSystemLoader(str(templates_dir)),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.globals["_"] = template_gettext()
        self.html_template = env.get_template("mail/digest.html")

    def text(self, digest: Digest) -> str:
        with language(digest.lang):
            out = [digest.intro, ""]
            for section in digest.sections:
                out += [section.heading.upper(), ""]
                for line in section.lines:
                    mark = gettext("NY") + ": " if line.new else ""
                    out += [f"* {mark}{line.text}", f"  {line.when}", f"  {line.url}"]
                if section.more:
                    out.append(f"  {section.more_text}: {section.more_url}")
                out.append("")
            out += [
                "-- ",
                gettext("Du får denne e-posten fra Samordna fordi du er med i SLT-arbeidet."),
                gettext("Endre hva du får, hvor ofte, eller slå av e-posten: %(url)s")
                % {"url": digest.preferences_url},
            ]
        return "\n".join(out) + "\n"

    def html(self, digest: Digest) -> str:
        with language(digest.lang):
            return self.html_template.render(digest=digest, lang=digest.lang, base_url=self.base_url)

    def message(self, digest: Digest, *, now: datetime) -> EmailMessage:
        msg = EmailMessage(policy=email.policy.SMTP)
        msg["Subject"] = digest.subject
        msg["From"] = self.mail_from
        msg["To"] = Address(display_name=digest.name, addr_spec=digest.email)
        msg["Date"] = format_datetime(now)
        # The same id on every attempt: a mail server that got it once can drop a second copy.
        msg["Message-ID"] = f"<samordna.digest.{digest.user_id}.{digest.day.isoformat()}@{self.domain}>"
        msg["Content-Language"] = {"nb": "nb", "nn": "nn", "en": "en"}.get(digest.lang, "nb")
        msg["Auto-Submitted"] = "auto-generated"
        msg["List-Unsubscribe"] = f"<{digest.preferences_url}>"
        msg.set_content(self.text(digest), charset="utf-8", cte="quoted-printable")
        msg.add_alternative(self.html(digest), subtype="html", charset="utf-8", cte="quoted-printable")
        return msg
