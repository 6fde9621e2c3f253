"""Log-in, log-out and passwords with throttling, and the security log (audit_log). No HTTP here.

Log-in events (login, login_failed, login_throttled, logout, password_changed, password_reset) have
area_id None. The log is append-only (the database refuses UPDATE and DELETE): a password check first
appends a `login_attempt` row, so parallel guesses are counted, then its outcome (`login`,
`password_changed` or `login_failed`, with the attempt's time); the throttle counts the attempts that
did not succeed (`store.audit.failures_since`). actor_id is set whenever the account exists, so
`store.audit.security_entries_for_area` shows a coordinator the log-ins of the area's members. Refused
authorizations carry the area of the page when it is known. Never in the log: passwords (the subject is
«[ikke en e-postadresse]» unless the typed text looks like an e-mail address) and national identity
numbers (replaced by «[skjult]»).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from samordna.accounts import repository as repo
from samordna.accounts.repository import (
    actor_for_token,
    find_user,
    get_user,
    hash_password,
    load_actor,
    session_actor_rows,
    set_password_hash,
    verify_password,
)
from samordna.domain.actor import Actor, AreaView, MemberView
from samordna.domain.clock import aware
from samordna.domain.confidentiality import contains_national_id, find_national_ids, guard_message
from samordna.domain.errors import FieldError, Invalid, NotFound, Throttled
from samordna.i18n import gettext as _
from samordna.i18n import ngettext
from samordna.store.audit import ATTEMPT, failure_times, failures_since, nth_newest_at, record_audit
from samordna.store.db import Database

Session = Any  # a store session, opened by Database and handed to the repository; no SQL is asked here
WINDOW = timedelta(minutes=15)
MAX_FAILURES = 5  # the sixth attempt within the window is refused
MIN_LENGTH = 10
MAX_LENGTH = 128
HIDDEN = "[skjult]"
NOT_AN_EMAIL = "[ikke en e-postadresse]"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def redact(text: str) -> str:
    """`text` with every national identity number replaced by «[skjult]»."""
    for start, end in reversed(find_national_ids(text)):
        text = text[:start] + HIDDEN + text[end:]
    return text


def audit_subject(email: str) -> str:
    """What the log may say about a typed e-mail address: lower-cased, national ids hidden.

    Anything that is not shaped like an address becomes «[ikke en e-postadresse]»: people type their
    password into the e-mail field, and the log must never hold a password."""
    text = email.strip().lower()
    if len(text) > 254 or not _EMAIL.fullmatch(text) or "\x00" in text:  # no text in PostgreSQL holds a NUL
        return NOT_AN_EMAIL
    return redact(text)


def password_mark(password_hash: str | None) -> str:
    """A short fingerprint of the stored hash, kept in the session: a new password ends the other sessions."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16] if password_hash else ""


