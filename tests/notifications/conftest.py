"""A real SMTP server for the reminder tests: aiosmtpd on a free port of 127.0.0.1, in its own thread, keeping
every message it accepts; it can refuse a recipient, answer DATA with an error a number of times, ask for a
log-in, or speak TLS (a self-signed certificate made with openssl for the run)."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from samordna.notifications.service import NotificationService
from samordna.services import Services
from samordna.settings import SmtpSettings
from tests.conftest import free_port, skip_or_fail

BASE_URL = "https://slt.eksempel.no/samordna"
USER, PASSWORD = "samordna", "hemmelig passord"


class Mailbox:
    """What the server accepted, and how it should answer."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[tuple[str, list[str], EmailMessage]] = []  # (MAIL FROM, RCPT TO, message)
        self.refuse: dict[str, str] = {}  # recipient -> the reply to RCPT TO ("550 …", "451 …")
        self.data_errors: list[str] = []  # replies to DATA, one used per message until empty

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        reply = self.refuse.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        with self.lock:
            if self.data_errors:
                return self.data_errors.pop(0)
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for _f, rcpt, m in self.messages if address in rcpt]

    def recipients(self) -> list[str]:
        with self.lock:
            return sorted(r for _f, rcpt, _m in self.messages for r in rcpt)


def _authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


class SmtpServer:
    def __init__(self, *, tls: str | None = None, cert: tuple[Path, Path] | None = None, auth: bool = False) -> None:
        self.mailbox = Mailbox()
        self.port = free_port()
        self.tls = tls
        self.cert = cert
        self.auth = auth
        self.controller: Controller | None = None

    def start(self) -> SmtpServer:
        kwargs: dict[str, Any] = {}
        if self.cert is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(self.cert[0]), str(self.cert[1]))
            if self.tls == "implicit":
                kwargs["ssl_context"] = context
            else:
                kwargs["tls_context"] = context
                kwargs["require_starttls"] = True
        if self.auth:
            kwargs["authenticator"] = _authenticator
            kwargs["auth_required"] = True
            # aiosmtpd hides AUTH on an implicit-TLS connection when it requires STARTTLS first: the connection is
            # encrypted from the first byte, so only the STARTTLS server asks for it.
            kwargs["auth_require_tls"] = self.cert is not None and self.tls != "implicit"
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port, **kwargs)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def url(self, scheme: str = "smtp", *, login: bool = False, query: str = "") -> str:
        who = f"{USER}:{PASSWORD.replace(' ', '%20')}@" if login else ""
        host = "localhost" if self.cert is not None else "127.0.0.1"  # the certificate's name
        return f"{scheme}://{who}{host}:{self.port}" + (f"?{query}" if query else "")


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for «localhost» (it is also its own certificate authority)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    try:
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                "-keyout", str(key), "-out", str(cert),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )  # fmt: skip
    except (OSError, subprocess.CalledProcessError) as exc:
        skip_or_fail(f"openssl could not make a test certificate: {exc}")
    return cert, key


def mailer(samordna: Services, smtp_url: str | None, **overrides: Any) -> NotificationService:
    """The notifications service over the test database, sending to `smtp_url` (links to BASE_URL)."""
    settings = dataclasses.replace(
        samordna.settings,
        smtp=SmtpSettings.parse(smtp_url) if smtp_url else None,
        base_url=BASE_URL,
        mail_from="SLT Alfa <slt@alfa.kommune.no>",
        **overrides,
    )
    return NotificationService(db=samordna.db, clock=samordna.clock, workflow=samordna.workflow, settings=settings)


@pytest.fixture
def make_mailer(samordna: Services) -> Callable[..., NotificationService]:
    return lambda url=None, **overrides: mailer(samordna, url, **overrides)
