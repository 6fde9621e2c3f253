"""Frozen settings built from the environment once, then passed in; nothing reads them at import."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import time
from email.headerregistry import Address
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _default_database_url() -> str:
    return f"sqlite:///{PROJECT_ROOT / 'var' / 'samordna.sqlite3'}"


SMTP_SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
LOOPBACK = ("127.0.0.1", "::1", "localhost")


def _whole(env: dict[str, str], name: str, low: int, high: int, described: str) -> int | None:
    """The whole number in `name` (None when unset), from `low` to `high`; else a ValueError saying `described`."""
    if not env.get(name):
        return None
    raw = env[name].strip()
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ValueError(f"{name} must be {described}, not {raw!r}")
    return int(raw)


def _seconds(env: dict[str, str], name: str, low: float, high: float) -> float | None:
    """The seconds in `name` (None when unset), from `low` to `high`; else a ValueError saying so."""
    if not env.get(name):
        return None
    raw = env[name].strip()
    try:
        seconds = float(raw)
    except ValueError:
        seconds = float("nan")  # compares false: refused below
    if not low <= seconds <= high:
        raise ValueError(f"{name} must be seconds from {low:g} to {high:g}, not {raw!r}")
    return seconds


@dataclass(frozen=True)
class SmtpSettings:
    """Where digests are sent, from SAMORDNA_SMTP_URL:

    - `smtp://[user:password@]host[:25]`: STARTTLS when the server offers it;
    - `smtp+starttls://user:password@host[:587]`: STARTTLS required;
    - `smtps://user:password@host[:465]`: TLS from the first byte.

    A password is only sent over TLS, except to this machine's own server (127.0.0.1, ::1, localhost).
    `?cafile=/path/ca.pem` trusts that certificate authority (a company's own) besides the system's;
    `?timeout=30` is the seconds one command may take."""

    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    cafile: str | None = None
    timeout: float = 30.0

    @property
    def implicit_tls(self) -> bool:
        return self.scheme == "smtps"

    @property
    def start_tls(self) -> bool | None:
        """aiosmtplib's start_tls: True (required), None (when offered), False (never: implicit TLS)."""
        if self.scheme == "smtps":
            return False
        if self.scheme == "smtp+starttls" or (self.username and self.host not in LOOPBACK):
            return True
        return None

    @classmethod
    def parse(cls, url: str) -> SmtpSettings:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        if scheme not in SMTP_SCHEMES:
            raise ValueError(f"SAMORDNA_SMTP_URL must start with smtp://, smtp+starttls:// or smtps://, not {scheme!r}")
        try:
            port = parts.port or SMTP_SCHEMES[scheme]
        except ValueError as exc:
            raise ValueError(f"SAMORDNA_SMTP_URL has a port that is not a number from 1 to 65535: {exc}") from None
        if not parts.hostname:
            raise ValueError("SAMORDNA_SMTP_URL names no host")
        if parts.path not in ("", "/") or parts.fragment:
            raise ValueError("SAMORDNA_SMTP_URL takes no path: smtp://user:password@host:port")
        query = parse_qs(parts.query, keep_blank_values=True)
        unknown = set(query) - {"cafile", "timeout"}
        if unknown:
            raise ValueError(f"SAMORDNA_SMTP_URL: unknown option {sorted(unknown)[0]!r} (cafile, timeout)")
        cafile = query.get("cafile", [None])[0] or None
        if cafile and not Path(cafile).is_file():
            raise ValueError(f"SAMORDNA_SMTP_URL: cafile {cafile!r} is not a file")
        timeout = query.get("timeout", ["30"])[0]
        try:
            seconds = float(timeout)
        except ValueError:
            seconds = -1.0
        if not 1 <= seconds <= 600:
            raise ValueError(f"SAMORDNA_SMTP_URL: timeout must be seconds from 1 to 600, not {timeout!r}")
        username = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password is not None else None
        if (username is None) != (password is None):
            raise ValueError("SAMORDNA_SMTP_URL: give both a user name and a password, or neither")
        return cls(scheme, parts.hostname, port, username, password, cafile, seconds)


def parse_mail_from(value: str) -> str:
    """`Samordna <slt@kommune.no>` or `slt@kommune.no`, checked: one address with a domain, no line breaks."""
    if "\n" in value or "\r" in value:
        raise ValueError("SAMORDNA_MAIL_FROM must be one line")
    name, address = parseaddr(value)
    local, _, domain = address.rpartition("@")
    if not local or ("." not in domain and domain != "localhost") or " " in address:
        raise ValueError(f"SAMORDNA_MAIL_FROM must be an e-mail address (Samordna <slt@kommune.no>), not {value!r}")
    return str(Address(display_name=name, addr_spec=address))


def parse_base_url(value: str) -> str:
    """The address people open Samordna at, for the links in mails: http(s)://host[:port][/path], no query."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"SAMORDNA_BASE_URL must be an http:// or https:// address, not {value!r}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("SAMORDNA_BASE_URL takes no query, fragment or user: https://slt.kommune.no")
    try:
        parts.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError as exc:
        raise ValueError(f"SAMORDNA_BASE_URL has a bad port: {exc}") from None
    return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=_default_database_url)
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    workflows_dir: Path = PROJECT_ROOT / "workflows"
    templates_dir: Path = PROJECT_ROOT / "templates"
    static_dir: Path = PROJECT_ROOT / "src" / "samordna" / "web" / "static"
    timezone: str = "Europe/Oslo"
    secure_cookies: bool = False
    max_body_bytes: int = 1_000_000
    debug: bool = False
    # Reverse proxies whose X-Forwarded-For is believed (addresses or networks); none by default.
    trusted_proxies: tuple[str, ...] = ()
    # Database connections each server process keeps open (SQLAlchemy's QueuePool).
    db_pool_size: int = 5
    # Reminders (DESIGN.md §13): where digests are sent (None: they stay in the outbox), who sends them, and
    # the address the links in a mail point at.
    smtp: SmtpSettings | None = None
    mail_from: str = "Samordna <samordna@localhost>"
    base_url: str = "http://127.0.0.1:8000"
    # `samordna serve --scheduler`: the digest every morning in-process (one process wins the day), at this
    # time of day in `timezone`.
    scheduler: bool = False
    remind_at: time = time(7, 0)
    # Attachments (DESIGN.md §14): where their files live (named by their SHA-256 under `attachments/`, uploads
    # in progress under `tmp/`), and the largest file accepted.
    data_dir: Path = PROJECT_ROOT / "var" / "data"
    max_upload_mb: int = 20
    # Live boards (DESIGN.md §15): an SSE comment this often on an idle stream keeps proxies from closing it, and
    # is when the stream checks that its session still lives.
    live_heartbeat_seconds: float = 15.0
    # ... and ends after this long; the browser reconnects at once (with Last-Event-ID once an event came), and a
    # worker being replaced or a proxy's own limit never meets a stream hours old.
    live_stream_seconds: float = 1800.0
    # How changes travel between processes: "auto" is PostgreSQL's LISTEN/NOTIFY on PostgreSQL (every worker and
    # machine hears every change), memory otherwise; "memory" keeps them in this process (one worker).
    live_backend: str = "auto"
    # Log-in bursts: password checks (argon2id, 19 MiB and ~25 ms of a core each) run at most this many at once
    # per process, in threads of their own (samordna.accounts.gate); a log-in that cannot start within
    # `login_wait_seconds` is answered 503 with Retry-After. 0 slots: the cores this process may use.
    login_slots: int = 0
    login_wait_seconds: float = 10.0

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: object) -> Settings:
        env = dict(os.environ if env is None else env)
        values: dict[str, object] = {}
        if env.get("SAMORDNA_DATABASE_URL"):
            values["database_url"] = env["SAMORDNA_DATABASE_URL"]
        if env.get("SAMORDNA_SECRET_KEY"):
            values["secret_key"] = env["SAMORDNA_SECRET_KEY"]
        if env.get("SAMORDNA_WORKFLOWS"):
            values["workflows_dir"] = Path(env["SAMORDNA_WORKFLOWS"])
        if env.get("SAMORDNA_SECURE_COOKIES"):
            values["secure_cookies"] = env["SAMORDNA_SECURE_COOKIES"].lower() in ("1", "true", "yes")
        if env.get("SAMORDNA_TRUSTED_PROXIES"):
            values["trusted_proxies"] = tuple(
                p.strip() for p in env["SAMORDNA_TRUSTED_PROXIES"].split(",") if p.strip()
            )
        if (size := _whole(env, "SAMORDNA_DB_POOL_SIZE", 1, 1000, "a whole number from 1 to 1000")) is not None:
            values["db_pool_size"] = size
        if env.get("SAMORDNA_SMTP_URL"):
            values["smtp"] = SmtpSettings.parse(env["SAMORDNA_SMTP_URL"])
        if env.get("SAMORDNA_MAIL_FROM"):
            values["mail_from"] = parse_mail_from(env["SAMORDNA_MAIL_FROM"])
        if env.get("SAMORDNA_BASE_URL"):
            values["base_url"] = parse_base_url(env["SAMORDNA_BASE_URL"])
        if env.get("SAMORDNA_REMIND_AT"):
            raw = env["SAMORDNA_REMIND_AT"].strip()
            try:
                values["remind_at"] = time.fromisoformat(raw)
            except ValueError:
                raise ValueError(f"SAMORDNA_REMIND_AT must be a time of day such as 07:00, not {raw!r}") from None
        if env.get("SAMORDNA_SCHEDULER"):
            values["scheduler"] = env["SAMORDNA_SCHEDULER"].lower() in ("1", "true", "yes")
        if env.get("SAMORDNA_DATA_DIR"):
            values["data_dir"] = Path(env["SAMORDNA_DATA_DIR"])
        if (
            mb := _whole(env, "SAMORDNA_MAX_UPLOAD_MB", 1, 2048, "a whole number of megabytes from 1 to 2048")
        ) is not None:
            values["max_upload_mb"] = mb
        if (seconds := _seconds(env, "SAMORDNA_LIVE_HEARTBEAT", 0.1, 300)) is not None:
            values["live_heartbeat_seconds"] = seconds
        if (seconds := _seconds(env, "SAMORDNA_LIVE_STREAM_SECONDS", 1, 86400)) is not None:
            values["live_stream_seconds"] = seconds
        if env.get("SAMORDNA_LIVE_BACKEND"):
            raw = env["SAMORDNA_LIVE_BACKEND"].strip().lower()
            if raw not in ("auto", "memory"):
                raise ValueError(f"SAMORDNA_LIVE_BACKEND must be auto or memory, not {raw!r}")
            values["live_backend"] = raw
        if (
            slots := _whole(env, "SAMORDNA_LOGIN_SLOTS", 0, 256, "a whole number from 0 (the cores) to 256")
        ) is not None:
            values["login_slots"] = slots
        if (seconds := _seconds(env, "SAMORDNA_LOGIN_WAIT", 0.1, 300)) is not None:
            values["login_wait_seconds"] = seconds
        if env.get("SAMORDNA_DEBUG"):
            values["debug"] = env["SAMORDNA_DEBUG"].lower() in ("1", "true", "yes")
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