def password_problems(password: str, email: str) -> list[str]:
    """Why `password` may not be used by the user with `email` (empty when it may)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(_("Passordet må ha minst %(n)s tegn.") % {"n": MIN_LENGTH})
    elif len(password) > MAX_LENGTH:
        problems.append(_("Passordet kan ha høyst %(n)s tegn.") % {"n": MAX_LENGTH})
    if password.strip().lower() == email.strip().lower():
        problems.append(_("Passordet kan ikke være det samme som e-postadressen."))
    return problems


@dataclass(frozen=True)
class _Attempt:
    """A log-in attempt as written before the password was checked; its outcome is appended with these."""

    at: datetime
    subject: str
    ip: str | None
    actor_id: int | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class LoginResult:
    actor: Actor
    language: str | None
    password_mark: str


VIEW_NAME_MAX = 80
VIEW_QUERY_MAX = 1000
VIEWS_MAX = 30


@dataclass(frozen=True)
class SavedViewView:
    """A saved view of the measure list: its name and the URL query that opens it."""

    id: int
    name: str
    query: str


class AccountService:
    """Who is asking and proving it: log-in and out, passwords, throttling, the security log, API tokens.

    Each method is one short transaction or a few; password hashing never holds a write lock."""

    def __init__(self, *, db: Database, now: Callable[[], datetime]) -> None:
        self.db = db
        self.now = now

    # ------------------------------------------------------------ throttling

    def _wait(self, s: Session, *, subject: str, ip: str | None, now: datetime) -> timedelta | None:
        """How long the account or the address is still locked, or None.

        An account's failures count from its last successful log-in (at most WINDOW back); an
        address's failures are never reset by a log-in, or one's own account would unlock guessing."""
        since = now - WINDOW
        counters: list[dict[str, Any]] = []
        if subject != NOT_AN_EMAIL:  # no account has such a name: only the address counts
            last_login = nth_newest_at(s, kind="login", since=since, n=1, subject=subject)
            counters.append({"subject": subject, "since": aware(last_login) if last_login else since})
        if ip:
            counters.append({"ip": ip, "since": since})
        waits = []
        for where in counters:
            if failures_since(s, **where) >= MAX_FAILURES:
                failed = failure_times(s, **where)
                if len(failed) >= MAX_FAILURES:
                    waits.append(aware(failed[MAX_FAILURES - 1]) + WINDOW - now)
        return max(waits) if waits else None

    def _attempt(self, *, email: str, ip: str | None, via: str | None = None) -> tuple[_Attempt, Any]:
        """Refuse (Throttled) while locked; otherwise write the attempt *before* the password is checked,
        so parallel guesses are counted (as failures until a success is appended), and return it and the
        account (if any)."""
        now = self.now()
        subject = audit_subject(email)
        detail = {"via": via} if via else {}
        with self.db.write() as s:
            user = find_user(s, email) if subject != NOT_AN_EMAIL else None
            actor_id = user.id if user else None
            wait = self._wait(s, subject=subject, ip=ip, now=now)
            if wait is not None:
                record_audit(
                    s, kind="login_throttled", subject=subject, ip=ip, actor_id=actor_id, detail=detail, at=now
                )
            else:
                record_audit(s, kind=ATTEMPT, subject=subject, ip=ip, actor_id=actor_id, detail=detail, at=now)
        if wait is not None:
            seconds = max(1, math.ceil(wait.total_seconds()))
            minutes = math.ceil(seconds / 60)
            raise Throttled(
                ngettext(
                    "For mange mislykkede innlogginger. Vent %(n)s minutt og prøv igjen.",
                    "For mange mislykkede innlogginger. Vent %(n)s minutter og prøv igjen.",
                    minutes,
                )
                % {"n": minutes},
                retry_after=seconds,
            )
        return _Attempt(now, subject, ip, actor_id, detail), user

    def _outcome(self, s: Session, attempt: _Attempt, kind: str) -> None:
        """Append the attempt's outcome: `login_failed`, or the success `kind`."""
        record_audit(
            s,
            kind=kind,
            subject=attempt.subject,
            ip=attempt.ip,
            actor_id=attempt.actor_id,
            detail=attempt.detail,
            at=attempt.at,
        )

    def _failed(self, attempt: _Attempt) -> None:
        with self.db.write() as s:
            self._outcome(s, attempt, "login_failed")

    # ------------------------------------------------------------ log in and out

    def log_in(self, email: str, password: str, *, ip: str | None) -> LoginResult | None:
        """The actor for a correct password of an active account; None otherwise, in about the same time
        whether or not the account exists. Raises Throttled after too many failures."""
        attempt, user = self._attempt(email=email, ip=ip)
        ok = verify_password(user.password_hash if user else None, password)
        if user is None or not ok or not user.active:
            self._failed(attempt)
            return None
        with self.db.write() as s:
            fresh = get_user(s, user.id)
            if fresh is None or not fresh.active or fresh.password_hash != user.password_hash:
                self._outcome(s, attempt, "login_failed")  # changed while we were checking
                return None
            self._outcome(s, attempt, "login")
            return LoginResult(load_actor(s, fresh), fresh.language, password_mark(fresh.password_hash))

    def log_out(self, user_id: int, *, ip: str | None) -> None:
        with self.db.write() as s:
            user = get_user(s, user_id)
            record_audit(
                s,
                kind="logout",
                actor_id=user_id,
                subject=audit_subject(user.email) if user else "",
                ip=ip,
                at=self.now(),
            )

    def actor_for_session(self, user_id: int, mark: str) -> tuple[Actor, list[AreaView]] | None:
        """The session's actor and the areas it is a member of (one query, every page asks it), or None
        once the user is deactivated or has a new password."""
        with self.db.read_rows() as connection:
            rows = session_actor_rows(connection, user_id)
        if not rows or not mark or password_mark(rows[0][2]) != mark:
            return None
        name, email = rows[0][:2]
        members = [MemberView(*r[3:9]) for r in rows if r[3] is not None]
        actor = Actor(user_id=user_id, name=name, email=email, memberships={m.area_id: m for m in members})
        areas = [
            AreaView(m.area_id, m.area_slug, m.area_name, r[9], r[10], m.role, m.unit_id)
            for m, r in zip(members, (r for r in rows if r[3] is not None), strict=True)
        ]
        return actor, areas

    # ------------------------------------------------------------ passwords

    def change_password(self, user_id: int, *, current: str, new: str, repeat: str, ip: str | None) -> str:
        """Set a new password after checking the current one; returns the new session mark.

        Raises Invalid with a message beside each field, or Throttled; a wrong current password counts
        as a failed log-in for the account."""
        with self.db.read() as s:
            user = get_user(s, user_id)
            if user is None or not user.active:
                raise NotFound(_("Fant ikke brukeren."))
            email = user.email
        errors = [FieldError("new_password", p) for p in password_problems(new, email)]
        if new and repeat != new:
            errors.append(FieldError("new_password_repeat", _("Passordene er ikke like.")))
        if not current:
            errors.insert(0, FieldError("current_password", _("Skriv inn passordet du bruker nå.")))
        if errors:
            raise Invalid(errors)
        attempt, user = self._attempt(email=email, ip=ip, via="password_change")
        assert user is not None
        if not verify_password(user.password_hash, current):
            self._failed(attempt)
            raise Invalid([FieldError("current_password", _("Passordet er feil."))])
        new_hash = hash_password(new)
        with self.db.write() as s:
            self._outcome(s, attempt, "password_changed")
            set_password_hash(s, user_id, new_hash)
        return password_mark(new_hash)

    def reset_password(self, email: str, password: str) -> None:
        """An administrator sets a user's password (the CLI); every session of the user ends."""
        problems = password_problems(password, email)
        if problems:
            raise Invalid([FieldError("password", p) for p in problems], message=" ".join(problems))
        new_hash = hash_password(password)
        with self.db.write() as s:
            user = find_user(s, email)
            if user is None:
                raise NotFound(_("Fant ikke brukeren %(email)s.") % {"email": audit_subject(email)})
            user.password_hash = new_hash
            record_audit(
                s,
                kind="password_reset",
                actor_id=user.id,
                subject=audit_subject(user.email),
                detail={"via": "cli"},
                at=self.now(),
            )

    # ------------------------------------------------------------ refusals

    def record_refusal(
        self, *, path: str, status: int, method: str, actor_id: int | None, area_id: int | None, ip: str | None
    ) -> None:
        """A refused authorization (403, or 404 for something the actor may not see)."""
        with self.db.write() as s:
            record_audit(
                s,
                kind="authorization_refused",
                subject=redact(path),
                actor_id=actor_id,
                area_id=area_id,
                ip=ip,
                detail={"status": status, "method": method},
                at=self.now(),
            )

    # ------------------------------------------------------------ who is asking

    def actor_for_token(self, *, token: str) -> Actor:
        with self.db.read() as s:
            return actor_for_token(s, token)

    def actor_for_user(self, *, user_id: int) -> Actor | None:
        """The actor behind a browser session, or None once the user is deactivated."""
        with self.db.read() as s:
            user = get_user(s, user_id)
            return load_actor(s, user) if user is not None and user.active else None

    def set_language(self, *, user_id: int, lang: str) -> None:
        with self.db.write() as s:
            user = get_user(s, user_id)
            if user is not None:
                user.language = lang

    # ------------------------------------------------------------ saved views of the measure list

    def saved_views(self, *, actor: Actor, area_id: int) -> list[SavedViewView]:
        """The member's saved views in the area, by name ([] for an area the actor is no member of)."""
        if actor.in_area(area_id) is None:
            return []
        with self.db.read() as s:
            return [SavedViewView(*row) for row in repo.saved_views(s, actor.user_id, area_id)]

    def save_view(self, *, actor: Actor, area_id: int, name: Any, query: Any) -> SavedViewView:
        """Save the list's current `query` (URL query string) under `name`; a name already used is replaced."""
        if actor.in_area(area_id) is None:
            raise NotFound(_("Fant ikke SLT-området."))
        errors: list[FieldError] = []
        name = " ".join(name.split()) if isinstance(name, str) else ""
        if not name:
            errors.append(FieldError("name", _("Gi visningen et navn.")))
        elif len(name) > VIEW_NAME_MAX or not name.isprintable():
            errors.append(FieldError("name", _("Navnet kan være høyst {n} tegn.").format(n=VIEW_NAME_MAX)))
        elif contains_national_id(name):
            errors.append(FieldError("name", guard_message()))
        if not isinstance(query, str) or len(query) > VIEW_QUERY_MAX or not query.isprintable() or "#" in query:
            errors.append(FieldError("query", _("Visningen kunne ikke lagres: filtrene er for lange.")))
        if errors:
            raise Invalid(errors)
        with self.db.write() as s:
            if len(repo.saved_views(s, actor.user_id, area_id)) >= VIEWS_MAX and name not in {
                v[1] for v in repo.saved_views(s, actor.user_id, area_id)
            }:
                raise Invalid(
                    [FieldError("name", _("Du har {n} lagrede visninger: slett en først.").format(n=VIEWS_MAX))]
                )
            view_id = repo.save_view(
                s, user_id=actor.user_id, area_id=area_id, name=name, query=query.lstrip("?"), now=self.now()
            )
        return SavedViewView(view_id, name, query.lstrip("?"))

    def delete_view(self, *, actor: Actor, area_id: int, view_id: int) -> None:
        """Delete one of the member's saved views (404 for anyone else's)."""
        with self.db.write() as s:
            if actor.in_area(area_id) is None or not repo.delete_view(
                s, user_id=actor.user_id, area_id=area_id, view_id=view_id
            ):
                raise NotFound(_("Fant ikke visningen."))
