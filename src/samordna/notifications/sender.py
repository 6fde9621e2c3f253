"""Talking to the mail server (aiosmtplib): one connection per batch, each message to its one recipient, and
each outcome sorted into sent, retry later, or failed for good.

- The server cannot be reached, drops the connection, times out, or refuses the log-in: every message of the
  batch not sent yet is retried later, and the pass stops (`Batch.stopped`): no point in knocking again now.
- The server refuses the recipient with a 5xx (550 no such mailbox): that message fails; the others go on.
- Any other refusal (4xx, or a 5xx to MAIL FROM or DATA: the server's own trouble): retried with backoff.

No SQL here; the service records each outcome as it comes (`on_outcome`), so a message the server accepted is
marked sent before the next one is tried.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.utils import parseaddr

import aiosmtplib

from samordna.settings import SmtpSettings

SENT, RETRY, FAILED = "sent", "retry", "failed"


@dataclass(frozen=True)
class Outcome:
    message_id: int
    status: str  # sent | retry | failed
    error: str | None = None


@dataclass(frozen=True)
class Batch:
    sent: int
    retried: int
    failed: int
    stopped: str | None  # the connection failed: why


def _describe(exc: BaseException) -> str:
    code = getattr(exc, "code", None)
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return f"{code} {text}" if code else f"{type(exc).__name__}: {text}"


def _client(smtp: SmtpSettings) -> aiosmtplib.SMTP:
    return aiosmtplib.SMTP(
        hostname=smtp.host,
        port=smtp.port,
        username=smtp.username,
        password=smtp.password,
        use_tls=smtp.implicit_tls,
        start_tls=smtp.start_tls,
        cert_bundle=smtp.cafile,
        timeout=smtp.timeout,
    )


async def send_batch(
    smtp: SmtpSettings,
    mail_from: str,
    messages: Sequence[tuple[int, str, str]],
    on_outcome: Callable[[Outcome], None],
) -> Batch:
    """Send (id, recipient, message) over one connection, reporting each outcome as it is known."""
    sender = parseaddr(mail_from)[1]
    counts = {SENT: 0, RETRY: 0, FAILED: 0}

    def report(outcome: Outcome) -> None:
        counts[outcome.status] += 1
        on_outcome(outcome)

    client = _client(smtp)
    try:
        await client.connect()  # STARTTLS and the log-in as the settings say
    except (aiosmtplib.SMTPException, OSError) as exc:
        reason = _describe(exc)
        for message_id, _recipient, _message in messages:
            report(Outcome(message_id, RETRY, reason))
        return Batch(counts[SENT], counts[RETRY], counts[FAILED], reason)
    stopped = None
    try:
        for n, (message_id, recipient, message) in enumerate(messages):
            try:
                await client.sendmail(sender, [recipient], message.encode("utf-8"))
            except aiosmtplib.SMTPRecipientsRefused as exc:
                code = exc.recipients[0].code if exc.recipients else 0
                report(Outcome(message_id, FAILED if 500 <= code < 600 else RETRY, _describe(exc.recipients[0])))
            except aiosmtplib.SMTPResponseException as exc:
                report(Outcome(message_id, RETRY, _describe(exc)))
                if not client.is_connected:
                    stopped = _describe(exc)
            except (aiosmtplib.SMTPException, OSError) as exc:  # disconnected, timed out
                stopped = _describe(exc)
                report(Outcome(message_id, RETRY, stopped))
            else:
                report(Outcome(message_id, SENT))
            if stopped:
                for later_id, _r, _m in messages[n + 1 :]:
                    report(Outcome(later_id, RETRY, stopped))
                break
    finally:
        if client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()
    return Batch(counts[SENT], counts[RETRY], counts[FAILED], stopped)
